// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package gobackend

import (
	"github.com/gomlx/compute/support"
	"github.com/gomlx/compute/support/envutil"
)

// Buffer allocation sizes.
//
// Buffers are pooled by allocated size. Small ones are rounded up to the
// next of 2^n or 1.5·2^n bytes, so that buffers of nearby sizes share a
// pool. For large ones that rounding wastes up to a third of each buffer
// (on average a sixth), and it is resident memory: a 1.2 GB embedding table
// took a 1.6 GB buffer, and a language model's training step measured 15%
// of its peak in rounding (Gemma 3 1B, 2 x 2048 tokens: 9.5 GB of buffers
// for 8.1 GB of tensors). Buffers of at least ExactBufferMinBytes are
// allocated at their size rounded up to a 4 KiB page; a training or decoding
// loop asks for the same shapes over and over, so they are reused all the
// same.

// ExactBufferMinBytes is the smallest buffer allocated at (nearly) its
// exact size rather than its two-bit bucket.
const ExactBufferMinBytes = 1 << 20

// exactBufferGranule is what exact sizes are rounded up to.
const exactBufferGranule = 4 << 10

// ExactBuffersEnabled can be set to false (or GOMLX_GO_EXACT_BUFFERS=false)
// to bucket every buffer.
var ExactBuffersEnabled = envutil.MustReadBool("GOMLX_GO_EXACT_BUFFERS", true)

// bufferAllocSize is the allocation size (and pool key) for a buffer of n
// bytes.
func bufferAllocSize(n int) int {
	if ExactBuffersEnabled && n >= ExactBufferMinBytes {
		return (n + exactBufferGranule - 1) / exactBufferGranule * exactBufferGranule
	}
	return support.TwoBitBucketLen(n)
}
