package model

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// benchTrainStep measures one LoRA training step (forward, backward, Adam
// update) of a preset at the batch and sequence of issue 10.
func benchTrainStep(b *testing.B, preset string, batch, seq int) {
	cfg, err := Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewRandom(cfg, 1, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.AddLoRA(LoRAConfig{Rank: 8, Alpha: 16}); err != nil {
		b.Fatal(err)
	}
	rows := make([][]int32, batch)
	pos, seg := seqRow(seq, 0, 1)
	var poss, segs [][]int32
	for i := range rows {
		rows[i] = testTokens(seq, cfg.VocabSize, i)
		poss, segs = append(poss, pos), append(segs, seg)
	}
	ts, err := Batch{Tokens: rows, Labels: rows, Positions: poss, Segments: segs}.tensors()
	if err != nil {
		b.Fatal(err)
	}
	opt := optimizer.Adam().LearningRate(1e-4).Done()
	e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) *Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		b.Fatal(err)
	}
	step := func() {
		res, err := e.Exec(ts[0], ts[1], ts[2], ts[3])
		if err != nil {
			b.Fatal(err)
		}
		res[0].FinalizeAll()
	}
	step() // compile
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N*batch*seq)/time.Since(start).Seconds(), "tokens/s")
	// CPU seconds per step: steadier than wall time on a shared machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	// Whole-process peak (setup included), comparable to peak_rss_mb of the
	// PyTorch reference when the benchmark runs alone (-bench 'TrainStep5M$').
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MB")
}

func BenchmarkTrainStepTiny(b *testing.B) { benchTrainStep(b, "tiny", 4, 64) }
func BenchmarkTrainStep5M(b *testing.B)   { benchTrainStep(b, "5m", 4, 256) }

// benchGenerate measures greedy generation of 64 tokens after a 32-token
// prompt on the 5m preset, with or without the KV cache.
func benchGenerate(b *testing.B, noCache bool) {
	cfg, _ := Preset("5m")
	m, err := NewRandom(cfg, 1, Options{})
	if err != nil {
		b.Fatal(err)
	}
	prompt := testTokens(32, cfg.VocabSize, 1)
	opts := GenerateOptions{MaxNewTokens: 64, StopTokens: []int32{}, NoCache: noCache}
	if _, err := m.Generate(context.Background(), prompt, opts, nil); err != nil { // compile every bucket
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := m.Generate(context.Background(), prompt, opts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*64)/time.Since(start).Seconds(), "tokens/s")
}

func BenchmarkGenerateKVCache(b *testing.B)   { benchGenerate(b, false) }
func BenchmarkGenerateRecompute(b *testing.B) { benchGenerate(b, true) }

var _ = tensors.FromScalar[int32]

// BenchmarkLossGemmaVocab runs forward+backward of the loss over Gemma's
// 262k vocabulary (512 tokens, a one-layer narrow model so the LM head
// dominates) and reports the growth of peak RSS: about 150 MB with the
// chunked loss versus about 550 MB when the [512, 262144] f32 logits are
// materialized at once (measured with lossChunkElements unbounded).
func BenchmarkLossGemmaVocab(b *testing.B) {
	m, err := NewRandom(gemmaShape(262144, 64, 1, 2, 1, 32, 128), 1, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4}); err != nil {
		b.Fatal(err)
	}
	toks := make([]int32, 512)
	for i := range toks {
		toks[i] = int32(i * 511 % 262144)
	}
	pos, seg := seqRow(512, 0, 1)
	batch := Batch{Tokens: [][]int32{toks}, Labels: [][]int32{toks}, Positions: [][]int32{pos}, Segments: [][]int32{seg}}
	before := peakRSS(b)
	b.ResetTimer()
	for range b.N {
		lossAndGrads(b, m, batch)
	}
	b.ReportMetric(float64(peakRSS(b)-before)/(1<<20), "peak-rss-growth-MB")
}

func peakRSS(t testing.TB) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
