// Package executor runs a queued training run: it is the run queue's
// executor (backend/runs), reading the run's runconfig.Config, loading
// model, tokenizer and data, training with backend/train and writing the
// final adapter. It is the one place that translates between the training
// loop's reports and stops (train.StepMetrics, train.Stopper,
// train.ErrPaused) and the run store's (runs.Metrics, runs.Stop,
// runs.ErrPaused), so the loop does not depend on the run queue.
package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/sysmem"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// Env is what executing a run needs from the application.
type Env struct {
	// Backend runs the graphs; nil uses the model package's default.
	Backend compute.Backend
	// Hub resolves hub ids of models and datasets; nil accepts local paths
	// only.
	Hub *hub.Client
	// CacheDir keeps tokenized datasets between runs; empty disables it.
	CacheDir string
	// ResolveModel turns a run's model (source and revision) into a
	// folder. The services set their own resolver here, so training loads
	// exactly what the New run form checked and chat and export load; nil
	// resolves a local folder or, through Hub, a hub id.
	ResolveModel func(ctx context.Context, source, revision string) (string, error)
	// AfterStep is passed to train.Options.AfterStep (tests, progress
	// output).
	AfterStep func(job *runs.Job, step int) error
	// Prep, when set, is told how the run's preparation goes before its
	// first step (rows read and tokenized of the total, batching, loading,
	// compiling): the services publish it for the New run and run pages,
	// which otherwise show nothing for the seconds or minutes it takes.
	Prep func(job *runs.Job, p Prep)
}

// New returns the runs.Executor that trains a queued run.
func New(env Env) runs.Executor {
	return func(ctx context.Context, job *runs.Job) error { return execute(ctx, env, job) }
}

