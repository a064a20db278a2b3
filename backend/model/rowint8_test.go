package model

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// TestInt8StorageMatchesFloat32 checks Int8 storage against the float32
// model it was quantized from: every matrix within half a quantization step
// of its row, norms exact, logits close, and a checkpoint loaded with Int8
// storage equal to the same model built directly.
func TestInt8StorageMatchesFloat32(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen2"} {
		t.Run(name, func(t *testing.T) {
			cfg := decodeConfig(t, name)
			f32, err := NewRandom(cfg, 13, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer f32.Close()
			q, err := NewRandom(cfg, 13, Options{StorageDType: dtypes.Int8})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			for _, spec := range baseWeightShapes(cfg) {
				want, err := f32.BaseWeight(spec.name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := q.BaseWeight(spec.name)
				if err != nil {
					t.Fatal(err)
				}
				if spec.norm || spec.bias {
					for i := range want.Data {
						if got.Data[i] != want.Data[i] {
							t.Fatalf("%s[%d]: %g, want %g exactly (norms and biases stay float32)", spec.name, i, got.Data[i], want.Data[i])
						}
					}
					continue
				}
				cols := spec.shape[1]
				for r := range spec.shape[0] {
					row := want.Data[r*cols : (r+1)*cols]
					var absmax float64
					for _, v := range row {
						absmax = math.Max(absmax, math.Abs(float64(v)))
					}
					step := absmax / 127
					for c, v := range row {
						if d := math.Abs(float64(got.Data[r*cols+c] - v)); d > step/2*(1+1e-5) {
							t.Fatalf("%s[%d][%d]: %g vs %g, more than half a step (%g) apart", spec.name, r, c, got.Data[r*cols+c], v, step)
						}
					}
				}
			}
			seq := testTokens(16, cfg.VocabSize, 7)
			want, err := f32.Logits(seq)
			if err != nil {
				t.Fatal(err)
			}
			got, err := q.Logits(seq)
			if err != nil {
				t.Fatal(err)
			}
			var diff, norm float64
			for i := range want {
				for v := range want[i] {
					diff += math.Pow(float64(got[i][v]-want[i][v]), 2)
					norm += math.Pow(float64(want[i][v]), 2)
				}
			}
			// A Gaussian row of 64 has max|w| ≈ 2.4σ, so rounding to steps
			// of max|w|/127 adds noise of ≈ 0.55% of σ to every weight
			// (bfloat16's 8-bit mantissa: ≈ 0.23%). Through these random
			// models' layers that measured 2.1% at the logits (bfloat16
			// 0.6-0.7%); a wrong scale or a row mix-up gives 100%.
			if rel := math.Sqrt(diff / norm); rel > 0.03 {
				t.Errorf("int8 logits differ from float32 by %.2f%% (RMS, relative), want under 3%%", 100*rel)
			}

			dir := filepath.Join(t.TempDir(), "ckpt")
			if err := f32.SaveCheckpoint(dir); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(dir, Options{StorageDType: dtypes.Int8})
			if err != nil {
				t.Fatal(err)
			}
			defer loaded.Close()
			again, err := loaded.Logits(seq)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				for v := range got[i] {
					if again[i][v] != got[i][v] {
						t.Fatalf("loaded int8 model: logit [%d][%d] %g, built one %g", i, v, again[i][v], got[i][v])
					}
				}
			}
		})
	}
}

// TestQuantizeRowInt8 pins the code's edge cases: the extremes map to
// ±127, an all-zero row to zero codes and scale 0.
func TestQuantizeRowInt8(t *testing.T) {
	codes := make([]int8, 4)
	if s := quantizeRowInt8([]float32{-2, 1, 0, 0.5}, codes); math.Abs(float64(s)-2.0/127) > 1e-9 || codes[0] != -127 || codes[1] != 64 || codes[2] != 0 || codes[3] != 32 {
		t.Errorf("scale %g codes %v", s, codes)
	}
	if s := quantizeRowInt8([]float32{0, 0, 0, 0}, codes); s != 0 || codes[0] != 0 || codes[3] != 0 {
		t.Errorf("zero row: scale %g codes %v", s, codes)
	}
}

// TestRowInt8ReadsInBlocks checks that a matrix larger than one block is
// read in order, in blocks of whole rows no larger than rowInt8Block, and
// quantized as if read whole; a read error names the weight.
func TestRowInt8ReadsInBlocks(t *testing.T) {
	m, err := newModel(decodeConfig(t, "gemma3"), Options{StorageDType: dtypes.Int8})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cols := 1000
	rows := rowInt8Block/cols + 3 // two blocks, the second of three rows
	value := func(i int) float32 { return float32(i%977) - 488.5 }
	next := 0
	read := func(at int, dst []float32) error {
		if at != next || len(dst)%cols != 0 || len(dst) > rowInt8Block {
			t.Fatalf("read(%d, %d values): want at %d, whole rows, at most %d values", at, len(dst), next, rowInt8Block)
		}
		for i := range dst {
			dst[i] = value(at + i)
		}
		next = at + len(dst)
		return nil
	}
	if err := m.addRowInt8("big.weight", []int{rows, cols}, read); err != nil {
		t.Fatal(err)
	}
	if next != rows*cols {
		t.Fatalf("read %d of %d values", next, rows*cols)
	}
	got, err := m.BaseWeight("big.weight")
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, cols)
	codes := make([]int8, cols)
	for r := range rows {
		for c := range row {
			row[c] = value(r*cols + c)
		}
		scale := quantizeRowInt8(row, codes)
		for c := range codes {
			if want := float32(codes[c]) * scale; got.Data[r*cols+c] != want {
				t.Fatalf("[%d][%d] = %g, want %g", r, c, got.Data[r*cols+c], want)
			}
		}
	}

	failing := func(int, []float32) error { return errors.New("disk gone") }
	err = m.addRowInt8("other.weight", []int{4, cols}, failing)
	if err == nil || !strings.Contains(err.Error(), "other.weight") || !strings.Contains(err.Error(), "disk gone") {
		t.Errorf("read error: %v, want one naming the weight and the cause", err)
	}
}
