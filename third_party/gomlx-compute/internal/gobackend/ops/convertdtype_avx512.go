// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/internal/gobackend"
)

// The conversions that widen stored weights for a product: a language
// model kept in BFloat16 or per-row Int8 converts each weight to Float32
// before a product of many rows (a prompt's prefill, a training step). The
// generic loops convert one element at a time, about a nanosecond each:
// 12-17 % of a 256-token prefill's CPU (Gemma 3 270M). These convert 16 at
// a time.
func init() {
	if !gobackend.IsAVX512Allowed {
		return
	}
	ConvertDTypePairMap.Register(dtypes.BFloat16, dtypes.Float32, gobackend.PriorityArch, execConvertBFloat16ToFloat32AVX512)
	ConvertDTypePairMap.Register(dtypes.Int8, dtypes.Float32, gobackend.PriorityArch, execConvertInt8ToFloat32AVX512)
}

func execConvertBFloat16ToFloat32AVX512(operand, output *gobackend.Buffer) {
	convertBFloat16ToFloat32AVX512(operand.Flat.([]bfloat16.BFloat16), output.Flat.([]float32))
}

func execConvertInt8ToFloat32AVX512(operand, output *gobackend.Buffer) {
	convertInt8ToFloat32AVX512(operand.Flat.([]int8), output.Flat.([]float32))
}

// convertBFloat16ToFloat32AVX512 widens src into dst (of the same length):
// a BFloat16 is the high half of its Float32.
func convertBFloat16ToFloat32AVX512(src []bfloat16.BFloat16, dst []float32) {
	dst = dst[:len(src)]
	bits := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
	i := 0
	for ; i+16 <= len(src); i += 16 {
		v := archsimd.LoadUint16x16Array((*[16]uint16)(bits[i : i+16]))
		v.ExtendToUint32().ShiftAllLeft(16).AsFloat32x16().StoreArray((*[16]float32)(dst[i : i+16]))
	}
	for ; i < len(src); i++ {
		dst[i] = src[i].Float32()
	}
}

// convertInt8ToFloat32AVX512 converts src into dst (of the same length).
func convertInt8ToFloat32AVX512(src []int8, dst []float32) {
	dst = dst[:len(src)]
	i := 0
	for ; i+16 <= len(src); i += 16 {
		v := archsimd.LoadInt8x16Array((*[16]int8)(src[i : i+16]))
		v.ExtendToInt32().ConvertToFloat32().StoreArray((*[16]float32)(dst[i : i+16]))
	}
	for ; i < len(src); i++ {
		dst[i] = float32(src[i])
	}
}
