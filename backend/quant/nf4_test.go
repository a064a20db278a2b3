package quant

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// bitsandbytes' functional.get_4bit_type("nf4"), as published.
var bnbNF4 = []float64{
	-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
	-0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
	0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
	0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
}

// The constants of bitsandbytes' dQuantizeNF4 decision tree (csrc/kernels.cu),
// in ascending order.
var bnbNF4Thresholds = []float64{
	-0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
	-0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
	0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
	0.5016634166240692, 0.6427869200706482, 0.8614784181118011,
}

func TestNF4CodeIsBitsandbytes(t *testing.T) {
	for i, want := range bnbNF4 {
		if NF4Code[i] != float32(want) {
			t.Errorf("NF4Code[%d] = %v, bitsandbytes has %v", i, NF4Code[i], want)
		}
	}
	for i, want := range bnbNF4Thresholds {
		if nf4Thresholds[i] != float32(want) {
			t.Errorf("threshold %d = %v, bitsandbytes' kernel has %v", i, nf4Thresholds[i], want)
		}
	}
}

// nearestNF4 is the brute-force rounding: the nearest code, ties to the lower.
func nearestNF4(x float32) uint8 {
	best, bestD := 0, math.Inf(1)
	for i, c := range NF4Code {
		if d := math.Abs(float64(x) - float64(c)); d < bestD {
			best, bestD = i, d
		}
	}
	return uint8(best)
}

func TestNF4IndexRoundsToNearest(t *testing.T) {
	for i, c := range NF4Code {
		if got := NF4Index(c); got != uint8(i) {
			t.Errorf("NF4Index(code %d = %v) = %d", i, c, got)
		}
	}
	// Exactly on a threshold: bitsandbytes' "x > t" sends it down.
	for i, th := range nf4Thresholds {
		if got := NF4Index(th); got != uint8(i) {
			t.Errorf("NF4Index(threshold %d = %v) = %d, want %d", i, th, got, i)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		x := float32(rng.Float64()*2.2 - 1.1)
		if slices.Contains(nf4Thresholds[:], x) {
			continue
		}
		if got, want := NF4Index(x), nearestNF4(x); got != want {
			t.Fatalf("NF4Index(%v) = %d, the nearest code is %d", x, got, want)
		}
	}
}

func TestNF4PacksFirstValueInHighNibble(t *testing.T) {
	q, err := QuantizeNF4([]float32{1, -1, 0, 0.5, -0.25}, []int{5})
	if err != nil {
		t.Fatal(err)
	}
	// 1 → 15, -1 → 0, 0 → 7, 0.5 → 12 (0.4407; 0.5 is below the 0.5017
	// threshold), -0.25 → 4 (-0.2844), padding 0.
	want := []byte{0xF0, 0x7C, 0x40}
	if !slices.Equal(q.Packed, want) {
		t.Errorf("Packed = % X, want % X", q.Packed, want)
	}
}

func gaussian(n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * 0.02)
	}
	return out
}

func TestNF4RoundTrip(t *testing.T) {
	shape := []int{37, 29 * 23} // not a multiple of 64 nor even: partial last block, a padded nibble
	n := shape[0] * shape[1]
	x := gaussian(n, 7)
	x[100] = 0.5 // an outlier in one block
	for i := 128; i < 192; i++ {
		x[i] = 0 // an all-zero block
	}
	q, err := QuantizeNF4(x, shape)
	if err != nil {
		t.Fatal(err)
	}
	if q.N != n || !slices.Equal(q.Shape, shape) || len(q.Packed) != (n+1)/2 {
		t.Fatalf("N %d, shape %v, %d bytes; want %d, %v, %d", q.N, q.Shape, len(q.Packed), n, shape, (n+1)/2)
	}
	blocks := (n + BlockSize - 1) / BlockSize
	if len(q.Absmax) != blocks || len(q.AbsmaxScale) != (blocks+StatsBlockSize-1)/StatsBlockSize {
		t.Fatalf("%d absmax codes and %d scales for %d blocks", len(q.Absmax), len(q.AbsmaxScale), blocks)
	}

	// The codes are those of the exact absmax (double quantization only
	// touches the scales), and every value dequantizes to code × scale.
	absmax := q.BlockAbsmax()
	y := q.Dequantize()
	var groupMax []float64
	for g := range q.AbsmaxScale {
		groupMax = append(groupMax, float64(q.AbsmaxScale[g]))
	}
	var se, sx float64
	for b := range blocks {
		end := min((b+1)*BlockSize, n)
		var trueMax float32
		for _, v := range x[b*BlockSize : end] {
			trueMax = max(trueMax, float32(math.Abs(float64(v))))
		}
		// 8-bit dynamic quantization of (absmax - mean): within half a
		// step of the map's coarsest decade (0.9/64/2) of the group scale.
		if d := math.Abs(float64(absmax[b] - trueMax)); d > 0.0071*groupMax[b/StatsBlockSize]+1e-7 {
			t.Errorf("block %d: absmax %v, true %v (group scale %v)", b, absmax[b], trueMax, groupMax[b/StatsBlockSize])
		}
		for i := b * BlockSize; i < end; i++ {
			c := q.Packed[i/2] >> 4
			if i%2 == 1 {
				c = q.Packed[i/2] & 0x0f
			}
			want := uint8(7)
			if trueMax > 0 {
				want = NF4Index(x[i] * (1 / trueMax))
			}
			if c != want {
				t.Fatalf("value %d (%v, block absmax %v): code %d, want %d", i, x[i], trueMax, c, want)
			}
			if y[i] != NF4Code[c]*absmax[b] {
				t.Fatalf("value %d: dequantized %v, want code %v × absmax %v", i, y[i], NF4Code[c], absmax[b])
			}
			se += math.Pow(float64(y[i]-x[i]), 2)
			sx += math.Pow(float64(x[i]), 2)
		}
	}
	for i := 128; i < 192; i++ {
		if y[i] != 0 && math.Abs(float64(y[i])) > 1e-6 {
			t.Errorf("all-zero block: value %d dequantized to %v", i, y[i])
		}
	}
	// NF4 of Gaussian weights: about 10% relative RMS error.
	if rel := math.Sqrt(se / sx); rel > 0.12 || rel < 0.01 {
		t.Errorf("relative RMS error %.4f, want about 0.1", rel)
	}
}

