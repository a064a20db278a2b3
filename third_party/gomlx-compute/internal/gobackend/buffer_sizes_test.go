// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package gobackend

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

func TestBufferAllocSize(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{5, 6}, {1000, 1024}, {1 << 19, 1 << 19}, {(1 << 19) + 1, 3 << 18},
		{1 << 20, 1 << 20}, {(1 << 20) + 1, (1 << 20) + 4096},
		{1_207_959_552, 1_207_959_552}, // a 262144 x 1152 float32 table: 1.6 GB bucketed
		{113_246_208 + 100, 113_250_304},
	} {
		if got := bufferAllocSize(tc.n); got != tc.want {
			t.Errorf("bufferAllocSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	ExactBuffersEnabled = false
	defer func() { ExactBuffersEnabled = true }()
	if got := bufferAllocSize(1_207_959_552); got != 1_610_612_736 {
		t.Errorf("bucketed: %d", got)
	}
}

// TestExactBuffersAreReused: a large buffer put back serves the next
// request of the same shape.
func TestExactBuffersAreReused(t *testing.T) {
	b, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	shape := shapes.Make(dtypes.Float32, 1000, 1001)
	buf, err := b.GetBuffer(shape)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(buf.RawBytes), bufferAllocSize(4*1000*1001); got != want || got-4*1000*1001 >= exactBufferGranule {
		t.Fatalf("allocated %d bytes for %d", got, 4*1000*1001)
	}
	raw := &buf.RawBytes[0]
	b.PutBuffer(buf)
	again, err := b.GetBuffer(shape)
	if err != nil {
		t.Fatal(err)
	}
	if &again.RawBytes[0] != raw {
		t.Log("the pool dropped the buffer (a GC ran in between); not a failure")
	}
	if len(again.Flat.([]float32)) != 1000*1001 {
		t.Errorf("flat length %d", len(again.Flat.([]float32)))
	}
}
