// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package matmul

import "testing"

func TestWithBalancedRHSPanels(t *testing.T) {
	tuned := CacheParams{LHSL1KernelRows: 8, RHSL1KernelCols: 32, PanelContractingSize: 192, LHSPanelCrossSize: 32, RHSPanelCrossSize: 512}
	for _, tc := range []struct{ n, want int }{
		{640, 640},  // 512 + 128 before: one panel
		{1152, 576}, // 512 + 512 + 128: two
		{2048, 512}, // a multiple stays
		{6912, 512}, // 13.5 panels: 14 of 494, rounded up to 512
		{100, 128},  // narrower than Nc: one panel, kernel-aligned
		{767, 768},  // the widest a panel gets: 1.5·Nc
		{768, 384},  // two
		{262144, 512},
	} {
		got := WithBalancedRHSPanels(tuned, tc.n)
		if got.RHSPanelCrossSize != tc.want {
			t.Errorf("n=%d: Nc %d, want %d", tc.n, got.RHSPanelCrossSize, tc.want)
		}
		if got.RHSPanelCrossSize%tuned.RHSL1KernelCols != 0 {
			t.Errorf("n=%d: Nc %d not a multiple of Nr", tc.n, got.RHSPanelCrossSize)
		}
		want := tuned
		want.RHSPanelCrossSize = got.RHSPanelCrossSize
		if got != want {
			t.Errorf("n=%d: changed more than Nc: %+v", tc.n, got)
		}
	}
	defer func(was bool) { BalancedRHSPanelsEnabled = was }(BalancedRHSPanelsEnabled)
	BalancedRHSPanelsEnabled = false
	if got := WithBalancedRHSPanels(tuned, 640); got != tuned {
		t.Errorf("disabled: %+v, want the tuned params", got)
	}
}
