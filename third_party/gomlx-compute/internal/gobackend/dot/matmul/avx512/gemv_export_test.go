// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

// GemvPrefetch lets the external tests run the GEMV kernels with and
// without software prefetches.
var GemvPrefetch = &gemvPrefetch

// QuantizeGemvVector is the Int8 VNNI kernel's vector rounding.
var QuantizeGemvVector = quantizeGemvVector

// GemvInt8VNNI lets the external tests run the Int8 kernels without VNNI.
var GemvInt8VNNI = &gemvInt8VNNI
