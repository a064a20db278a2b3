package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// TrainResult holds the training measurement of one configuration.
type TrainResult struct {
	// Steps is the number of timed steps (after the first).
	Steps int `json:"steps"`
	// TokensPerS is batch·seq divided by the median steady step time:
	// every token of the batch counts, as in the PyTorch reference.
	TokensPerS   float64 `json:"tokens_per_s"`
	MedianStepMS float64 `json:"median_step_ms"`
	MinStepMS    float64 `json:"min_step_ms"`
	// CPUUtilization is process CPU time over wall time during the timed
	// steps: about the core count when the machine was ours, much less
	// when other processes took the cores (then the timings are
	// pessimistic). CPUMSPerStep is the mean CPU time of a timed step.
	CPUUtilization float64 `json:"cpu_utilization"`
	CPUMSPerStep   float64 `json:"cpu_ms_per_step"`
	// LoadAverage is the 1-minute load average when training ended.
	LoadAverage float64 `json:"load_average"`
	// FirstStepS is the first step, graph compilation included.
	FirstStepS float64 `json:"first_step_s"`
	// SetupS is building the model and attaching adapters.
	SetupS float64 `json:"setup_s"`
	// PeakRSSMB is VmHWM right after training.
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// Losses are the training losses of every step, to show it trains.
	Losses []float64 `json:"losses"`
	// GradientCheckpointing says whether decoder layers were recomputed
	// in the backward pass (less memory, about one more forward per step).
	GradientCheckpointing bool `json:"gradient_checkpointing,omitempty"`
	// AttentionBlock is the block size of blockwise attention in the
	// training graphs, 0 for the plain path (model.Model.AttentionBlock).
	AttentionBlock int `json:"attention_block,omitempty"`
	// FrozenParams and TrainableParams count base and LoRA parameters.
	FrozenParams    int64 `json:"frozen_params"`
	TrainableParams int64 `json:"trainable_params"`
}

// benchSeed fixes weights, adapters and data.
const benchSeed = 1234

// newModel builds the configuration's random model with LoRA adapters.
func newModel(c Config, backend compute.Backend) (*model.Model, error) {
	return newModelWith(c, backend, trainChoices{})
}

// trainChoices are how the model computes a training step.
type trainChoices struct {
	// gradCheckpoint turns per-layer gradient checkpointing on.
	gradCheckpoint bool
	// attentionBlock is model.SetAttentionBlock's argument (0: the
	// model's choice).
	attentionBlock int
	// stepBytes is the estimate's figure for a step's own memory
	// (train.Options.StepBytes), as a run would pass it.
	stepBytes int64
}

// newModelWith is newModel computing training steps as chosen.
func newModelWith(c Config, backend compute.Backend, ch trainChoices) (*model.Model, error) {
	storage, err := c.StorageDType()
	if err != nil {
		return nil, err
	}
	return newModelOpts(c, model.Options{Backend: backend, StorageDType: storage}, ch)
}

// newModelStored is newModel with its base weights kept in storage (the
// same values, rounded or quantized).
func newModelStored(c Config, backend compute.Backend, storage dtypes.DType) (*model.Model, error) {
	return newModelOpts(c, model.Options{Backend: backend, StorageDType: storage}, trainChoices{})
}

