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
// a copy of its loop without prefetches when it is 0. Even so one stream
// is short of lines there: the two-stream kernels at the end of this file
// read two such streams far apart (gemv2*Asm).
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
// stores their total to out. The _AT forms name the registers, so that the
// two-stream kernels (gemv2 below) can run a second row in Z4-Z7.
#define ZERO4_AT(a0, a1, a2, a3) \
	VXORPS a0, a0, a0 \
	VXORPS a1, a1, a1 \
	VXORPS a2, a2, a2 \
	VXORPS a3, a3, a3

#define SUM4_AT(a0, a1, a2, a3, y0, x0, out) \
	VADDPS a1, a0, a0 \
	VADDPS a3, a2, a2 \
	VADDPS a2, a0, a0 \
	REDUCE4(a0, y0, x0) \
	VMOVSS x0, (out)

#define ZERO4 ZERO4_AT(Z0, Z1, Z2, Z3)
#define SUM4 SUM4_AT(Z0, Z1, Z2, Z3, Y0, X0, R15)

// FMA4_AT adds the products of w0-w3 with the vector's 64 elements at SI
// to a0-a3.
#define FMA4_AT(w0, w1, w2, w3, a0, a1, a2, a3) \
	VFMADD231PS (DI)(SI*4), w0, a0 \
	VFMADD231PS 64(DI)(SI*4), w1, a1 \
	VFMADD231PS 128(DI)(SI*4), w2, a2 \
	VFMADD231PS 192(DI)(SI*4), w3, a3

// The bodies: 64 elements of the row at SI into the accumulators.
#define F32_BODY_AT(row, w0, w1, w2, w3, a0, a1, a2, a3) \
	VMOVUPS (row)(SI*4), w0 \
	VMOVUPS 64(row)(SI*4), w1 \
	VMOVUPS 128(row)(SI*4), w2 \
	VMOVUPS 192(row)(SI*4), w3 \
	FMA4_AT(w0, w1, w2, w3, a0, a1, a2, a3)

#define BF16_BODY_AT(row, w0, w1, w2, w3, a0, a1, a2, a3) \
	VPMOVZXWD (row)(SI*2), w0 \
	VPMOVZXWD 32(row)(SI*2), w1 \
	VPMOVZXWD 64(row)(SI*2), w2 \
	VPMOVZXWD 96(row)(SI*2), w3 \
	VPSLLD $16, w0, w0 \
	VPSLLD $16, w1, w1 \
	VPSLLD $16, w2, w2 \
	VPSLLD $16, w3, w3 \
	FMA4_AT(w0, w1, w2, w3, a0, a1, a2, a3)

#define I8_BODY_AT(row, w0, w1, w2, w3, a0, a1, a2, a3) \
	VPMOVSXBD (row)(SI*1), w0 \
	VPMOVSXBD 16(row)(SI*1), w1 \
	VPMOVSXBD 32(row)(SI*1), w2 \
	VPMOVSXBD 48(row)(SI*1), w3 \
	VCVTDQ2PS w0, w0 \
	VCVTDQ2PS w1, w1 \
	VCVTDQ2PS w2, w2 \
	VCVTDQ2PS w3, w3 \
	FMA4_AT(w0, w1, w2, w3, a0, a1, a2, a3)

#define F32_BODY F32_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
#define BF16_BODY BF16_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
#define I8_BODY I8_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)

// The VNNI kernel's: Int16 pairs into two Int32 accumulators, summed in
// Float32 and scaled by X5.
#define ZERO2_AT(a0, a1) \
	VPXORD a0, a0, a0 \
	VPXORD a1, a1, a1

#define VNNI_BODY_AT(row, w0, w1, a0, a1) \
	VPMOVSXBW (row)(SI*1), w0 \
	VPMOVSXBW 32(row)(SI*1), w1 \
	VPDPWSSD (DI)(SI*2), w0, a0 \
	VPDPWSSD 64(DI)(SI*2), w1, a1

#define VNNI_SUM_AT(a0, a1, y0, x0, out) \
	VPADDD a1, a0, a0 \
	VCVTDQ2PS a0, a0 \
	REDUCE4(a0, y0, x0) \
	VMULSS X5, x0, x0 \
	VMOVSS x0, (out)

#define ZERO2 ZERO2_AT(Z0, Z1)
#define VNNI_BODY VNNI_BODY_AT(R8, Z16, Z17, Z0, Z1)
#define VNNI_SUM VNNI_SUM_AT(Z0, Z1, Y0, X0, R15)

// Prefetches of the next 256, 128 or 64 bytes of the row at p, which is
// the row plus the prefetch distance.
#define PF_F32_AT(p) \
	PREFETCHT0 (p)(SI*4) \
	PREFETCHT0 64(p)(SI*4) \
	PREFETCHT0 128(p)(SI*4) \
	PREFETCHT0 192(p)(SI*4)

#define PF_BF16_AT(p) \
	PREFETCHT0 (p)(SI*2) \
	PREFETCHT0 64(p)(SI*2)

#define PF_I8_AT(p) \
	PREFETCHT0 (p)(SI*1)

#define PF_F32 PF_F32_AT(R10)
#define PF_BF16 PF_BF16_AT(R10)
#define PF_I8 PF_I8_AT(R10)

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