func execute(ctx context.Context, env Env, job *runs.Job) error {
	cfg := job.Config
	p, err := plan(cfg)
	if err != nil {
		return err
	}
	job.Logf("preparing run %s: model %s, data %s", job.ID, p.Model.Source, p.Data.Path)

	modelDir, err := resolveModel(ctx, env, p.Model)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(modelDir)
	if err != nil {
		return fmt.Errorf("tokenizer of %s: %w", modelDir, err)
	}
	prep, err := prepareData(ctx, env, p.Data, modelDir, tok, job)
	if err != nil {
		return err
	}
	job.Logf("data: %d training and %d validation examples (%d rows read, %d tokens, %d trained on, %d truncated)",
		len(prep.Train), len(prep.Validation), prep.Report.Rows, prep.Report.Tokens, prep.Report.TrainableTokens, prep.Report.Truncated)
	if v := prep.Val; v != nil {
		job.Logf("validation: %d examples from %s (%d rows read, %d tokens, %d trained on, %d truncated); dataset.val_path is set, so no rows of %s are held out",
			len(prep.Validation), v.Path, v.Report.Rows, v.Report.Tokens, v.Report.TrainableTokens, v.Report.Truncated, p.Data.Path)
	}

	if err := checkMethodData(cfg, prep); err != nil {
		return err
	}

	// A batch larger than the data would repeat every example several
	// times in one micro-batch: memory and time grow with batch_size (a
	// typo'd 1000 on 95 examples took 16 GB and ten minutes a step) while
	// the gradient is the same as for the whole set once.
	if n := len(prep.Train); p.Batch.BatchSize > n {
		return fmt.Errorf("training.batch_size %d is larger than the %d training examples; lower it to %d or less (raise training.grad_accum for a larger effective batch)",
			p.Batch.BatchSize, n, n)
	}

	bopts := p.Batch
	bopts.PadID = int32(max(0, tok.Config().PadID))
	env.prep(job, Prep{Stage: PrepBatching, Total: len(prep.Train), Note: fmt.Sprintf("batching %d examples", len(prep.Train))})
	trainData, err := newEpochData(prep.Train, bopts, true)
	if err != nil {
		return fmt.Errorf("batch training data: %w", err)
	}
	var valData train.Data
	if n := len(prep.Validation); n > 0 {
		// Evaluation takes micro-batches of batch_size too, but a small
		// validation split is not an error: its batches shrink to fit
		// (a larger batch would repeat its examples).
		vopts := bopts
		if vopts.BatchSize > n {
			vopts.BatchSize = n
			job.Logf("validation: %d examples, fewer than training.batch_size %d: evaluating them in batches of %d", n, bopts.BatchSize, n)
		}
		vd, err := newEpochData(prep.Validation, vopts, false)
		if err != nil {
			return fmt.Errorf("batch validation data: %w", err)
		}
		valData = vd
	}

	env.prep(job, Prep{Stage: PrepLoading, Note: "loading the model from " + modelDir})
	m, err := model.Load(modelDir, model.Options{Backend: env.Backend, Quantization: p.Model.Quantization, StorageDType: p.Model.Storage})
	if err != nil {
		return err
	}
	if p.Model.Storage != dtypes.Float32 {
		job.Logf("storage: the frozen base weights are kept in %s, widened to float32 where used", p.Model.Storage)
	}
	if q := m.Quantization(); q != model.QuantNone {
		job.Logf("quantization: %s (the frozen projections take %.1f MB in memory, dequantized in the graph)", q, float64(m.ProjectionBytes())/(1<<20))
	}
	backend := env.Backend
	if backend == nil {
		backend = m.Backend()
	}
	mem, err := chooseMemory(cfg, m.Config(), backend.Name(), sysmem.Available())
	if err != nil {
		return fmt.Errorf("memory estimate: %w", err)
	}
	if mem.Auto {
		job.Logf("%s", mem.Note)
	}
	m.SetGradientCheckpointing(mem.Checkpointing)
	if err := m.AddLoRA(p.LoRA); err != nil {
		return err
	}
	mc := m.Config()
	if mc.MaxPositionEmbeddings > 0 && p.Data.Tokenize.MaxLen > mc.MaxPositionEmbeddings {
		return fmt.Errorf("training.max_seq_len %d is longer than the model's context (%d positions); lower it",
			p.Data.Tokenize.MaxLen, mc.MaxPositionEmbeddings)
	}
	job.Logf("model: %s, %d layers, hidden %d, vocab %d, %.1fM base parameters, %d adapter tensors (r=%d, alpha=%g)",
		mc.ModelType, mc.NumLayers, mc.HiddenSize, mc.VocabSize, float64(mc.NumParams())/1e6, len(m.TrainableVariables()), p.LoRA.Rank, p.LoRA.Alpha)
	if m.GradientCheckpointing() {
		job.Logf("gradient checkpointing: on (layer activations are recomputed in the backward pass)")
	}

	opts := p.Train
	opts.StepBytes = mem.StepBytes
	opts.CheckpointDir = job.Store.CheckpointsDir(job.ID)
	opts.Resume, opts.ResumeStep = job.Resume, job.ResumeStep
	opts.Report = func(m train.StepMetrics) error { return job.Report(runMetrics(m)) }
	opts.Stop = train.StopFunc(func() train.StopRequest { return stopRequest(job.StopRequested()) })
	opts.Checkpointed, opts.Logf = job.Checkpointed, job.Logf
	opts.Resumed = func(step int) error {
		// Steps after the checkpoint are replayed; drop their old lines.
		return job.Store.TruncateMetrics(job.ID, step)
	}
	tc := opts.Training
	job.Logf("training: %d steps of %d×%d sequences (effective batch %d), lr %g (%s, %d warmup steps), seed %d",
		train.TotalSteps(tc, trainData.Len()), p.Batch.BatchSize, tc.GradAccum,
		p.Batch.BatchSize*tc.GradAccum, tc.LearningRate, tc.Scheduler, tc.WarmupSteps, opts.Seed)
	if env.AfterStep != nil {
		opts.AfterStep = func(step int) error { return env.AfterStep(job, step) }
	}
	env.prep(job, Prep{Stage: PrepCompiling, Note: "compiling the training step"})
	target, err := objective(m, p)
	if err != nil {
		return err
	}
	job.Logf("method: %s", methodNote(p))
	res, err := train.Run(ctx, backend, target, trainData, valData, opts)
	if err != nil {
		return runError(err)
	}
	job.Logf("training finished at step %d/%d", res.Step, res.TotalSteps)
	adapterDir := job.Store.AdapterDir(job.ID)
	if err := train.SaveAdapter(adapterDir, m, cfg); err != nil {
		return err
	}
	job.Logf("adapter saved to %s", adapterDir)
	if p.Output != "" {
		// training.output names a folder outside the run: it is replaced
		// only if an earlier run wrote it (safefile.MarkerFile).
		if err := train.SaveAdapterOwned(p.Output, m, cfg); err != nil {
			return fmt.Errorf("copy the adapter to training.output (it stays in the run's folder %s): %w", adapterDir, err)
		}
		job.Logf("adapter copied to %s", p.Output)
	}
	return nil
}

