package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// The decode measurement of issue 19 (backend/bench/README.md, "Decode at
// the bandwidth bound"): greedy decode of the gemma3-270m shape, the
// machine's read bandwidth, and llama.cpp on the same weights. It needs
// about 4 GB of memory and minutes, so it runs only when asked:
//
//	WHETSTONE_DECODE=f32,bf16,int8 go test ./backend/bench -run TestDecodeMeasure -v -timeout 60m
//
// WHETSTONE_DECODE_LLAMA=f32,bf16,q8_0 also exports the float32 model to
// GGUF and times llama.cpp (tools/llamacpp-check's node-llama-cpp,
// 2 threads) decoding the same number of tokens. WHETSTONE_DECODE_PROFILE=
// /tmp/decode writes a CPU profile of each timed decode to /tmp/decode.bf16
// and so on. WHETSTONE_DECODE_PROMPT=n makes the prompt n tokens long (8 by
// default); both engines log the time to the first new token, which is
// the prompt's prefill.
const (
	decodePrompt = 8
	decodeNew    = 128
)

// decodePromptLen is $WHETSTONE_DECODE_PROMPT, or decodePrompt.
func decodePromptLen(t *testing.T) int {
	v := os.Getenv("WHETSTONE_DECODE_PROMPT")
	if v == "" {
		return decodePrompt
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 4096 {
		t.Fatalf("WHETSTONE_DECODE_PROMPT=%q: want a prompt length from 1 to 4096", v)
	}
	return n
}

func TestDecodeMeasure(t *testing.T) {
	storages := decodeList("WHETSTONE_DECODE")
	llamas := decodeList("WHETSTONE_DECODE_LLAMA")
	if len(storages) == 0 && len(llamas) == 0 {
		t.Skip("set WHETSTONE_DECODE=f32,bf16,int8 (and/or WHETSTONE_DECODE_LLAMA=f32,bf16,q8_0) to measure decode on the gemma3-270m shape")
	}
	c, err := Lookup("gemma3-270m")
	require.NoError(t, err)
	mc, err := c.ModelConfig()
	require.NoError(t, err)
	readBandwidthLogged(t, "at the start")
	prompt := make([]int32, decodePromptLen(t))
	for i := range prompt {
		prompt[i] = int32(1000 + 37*i)
	}
	// One checkpoint for both engines: the published config with the real
	// tokenizer's 262,145 ids (so the GGUF's vocabulary is whole), random
	// float32 weights.
	cfg := *mc
	cfg.VocabSize = 262145
	base := filepath.Join(t.TempDir(), "base")
	src, err := model.NewRandom(&cfg, benchSeed, model.Options{})
	require.NoError(t, err)
	require.NoError(t, src.SaveCheckpoint(base))
	src.Close()
	for _, s := range storages {
		m, err := model.Load(base, storageOptions(t, "WHETSTONE_DECODE", s))
		require.NoError(t, err)
		bytes := weightBytes(t, m)
		gen := func() ([]int32, float64, float64, float64) {
			var first time.Time
			var cpu0 float64
			began := time.Now()
			g, err := m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: decodeNew, StopTokens: []int32{}}, func(int32) error {
				if first.IsZero() {
					first, cpu0 = time.Now(), processCPUSeconds()
				}
				return nil
			})
			require.NoError(t, err)
			wall, cpu := time.Since(first).Seconds(), processCPUSeconds()-cpu0
			return g.Tokens, first.Sub(began).Seconds(), wall, cpu
		}
		gen() // compile every cache bucket
		bw := readBandwidthLogged(t, "before whetstone "+s)
		stop := startDecodeProfile(t, s)
		toks, ttft, wall, cpu := gen()
		stop()
		t.Logf("whetstone %s: first token after a %d-token prompt in %.3f s", s, len(prompt), ttft)
		bw = bw.max(readBandwidthLogged(t, "after whetstone "+s))
		logDecode(t, "whetstone "+s, float64(len(toks)-1)/wall, cpu/float64(len(toks)-1), bytes, bw, toks)
		m.Close()
	}
	if len(llamas) > 0 {
		measureLlamaCpp(t, base, prompt, llamas)
	}
}

