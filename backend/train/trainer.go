package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Options configure one execution of the training loop.
type Options struct {
	Training runconfig.Training
	Seed     int64

	// CheckpointDir receives checkpoints/<step>/ directories; empty
	// disables checkpoints (and resuming).
	CheckpointDir   string
	CheckpointEvery int
	CheckpointKeep  int
	// Resume continues from the checkpoint at ResumeStep, or the newest
	// valid one when ResumeStep is 0. A checkpoint that fails verification
	// is reported through Logf and the one before it is used.
	Resume     bool
	ResumeStep int
	// Resumed is told the step the run continues from, before any step
	// runs (the run store truncates its metrics there).
	Resumed func(step int) error

	// Report receives the metrics of every optimiser step.
	Report Report
	// Checkpointed is told the step of each checkpoint written.
	Checkpointed func(step int) error
	// Logf receives human-readable progress lines.
	Logf func(format string, args ...any)
	// Stop is polled between optimiser steps; nil never stops.
	Stop Stopper
	// AfterStep runs after each step's metrics (and checkpoint); an error
	// aborts the run as a crash would. For tests and the CLI's progress bar.
	AfterStep func(step int) error
	// StepBytes is what a training step allocates beyond the variables
	// (the memory estimate's activations and loss chunk): it paces the
	// garbage collector (gc.go). 0 leaves Go's target at 25 %.
	StepBytes int64
	// DeviceMemoryMB reports accelerator memory in use, when known.
	DeviceMemoryMB func() (float64, bool)
}

// Result summarises an execution.
type Result struct {
	// StartStep is the step the execution resumed from (0 for a fresh run).
	StartStep  int
	Step       int
	TotalSteps int
	// Losses holds the training loss of each step run by this execution,
	// Losses[i] being step StartStep+1+i.
	Losses  []float64
	ValLoss *float64
	// ValLosses maps a step to the validation loss measured after it.
	ValLosses map[int]float64
}

// ErrNonFinite marks a run stopped because the loss or gradients became
// NaN or infinite.
var ErrNonFinite = errors.New("non-finite loss or gradient")

// TotalSteps is the number of optimiser steps the run will make: the
// count the New run form shows before Start (runconfig's).
func TotalSteps(t runconfig.Training, microBatchesPerEpoch int) int {
	return t.TotalSteps(microBatchesPerEpoch)
}

