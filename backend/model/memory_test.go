package model

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// writeRandomBF16Checkpoint writes cfg as a sharded bf16 checkpoint of
// random small weights, streaming each tensor so the writer itself holds no
// copy of the model. It returns the total tensor bytes.
func writeRandomBF16Checkpoint(t testing.TB, dir string, cfg *Config, shardBytes int64) int64 {
	t.Helper()
	var ts []safetensors.Tensor
	var total int64
	state := uint64(88172645463325252)
	for _, spec := range baseWeightShapes(cfg) {
		n := 1
		for _, d := range spec.shape {
			n *= d
		}
		total += int64(2 * n)
		ts = append(ts, safetensors.Tensor{Name: spec.name, DType: safetensors.BF16, Shape: spec.shape,
			Write: func(w io.Writer) error {
				buf := make([]byte, 1<<16)
				for left := n; left > 0; {
					k := min(left, len(buf)/2)
					for i := range k {
						state ^= state << 13
						state ^= state >> 7
						state ^= state << 17
						// sign, exponent 0x78..0x7b (≈ 0.004-0.06), random mantissa
						bits := uint16(state&0x8000) | uint16(0x3c00+(state>>20)&0x1ff)
						binary.LittleEndian.PutUint16(buf[2*i:], bits)
					}
					if _, err := w.Write(buf[:2*k]); err != nil {
						return err
					}
					left -= k
				}
				return nil
			}})
	}
	if err := safetensors.WriteSharded(dir, ts, nil, shardBytes); err != nil {
		t.Fatal(err)
	}
	if err := cfg.WriteHF(dir); err != nil {
		t.Fatal(err)
	}
	return total
}

func rssBytes(t testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: cannot measure RSS here")
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("VmRSS not found")
	return 0
}

// TestLoadGemma270MShapedStaysWithinBudget loads a multi-shard bf16 checkpoint
// shaped like Gemma 3 270M (536 MB of weights) with bf16 storage and checks
// that resident memory grows by at most 1.2x the checkpoint size: tensors
// are read straight into their final backend buffers, one at a time.
func TestLoadGemma270MShapedStaysWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads a 536 MB checkpoint")
	}
	cfg, err := Preset("gemma3-270m")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	size := writeRandomBF16Checkpoint(t, dir, cfg, 200<<20)
	if shards, _ := filepath.Glob(filepath.Join(dir, "model-*-of-*.safetensors")); len(shards) < 2 {
		t.Fatalf("expected several shards, got %v", shards)
	}
	runtime.GC()
	debug.FreeOSMemory()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := rssBytes(t)

	m, err := Load(dir, Options{StorageDType: dtypes.BFloat16})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	rss1 := rssBytes(t)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("HeapInuse +%d MB, HeapSys +%d MB", (int64(after.HeapInuse)-int64(before.HeapInuse))>>20, (int64(after.HeapSys)-int64(before.HeapSys))>>20)
	rss := rss1 - rss0
	t.Logf("checkpoint %d MB; heap +%d MB (%.2fx), RSS +%d MB (%.2fx)", size>>20, heap>>20,
		float64(heap)/float64(size), rss>>20, float64(rss)/float64(size))
	// Resident memory is the budget. The Go heap accounts up to 1.25x: the
	// go backend rounds buffer sizes up to 2-bit-mantissa buckets, and the
	// untouched tail pages of those buffers are never resident.
	if float64(rss) > 1.2*float64(size) {
		t.Errorf("loading grew RSS by more than 1.2x the checkpoint size")
	}
	if float64(heap) > 1.25*float64(size) {
		t.Errorf("loading allocated more than the go backend's 1.25x bucketing explains")
	}
	if float64(heap) < 0.9*float64(size) {
		t.Errorf("heap grew by only %d MB: are the weights really loaded?", heap>>20)
	}
	if got := m.cfg.NumParams(); got < 260e6 || got > 280e6 {
		t.Errorf("%d parameters, want ≈268M", got)
	}
	runtime.KeepAlive(m)
}