func TestNF4Memory(t *testing.T) {
	shape := []int{2048, 2048}
	n := shape[0] * shape[1]
	q, err := QuantizeNF4(gaussian(n, 9), shape)
	if err != nil {
		t.Fatal(err)
	}
	if q.Bytes() != int(NF4Bytes(int64(n))) {
		t.Errorf("Bytes %d, NF4Bytes %d", q.Bytes(), NF4Bytes(int64(n)))
	}
	bf16 := 2 * float64(n)
	if r := bf16 / float64(q.Bytes()); r < 3.5 {
		t.Errorf("NF4 is %.2fx smaller than bf16, want at least 3.5x", r)
	}
	if r := 4 * float64(n) / float64(q.Bytes()); r < 7 {
		t.Errorf("NF4 is %.2fx smaller than f32, want at least 7x", r)
	}
	for _, n := range []int64{1, 63, 64, 65, 64 * 256, 64*256 + 1} {
		q, err := QuantizeNF4(make([]float32, n), []int{int(n)})
		if err != nil {
			t.Fatal(err)
		}
		if int64(q.Bytes()) != NF4Bytes(n) {
			t.Errorf("n=%d: Bytes %d, NF4Bytes %d", n, q.Bytes(), NF4Bytes(n))
		}
	}
	if NF4Bytes(0) != 0 {
		t.Errorf("NF4Bytes(0) = %d", NF4Bytes(0))
	}
}

func TestNF4RefusesBadInput(t *testing.T) {
	x := []float32{0.1, 0.2, 0.3, float32(math.NaN())}
	if _, err := QuantizeNF4(x, []int{4}); err == nil || !strings.Contains(err.Error(), "value 3") {
		t.Errorf("NaN: err = %v, want it to name value 3", err)
	}
	x[3] = float32(math.Inf(-1))
	if _, err := QuantizeNF4(x, []int{4}); err == nil || !strings.Contains(err.Error(), "value 3") {
		t.Errorf("-Inf: err = %v, want it to name value 3", err)
	}
	if _, err := QuantizeNF4(x[:3], []int{2, 2}); err == nil || !strings.Contains(err.Error(), "holds 4 values, got 3") {
		t.Errorf("shape mismatch: err = %v", err)
	}
	if _, err := QuantizeNF4(nil, []int{0}); err == nil || !strings.Contains(err.Error(), "want > 0") {
		t.Errorf("empty: err = %v", err)
	}
}

