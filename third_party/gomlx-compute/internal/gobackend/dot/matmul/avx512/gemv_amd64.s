// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64

#include "textflag.h"

// One-vector GEMV kernels, one matrix row after the other (see gemv.go).
//
// Each iteration reads one row's next 64 elements (4, 2 or 1 cache lines)
// into four accumulators, so the whole matrix is read as one sequential
// stream that the hardware prefetchers follow. Reading 4 rows side by side
// (4 streams 1-2.5 KB apart) with software prefetches of the next rows read
// BFloat16 and Int8 rows at 65-75 % of a plain read's rate on AMD Zen 5, and
// the Float32 ones no faster than this; software prefetches a few KB ahead
// of a single stream only slowed it. On an Intel Xeon (2 cores) a prefetch
// 1 KB ahead of the stream is what keeps enough lines in flight (one
// core's BFloat16 stream 10.1 against 11.7 GB/s, two workers 19.2 against
// 22.0), so every kernel takes prefetch, the distance in bytes, and runs
// a copy of its loop without prefetches when it is 0.
//
// Registers: R8 the row, DX rowBytes, DI the vector, CX k64, BX the rows
// left, R15 the output, R9 the prefetch distance, R10 the row plus it, SI
// the element index; Z0-Z3 accumulate, Z16-Z19 hold widened elements.

// REDUCE4 sums the 16 lanes of z (y, x its lower halves) into x's lane 0;
// Z24 is scratch.
#define REDUCE4(z, y, x) \
	VEXTRACTF32X8 $1, z, Y24 \
	VADDPS Y24, y, y \
	VEXTRACTF32X4 $1, y, X24 \
	VADDPS X24, x, x \
	VMOVSHDUP x, X24 \
	VADDPS X24, x, x \
	VPERMILPS $0x02, x, X24 \
	VADDSS X24, x, x

// ZERO4 and SUM4 start and finish a row in four Float32 accumulators: SUM4
// stores their total to the output.
#define ZERO4 \
	VXORPS Z0, Z0, Z0 \
	VXORPS Z1, Z1, Z1 \
	VXORPS Z2, Z2, Z2 \
	VXORPS Z3, Z3, Z3

#define SUM4 \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z3, Z2, Z2 \
	VADDPS Z2, Z0, Z0 \
	REDUCE4(Z0, Y0, X0) \
	VMOVSS X0, (R15)

// FMA4 adds the products of Z16-Z19 with the vector's 64 elements at SI.
#define FMA4 \
	VFMADD231PS (DI)(SI*4), Z16, Z0 \
	VFMADD231PS 64(DI)(SI*4), Z17, Z1 \
	VFMADD231PS 128(DI)(SI*4), Z18, Z2 \
	VFMADD231PS 192(DI)(SI*4), Z19, Z3

// The bodies: 64 elements of the row at SI into the accumulators.
#define F32_BODY \
	VMOVUPS (R8)(SI*4), Z16 \
	VMOVUPS 64(R8)(SI*4), Z17 \
	VMOVUPS 128(R8)(SI*4), Z18 \
	VMOVUPS 192(R8)(SI*4), Z19 \
	FMA4

#define BF16_BODY \
	VPMOVZXWD (R8)(SI*2), Z16 \
	VPMOVZXWD 32(R8)(SI*2), Z17 \
	VPMOVZXWD 64(R8)(SI*2), Z18 \
	VPMOVZXWD 96(R8)(SI*2), Z19 \
	VPSLLD $16, Z16, Z16 \
	VPSLLD $16, Z17, Z17 \
	VPSLLD $16, Z18, Z18 \
	VPSLLD $16, Z19, Z19 \
	FMA4

#define I8_BODY \
	VPMOVSXBD (R8)(SI*1), Z16 \
	VPMOVSXBD 16(R8)(SI*1), Z17 \
	VPMOVSXBD 32(R8)(SI*1), Z18 \
	VPMOVSXBD 48(R8)(SI*1), Z19 \
	VCVTDQ2PS Z16, Z16 \
	VCVTDQ2PS Z17, Z17 \
	VCVTDQ2PS Z18, Z18 \
	VCVTDQ2PS Z19, Z19 \
	FMA4

// The VNNI kernel's: Int16 pairs into two Int32 accumulators, summed in
// Float32 and scaled by X5.
#define ZERO2 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1

#define VNNI_BODY \
	VPMOVSXBW (R8)(SI*1), Z16 \
	VPMOVSXBW 32(R8)(SI*1), Z17 \
	VPDPWSSD (DI)(SI*2), Z16, Z0 \
	VPDPWSSD 64(DI)(SI*2), Z17, Z1

#define VNNI_SUM \
	VPADDD Z1, Z0, Z0 \
	VCVTDQ2PS Z0, Z0 \
	REDUCE4(Z0, Y0, X0) \
	VMULSS X5, X0, X0 \
	VMOVSS X0, (R15)

// Prefetches of the next 256, 128 or 64 bytes of the row, R9 bytes ahead.
#define PF_F32 \
	PREFETCHT0 (R10)(SI*4) \
	PREFETCHT0 64(R10)(SI*4) \
	PREFETCHT0 128(R10)(SI*4) \
	PREFETCHT0 192(R10)(SI*4)

