package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/whetstone-ai/whetstone/backend/accel"
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
	GradientCheckpointing bool
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
	tr, m, err := measureTrain(ctx, c, backend, steps, opts.GradientCheckpointing, opts.OnStep)
	if err != nil {
		return res, err
	}
	res.Train = tr
	res.TokensPerS, res.PeakRSSMB = tr.TokensPerS, tr.PeakRSSMB

	if !opts.SkipGenerate {
		if res.Generate, err = measureGenerate(ctx, c, backend, m); err != nil {
			return res, err
		}
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
