// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package gobackend

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/support/envutil"
)

// Graphs whose products all multiply by a few vectors.
//
// A language model's decode step is a chain of hundreds of small ops around
// matrix-vector products, each of which splits its rows across the
// workers itself. Run on several executors (OpsExecutionParallel), every
// op is handed to whichever executor goroutine takes it next, and the
// handoffs (channel sends, goroutine wake-ups) cost about as much as the
// small ops while competing for the cores with the products' own helpers.
// In order on the calling goroutine there are no handoffs, and each
// product still uses every core. Graphs with any larger product (prefill,
// training) keep the parallel executors, where independent products do run
// side by side.

// VectorProduct is implemented by the node data of product ops that can
// tell whether the product multiplies by at most a few vectors.
type VectorProduct interface {
	IsVectorProduct() bool
}

// SequentialVectorGraphs can be set to false (or
// GOMLX_GO_SEQUENTIAL_VECTOR_GRAPHS=false) to run graphs of vector
// products on the parallel executors like any other.
var SequentialVectorGraphs = envutil.MustReadBool("GOMLX_GO_SEQUENTIAL_VECTOR_GRAPHS", true)

// heavyOps are ops that do matrix work of their own, which VectorProduct
// does not describe; a graph with any of them is not a vector graph.
var heavyOps = map[compute.OpType]bool{
	compute.OpTypeDot:                               true,
	compute.OpTypeConvGeneral:                       true,
	compute.OpTypeFusedDense:                        true,
	compute.OpTypeFusedDenseVJP:                     true,
	compute.OpTypeFusedScaledDotProductAttention:    true,
	compute.OpTypeFusedScaledDotProductAttentionVJP: true,
	compute.OpTypeFusedAttentionQKVProjection:       true,
	compute.OpTypeFusedQuantizedDense:               true,
}

// vectorProductsOnly reports whether nodes hold at least one DotGeneral
// and every one of them is a vector product (and no other matrix op).
func vectorProductsOnly(nodes []*Node) bool {
	found := false
	for _, n := range nodes {
		if heavyOps[n.OpType] {
			return false
		}
		if n.OpType != compute.OpTypeDotGeneral {
			continue
		}
		vp, ok := n.Data.(VectorProduct)
		if !ok || !vp.IsVectorProduct() {
			return false
		}
		found = true
	}
	return found
}