func newModelOpts(c Config, opts model.Options, ch trainChoices) (*model.Model, error) {
	mc, err := c.ModelConfig()
	if err != nil {
		return nil, err
	}
	m, err := model.NewRandom(mc, benchSeed, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// Alpha = rank gives the reference's adapter scale of 1.
	err = m.AddLoRA(model.LoRAConfig{Rank: c.Rank, Alpha: float64(c.Rank), TargetModules: model.AllLinear, Seed: benchSeed})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	m.SetGradientCheckpointing(ch.gradCheckpoint)
	m.SetAttentionBlock(ch.attentionBlock)
	return m, nil
}

// trainingBatches makes n full batches of random tokens, one sequence per
// row, with about 30% of the labels masked like the reference's mask.
func trainingBatches(c Config, n int) []train.Batch {
	rng := rand.New(rand.NewPCG(benchSeed, 7))
	out := make([]train.Batch, n)
	for i := range out {
		size := c.Batch * c.Seq
		b := train.Batch{Rows: c.Batch, Seq: c.Seq,
			Tokens: make([]int32, size), Labels: make([]int32, size),
			Positions: make([]int32, size), Segments: make([]int32, size)}
		for j := range size {
			tok := int32(rng.IntN(c.Vocab))
			b.Tokens[j] = tok
			b.Labels[j] = tok
			if rng.Float64() < 0.3 {
				b.Labels[j] = model.IgnoreIndex
			}
			b.Positions[j] = int32(j % c.Seq)
			b.Segments[j] = 1
		}
		out[i] = b
	}
	return out
}

// trainingOptions mirror the reference: AdamW, lr 2e-4, weight decay
// 0.01, no clipping, a constant schedule.
func trainingOptions(c Config, steps int) runconfig.Training {
	return runconfig.Training{
		LearningRate: 2e-4, Optimizer: "adamw", WeightDecay: 0.01,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, Scheduler: "constant",
		BatchSize: c.Batch, GradAccum: 1, MaxSteps: steps, MaxSeqLen: c.Seq,
	}
}

// measureTrain runs steps+1 optimiser steps through train.Run and times
// each; the first (compilation) is reported apart. It returns the trained
// model for the generation measurement. onStep, when non-nil,
// runs after every step (benchmarks reset their timer there).
func measureTrain(ctx context.Context, c Config, backend compute.Backend, steps int, ch trainChoices, onStep func(step int)) (TrainResult, *model.Model, error) {
	if steps < 1 {
		return TrainResult{}, nil, fmt.Errorf("bench: steps must be at least 1, got %d", steps)
	}
	res := TrainResult{GradientCheckpointing: ch.gradCheckpoint}
	began := time.Now()
	m, err := newModelWith(c, backend, ch)
	if err != nil {
		return res, nil, err
	}
	res.AttentionBlock = m.AttentionBlock(c.Seq)
	mc := m.Config()
	res.FrozenParams = mc.NumParams()
	for _, v := range m.TrainableVariables() {
		res.TrainableParams += int64(v.Shape().Size())
	}
	data, err := train.NewBatches(trainingBatches(c, 4), benchSeed, false)
	if err != nil {
		return res, nil, fmt.Errorf("bench: %w", err)
	}
	res.SetupS = time.Since(began).Seconds()

	var stepTimes []float64
	var steadyBegan time.Time
	var steadyCPU float64
	last := time.Now()
	opts := train.Options{
		Training:  trainingOptions(c, steps+1),
		Seed:      benchSeed,
		StepBytes: ch.stepBytes,
		AfterStep: func(step int) error {
			now := time.Now()
			stepTimes = append(stepTimes, now.Sub(last).Seconds())
			if onStep != nil {
				onStep(step)
			}
			last = time.Now()
			if step == 1 {
				steadyBegan, steadyCPU = last, processCPUSeconds()
			}
			return nil
		},
	}
	out, err := train.Run(ctx, backend, train.ModelTarget(m), data, nil, opts)
	if err != nil {
		return res, nil, fmt.Errorf("bench: training %s: %w", c.Name, err)
	}
	wall, cpu := time.Since(steadyBegan).Seconds(), processCPUSeconds()-steadyCPU
	res.PeakRSSMB = train.PeakRSSMB()
	res.LoadAverage = loadAverage()
	if wall > 0 {
		res.CPUUtilization = cpu / wall
		res.CPUMSPerStep = cpu / float64(steps) * 1000
	}
	res.Losses = out.Losses
	if len(stepTimes) != steps+1 {
		return res, nil, fmt.Errorf("bench: training %s ran %d steps, want %d", c.Name, len(stepTimes), steps+1)
	}
	res.FirstStepS = stepTimes[0]
	steady := slices.Clone(stepTimes[1:])
	slices.Sort(steady)
	med := median(steady)
	res.Steps = len(steady)
	res.MedianStepMS = med * 1000
	res.MinStepMS = steady[0] * 1000
	res.TokensPerS = float64(c.TokensPerStep()) / med
	return res, m, nil
}

// median of sorted values, taken at the same index as the reference
// (sorted(times)[n//2]).
func median(sorted []float64) float64 {
	return sorted[len(sorted)/2]
}