#define PF_BF16 \
	PREFETCHT0 (R10)(SI*2) \
	PREFETCHT0 64(R10)(SI*2)

#define PF_I8 \
	PREFETCHT0 (R10)(SI*1)

// func gemvRowsFloat32Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)
//
// out[r] = Σ_{i<k64} w[r·rowBytes/4 + i] · x[i] for r < rows: w holds
// Float32 rows of rowBytes bytes, k64 > 0 is a multiple of 64; prefetch > 0
// prefetches the matrix that many bytes ahead.
TEXT ·gemvRowsFloat32Asm(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), DX
	MOVQ x+16(FP), DI
	MOVQ k64+24(FP), CX
	MOVQ rows+32(FP), BX
	MOVQ out+40(FP), R15
	MOVQ prefetch+48(FP), R9
	TESTQ R9, R9
	JZ f32_row

f32_pf_row:
	ZERO4
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10

f32_pf_inner:
	PF_F32
	F32_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT f32_pf_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ f32_pf_row
	VZEROUPPER
	RET

f32_row:
	ZERO4
	XORQ SI, SI

f32_inner:
	F32_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT f32_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ f32_row
	VZEROUPPER
	RET

// func gemvRowsBFloat16Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)
//
// As gemvRowsFloat32Asm for BFloat16 rows, widened to Float32 in registers
// (a BFloat16 is the upper half of a Float32).
TEXT ·gemvRowsBFloat16Asm(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), DX
	MOVQ x+16(FP), DI
	MOVQ k64+24(FP), CX
	MOVQ rows+32(FP), BX
	MOVQ out+40(FP), R15
	MOVQ prefetch+48(FP), R9
	TESTQ R9, R9
	JZ bf16_row

bf16_pf_row:
	ZERO4
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10

bf16_pf_inner:
	PF_BF16
	BF16_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT bf16_pf_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ bf16_pf_row
	VZEROUPPER
	RET

bf16_row:
	ZERO4
	XORQ SI, SI

bf16_inner:
	BF16_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT bf16_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ bf16_row
	VZEROUPPER
	RET

// func gemvRowsInt8Asm(w unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int)
//
// As gemvRowsFloat32Asm for Int8 rows (the codes, unscaled), converted to
// Float32 in registers.
TEXT ·gemvRowsInt8Asm(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), DX
	MOVQ x+16(FP), DI
	MOVQ k64+24(FP), CX
	MOVQ rows+32(FP), BX
	MOVQ out+40(FP), R15
	MOVQ prefetch+48(FP), R9
	TESTQ R9, R9
	JZ i8_row

i8_pf_row:
	ZERO4
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10

i8_pf_inner:
	PF_I8
	I8_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT i8_pf_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ i8_pf_row
	VZEROUPPER
	RET

i8_row:
	ZERO4
	XORQ SI, SI

i8_inner:
	I8_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT i8_inner
	SUM4
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ i8_row
	VZEROUPPER
	RET

// func gemvRowsInt8VNNIAsm(w unsafe.Pointer, rowBytes int, x16 unsafe.Pointer, k64 int, rows int, out unsafe.Pointer, prefetch int, scale float32)
//
// As gemvRowsInt8Asm with the vector quantized to Int16 (x16, x ≈
// scale·x16): each row's codes are widened to Int16 (VPMOVSXBW) and
// multiplied with the vector pairwise into Int32 lanes (VPDPWSSD, AVX512
// VNNI), two instructions per 32 elements where widening to Float32 takes
// three per 16. The caller bounds x16 so that no lane can overflow; the
// lanes are summed in Float32 and scaled.
TEXT ·gemvRowsInt8VNNIAsm(SB), NOSPLIT, $0-60
	MOVQ w+0(FP), R8
	MOVQ rowBytes+8(FP), DX
	MOVQ x16+16(FP), DI
	MOVQ k64+24(FP), CX
	MOVQ rows+32(FP), BX
	MOVQ out+40(FP), R15
	MOVQ prefetch+48(FP), R9
	VMOVSS scale+56(FP), X5
	TESTQ R9, R9
	JZ vnni_row

vnni_pf_row:
	ZERO2
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10

vnni_pf_inner:
	PF_I8
	VNNI_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT vnni_pf_inner
	VNNI_SUM
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ vnni_pf_row
	VZEROUPPER
	RET

vnni_row:
	ZERO2
	XORQ SI, SI

vnni_inner:
	VNNI_BODY
	ADDQ $64, SI
	CMPQ SI, CX
	JLT vnni_inner
	VNNI_SUM
	ADDQ $4, R15
	ADDQ DX, R8
	DECQ BX
	JNZ vnni_row
	VZEROUPPER
	RET

// func gemvCPUIsIntel() bool
//
// Whether CPUID's vendor string is "GenuineIntel".
TEXT ·gemvCPUIsIntel(SB), NOSPLIT, $0-1
	XORL AX, AX
	XORL CX, CX
	CPUID
	CMPL BX, $0x756e6547 // "Genu"
	JNE not_intel
	CMPL DX, $0x49656e69 // "ineI"
	JNE not_intel
	CMPL CX, $0x6c65746e // "ntel"
	JNE not_intel
	MOVB $1, ret+0(FP)
	RET

not_intel:
	MOVB $0, ret+0(FP)
	RET