func TestDynamicMapIsBitsandbytes(t *testing.T) {
	m := DynamicMap()
	if len(m) != 256 || !slices.IsSorted(m) {
		t.Fatalf("%d values, sorted %v", len(m), slices.IsSorted(m))
	}
	var neg, zero, pos int
	for _, v := range m {
		switch {
		case v < 0:
			neg++
		case v == 0:
			zero++
		default:
			pos++
		}
	}
	// 7 decades of 1, 2, ..., 64 means each, both signs, then 0 and 1.
	if neg != 127 || zero != 1 || pos != 128 {
		t.Errorf("%d negative, %d zero, %d positive; want 127, 1, 128", neg, zero, pos)
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-7*math.Max(1, math.Abs(want))
	}
	// The extremes: -(1 - 0.9/64/2), 1; the smallest magnitudes 0.55e-6
	// (the mean of linspace(0.1, 1, 2) in the 1e-6 decade).
	checks := []struct {
		got  float32
		want float64
	}{{m[0], -0.99296875}, {m[255], 1}, {m[254], 0.99296875}, {m[128], 0.55e-6}, {m[126], -0.55e-6}, {m[127], 0}}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("map value %v, want %v", c.got, c.want)
		}
	}
}

func TestQuantizeDynamicRoundsToNearest(t *testing.T) {
	m := DynamicMap()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		x := float32(rng.Float64()*2 - 1)
		if rng.IntN(4) == 0 {
			x *= float32(math.Pow(10, -float64(rng.IntN(6)))) // the fine decades too
		}
		q := quantizeDynamic(m, x)
		best := math.Inf(1)
		for _, v := range m {
			best = math.Min(best, math.Abs(float64(v-x)))
		}
		if d := math.Abs(float64(m[q] - x)); d > best+1e-9 {
			t.Fatalf("x=%v: code %d (%v) is %v away, the nearest is %v away", x, q, m[q], d, best)
		}
	}
	codes, absmax := QuantizeBlockwise8([]float32{0, 0, 0.5, -1, 2}, 2)
	back := DequantizeBlockwise8(codes, absmax, 2)
	want := []float32{0, 0, 0.5, -1, 2}
	for i := range want {
		if math.Abs(float64(back[i]-want[i])) > 0.01*math.Abs(float64(want[i])) {
			t.Errorf("blockwise 8-bit round trip: %v, want %v", back, want)
			break
		}
	}
}

func TestDequantizeNF4GraphMatchesStorage(t *testing.T) {
	backend, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	for _, shape := range [][]int{{64, 48}, {37, 29 * 23}, {3}, {300, 64 * 3}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		x := gaussian(n, uint64(n))
		q, err := QuantizeNF4(x, shape)
		if err != nil {
			t.Fatal(err)
		}
		packed, absmax, scale, offset := q.Tensors()
		out, err := graph.ExecOnce(backend, func(p, a, s, o *graph.Node) *graph.Node {
			return DequantizeNF4Graph(p, a, s, o, shape, dtypes.Float32)
		}, packed, absmax, scale, offset)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if !slices.Equal(out.Shape().Dimensions, shape) {
			t.Fatalf("shape %v: graph gave %v", shape, out.Shape())
		}
		got := tensors.MustCopyFlatData[float32](out)
		want := q.Dequantize()
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*math.Abs(float64(want[i]))+1e-9 {
				t.Fatalf("shape %v, value %d: graph %v, storage %v", shape, i, got[i], want[i])
			}
		}
	}
}

func TestInt8RoundTripAndGraph(t *testing.T) {
	backend, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	for _, shape := range [][]int{{64, 48}, {37, 29 * 23}, {3}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		x := gaussian(n, uint64(n))
		q, err := QuantizeInt8(x, shape)
		if err != nil {
			t.Fatal(err)
		}
		if int64(q.Bytes()) != Int8Bytes(int64(n)) {
			t.Errorf("shape %v: %d bytes, Int8Bytes says %d", shape, q.Bytes(), Int8Bytes(int64(n)))
		}
		want := q.Dequantize()
		// The dynamic map's steps near 1 are 1/64 wide (0.1 to 1 in 2^6
		// steps of 0.9/64): half of that relative to the block absmax.
		absmax := q.Absmax
		for i := range x {
			if d := math.Abs(float64(want[i] - x[i])); d > float64(absmax[i/Int8BlockSize])*0.9/128+1e-7 {
				t.Fatalf("shape %v, value %d: %v comes back as %v", shape, i, x[i], want[i])
			}
		}
		codes, am := q.Tensors()
		out, err := graph.ExecOnce(backend, func(c, a *graph.Node) *graph.Node {
			return DequantizeInt8Graph(c, a, shape, dtypes.Float32)
		}, codes, am)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		got := tensors.MustCopyFlatData[float32](out)
		if !slices.Equal(out.Shape().Dimensions, shape) || !slices.Equal(got, want) {
			t.Fatalf("shape %v: the graph's dequantization differs from the storage's", shape)
		}
	}
	if _, err := QuantizeInt8([]float32{1, float32(math.NaN())}, []int{2}); err == nil || !strings.Contains(err.Error(), "value 1") {
		t.Errorf("NaN: got %v, want an error naming value 1", err)
	}
}