// Run trains target on data, returning when the planned steps are done,
// ctx ends, a stop is requested (ErrPaused / ErrCancelled), or
// something fails. GoMLX panics are returned as errors.
func Run(ctx context.Context, backend compute.Backend, target Target, data, val Data, opts Options) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training: %v", r)
		}
	}()
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	defer collectEagerly(target.storedBytes(), opts.StepBytes)()
	if err := target.check(); err != nil {
		return res, err
	}
	if data == nil || data.Len() == 0 {
		return res, errors.New("training data has no batches")
	}
	tc := opts.Training
	accum := max(1, tc.GradAccum)
	total := TotalSteps(tc, data.Len())
	res.TotalSteps = total
	res.ValLosses = map[int]float64{}

	state, err := newOptimState(&target)
	if err != nil {
		return res, err
	}
	if err := target.Store.SetRNGStateFromSeed(opts.Seed); err != nil {
		return res, fmt.Errorf("seed RNG: %w", err)
	}

	start := CheckpointState{Seed: opts.Seed}
	if opts.Resume {
		st, from, err := resumeFrom(opts, &target, state)
		if err != nil {
			return res, err
		}
		start = st
		opts.Logf("resumed from checkpoint %s (step %d)", from, st.Step)
		if opts.Resumed != nil {
			if err := opts.Resumed(st.Step); err != nil {
				return res, err
			}
		}
	}
	res.StartStep, res.Step = start.Step, start.Step
	if start.Step >= total {
		return res, nil
	}

	accExec, err := gmodel.NewExec(backend, target.Store, accumulateGraph(&target, state))
	if err != nil {
		return res, fmt.Errorf("build training graph: %w", err)
	}
	defer accExec.Finalize()
	applyExec, err := gmodel.NewExec3(backend, target.Store, applyGraph(&target, state))
	if err != nil {
		return res, fmt.Errorf("build optimiser graph: %w", err)
	}
	defer applyExec.Finalize()
	var evalExec *gmodel.Exec
	if val != nil && val.Len() > 0 {
		if evalExec, err = gmodel.NewExec(backend, target.Store, evalGraph(&target, state)); err != nil {
			return res, fmt.Errorf("build evaluation graph: %w", err)
		}
		defer evalExec.Finalize()
	}

	micro := start.MicroBatches
	began := time.Now()
	tokensDone := 0
	prevElapsed := start.ElapsedS
	checkpoint := func(step int, loss float64) error {
		if opts.CheckpointDir == "" {
			return nil
		}
		st := CheckpointState{
			Version: 1, Step: step, MicroBatches: micro,
			Epoch: micro / data.Len(), Index: micro % data.Len(),
			TotalSteps: total, ElapsedS: prevElapsed + time.Since(began).Seconds(),
			Seed: opts.Seed, Loss: loss,
		}
		if err := saveCheckpoint(opts.CheckpointDir, &target, state, st); err != nil {
			return fmt.Errorf("checkpoint at step %d: %w", step, err)
		}
		if err := pruneCheckpoints(opts.CheckpointDir, opts.CheckpointKeep); err != nil {
			return err
		}
		opts.Logf("checkpoint saved at step %d", step)
		if opts.Checkpointed != nil {
			return opts.Checkpointed(step)
		}
		return nil
	}

	lastLoss := start.Loss
	for step := start.Step + 1; step <= total; step++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if opts.Stop != nil {
			switch opts.Stop.StopRequested() {
			case Pause:
				if err := checkpoint(step-1, lastLoss); err != nil {
					return res, err
				}
				return res, ErrPaused
			case Cancel:
				return res, ErrCancelled
			}
		}
		var extra metricSums
		for k := 0; k < accum; k++ {
			b, err := data.Batch(micro/data.Len(), micro%data.Len())
			if err != nil {
				return res, fmt.Errorf("step %d: %w", step, err)
			}
			out, err := accExec.Call(batchTensors(b)...)
			if err != nil {
				return res, fmt.Errorf("step %d: forward/backward: %w", step, err)
			}
			extra.add(state.metrics, out)
			tokensDone += b.RealTokens()
			micro++
		}
		h := adamHyper(tc, step, total)
		lossT, normT, countT, err := applyExec.Call(h.tensor())
		if err != nil {
			return res, fmt.Errorf("step %d: optimiser update: %w", step, err)
		}
		loss := float64(tensors.ToScalar[float32](lossT))
		norm := float64(tensors.ToScalar[float32](normT))
		count := tensors.ToScalar[float32](countT)
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
			return res, fmt.Errorf("%w at step %d: loss %v, gradient norm %v; the update was not applied. "+
				"Try a lower learning rate (now %g), gradient clipping (max_grad_norm), or check the data for empty or extremely long examples",
				ErrNonFinite, step, loss, norm, tc.LearningRate)
		}
		if count == 0 {
			opts.Logf("step %d: nothing in the step had a trained token (all masked); check the response-only masking and the chat template", step)
		}
		lastLoss = loss
		res.Step = step
		res.Losses = append(res.Losses, loss)

		var valLoss *float64
		if evalExec != nil && ((tc.EvalEvery > 0 && step%tc.EvalEvery == 0) || step == total) {
			v, err := evaluate(evalExec, val, tc.EvalBatches, target.Weights)
			if err != nil {
				return res, fmt.Errorf("step %d: validation: %w", step, err)
			}
			valLoss = &v
			res.ValLoss = &v
			res.ValLosses[step] = v
		}

		elapsedRun := time.Since(began).Seconds()
		done := step - start.Step
		rss, _ := processMemoryMB()
		m := StepMetrics{
			Step: step, Epoch: float64(micro) / float64(data.Len()),
			Loss: loss, ValLoss: valLoss, LR: float64(h.LR), GradNorm: norm,
			TokensPerS: float64(tokensDone) / math.Max(elapsedRun, 1e-9),
			ElapsedS:   prevElapsed + elapsedRun,
			EtaS:       elapsedRun / float64(done) * float64(total-step),
			RSSMB:      rss, TotalSteps: total,
			Extra: extra.means(),
		}
		if opts.DeviceMemoryMB != nil {
			if mb, ok := opts.DeviceMemoryMB(); ok {
				m.DeviceMemMB = &mb
			}
		}
		if opts.Report != nil {
			if err := opts.Report(m); err != nil {
				return res, fmt.Errorf("record metrics: %w", err)
			}
		}
		if opts.CheckpointEvery > 0 && step%opts.CheckpointEvery == 0 && step < total {
			if err := checkpoint(step, loss); err != nil {
				return res, err
			}
		}
		if opts.AfterStep != nil {
			if err := opts.AfterStep(step); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// adamHyper computes the per-step scalars of the AdamW update.
func adamHyper(tc runconfig.Training, step, total int) hyper {
	lr := LearningRate(tc.Scheduler, tc.LearningRate, step, tc.WarmupSteps, total)
	bc1 := 1 - math.Pow(tc.Beta1, float64(step))
	bc2 := 1 - math.Pow(tc.Beta2, float64(step))
	return hyper{
		LR: float32(lr), StepSize: float32(lr / bc1), SqrtBC2: float32(math.Sqrt(bc2)),
		WeightDecay: float32(tc.WeightDecay), Beta1: float32(tc.Beta1), Beta2: float32(tc.Beta2),
		Epsilon: float32(tc.Epsilon), MaxNorm: float32(tc.MaxGradNorm),
	}
}

func batchTensors(b Batch) []any {
	mk := func(v []int32) any { return tensors.FromFlatDataAndDimensions(v, b.Rows, b.Seq) }
	return []any{mk(b.Tokens), mk(b.Labels), mk(b.Positions), mk(b.Segments)}
}

// evaluate returns the validation loss over (up to limit) batches: each
// term's sums over its counts, weighted, as the training loss is.
func evaluate(exec *gmodel.Exec, val Data, limit int, weights []float64) (float64, error) {
	n := val.Len()
	if limit > 0 && limit < n {
		n = limit
	}
	if len(weights) == 0 {
		weights = []float64{1}
	}
	sums := make([]float64, len(weights))
	counts := make([]float64, len(weights))
	for i := 0; i < n; i++ {
		b, err := val.Batch(0, i)
		if err != nil {
			return 0, err
		}
		out, err := exec.Call(batchTensors(b)...)
		if err != nil {
			return 0, err
		}
		for k := range weights {
			sums[k] += float64(tensors.ToScalar[float32](out[k]))
			counts[k] += float64(tensors.ToScalar[float32](out[len(weights)+k]))
		}
	}
	if counts[0] == 0 {
		return 0, errors.New("validation set has no labelled tokens")
	}
	loss := 0.0
	for k, w := range weights {
		loss += w * sums[k] / max(counts[k], 1)
	}
	return loss, nil
}

// metricSums adds up a step's metrics over its micro-batches.
type metricSums struct {
	names       []string
	sums, count []float64
}

// add takes one micro-batch's outputs: every metric's sum, then every
// metric's count, in the order of names.
func (m *metricSums) add(names []string, out []*tensors.Tensor) {
	if len(names) == 0 || len(out) < 2*len(names) {
		return
	}
	if m.names == nil {
		m.names = names
		m.sums = make([]float64, len(names))
		m.count = make([]float64, len(names))
	}
	for i := range names {
		m.sums[i] += float64(tensors.ToScalar[float32](out[i]))
		m.count[i] += float64(tensors.ToScalar[float32](out[len(names)+i]))
	}
}

// means is each metric's sum over its count; nil without metrics, and a
// metric with no count (no valid pair in the step) is left out.
func (m *metricSums) means() map[string]float64 {
	if len(m.names) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m.names))
	for i, name := range m.names {
		if m.count[i] > 0 {
			out[name] = m.sums[i] / m.count[i]
		}
	}
	return out
}

