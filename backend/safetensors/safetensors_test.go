package safetensors

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripDTypes(t *testing.T) {
	dir := t.TempDir()
	vals := []float32{0, 1, -2.5, 3.140625, 1e-3, -65504, 0.333251953125}
	var ts []Tensor
	for _, dt := range []DType{F32, BF16, F16, F64} {
		tt, err := FromFloat32("w."+string(dt), dt, []int{7}, vals)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tt)
	}
	ts = append(ts, Tensor{Name: "ids", DType: I32, Shape: []int{2}, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0}})
	path := filepath.Join(dir, "m.safetensors")
	if err := WriteFile(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata()["format"] != "pt" {
		t.Errorf("metadata = %v", f.Metadata())
	}
	if f.dataStart%8 != 0 {
		t.Errorf("data section starts at %d, not 8-byte aligned", f.dataStart)
	}
	for _, dt := range []DType{F32, BF16, F16, F64} {
		info, ok := f.Info("w." + string(dt))
		if !ok || info.DType != dt {
			t.Fatalf("info %v %v", info, ok)
		}
		if info.Begin%int64(dt.Size()) != 0 {
			t.Errorf("%s starts at unaligned offset %d", dt, info.Begin)
		}
		got := make([]float32, 7)
		if err := f.ReadFloat32(info.Name, got); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			tol := 0.0
			switch dt {
			case BF16:
				tol = math.Abs(float64(v)) / 128
			case F16:
				tol = math.Abs(float64(v)) / 1024
			}
			if math.Abs(float64(got[i]-v)) > tol {
				t.Errorf("%s[%d] = %v, want %v", dt, i, got[i], v)
			}
		}
	}
	raw := make([]byte, 8)
	if err := f.ReadRaw("ids", raw); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(raw[4:]) != 2 {
		t.Errorf("ids raw = %v", raw)
	}
	if err := f.ReadFloat32("ids", make([]float32, 2)); err == nil {
		t.Error("reading I32 as float32 should fail")
	}
	if err := f.ReadFloat32("missing", nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing tensor error = %v", err)
	}
}

func TestBF16RoundsToNearestEven(t *testing.T) {
	// 1 + 2^-8 is exactly halfway between two bf16 values; ties go to even (1.0).
	b, _ := EncodeFloat32(BF16, []float32{1 + 1.0/256, 1 + 3.0/256})
	got := make([]float32, 2)
	if err := DecodeFloat32(BF16, b, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != 1+4.0/256 {
		t.Errorf("got %v", got)
	}
}

func TestShardedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	var ts []Tensor
	for i := range 5 {
		v := make([]float32, 100)
		for j := range v {
			v[j] = float32(i*100 + j)
		}
		tt, _ := FromFloat32(string(rune('a'+i))+".weight", BF16, []int{10, 10}, v)
		ts = append(ts, tt)
	}
	if err := WriteSharded(dir, ts, nil, 450); err != nil {
		t.Fatal(err)
	}
	idx, err := ReadIndex(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if idx.WeightMap["e.weight"] != "model-00003-of-00003.safetensors" {
		t.Errorf("weight map %v", idx.WeightMap)
	}
	c, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Names()) != 5 {
		t.Fatalf("names %v", c.Names())
	}
	v, err := c.Float32("d.weight")
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != 300 || v[99] != 400 { // 399 is a tie in bf16 and rounds to even 400
		t.Errorf("d.weight = %v...%v", v[0], v[99])
	}
	// A stale index naming a tensor no shard holds is an error, not zeros.
	idx.WeightMap["ghost.weight"] = "model-00001-of-00003.safetensors"
	writeJSON(t, filepath.Join(dir, IndexFile), idx)
	if _, err := OpenDir(dir); err == nil || !strings.Contains(err.Error(), "ghost.weight") {
		t.Errorf("stale index error = %v", err)
	}
}

func TestSingleFileDirHasNoIndex(t *testing.T) {
	dir := t.TempDir()
	tt, _ := FromFloat32("x", F32, []int{2}, []float32{1, 2})
	if err := WriteSharded(dir, []Tensor{tt}, nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, SingleFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); !os.IsNotExist(err) {
		t.Errorf("index should not exist: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("leftover temp files: %v", entries)
	}
}

func TestMalformedFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"short":       {1, 2, 3},
		"hugeheader":  append(le64(1<<40), []byte("{}")...),
		"notjson":     append(le64(3), []byte("{x}")...),
		"badoffsets":  withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}`, 8),
		"badshape":    withHeader(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8),
		"unknowndt":   withHeader(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, 8),
		"badmetadata": withHeader(`{"__metadata__":{"a":1}}`, 0),
	}
	for name, data := range cases {
		p := filepath.Join(dir, name+".safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(p)
		if err == nil {
			f.Close()
			t.Errorf("%s: expected an error", name)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestWriteRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.safetensors")
	if err := WriteFile(p, []Tensor{{Name: "a", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}}, nil); err == nil {
		t.Error("size mismatch accepted")
	}
	if err := WriteFile(p, []Tensor{{Name: "a", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}, {Name: "a", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}}, nil); err == nil {
		t.Error("duplicate accepted")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("failed write left a file")
	}
}

func le64(n uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return b
}

func withHeader(h string, dataBytes int) []byte {
	out := append(le64(uint64(len(h))), []byte(h)...)
	return append(out, make([]byte, dataBytes)...)
}

// A part of a tensor read alone equals the same part of the whole, across
// the staging buffer's chunk boundaries; a range past the end is an error
// naming the tensor.
func TestReadFloat32AtReadsAPart(t *testing.T) {
	n := chunkBytes + 300 // bf16: two chunks and a bit
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%1000) - 500
	}
	tt, err := FromFloat32("big", BF16, []int{n / 4, 4}, vals[:n/4*4])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, "model.safetensors"), []Tensor{tt}, nil); err != nil {
		t.Fatal(err)
	}
	ckpt, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ckpt.Close()
	whole, err := ckpt.Float32("big")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int{{0, 1}, {7, 9}, {chunkBytes/2 - 3, chunkBytes/2 + 5}, {len(whole) - 4, len(whole)}, {100, chunkBytes + 200}} {
		part := make([]float32, r[1]-r[0])
		if err := ckpt.ReadFloat32At("big", r[0], part); err != nil {
			t.Fatal(err)
		}
		for i, v := range part {
			if v != whole[r[0]+i] {
				t.Fatalf("[%d, %d): element %d = %v, whole has %v", r[0], r[1], r[0]+i, v, whole[r[0]+i])
			}
		}
	}
	err = ckpt.ReadFloat32At("big", len(whole)-2, make([]float32, 3))
	if err == nil || !strings.Contains(err.Error(), `"big"`) {
		t.Errorf("a range past the end: error %v, want one naming the tensor", err)
	}
}