// storageOptions returns the model options of a measurement's storage
// name (f32, bf16 or int8), read from the environment variable env.
func storageOptions(t *testing.T, env, storage string) model.Options {
	switch storage {
	case "f32":
		return model.Options{}
	case "bf16":
		return model.Options{StorageDType: dtypes.BFloat16}
	case "int8":
		return model.Options{StorageDType: dtypes.Int8}
	}
	t.Fatalf("%s: unknown storage %q (f32, bf16, int8)", env, storage)
	return model.Options{}
}

// logDecode reports a decode at tps tokens/s taking cpu seconds of CPU a
// token (0: not known) of a model of the given bytes: tokens/s, CPU ms per
// token, and the fraction of the bandwidth bound, both on the wall clock
// and in CPU time (the time to read the bytes once at the per-CPU-second
// read rate over the CPU time per token), which a shared machine's load
// distorts less.
func logDecode(t *testing.T, what string, tps, cpu float64, bytes int64, bw bandwidth, first []int32) {
	boundTPS := bw.wallGBps * 1e9 / float64(bytes)
	cpuPart := "CPU time not measured"
	if cpu > 0 {
		readMS := 1000 * float64(bytes) / (bw.cpuGBps * 1e9)
		cpuPart = fmt.Sprintf("%.1f ms CPU/token (reading %.0f MB takes %.1f ms CPU: %.0f%% of the bound)", 1000*cpu, float64(bytes)/1e6, readMS, 100*readMS/(1000*cpu))
	}
	t.Logf("%s: %.2f tokens/s wall (%.0f%% of the wall bound %.1f), %s; first tokens %v",
		what, tps, 100*tps/boundTPS, boundTPS, cpuPart, first[:min(8, len(first))])
}

// startDecodeProfile writes a CPU profile of the timed decode to
// $WHETSTONE_DECODE_PROFILE.<storage> when that variable names a file
// prefix: the decode alone, without building and loading the model.
func startDecodeProfile(t *testing.T, storage string) (stop func()) {
	prefix := os.Getenv("WHETSTONE_DECODE_PROFILE")
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + "." + storage)
	require.NoError(t, err)
	require.NoError(t, pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		require.NoError(t, f.Close())
	}
}

func decodeList(env string) []string {
	v := os.Getenv(env)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// weightBytes is what one token's decode must read: every stored weight
// (the embedding table once, as the LM head).
func weightBytes(t *testing.T, m *model.Model) int64 {
	n := m.Store().ByteSize()
	require.Positive(t, n)
	return n
}

// bandwidth is a read-bandwidth reading: GB/s of wall time and GB per
// CPU-second.
type bandwidth struct{ wallGBps, cpuGBps float64 }

// max is the higher of two readings, field by field. A decode's bound is
// the higher of the readings just before and just after it: this machine's
// rate moves by 2x as its neighbours come and go, and the lower reading
// would flatter the decode.
func (b bandwidth) max(o bandwidth) bandwidth {
	return bandwidth{max(b.wallGBps, o.wallGBps), max(b.cpuGBps, o.cpuGBps)}
}

// readBandwidthLogged measures and logs the read bandwidth over 1 GiB.
func readBandwidthLogged(t *testing.T, when string) bandwidth {
	gbps, cpuGBps := readBandwidth(1 << 30)
	t.Logf("read bandwidth %s: %.1f GB/s wall, %.1f GB/s per CPU-second x %d threads = %.1f GB/s uncontended (1 GiB, best of 3); load average %s",
		when, gbps, cpuGBps, runtime.GOMAXPROCS(0), cpuGBps*float64(runtime.GOMAXPROCS(0)), loadAvgString())
	return bandwidth{gbps, cpuGBps}
}

// readBandwidth sums n bytes of memory with GOMAXPROCS goroutines and
// returns the best of three passes in GB/s of wall time and in GB per
// CPU-second: the bound a decode that reads its weights once per token can
// reach.
func readBandwidth(n int) (wallGBps, cpuGBps float64) {
	buf := make([]uint64, n/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	workers := runtime.GOMAXPROCS(0)
	var sink uint64
	for range 3 {
		var wg sync.WaitGroup
		sums := make([]uint64, workers)
		start, cpu0 := time.Now(), processCPUSeconds()
		chunk := len(buf) / workers
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[w] = sumWords(buf[w*chunk : (w+1)*chunk])
			}()
		}
		wg.Wait()
		wallGBps = max(wallGBps, float64(n)/time.Since(start).Seconds()/1e9)
		cpuGBps = max(cpuGBps, float64(n)/(processCPUSeconds()-cpu0)/1e9)
		for _, s := range sums {
			sink += s
		}
	}
	if sink == 42 {
		fmt.Fprint(io.Discard, sink)
	}
	return wallGBps, cpuGBps
}

