package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/whetstone-ai/whetstone/backend/accel"
	"github.com/whetstone-ai/whetstone/backend/estimate"
)

// Options control Run.
type Options struct {
	// Backend is passed to accel ("" = pure Go unless GOMLX_BACKEND says
	// otherwise).
	Backend string
	// Steps is the number of timed training steps after the first
	// (default DefaultSteps).
	Steps int
	// TokenizerDir is the tokenizer folder to measure; empty looks for the
	// reference Gemma 3 tokenizer (FindTokenizer).
	TokenizerDir string
	// Skip* leave a section out.
	SkipGenerate, SkipTokenizer, SkipDataset bool
	// GradientCheckpointing recomputes decoder layers in the backward pass.
	// When false, Run turns it on only where the memory estimate without
	// it exceeds the available memory, as a run with the default preset
	// would (EstimateResult.Checkpointing says which).
	GradientCheckpointing bool
	// AttentionBlock is model.SetAttentionBlock's argument: 0 lets the
	// model choose (model.AutoAttentionBlock: blockwise attention for
	// rows of 256 tokens or more), n > 0 forces blockwise attention in
	// blocks of n tokens, n < 0 the plain path.
	AttentionBlock int
	// IgnoreMemory runs even when the estimate exceeds the available
	// memory (by default Run refuses: on a shared machine an out-of-memory
	// kill may take other processes with it).
	IgnoreMemory bool
	// GEMMSize is the roofline GEMM's n (default DefaultGEMMSize).
	GEMMSize int
	// FreshProcess tells Run that nothing else ran in this process before,
	// so the peak RSS covers this configuration alone.
	FreshProcess bool
	// OnStep runs after every training step (1 is the compiling step).
	OnStep func(step int)
}

// DefaultSteps is the number of timed steps when Options.Steps is 0; the
// PyTorch reference times 11 (12 steps less the first).
const DefaultSteps = 10

// Run benchmarks one configuration: training first (so the peak memory is
// training's), then generation, tokenizer and dataset reading.
func Run(ctx context.Context, c Config, opts Options) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bench: %s: %v", c.Name, r)
		}
	}()
	steps := opts.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	backend, info, err := accel.Open(accel.Options{Backend: opts.Backend})
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	res = Result{
		Schema: Schema, Time: time.Now().UTC(), Revision: revision(),
		Machine: DescribeMachine(info.String()), Config: c, PeakRSSScope: "shared process",
	}
	if opts.FreshProcess {
		res.PeakRSSScope = "fresh process"
	}
	mc, err := c.ModelConfig()
	if err != nil {
		return res, err
	}
	avail := float64(memAvailableMB())
	ckpt, est, why, err := chooseCheckpointing(c, mc, opts.GradientCheckpointing, avail)
	if err != nil {
		return res, fmt.Errorf("bench: memory estimate of %s: %w", c.Name, err)
	}
	if err := exceeds(c, est, ckpt, avail); err != nil && !opts.IgnoreMemory {
		return res, err
	}
	res.Estimate = &EstimateResult{Breakdown: est, EstimateMB: mib(est.Total), AvailableMB: avail, Checkpointing: why}

	// The roofline is measured in this process, on the same backend,
	// before training and again after it.
	gemmN := opts.GEMMSize
	if gemmN == 0 {
		gemmN = DefaultGEMMSize
	}
	gflops, err := measureGEMM(backend, gemmN)
	if err != nil {
		return res, err
	}
	if !resetPeakRSS() {
		res.Notes = append(res.Notes, "peak RSS includes the roofline GEMM's matrices (this kernel cannot reset VmHWM)")
	}

	tr, m, err := measureTrain(ctx, c, backend, steps, trainChoices{gradCheckpoint: ckpt, attentionBlock: opts.AttentionBlock, stepBytes: est.StepBytes()}, opts.OnStep)
	if err != nil {
		return res, err
	}
	res.Train = tr
	res.TokensPerS, res.PeakRSSMB = tr.TokensPerS, tr.PeakRSSMB
	res.Estimate.PeakRSSMB = tr.PeakRSSMB
	if tr.PeakRSSMB > 0 {
		res.Estimate.Ratio = res.Estimate.EstimateMB / tr.PeakRSSMB
	}
	flops := CountStepFLOPs(c, mc, tr.GradientCheckpointing)
	after, err := measureGEMM(backend, gemmN)
	if err != nil {
		return res, err
	}
	gflops = max(gflops, after)
	res.Roofline = &RooflineResult{GEMMSize: gemmN, GEMMGFLOPS: gflops, GEMMRuns: 2 * gemmRuns, StepFLOPs: flops}
	if tr.MedianStepMS > 0 {
		res.Roofline.StepGFLOPS = flops.Total / (tr.MedianStepMS / 1000) / 1e9
	}
	if gflops > 0 && tr.MedianStepMS > 0 {
		res.Roofline.Fraction = res.Roofline.StepGFLOPS / gflops
		res.Roofline.ExecutedFraction = (flops.Total + flops.Recomputed) / (tr.MedianStepMS / 1000) / 1e9 / gflops
	}

	if opts.SkipGenerate {
		m.Close()
	} else if res.Generate, err = measureGenerate(ctx, c, backend, m); err != nil {
		return res, err
	}
	if !opts.SkipTokenizer {
		dir := opts.TokenizerDir
		if dir == "" {
			dir = FindTokenizer()
		}
		if dir == "" {
			res.Notes = append(res.Notes, "tokenizer skipped: no tokenizer folder given and no reference tokenizer found (pass --tokenizer DIR)")
		} else if res.Tokenizer, err = measureTokenizer(dir); err != nil {
			return res, err
		}
	}
	if !opts.SkipDataset {
		if res.Dataset, err = measureDataset(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ErrExceedsMemory is returned (wrapped) when a configuration's memory
// estimate, with gradient checkpointing where it is needed, exceeds the
// memory available: Run refuses it rather than risk an out-of-memory
// kill on a shared machine (Options.IgnoreMemory overrides).
var ErrExceedsMemory = errors.New("the memory estimate exceeds the available memory")

// CheckMemory is Run's memory check, for a caller that wants to skip such
// a configuration before starting it: nil, or an error wrapping
// ErrExceedsMemory with the figures.
func CheckMemory(c Config, forceCheckpointing bool) error {
	mc, err := c.ModelConfig()
	if err != nil {
		return err
	}
	avail := float64(memAvailableMB())
	ckpt, est, _, err := chooseCheckpointing(c, mc, forceCheckpointing, avail)
	if err != nil {
		return fmt.Errorf("bench: memory estimate of %s: %w", c.Name, err)
	}
	return exceeds(c, est, ckpt, avail)
}

func exceeds(c Config, est estimate.Breakdown, ckpt bool, availMB float64) error {
	if availMB <= 0 || mib(est.Total) <= availMB {
		return nil
	}
	return fmt.Errorf("bench: %s: %w: %.0f MiB (gradient checkpointing %v) against %.0f MiB available; not running it (--ignore-memory runs it anyway)",
		c.Name, ErrExceedsMemory, mib(est.Total), ckpt, availMB)
}