// resumeFrom loads the requested (or newest) valid checkpoint, falling
// back to older ones when verification fails.
func resumeFrom(opts Options, t *Target, s *optimState) (CheckpointState, string, error) {
	if opts.CheckpointDir == "" {
		return CheckpointState{}, "", errors.New("resume needs a checkpoint directory")
	}
	steps, err := Checkpoints(opts.CheckpointDir)
	if err != nil {
		return CheckpointState{}, "", err
	}
	if opts.ResumeStep > 0 {
		found := false
		for i, st := range steps {
			if st == opts.ResumeStep {
				steps, found = steps[i:], true
				break
			}
		}
		if !found {
			return CheckpointState{}, "", fmt.Errorf("no checkpoint at step %d in %s (have %v)", opts.ResumeStep, opts.CheckpointDir, steps)
		}
	}
	for _, st := range steps {
		path := filepath.Join(opts.CheckpointDir, strconv.Itoa(st))
		if err := VerifyCheckpoint(path); err != nil {
			opts.Logf("skipping checkpoint %d: %v", st, err)
			continue
		}
		cs, err := loadCheckpoint(path, t, s)
		if err != nil {
			opts.Logf("skipping checkpoint %d: %v", st, err)
			continue
		}
		return cs, path, nil
	}
	if len(steps) == 0 {
		// Nothing saved yet: the run restarts from the beginning, which is
		// exactly what continuing means before the first checkpoint.
		opts.Logf("no checkpoint found in %s; starting from step 0", opts.CheckpointDir)
		return CheckpointState{Seed: opts.Seed}, "(none)", nil
	}
	return CheckpointState{}, "", fmt.Errorf("no valid checkpoint in %s: all of %v failed verification", opts.CheckpointDir, steps)
}
