package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHeaderBytes checks the writer against a file assembled by hand from
// the GGUF specification, so the layout does not merely agree with our own
// reader.
func TestHeaderBytes(t *testing.T) {
	w := NewWriter()
	require.NoError(t, w.SetKV("a", uint32(7)))
	require.NoError(t, w.AddTensor("t", []uint64{2}, TensorF32, func() ([]byte, error) {
		return Encode(TensorF32, []float32{1, -2})
	}))
	var got bytes.Buffer
	_, err := w.WriteTo(&got)
	require.NoError(t, err)

	var want bytes.Buffer
	le := func(v any) { require.NoError(t, binary.Write(&want, binary.LittleEndian, v)) }
	want.WriteString("GGUF")
	le(uint32(3))            // version
	le(uint64(1))            // tensors
	le(uint64(1))            // kv
	le(uint64(1))            // key length
	want.WriteString("a")    // key
	le(uint32(4))            // uint32 type
	le(uint32(7))            // value
	le(uint64(1))            // name length
	want.WriteString("t")    // name
	le(uint32(1))            // n_dims
	le(uint64(2))            // ne0
	le(uint32(0))            // F32
	le(uint64(0))            // offset
	for want.Len()%32 != 0 { // header padding
		want.WriteByte(0)
	}
	le(float32(1))
	le(float32(-2))
	for want.Len()%32 != 0 {
		want.WriteByte(0)
	}
	require.Equal(t, want.Bytes(), got.Bytes())
}

func allTypesMetadata() Metadata {
	return Metadata{
		{"u8", uint8(250)}, {"i8", int8(-5)}, {"u16", uint16(65000)}, {"i16", int16(-3000)},
		{"u32", uint32(4000000000)}, {"i32", int32(-2000000000)}, {"f32", float32(1.5e-6)},
		{"bool.t", true}, {"bool.f", false}, {"str", "héllo ▁world"}, {"empty", ""},
		{"u64", uint64(1 << 60)}, {"i64", int64(-1 << 60)}, {"f64", 3.141592653589793},
		{"a.u8", []uint8{1, 2, 255}}, {"a.i8", []int8{-128, 127}}, {"a.u16", []uint16{9}},
		{"a.i16", []int16{-1, 1}}, {"a.u32", []uint32{}}, {"a.i32", []int32{1, 2, 3}},
		{"a.f32", []float32{0.5, -1e30}}, {"a.bool", []bool{true, false, true}},
		{"a.str", []string{"<pad>", "", "▁the"}}, {"a.u64", []uint64{math.MaxUint64}},
		{"a.i64", []int64{math.MinInt64}}, {"a.f64", []float64{-0.25}},
	}
}