// The two-stream kernels: as the ones above (with prefetches), over rows
// of wa into outa and as many rows of wb into outb, one 64-element chunk of
// each in turn. wb is the second half of the caller's rows, so the matrix
// is read as two sequential streams far apart. On an Intel Xeon (2 cores) one
// stream keeps too few lines in flight even with the prefetches: two
// workers read a BFloat16 LM head at 21-22 GB/s with one stream each and
// 25-27 with two. The second row accumulates in Z4-Z7 (Z2-Z3 for VNNI) from
// Z20-Z23 (Z18-Z19); R11 is its row, R12 that plus the prefetch distance,
// R14 its output.
//
// func gemv2Float32Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)
TEXT ·gemv2Float32Asm(SB), NOSPLIT, $0-72
	MOVQ wa+0(FP), R8
	MOVQ wb+8(FP), R11
	MOVQ rowBytes+16(FP), DX
	MOVQ x+24(FP), DI
	MOVQ k64+32(FP), CX
	MOVQ rows+40(FP), BX
	MOVQ outa+48(FP), R15
	MOVQ outb+56(FP), R14
	MOVQ prefetch+64(FP), R9

f32x2_row:
	ZERO4
	ZERO4_AT(Z4, Z5, Z6, Z7)
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10
	LEAQ (R11)(R9*1), R12

f32x2_inner:
	PF_F32_AT(R10)
	PF_F32_AT(R12)
	F32_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
	F32_BODY_AT(R11, Z20, Z21, Z22, Z23, Z4, Z5, Z6, Z7)
	ADDQ $64, SI
	CMPQ SI, CX
	JLT f32x2_inner
	SUM4
	SUM4_AT(Z4, Z5, Z6, Z7, Y4, X4, R14)
	ADDQ $4, R15
	ADDQ $4, R14
	ADDQ DX, R8
	ADDQ DX, R11
	DECQ BX
	JNZ f32x2_row
	VZEROUPPER
	RET

// func gemv2BFloat16Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)
TEXT ·gemv2BFloat16Asm(SB), NOSPLIT, $0-72
	MOVQ wa+0(FP), R8
	MOVQ wb+8(FP), R11
	MOVQ rowBytes+16(FP), DX
	MOVQ x+24(FP), DI
	MOVQ k64+32(FP), CX
	MOVQ rows+40(FP), BX
	MOVQ outa+48(FP), R15
	MOVQ outb+56(FP), R14
	MOVQ prefetch+64(FP), R9

bf16x2_row:
	ZERO4
	ZERO4_AT(Z4, Z5, Z6, Z7)
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10
	LEAQ (R11)(R9*1), R12

bf16x2_inner:
	PF_BF16_AT(R10)
	PF_BF16_AT(R12)
	BF16_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
	BF16_BODY_AT(R11, Z20, Z21, Z22, Z23, Z4, Z5, Z6, Z7)
	ADDQ $64, SI
	CMPQ SI, CX
	JLT bf16x2_inner
	SUM4
	SUM4_AT(Z4, Z5, Z6, Z7, Y4, X4, R14)
	ADDQ $4, R15
	ADDQ $4, R14
	ADDQ DX, R8
	ADDQ DX, R11
	DECQ BX
	JNZ bf16x2_row
	VZEROUPPER
	RET

// func gemv2Int8Asm(wa, wb unsafe.Pointer, rowBytes int, x unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int)
TEXT ·gemv2Int8Asm(SB), NOSPLIT, $0-72
	MOVQ wa+0(FP), R8
	MOVQ wb+8(FP), R11
	MOVQ rowBytes+16(FP), DX
	MOVQ x+24(FP), DI
	MOVQ k64+32(FP), CX
	MOVQ rows+40(FP), BX
	MOVQ outa+48(FP), R15
	MOVQ outb+56(FP), R14
	MOVQ prefetch+64(FP), R9

i8x2_row:
	ZERO4
	ZERO4_AT(Z4, Z5, Z6, Z7)
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10
	LEAQ (R11)(R9*1), R12

i8x2_inner:
	PF_I8_AT(R10)
	PF_I8_AT(R12)
	I8_BODY_AT(R8, Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
	I8_BODY_AT(R11, Z20, Z21, Z22, Z23, Z4, Z5, Z6, Z7)
	ADDQ $64, SI
	CMPQ SI, CX
	JLT i8x2_inner
	SUM4
	SUM4_AT(Z4, Z5, Z6, Z7, Y4, X4, R14)
	ADDQ $4, R15
	ADDQ $4, R14
	ADDQ DX, R8
	ADDQ DX, R11
	DECQ BX
	JNZ i8x2_row
	VZEROUPPER
	RET

// func gemv2Int8VNNIAsm(wa, wb unsafe.Pointer, rowBytes int, x16 unsafe.Pointer, k64 int, rows int, outa, outb unsafe.Pointer, prefetch int, scale float32)
TEXT ·gemv2Int8VNNIAsm(SB), NOSPLIT, $0-76
	MOVQ wa+0(FP), R8
	MOVQ wb+8(FP), R11
	MOVQ rowBytes+16(FP), DX
	MOVQ x16+24(FP), DI
	MOVQ k64+32(FP), CX
	MOVQ rows+40(FP), BX
	MOVQ outa+48(FP), R15
	MOVQ outb+56(FP), R14
	MOVQ prefetch+64(FP), R9
	VMOVSS scale+72(FP), X5

vnnix2_row:
	ZERO2
	ZERO2_AT(Z2, Z3)
	XORQ SI, SI
	LEAQ (R8)(R9*1), R10
	LEAQ (R11)(R9*1), R12

vnnix2_inner:
	PF_I8_AT(R10)
	PF_I8_AT(R12)
	VNNI_BODY_AT(R8, Z16, Z17, Z0, Z1)
	VNNI_BODY_AT(R11, Z18, Z19, Z2, Z3)
	ADDQ $64, SI
	CMPQ SI, CX
	JLT vnnix2_inner
	VNNI_SUM
	VNNI_SUM_AT(Z2, Z3, Y2, X2, R14)
	ADDQ $4, R15
	ADDQ $4, R14
	ADDQ DX, R8
	ADDQ DX, R11
	DECQ BX
	JNZ vnnix2_row
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
