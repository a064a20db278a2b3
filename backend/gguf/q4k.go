package gguf

import (
	"encoding/binary"
	"math"
)

// Q4_K layout (ggml's block_q4_K): super-blocks of 256 values in 8
// sub-blocks of 32. Each sub-block has a 6-bit scale and a 6-bit min,
// themselves scaled by the super-block's float16 d and dmin; a value is
// d·scale·q − dmin·min with a 4-bit q.
const (
	qkK        = 256
	kScaleSize = 12
	q4KBytes   = 2 + 2 + kScaleSize + qkK/2
)

// quantizeQ4K encodes values (a multiple of 256) as Q4_K. Each sub-block
// is fitted with min clamped to ≤ 0 (as ggml does, so zero stays exact
// when present), then scales and mins are quantized to 6 bits and the
// 4-bit values recomputed against the rounded scales.
func quantizeQ4K(values []float32, out []byte) {
	var scales, mins [8]float32
	var ls, lm [8]uint8
	for b := 0; b < len(values)/qkK; b++ {
		x := values[b*qkK : (b+1)*qkK]
		dst := out[b*q4KBytes : (b+1)*q4KBytes]
		var maxScale, maxMin float32
		for j := 0; j < 8; j++ {
			sub := x[j*32 : (j+1)*32]
			lo, hi := sub[0], sub[0]
			for _, v := range sub {
				lo = min(lo, v)
				hi = max(hi, v)
			}
			lo = min(lo, 0)
			scales[j] = (hi - lo) / 15
			mins[j] = -lo
			maxScale = max(maxScale, scales[j])
			maxMin = max(maxMin, mins[j])
		}
		d := HalfToFloat32(HalfFromFloat32(maxScale / 63))
		dmin := HalfToFloat32(HalfFromFloat32(maxMin / 63))
		for j := 0; j < 8; j++ {
			ls[j], lm[j] = 0, 0
			if d > 0 {
				ls[j] = uint8(min(63, math.Round(float64(scales[j]/d))))
			}
			if dmin > 0 {
				lm[j] = uint8(min(63, math.Round(float64(mins[j]/dmin))))
			}
		}
		binary.LittleEndian.PutUint16(dst[0:], HalfFromFloat32(maxScale/63))
		binary.LittleEndian.PutUint16(dst[2:], HalfFromFloat32(maxMin/63))
		sc := dst[4 : 4+kScaleSize]
		for i := range sc {
			sc[i] = 0
		}
		for j := 0; j < 8; j++ {
			if j < 4 {
				sc[j] = ls[j]
				sc[j+4] = lm[j]
			} else {
				sc[j+4] = ls[j]&0xF | (lm[j]&0xF)<<4
				sc[j-4] |= (ls[j] >> 4) << 6
				sc[j] |= (lm[j] >> 4) << 6
			}
		}
		var q [qkK]uint8
		for j := 0; j < 8; j++ {
			step := d * float32(ls[j])
			m := dmin * float32(lm[j])
			for l := 0; l < 32; l++ {
				if step == 0 {
					continue
				}
				v := math.Round(float64((x[j*32+l] + m) / step))
				q[j*32+l] = uint8(max(0, min(15, v)))
			}
		}
		qs := dst[4+kScaleSize:]
		for j := 0; j < qkK; j += 64 {
			for l := 0; l < 32; l++ {
				qs[j/2+l] = q[j+l] | q[j+l+32]<<4
			}
		}
	}
}

// scaleMinK4 unpacks sub-block j's 6-bit scale and min.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// dequantizeQ4K follows ggml's dequantize_row_q4_K.
func dequantizeQ4K(data []byte, out []float32) {
	for b := 0; b < len(out)/qkK; b++ {
		blk := data[b*q4KBytes : (b+1)*q4KBytes]
		d := HalfToFloat32(binary.LittleEndian.Uint16(blk[0:]))
		dmin := HalfToFloat32(binary.LittleEndian.Uint16(blk[2:]))
		sc := blk[4 : 4+kScaleSize]
		q := blk[4+kScaleSize:]
		y := out[b*qkK : (b+1)*qkK]
		for j, is := 0, 0; j < qkK; j, is = j+64, is+2 {
			s1, m1 := scaleMinK4(is, sc)
			s2, m2 := scaleMinK4(is+1, sc)
			d1, mm1 := d*float32(s1), dmin*float32(m1)
			d2, mm2 := d*float32(s2), dmin*float32(m2)
			for l := 0; l < 32; l++ {
				y[j+l] = d1*float32(q[l]&0xF) - mm1
				y[j+32+l] = d2*float32(q[l]>>4) - mm2
			}
			q = q[32:]
		}
	}
}