func TestRoundTripMetadataAndTensors(t *testing.T) {
	for _, align := range []uint32{0, 64} {
		w := NewWriter()
		meta := allTypesMetadata()
		if align != 0 {
			meta = append(meta, KV{KeyAlignment, align})
		}
		for _, kv := range meta {
			require.NoError(t, w.SetKV(kv.Key, kv.Value))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		values := make([]float32, 64*3)
		for i := range values {
			values[i] = float32(rng.NormFloat64())
		}
		types := []TensorType{TensorF32, TensorF16, TensorBF16, TensorQ8_0}
		for _, typ := range types {
			require.NoError(t, w.AddTensor("w."+typ.String(), []uint64{64, 3}, typ, func() ([]byte, error) {
				return Encode(typ, values)
			}))
		}
		// An odd-sized tensor forces padding between tensors.
		require.NoError(t, w.AddTensor("odd", []uint64{3}, TensorF32, func() ([]byte, error) {
			return Encode(TensorF32, []float32{1, 2, 3})
		}))
		path := filepath.Join(t.TempDir(), "m.gguf")
		var seen []string
		w.Progress = func(done, total int, name string) {
			require.Equal(t, 5, total)
			seen = append(seen, name)
		}
		require.NoError(t, w.WriteFile(path))
		require.Len(t, seen, 5)

		f, err := Open(path)
		require.NoError(t, err)
		require.Equal(t, Version, f.Version)
		require.Equal(t, meta, f.Metadata)
		if align != 0 {
			require.Equal(t, uint64(align), f.Alignment)
		}
		require.Len(t, f.Tensors, 5)
		for _, typ := range types {
			info, got, err := f.TensorFloat32("w." + typ.String())
			require.NoError(t, err)
			require.Equal(t, []uint64{64, 3}, info.Dims)
			require.Equal(t, typ, info.Type)
			require.Zero(t, info.Offset%f.Alignment)
			for i, v := range values {
				var tol float64
				switch typ {
				case TensorF16:
					tol = math.Abs(float64(v)) * 1.0 / 2048
				case TensorBF16:
					tol = math.Abs(float64(v)) * 1.0 / 256
				case TensorQ8_0:
					tol = q8BlockScale(values[i/32*32:i/32*32+32]) * 0.5 * 1.001
				}
				require.InDelta(t, v, got[i], tol, "%s value %d", typ, i)
			}
		}
		_, odd, err := f.TensorFloat32("odd")
		require.NoError(t, err)
		require.Equal(t, []float32{1, 2, 3}, odd)
		_, _, err = f.TensorFloat32("missing")
		require.ErrorContains(t, err, "missing")
		require.NoError(t, f.Close())
	}
}

func q8BlockScale(block []float32) float64 {
	var amax float64
	for _, v := range block {
		amax = math.Max(amax, math.Abs(float64(v)))
	}
	return amax / 127
}

func TestQ8_0KnownBlock(t *testing.T) {
	vals := make([]float32, 32)
	for i := range vals {
		vals[i] = float32(i) - 16 // -16..15, amax 16
	}
	data, err := Encode(TensorQ8_0, vals)
	require.NoError(t, err)
	require.Len(t, data, 34)
	d := HalfToFloat32(binary.LittleEndian.Uint16(data))
	require.Equal(t, HalfToFloat32(HalfFromFloat32(16.0/127)), d)
	require.Equal(t, int8(-127), int8(data[2]))                       // -16 -> -127
	require.Equal(t, int8(math.Round(-15*127.0/16)), int8(data[3]))   // -119
	require.Equal(t, int8(0), int8(data[2+16]))                       // 0
	require.Equal(t, int8(math.Round(15*127.0/16)), int8(data[2+31])) // 119
	zero, err := Encode(TensorQ8_0, make([]float32, 32))              // all-zero block
	require.NoError(t, err)
	require.Equal(t, make([]byte, 34), zero)
}

func TestHalfExhaustive(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			require.True(t, math.IsNaN(float64(HalfToFloat32(HalfFromFloat32(f)))))
			continue
		}
		require.Equal(t, uint16(h), HalfFromFloat32(f), "half %#04x (%g)", h, f)
	}
	require.Equal(t, float32(65504), HalfToFloat32(0x7bff))
	require.Equal(t, float32(math.Ldexp(1, -24)), HalfToFloat32(1))
	require.Equal(t, uint16(0x7c00), HalfFromFloat32(70000))      // overflow -> +inf
	require.Equal(t, uint16(0x3c00), HalfFromFloat32(1+1.0/2048)) // tie rounds to even (1.0)
	require.Equal(t, uint16(0x3c02), HalfFromFloat32(1+3.0/2048)) // tie rounds to even (up)
}

// TestHalfRoundsToNearest checks random floats against the two halves that
// bracket them.
func TestHalfRoundsToNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		x := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(10)-7)))
		h := HalfFromFloat32(x)
		got := float64(HalfToFloat32(h))
		if math.IsInf(got, 0) {
			continue
		}
		for _, nb := range []uint16{h - 1, h + 1} {
			alt := float64(HalfToFloat32(nb))
			if math.IsNaN(alt) || math.Signbit(alt) != math.Signbit(got) {
				continue
			}
			require.LessOrEqual(t, math.Abs(got-float64(x)), math.Abs(alt-float64(x)), "x=%g", x)
		}
	}
}

func TestBFloat16(t *testing.T) {
	require.Equal(t, uint16(0x3f80), BFloat16FromFloat32(1))
	require.Equal(t, uint16(0xc000), BFloat16FromFloat32(-2))
	require.Equal(t, uint16(0x3f80), BFloat16FromFloat32(math.Float32frombits(0x3f808000))) // tie to even (down)
	require.Equal(t, uint16(0x3f82), BFloat16FromFloat32(math.Float32frombits(0x3f818000))) // tie to even (up)
	require.True(t, math.IsNaN(float64(BFloat16ToFloat32(BFloat16FromFloat32(float32(math.NaN()))))))
	require.Equal(t, float32(1), BFloat16ToFloat32(0x3f80))
}

func TestWriterRejectsBadInput(t *testing.T) {
	w := NewWriter()
	require.ErrorContains(t, w.SetKV("x", 5), "unsupported metadata value type int")
	require.ErrorContains(t, w.SetKV(KeyAlignment, uint32(24)), "power of two")
	require.ErrorContains(t, w.AddTensor("q", []uint64{33}, TensorQ8_0, nil), "multiple of Q8_0's block size 32")
	require.NoError(t, w.AddTensor("a", []uint64{4}, TensorF32, nil))
	require.ErrorContains(t, w.AddTensor("a", []uint64{4}, TensorF32, nil), "added twice")
	long := string(bytes.Repeat([]byte("n"), 64))
	require.ErrorContains(t, w.AddTensor(long, []uint64{4}, TensorF32, nil), "1 to 63 bytes")
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	w := NewWriter()
	require.NoError(t, w.AddTensor("ok", []uint64{4}, TensorF32, func() ([]byte, error) { return make([]byte, 16), nil }))
	require.NoError(t, w.AddTensor("bad", []uint64{4}, TensorF32, func() ([]byte, error) { return nil, errors.New("disk on fire") }))
	err := w.WriteFile(path)
	require.ErrorContains(t, err, "disk on fire")
	require.ErrorContains(t, err, `"bad"`)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)

	w2 := NewWriter()
	require.NoError(t, w2.AddTensor("short", []uint64{4}, TensorF32, func() ([]byte, error) { return make([]byte, 12), nil }))
	require.ErrorContains(t, w2.WriteFile(path), "got 12 bytes, want 16")
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err))
}