func sumWordsScalar(b []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += b[i]
		s1 += b[i+1]
		s2 += b[i+2]
		s3 += b[i+3]
		s4 += b[i+4]
		s5 += b[i+5]
		s6 += b[i+6]
		s7 += b[i+7]
	}
	s := s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
	for _, w := range b[len(b)&^7:] {
		s += w
	}
	return s
}

func loadAvgString() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// llamaCppForTest is $WHETSTONE_LLAMA_CPP, else llama-bench where
// tools/llamacpp-check/build-llama-bench.sh builds it, else
// tools/llamacpp-check's node-llama-cpp; it skips the test when none is
// there.
func llamaCppForTest(t *testing.T) LlamaCpp {
	dir := filepath.Join("..", "..", "tools", "llamacpp-check")
	l := LlamaCpp{Path: os.Getenv("WHETSTONE_LLAMA_CPP"), Node: "node"}
	if l.Path == "" {
		l.Path = filepath.Join(dir, "llama.cpp", "build", "bin", "llama-bench")
		if _, err := os.Stat(l.Path); err != nil {
			l.Path = dir
		}
	}
	if err := l.Check(); err != nil {
		t.Skipf("no llama.cpp side: %v", err)
	}
	t.Logf("llama.cpp side: %s", l.Engine(context.Background()))
	return l
}

func measureLlamaCpp(t *testing.T, base string, prompt []int32, quants []string) {
	l := llamaCppForTest(t)
	tokDir := filepath.Join("..", "..", "..", "shared", "refsets", "visible", "tokenizers", "gemma3")
	if _, err := os.Stat(filepath.Join(tokDir, "tokenizer.json")); err != nil {
		t.Skipf("the gemma3 tokenizer is not in %s: no llama.cpp side", tokDir)
	}
	dir := t.TempDir()
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		data, err := os.ReadFile(filepath.Join(tokDir, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(base, f), data, 0o644))
	}
	for _, q := range quants {
		out := filepath.Join(dir, "gguf-"+q)
		ex, err := export.Run(context.Background(), export.Request{Format: export.FormatGGUF, BaseDir: base, OutDir: out, Quant: q, Name: "decode"})
		require.NoError(t, err, q)
		gguf, size, err := ggufFile(ex)
		require.NoError(t, err)
		bw := readBandwidthLogged(t, "before llama.cpp "+q)
		r, err := l.time(context.Background(), dir, gguf, prompt, decodeNew)
		require.NoError(t, err)
		bw = bw.max(readBandwidthLogged(t, "after llama.cpp "+q))
		t.Logf("llama.cpp %s: first token after a %d-token prompt in %.3f s", q, len(prompt), r.FirstTokenS)
		toks := make([]int32, len(r.First))
		for i, tk := range r.First {
			toks[i] = int32(tk)
		}
		logDecode(t, "llama.cpp "+q, r.TokensPerS, r.CPUSeconds/decodeNew, size, bw, toks)
		require.NoError(t, os.RemoveAll(out))
	}
}
