// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"math"
	"reflect"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
)

// TestAVX512ConvertWiden converts every BFloat16 bit pattern and every Int8
// to Float32 with the vector loops and wants the generic conversions' bits,
// at every length from 0 to 40 (whole vectors and tails), and wants the
// vector loops registered where AVX512 is allowed.
func TestAVX512ConvertWiden(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("AVX512 is not allowed on this machine")
	}
	for _, pair := range []struct {
		from dtypes.DType
		want any
	}{{dtypes.BFloat16, execConvertBFloat16ToFloat32AVX512}, {dtypes.Int8, execConvertInt8ToFloat32AVX512}} {
		got, err := ConvertDTypePairMap.Get(pair.from, dtypes.Float32)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.ValueOf(got).Pointer() != reflect.ValueOf(pair.want).Pointer() {
			t.Errorf("ConvertDType %s -> Float32 is not the AVX512 loop", pair.from)
		}
	}

	bf := make([]bfloat16.BFloat16, 1<<16)
	for i := range bf {
		bf[i] = bfloat16.BFloat16(i)
	}
	i8 := make([]int8, 256)
	for i := range i8 {
		i8[i] = int8(i - 128)
	}
	// check converts the last n elements of each table (all of a shorter one).
	check := func(n int) {
		src16 := bf[len(bf)-min(n, len(bf)):]
		got16 := make([]float32, len(src16))
		convertBFloat16ToFloat32AVX512(src16, got16)
		for i, v := range src16 {
			if math.Float32bits(got16[i]) != math.Float32bits(v.Float32()) {
				t.Fatalf("BFloat16 %#04x (length %d, index %d) -> %#08x, want %#08x", uint16(v), len(src16), i, math.Float32bits(got16[i]), math.Float32bits(v.Float32()))
			}
		}
		src8 := i8[len(i8)-min(n, len(i8)):]
		got8 := make([]float32, len(src8))
		convertInt8ToFloat32AVX512(src8, got8)
		for i, v := range src8 {
			if got8[i] != float32(v) {
				t.Fatalf("Int8 %d (length %d, index %d) -> %g", v, len(src8), i, got8[i])
			}
		}
	}
	check(len(bf))
	for n := 0; n <= 40; n++ {
		check(n)
	}
}