func TestReaderRejectsCorruptFiles(t *testing.T) {
	w := NewWriter()
	require.NoError(t, w.SetKV("s", []string{"a", "b"}))
	require.NoError(t, w.AddTensor("t", []uint64{8}, TensorF32, func() ([]byte, error) { return make([]byte, 32), nil }))
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	good := buf.Bytes()

	read := func(b []byte) error {
		_, err := Read(bytes.NewReader(b), int64(len(b)))
		return err
	}
	require.NoError(t, read(good))
	require.ErrorContains(t, read([]byte("GGML0000")), "not a GGUF file")
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bad[4:], 9)
	require.ErrorContains(t, read(bad), "unsupported GGUF version 9")
	bad = append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(bad[16:], 1<<40) // kv count
	require.ErrorContains(t, read(bad), "too many")
	// Every truncation of the file is an error, never a panic.
	for n := 0; n < len(good); n++ {
		require.Error(t, read(good[:n]), "truncated to %d bytes", n)
	}
	// A huge array length is rejected before allocating.
	bad = append([]byte(nil), good...)
	off := 24 + 8 + 1 + 4 + 4 // header, key "s", value type, element type
	binary.LittleEndian.PutUint64(bad[off:], 1<<50)
	require.ErrorContains(t, read(bad), "exceeds the file")
}

func TestParseTensorType(t *testing.T) {
	for s, want := range map[string]TensorType{"f32": TensorF32, "F16": TensorF16, "bf16": TensorBF16, "q8_0": TensorQ8_0} {
		got, err := ParseTensorType(s)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := ParseTensorType("q3_k")
	require.ErrorContains(t, err, "unknown tensor type")
}

// TestQ4KKnownBlock decodes a block assembled by hand from ggml's layout,
// including the packed high bits of sub-blocks 4-7.
func TestQ4KKnownBlock(t *testing.T) {
	blk := make([]byte, q4KBytes)
	binary.LittleEndian.PutUint16(blk[0:], HalfFromFloat32(0.5))  // d
	binary.LittleEndian.PutUint16(blk[2:], HalfFromFloat32(0.25)) // dmin
	ls := [8]uint8{1, 2, 3, 4, 5, 17, 33, 63}
	lm := [8]uint8{0, 1, 2, 3, 4, 20, 40, 60}
	sc := blk[4:16]
	for j := 0; j < 4; j++ {
		sc[j] = ls[j] | (ls[j+4]>>4)<<6
		sc[j+4] = lm[j] | (lm[j+4]>>4)<<6
		sc[j+8] = ls[j+4]&0xF | (lm[j+4]&0xF)<<4
	}
	qs := blk[16:]
	for i := range qs {
		qs[i] = uint8(i%16) | uint8((i*7)%16)<<4
	}
	got, err := Decode(TensorQ4_K, blk, 256)
	require.NoError(t, err)
	for j := 0; j < 8; j++ { // sub-block j: values j*32 .. j*32+31
		for l := 0; l < 32; l++ {
			byteIdx := (j/2)*32 + l
			q := qs[byteIdx] & 0xF
			if j%2 == 1 {
				q = qs[byteIdx] >> 4
			}
			want := 0.5*float32(ls[j])*float32(q) - 0.25*float32(lm[j])
			require.Equal(t, want, got[j*32+l], "sub-block %d value %d", j, l)
		}
	}
}

func TestQ4KRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vals := make([]float32, 256*4)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64()) * float32(1+i/256)
	}
	data, err := Encode(TensorQ4_K, vals)
	require.NoError(t, err)
	require.Len(t, data, 4*144)
	got, err := Decode(TensorQ4_K, data, len(vals))
	require.NoError(t, err)
	var sumSq, errSq float64
	for s := 0; s < len(vals)/32; s++ {
		sub := vals[s*32 : (s+1)*32]
		lo, hi := float32(0), sub[0]
		for _, v := range sub {
			lo, hi = min(lo, v), max(hi, v)
		}
		step := float64(hi-lo) / 15
		for i, v := range sub {
			e := math.Abs(float64(v - got[s*32+i]))
			// Half a step from rounding q, plus what 6-bit scales and mins
			// cost: at most about one more step.
			require.LessOrEqual(t, e, 1.6*step, "value %d", s*32+i)
			errSq += e * e
			sumSq += float64(v) * float64(v)
		}
	}
	// Overall a 4-bit code keeps the signal-to-noise ratio above ~20 dB.
	require.Less(t, errSq/sumSq, 0.01)
	_, err = Encode(TensorQ4_K, make([]float32, 100))
	require.ErrorContains(t, err, "block size 256")
}