func resolveModel(ctx context.Context, env Env, mp ModelPlan) (string, error) {
	if env.ResolveModel != nil {
		return env.ResolveModel(ctx, mp.Source, mp.Revision)
	}
	ref := mp.Source
	if info, err := os.Stat(ref); err == nil && info.IsDir() {
		return ref, nil
	}
	if env.Hub == nil {
		return "", fmt.Errorf("model %s: no such folder (hub downloads are not available here)", ref)
	}
	if mp.Revision != "" && !strings.Contains(ref, "@") {
		ref += "@" + mp.Revision
	}
	return env.Hub.ResolveModel(ctx, ref)
}

// datasetFiles resolves a dataset path: a local file or folder is read
// directly (nil files: the folder's files of the chosen split, as the hub
// lays them out); anything else is a hub id, resolved to files in the
// local hub cache (downloaded when needed).
func datasetFiles(ctx context.Context, env Env, field, path string) ([]string, error) {
	_, err := os.Stat(path)
	if err == nil {
		return nil, nil
	}
	if env.Hub == nil {
		return nil, fmt.Errorf("%s %s: %w", field, path, err)
	}
	return env.Hub.ResolveDataset(ctx, path)
}

// validationSplit picks the split a validation folder or hub dataset is
// read from: its validation split, else its test split, else the one the
// training data uses (fallback). A single file has no splits.
func validationSplit(ctx context.Context, path string, files []string, fallback string) string {
	if files == nil {
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			return fallback
		}
	}
	for _, split := range []string{"validation", "test"} {
		var err error
		if files != nil {
			_, err = dataset.SplitFiles("", files, split)
		} else {
			_, err = dataset.DataFiles(ctx, path, split)
		}
		if err == nil {
			return split
		}
	}
	return fallback
}

func prepareData(ctx context.Context, env Env, d DataPlan, modelDir string, tok *tokenizer.Tokenizer, job *runs.Job) (*batch.Prepared, error) {
	dsOpts := d.Dataset
	files, err := datasetFiles(ctx, env, "dataset", d.Path)
	if err != nil {
		return nil, err
	}
	dsOpts.Files = files
	if env.Prep != nil {
		// A total for the progress bar: reading the rows costs a small
		// part of tokenizing them. A failure here is tokenizing's to
		// report, with its row; the bar then has no total.
		env.prep(job, Prep{Stage: PrepReading, Note: "counting rows"})
		total, _, _ := countConversations(ctx, d.Path, dsOpts, 0)
		d.Tokenize.ProgressEvery = prepEvery
		d.Tokenize.Progress = func(rows int) {
			env.prep(job, Prep{Stage: PrepTokenizing, Done: rows, Total: total, Note: tokenizedNote(rows, total)})
		}
		env.prep(job, Prep{Stage: PrepTokenizing, Total: total, Note: tokenizedNote(0, total)})
	}
	var tmplSrc, tokHash string
	if env.CacheDir != "" {
		// The cache key must change when the tokenizer does.
		tmplSrc = tok.Config().ChatTemplate
		tokHash, err = batch.HashFiles(filepath.Join(modelDir, "tokenizer.json"))
		if err != nil {
			return nil, fmt.Errorf("fingerprint tokenizer: %w", err)
		}
	}
	bc := batch.Config{
		Path: d.Path, Dataset: dsOpts, Mode: d.Mode,
		TokenizerHash: tokHash, TemplateSource: tmplSrc, CacheDir: env.CacheDir,
		Tokenize: d.Tokenize, Split: d.Split,
	}
	if err := bc.UseTokenizer(tok); err != nil {
		return nil, err
	}
	if d.ValPath != "" {
		vopts := d.Dataset
		if vopts.Files, err = datasetFiles(ctx, env, "dataset.val_path", d.ValPath); err != nil {
			return nil, err
		}
		vopts.Split = validationSplit(ctx, d.ValPath, vopts.Files, d.Dataset.Split)
		bc.ValPath, bc.ValDataset = d.ValPath, vopts
	}
	prep, err := batch.Prepare(ctx, bc)
	if err != nil {
		return nil, err
	}
	if d.MaxExamples > 0 && len(prep.Train) > d.MaxExamples {
		prep.Train = prep.Train[:d.MaxExamples]
	}
	if prep.SkippedRows > 0 {
		job.Logf("skipped %d unreadable rows; first problems: %s", prep.SkippedRows, strings.Join(first(prep.RowProblems, 3), "; "))
	}
	if v := prep.Val; v != nil && v.SkippedRows > 0 {
		job.Logf("skipped %d unreadable rows of the validation set; first problems: %s", v.SkippedRows, strings.Join(first(v.RowProblems, 3), "; "))
	}
	return prep, nil
}

