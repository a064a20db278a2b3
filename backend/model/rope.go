package model

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// ropeInvFreq returns the rotary inverse frequencies θ^(-2i/d) for i < d/2,
// adjusted by the scaling rule when given (nil: none).
func ropeInvFreq(headDim int, theta float64, rs *RopeScaling) []float32 {
	half := headDim / 2
	out := make([]float32, half)
	for i := range half {
		f := 1 / math.Pow(theta, float64(2*i)/float64(headDim))
		if rs != nil {
			f = scaleFreq(f, rs)
		}
		out[i] = float32(f)
	}
	return out
}

// scaleFreq applies "linear" (positions divided by factor) or "llama3"
// (long wavelengths divided by factor, short ones kept, a smooth blend in
// between) rope scaling to one frequency.
func scaleFreq(f float64, rs *RopeScaling) float64 {
	switch rs.Type {
	case "linear":
		return f / rs.Factor
	case "llama3":
		old := float64(rs.OriginalMaxPositionEmbeddings)
		lowWavelen := old / rs.LowFreqFactor
		highWavelen := old / rs.HighFreqFactor
		wavelen := 2 * math.Pi / f
		switch {
		case wavelen < highWavelen:
			return f
		case wavelen > lowWavelen:
			return f / rs.Factor
		default:
			smooth := (old/wavelen - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
			return (1-smooth)*f/rs.Factor + smooth*f
		}
	}
	return f
}

// rope holds cos and sin tables for a batch of positions, shaped
// [B, T, 1, D] to broadcast over heads.
type rope struct{ cos, sin *Node }

func newRope(pos *Node, invFreq []float32) rope {
	g := pos.Graph()
	freqs := Reshape(Const(g, invFreq), 1, 1, len(invFreq))                 // [1,1,D/2]
	angles := Mul(ExpandAxes(ConvertDType(pos, dtypes.Float32), -1), freqs) // [B,T,D/2]
	angles = Concatenate([]*Node{angles, angles}, -1)                       // [B,T,D]
	angles = ExpandAxes(angles, 2)                                          // [B,T,1,D]
	return rope{cos: Cos(angles), sin: Sin(angles)}
}

// apply rotates x [B, T, heads, D] the way transformers does (rotate_half:
// the two halves of the head dimension form the pairs).
func (r rope) apply(x *Node) *Node {
	d := x.Shape().Dimensions[3]
	x1 := SliceAxis(x, 3, AxisRange(0, d/2))
	x2 := SliceAxis(x, 3, AxisRange(d/2, d))
	rot := Concatenate([]*Node{Neg(x2), x1}, 3)
	return Add(Mul(x, r.cos), Mul(rot, r.sin))
}
