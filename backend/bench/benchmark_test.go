package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// The benchmarks below are what `whetstone bench` measures, in go test
// form for pprof:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench 'Train/5m' -benchtime 10x \
//	    -cpuprofile cpu.out ./backend/bench && go tool pprof -top cpu.out
//
// BenchmarkTrain times training steps after the first (compiling) one.
// WHETSTONE_BENCH_ATTENTION_BLOCK=n forces blockwise attention in blocks
// of n tokens (-1: the plain path) for A/B runs.
// Peak RSS is reported as a metric but is the test process's lifetime
// peak: run one sub-benchmark per process when the memory figure matters.
func BenchmarkTrain(b *testing.B) {
	for _, c := range Configs() {
		b.Run(c.Name, func(b *testing.B) {
			backend, _, err := accel.Open(accel.Options{})
			if err != nil {
				b.Fatal(err)
			}
			// As Run: checkpointing where the estimate needs it, and no
			// run whose estimate exceeds the available memory (gemma3-1b).
			mc, err := c.ModelConfig()
			if err != nil {
				b.Fatal(err)
			}
			avail := float64(memAvailableMB())
			ckpt, est, _, err := chooseCheckpointing(c, mc, false, avail)
			if err != nil {
				b.Fatal(err)
			}
			if err := exceeds(c, est, ckpt, avail); err != nil {
				b.Skip(err)
			}
			ch := trainChoices{gradCheckpoint: ckpt, attentionBlock: envAttentionBlock(b), stepBytes: est.StepBytes()}
			res, _, err := measureTrain(context.Background(), c, backend, b.N, ch, func(step int) {
				if step == 1 {
					b.ResetTimer()
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(res.TokensPerS, "tokens/s")
			b.ReportMetric(float64(c.TokensPerStep())*float64(b.N)/b.Elapsed().Seconds(), "mean-tokens/s")
			b.ReportMetric(res.PeakRSSMB, "peak-rss-MB")
			b.ReportMetric(float64(res.AttentionBlock), "attention-block")
			b.ReportMetric(res.CPUMSPerStep, "cpu-ms/step")
		})
	}
}

// envAttentionBlock reads WHETSTONE_BENCH_ATTENTION_BLOCK, the benchmark's
// stand-in for Options.AttentionBlock (0 when unset).
func envAttentionBlock(b *testing.B) int {
	s := os.Getenv("WHETSTONE_BENCH_ATTENTION_BLOCK")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("WHETSTONE_BENCH_ATTENTION_BLOCK=%q: %v", s, err)
	}
	return n
}

// BenchmarkGenerate times KV-cached greedy decoding (64 new tokens after a
// 32-token prompt, and a warm-up generation) with the config's own weights
// (bench runs measure the other storages too: generate.by_storage).
func BenchmarkGenerate(b *testing.B) {
	for _, c := range Configs() {
		b.Run(c.Name, func(b *testing.B) {
			backend, _, err := accel.Open(accel.Options{})
			if err != nil {
				b.Fatal(err)
			}
			m, err := newModel(c, backend)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			b.ResetTimer()
			var tps float64
			for range b.N {
				g, err := timeGenerate(context.Background(), c, m)
				if err != nil {
					b.Fatal(err)
				}
				tps = g.TokensPerS
			}
			b.ReportMetric(tps, "tokens/s")
		})
	}
}

// BenchmarkTokenizer encodes the mixed corpus with the reference Gemma 3
// tokenizer (skipped when ../shared is absent).
func BenchmarkTokenizer(b *testing.B) {
	dir := FindTokenizer()
	if dir == "" {
		b.Skip("no reference tokenizer found (../shared/refsets/visible/tokenizers/gemma3)")
	}
	var last *TokenizerResult
	for range b.N {
		r, err := measureTokenizer(dir)
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	b.ReportMetric(last.TokensPerS, "tokens/s")
	b.ReportMetric(last.MBPerS, "MB/s")
}

// BenchmarkDataset scans generated FineTome-shaped parquet and JSONL files.
func BenchmarkDataset(b *testing.B) {
	var last *DatasetResult
	for range b.N {
		r, err := measureDataset()
		if err != nil {
			b.Fatal(err)
		}
		last = r
	}
	b.ReportMetric(last.ParquetRowsPerS, "parquet-rows/s")
	b.ReportMetric(last.JSONLRowsPerS, "jsonl-rows/s")
}