func tokenizedNote(rows, total int) string {
	if total > 0 {
		return fmt.Sprintf("tokenized %d of %d rows", rows, total)
	}
	return fmt.Sprintf("tokenized %d rows", rows)
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// epochData adapts batch.Epoch to train.Data: it plans an epoch when first
// asked and assembles each micro-batch on demand, so memory holds the
// epoch's plan, not every batch's arrays. Packing can give epochs a
// different number of batches; Len is the first epoch's count and other
// epochs are cut or wrapped to it, so the data position stays a plain
// micro-batch counter.
type epochData struct {
	examples []batch.Example
	opts     batch.BatchOptions
	shuffle  bool
	n        int

	mu    sync.Mutex
	epoch int
	cur   *batch.Epoch
}

func newEpochData(examples []batch.Example, o batch.BatchOptions, shuffle bool) (*epochData, error) {
	d := &epochData{examples: examples, opts: o, shuffle: shuffle, epoch: -1}
	ep, err := d.load(0)
	if err != nil {
		return nil, err
	}
	d.n = ep.Len()
	return d, nil
}

func (d *epochData) load(epoch int) (*batch.Epoch, error) {
	if !d.shuffle {
		epoch = 0
	}
	if epoch == d.epoch {
		return d.cur, nil
	}
	ep, err := batch.NewEpoch(d.examples, d.opts, epoch)
	if err != nil {
		return nil, err
	}
	if ep.Len() == 0 {
		return nil, fmt.Errorf("epoch %d has no batches", epoch)
	}
	d.epoch, d.cur = epoch, ep
	return ep, nil
}

// Len implements train.Data.
func (d *epochData) Len() int { return d.n }

// Batch implements train.Data.
func (d *epochData) Batch(epoch, i int) (train.Batch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, err := d.load(epoch)
	if err != nil {
		return train.Batch{}, err
	}
	b := ep.Batch(i % ep.Len())
	return train.Batch{Rows: b.Size, Seq: b.Len, Tokens: b.Tokens, Labels: b.Labels, Positions: b.Positions, Segments: b.Segments}, nil
}

// runMetrics is a step's metrics as the run store records them.
func runMetrics(m train.StepMetrics) runs.Metrics {
	return runs.Metrics{
		Step: m.Step, TotalSteps: m.TotalSteps, Epoch: m.Epoch,
		Loss: m.Loss, ValLoss: m.ValLoss, LR: m.LR, GradNorm: m.GradNorm,
		TokensPerS: m.TokensPerS, ElapsedS: m.ElapsedS, EtaS: m.EtaS,
		RSSMB: m.RSSMB, DeviceMemMB: m.DeviceMemMB, Extra: m.Extra,
	}
}

// stopRequest is the queue's stop request as the training loop reads it.
func stopRequest(s runs.Stop) train.StopRequest {
	switch s {
	case runs.PauseRequested:
		return train.Pause
	case runs.CancelRequested:
		return train.Cancel
	}
	return train.Continue
}

// runError is the loop's error as the queue reads it: a requested pause or
// cancellation becomes runs.ErrPaused or runs.ErrCancelled.
func runError(err error) error {
	switch {
	case errors.Is(err, train.ErrPaused):
		return runs.ErrPaused
	case errors.Is(err, train.ErrCancelled):
		return runs.ErrCancelled
	}
	return err
}
