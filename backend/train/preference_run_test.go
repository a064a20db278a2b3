package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// learnablePairs are pairs over the tiny model's vocabulary in which the
// chosen answer always continues the prompt with the token after its last
// one and the rejected answer with a token far from it: a preference a
// tiny model learns within a few dozen steps.
func learnablePairs(n, vocab int, seed uint64) []refPair {
	r := rand.New(rand.NewPCG(seed, 3))
	var out []refPair
	for range n {
		var p refPair
		start := 2 + r.IntN(vocab-20)
		prompt := []int32{int32(start), int32(start + 1), int32(start + 2)}
		good := []int32{int32(start + 3), int32(start + 4)}
		bad := []int32{int32(2 + (start+vocab/2)%(vocab-2)), int32(2 + (start+vocab/2+7)%(vocab-2))}
		mk := func(answer []int32) refSeq {
			s := refSeq{Tokens: append(append([]int32{}, prompt...), answer...)}
			for range prompt {
				s.Labels = append(s.Labels, model.IgnoreIndex)
			}
			return refSeq{Tokens: s.Tokens, Labels: append(s.Labels, answer...)}
		}
		p.Chosen, p.Rejected = mk(good), mk(bad)
		out = append(out, p)
	}
	return out
}

func pairBatches(pairs []refPair, perBatch int) []Batch {
	var out []Batch
	for i := 0; i < len(pairs); i += perBatch {
		out = append(out, pairBatch(pairs[i:min(i+perBatch, len(pairs))]))
	}
	return out
}

func preferenceTraining(steps int) runconfig.Training {
	tc := testTraining(steps)
	tc.GradAccum = 1
	tc.LearningRate = 1e-2
	return tc
}

func TestDPOLearnsThePreference(t *testing.T) {
	m := tinyModel(t, 0)
	target, err := PreferenceTarget(m, PreferenceOptions{Method: runconfig.MethodDPO, Beta: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := NewBatches(pairBatches(learnablePairs(8, 512, 1), 4), 1, true)
	var metrics []StepMetrics
	if _, err := Run(context.Background(), m.Backend(), target, data, nil, Options{
		Training: preferenceTraining(30), Seed: 1,
		Report: func(s StepMetrics) error { metrics = append(metrics, s); return nil },
	}); err != nil {
		t.Fatal(err)
	}
	first, last := metrics[0].Extra, metrics[len(metrics)-1].Extra
	for _, name := range []string{MetricRewardChosen, MetricRewardRejected, MetricRewardMargin, MetricRewardAccuracy} {
		if _, ok := last[name]; !ok {
			t.Fatalf("step metrics lack %s: %v", name, last)
		}
	}
	if last[MetricRewardAccuracy] <= 0.9 {
		t.Errorf("reward accuracy %.2f at the end, want above 0.9", last[MetricRewardAccuracy])
	}
	if last[MetricRewardMargin] <= first[MetricRewardMargin]+0.05 {
		t.Errorf("reward margin went from %.4f to %.4f; it should grow", first[MetricRewardMargin], last[MetricRewardMargin])
	}
	if metrics[len(metrics)-1].Loss >= metrics[0].Loss {
		t.Errorf("DPO loss went from %.4f to %.4f", metrics[0].Loss, metrics[len(metrics)-1].Loss)
	}
	t.Logf("margin %.4f → %.4f, accuracy %.2f → %.2f, loss %.4f → %.4f", first[MetricRewardMargin], last[MetricRewardMargin],
		first[MetricRewardAccuracy], last[MetricRewardAccuracy], metrics[0].Loss, metrics[len(metrics)-1].Loss)
}

func TestDPOResumeGivesTheSameLosses(t *testing.T) {
	batches := pairBatches(learnablePairs(6, 512, 2), 2)
	tc := preferenceTraining(7)
	run := func(dir string, resume bool, crashAt int) (Result, []StepMetrics, error) {
		m := tinyModel(t, 0.1)
		target, err := PreferenceTarget(m, PreferenceOptions{Method: runconfig.MethodDPO, Beta: 0.2, LabelSmoothing: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := NewBatches(batches, 3407, true)
		var metrics []StepMetrics
		res, err := Run(context.Background(), m.Backend(), target, data, nil, Options{
			Training: tc, Seed: 3407, CheckpointDir: dir, CheckpointEvery: 2, Resume: resume,
			Report: func(s StepMetrics) error { metrics = append(metrics, s); return nil },
			AfterStep: func(step int) error {
				if step == crashAt {
					return errCrash
				}
				return nil
			},
		})
		return res, metrics, err
	}
	full, fullMetrics, err := run(t.TempDir(), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := run(dir, false, 5); !errors.Is(err, errCrash) {
		t.Fatalf("crash run: %v", err)
	}
	resumed, resumedMetrics, err := run(dir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.StartStep != 4 || len(resumed.Losses) != 3 {
		t.Fatalf("resumed from %d with %d losses", resumed.StartStep, len(resumed.Losses))
	}
	for i, l := range resumed.Losses {
		want := full.Losses[4+i]
		if math.Abs(l-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("step %d: resumed loss %.9f, uninterrupted %.9f", 5+i, l, want)
		}
		gotM, wantM := resumedMetrics[i].Extra[MetricRewardMargin], fullMetrics[4+i].Extra[MetricRewardMargin]
		if math.Abs(gotM-wantM) > 1e-6 {
			t.Errorf("step %d: resumed margin %.9f, uninterrupted %.9f", 5+i, gotM, wantM)
		}
	}
}

// TestORPOAccumulationIsOneBigBatch checks that two micro-batches of two
// pairs make the same step as one batch of four: each term of the loss is
// normalized over the whole step (the chosen tokens, the pairs), not per
// micro-batch.
func TestORPOAccumulationIsOneBigBatch(t *testing.T) {
	pairs := learnablePairs(4, 512, 5)
	// Answers of different lengths, so token and pair averages differ.
	pairs[0].Chosen.Tokens = append(pairs[0].Chosen.Tokens, 9, 10, 11)
	pairs[0].Chosen.Labels = append(pairs[0].Chosen.Labels, 9, 10, 11)
	step := func(batches []Batch, accum int) (float64, []model.HostTensor) {
		m := tinyModel(t, 0)
		target, err := PreferenceTarget(m, PreferenceOptions{Method: runconfig.MethodORPO, Lambda: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := NewBatches(batches, 1, false)
		tc := preferenceTraining(1)
		tc.GradAccum = accum
		tc.WarmupSteps = 0
		res, err := Run(context.Background(), m.Backend(), target, data, nil, Options{Training: tc, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := m.LoRAState()
		return res.Losses[0], st
	}
	lossOne, one := step([]Batch{pairBatch(pairs)}, 1)
	lossTwo, two := step([]Batch{pairBatch(pairs[:2]), pairBatch(pairs[2:])}, 2)
	if math.Abs(lossOne-lossTwo) > 1e-5 {
		t.Errorf("loss of one batch %.7f, of two accumulated %.7f", lossOne, lossTwo)
	}
	worst := 0.0
	for i := range one {
		for j := range one[i].Data {
			worst = math.Max(worst, math.Abs(float64(one[i].Data[j]-two[i].Data[j])))
		}
	}
	// The first AdamW step moves every weight by about lr·sign(gradient)
	// (lr 1e-2), so float32 rounding of near-zero gradients shows as a few
	// 1e-6; a per-micro-batch normalization would move weights by 1e-3.
	if worst > 1e-5 {
		t.Errorf("adapters after one step differ by %.3g between one batch and two accumulated", worst)
	}
}
