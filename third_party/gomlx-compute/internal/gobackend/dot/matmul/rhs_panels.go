// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package matmul

import "github.com/gomlx/compute/support/envutil"

// BalancedRHSPanelsEnabled can be set to false (or
// GOMLX_GO_BALANCED_RHS_PANELS=false) to keep RHSPanelCrossSize as tuned
// whatever the product's width.
var BalancedRHSPanelsEnabled = envutil.MustReadBool("GOMLX_GO_BALANCED_RHS_PANELS", true)

// WithBalancedRHSPanels returns p with RHSPanelCrossSize (Nc) fitted to a
// product of n output columns: n split into the nearest whole number of
// panels to n/Nc, of equal width rounded up to RHSL1KernelCols, so at most
// 1.5·Nc wide.
//
// The packed kernels pack every LHS panel once per RHS panel, so a product
// whose width is just over a multiple of Nc packs the whole LHS once more
// for a thin remainder: a language model's hidden width of 640 went as 512
// + 128 columns and 1,152 as 512 + 512 + 128, packing each activation twice
// or three times where once or twice does. The widened panels stay within
// what the cache sizes were tuned for (Kc·1.5·Nc).
func WithBalancedRHSPanels(p CacheParams, n int) CacheParams {
	nc, nr := p.RHSPanelCrossSize, max(1, p.RHSL1KernelCols)
	if !BalancedRHSPanelsEnabled || nc <= 0 || n <= 0 {
		return p
	}
	panels := max(1, (n+nc/2)/nc)
	width := (n + panels - 1) / panels
	p.RHSPanelCrossSize = (width + nr - 1) / nr * nr
	return p
}
