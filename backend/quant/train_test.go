package quant_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/whetstone-ai/whetstone/backend/accel"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/quant"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// The QLoRA claim, on CPU: LoRA training over NF4 base projections follows
// training over bf16 ones. Both runs start from the same random tiny Gemma 3
// model; one rounds the seven projections of every layer to bf16, the other
// stores them as NF4 (double-quantized) and uses what dequantizes from it,
// which is exactly what DequantizeNF4Graph gives inside a graph (tested
// beside it). Stated tolerance: every one of the 50 steps' losses within
// 3% of the bf16 run's, and the last ten within 1.5% on average (measured:
// 1.1% and 0.74%, while the loss falls from 6.8 to 3.4).
func TestNF4BaseWeightsTrainLikeBF16(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models for 50 steps")
	}
	const steps = 50
	bf16, bf16Bytes, _ := trainWith(t, roundBF16, steps)
	nf4, _, nf4Bytes := trainWith(t, func(x []float32, shape []int) []float32 {
		q, err := quant.QuantizeNF4(x, shape)
		if err != nil {
			t.Fatal(err)
		}
		return q.Dequantize()
	}, steps)
	if len(bf16) != steps || len(nf4) != steps {
		t.Fatalf("%d and %d losses, want %d", len(bf16), len(nf4), steps)
	}
	if bf16[steps-1] > bf16[0]-0.1 {
		t.Fatalf("the bf16 run does not learn: loss %.3f → %.3f", bf16[0], bf16[steps-1])
	}
	var worst, tail float64
	for i := range bf16 {
		rel := math.Abs(nf4[i]-bf16[i]) / bf16[i]
		worst = max(worst, rel)
		if i >= steps-10 {
			tail += rel / 10
		}
	}
	t.Logf("loss bf16 %.4f → %.4f, nf4 %.4f → %.4f; worst step %.2f%%, last ten %.2f%%",
		bf16[0], bf16[steps-1], nf4[0], nf4[steps-1], 100*worst, 100*tail)
	if worst > 0.03 || tail > 0.015 {
		t.Errorf("NF4 losses differ from bf16's by up to %.2f%% (last ten %.2f%%), want ≤ 3%% (≤ 1.5%%)", 100*worst, 100*tail)
	}
	// The weights' memory: the projections as NF4 against bf16.
	if r := float64(bf16Bytes) / float64(nf4Bytes); r < 3.5 {
		t.Errorf("NF4 projections take %d bytes, bf16 %d: %.2fx, want ≥ 3.5x", nf4Bytes, bf16Bytes, r)
	}
}

// trainWith replaces every projection weight of a random tiny model by
// round(weight), then trains LoRA on every projection for steps steps on a
// learnable sequence (each token a fixed function of the one before).
func trainWith(t *testing.T, round func([]float32, []int) []float32, steps int) (losses []float64, bf16Bytes, nf4Bytes int64) {
	t.Helper()
	backend, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewRandom(mc, 1234, model.Options{Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	replaced := 0
	for _, name := range m.BaseWeightNames() {
		if !strings.HasSuffix(name, "_proj.weight") {
			continue
		}
		w, err := m.BaseWeight(name)
		if err != nil {
			t.Fatal(err)
		}
		v := m.Store().GetVariable("/base/" + name)
		if v == nil {
			t.Fatalf("no variable /base/%s", name)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(round(w.Data, w.Shape), w.Shape...)); err != nil {
			t.Fatal(err)
		}
		bf16Bytes += 2 * int64(len(w.Data))
		nf4Bytes += quant.NF4Bytes(int64(len(w.Data)))
		replaced++
	}
	if replaced != 7*mc.NumLayers {
		t.Fatalf("replaced %d projections, want %d", replaced, 7*mc.NumLayers)
	}
	if err := m.AddLoRA(model.LoRAConfig{Rank: 8, Alpha: 16, TargetModules: model.AllLinear, Seed: 1234}); err != nil {
		t.Fatal(err)
	}
	const rows, seq = 4, 64
	var batches []train.Batch
	for b := range 2 {
		bt := train.Batch{Rows: rows, Seq: seq, Tokens: make([]int32, rows*seq), Labels: make([]int32, rows*seq),
			Positions: make([]int32, rows*seq), Segments: make([]int32, rows*seq)}
		for r := range rows {
			tok := int32(1 + 37*r + 101*b)
			for j := range seq {
				i := r*seq + j
				bt.Tokens[i] = tok % int32(mc.VocabSize)
				tok = (tok*5 + 3) % int32(mc.VocabSize)
				bt.Labels[i] = tok
				bt.Positions[i] = int32(j)
				bt.Segments[i] = 1
			}
		}
		batches = append(batches, bt)
	}
	data, err := train.NewBatches(batches, 1234, false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := train.Run(context.Background(), backend, train.ModelTarget(m), data, nil, train.Options{
		Training: runconfig.Training{LearningRate: 2e-3, Optimizer: "adamw", WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999,
			Epsilon: 1e-8, Scheduler: "constant", BatchSize: rows, GradAccum: 1, MaxSteps: steps, MaxSeqLen: seq},
		Seed: 1234,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Losses, bf16Bytes, nf4Bytes
}

// roundBF16 rounds float32 values to bfloat16 (nearest, ties to even).
func roundBF16(x []float32, _ []int) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		b := math.Float32bits(v)
		b += 0x7fff + (b>>16)&1
		out[i] = math.Float32frombits(b &^ 0xffff)
	}
	return out
}
