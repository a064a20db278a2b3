package service

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// Runs starts, watches and manages training runs. Runs execute one at a
// time, in order, on the queue; progress arrives as "run.metrics",
// "run.state" and "run.log" events. Every method that takes a run takes a
// reference to it: its id, the start of its id or its name, when only one
// run has it (see runID).
type Runs struct {
	deps Deps
	b    *runBackend
}

// runBackend is the run store and the queue that executes runs, shared by
// the Scoped copies of Runs. The app opens it in New, restoring the runs an
// earlier process left queued; a terminal command (Deps.OwnRunsOnly) opens
// it at first use and restores nothing.
type runBackend struct {
	deps Deps

	mu     sync.Mutex
	store  *runs.Store
	queue  *runs.Queue
	closed bool
	// prep is the runs' latest preparation reports (Runs.Prep).
	prep prepBoard
}

func newRuns(deps Deps) (*Runs, error) {
	r := &Runs{deps: deps, b: &runBackend{deps: deps}}
	if !deps.OwnRunsOnly {
		if _, _, err := r.b.get(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// get returns the store and the queue, opening them on the first call.
func (b *runBackend) get() (*runs.Store, *runs.Queue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.store != nil {
		return b.store, b.queue, nil
	}
	deps := b.deps
	store, err := runs.Open(deps.Workspace.RunsDir())
	if err != nil {
		return nil, nil, err
	}
	client, err := deps.hubClient()
	if err != nil {
		return nil, nil, err
	}
	env := executor.Env{Hub: client, CacheDir: deps.Workspace.CacheDir(),
		// Training resolves its model with the services' own resolver, as
		// chat and export of the run do.
		ResolveModel: func(ctx context.Context, source, revision string) (string, error) {
			d := deps
			d.call = ctx
			return d.modelDir(modelRefOf(runconfig.Model{Source: source, Revision: revision}), false)
		},
		Prep: b.prep.reporter(deps.Events),
	}
	exec := func(ctx context.Context, job *runs.Job) error {
		c, err := deps.compute.open()
		if err != nil {
			return err
		}
		e := env
		e.Backend = c.backend
		return executor.New(e)(ctx, job)
	}
	var opts []runs.QueueOption
	if deps.OwnRunsOnly {
		opts = append(opts, runs.WithoutRestore())
	}
	q, err := runs.NewQueue(store, exec, deps.Events, opts...)
	if err != nil {
		return nil, nil, err
	}
	// A signal cancels deps.Context at once; the run must instead stop at
	// a step boundary with a checkpoint, which Services.Close asks for.
	// Once the services are closed the queue takes no work: the store
	// still answers.
	if !b.closed {
		q.Start(context.WithoutCancel(deps.Context))
	}
	b.store, b.queue = store, q
	return store, q, nil
}

// shut marks the services closed and returns the store and the queue to
// stop (nil when they were never opened).
func (b *runBackend) shut() (*runs.Store, *runs.Queue) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.store, b.queue
}

// PresetInfo is one entry of the New run form's preset picker.
type PresetInfo struct {
	Family string           `json:"family"`
	Title  string           `json:"title"`
	Config runconfig.Config `json:"config"`
	// Owns lists the config paths the preset sets when chosen; the form
	// keeps the user's other fields, and asks before replacing edits of
	// these.
	Owns []string `json:"owns"`
}

// Presets lists the per-family defaults (Unsloth's Gemma 3 notebook first).
func (s *Runs) Presets() (out []PresetInfo, err error) {
	defer guard(s.deps.Log, "Runs.Presets", &err)
	for _, p := range runconfig.Presets() {
		out = append(out, PresetInfo{Family: p.Family, Title: p.Title, Config: p.Config, Owns: p.Owns})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Family < out[j].Family })
	return out, nil
}

// Defaults returns a family's default configuration ("" for Gemma 3).
func (s *Runs) Defaults(family string) (out runconfig.Config, err error) {
	defer guard(s.deps.Log, "Runs.Defaults", &err)
	if family == "" {
		return runconfig.Default(), nil
	}
	return runconfig.ForFamily(family)
}

// Validate lists every problem with cfg, each naming its field, for the
// form: the config's own values (bounds, choices) and what it names on
// local disk (a missing or incomplete model folder, a missing data file, an
// output folder that must not be replaced). Start refuses the same list.
func (s *Runs) Validate(cfg runconfig.Config) (out []runconfig.FieldError, err error) {
	defer guard(s.deps.Log, "Runs.Validate", &err)
	_, _, c := s.deps.check(cfg)
	return c.Errors, nil
}

// Check is what the New run form shows as the user edits, all at once:
// every error that refuses Start (Validate's list), the warnings that
// allow it (a run far longer than its data, warmup past the last step, a
// run that does not fit this machine's memory), the run's steps (an
// epochs-only run's computed from its data) and the fit check with its
// suggestion. `whetstone train` prints the same.
func (s *Runs) Check(cfg runconfig.Config) (out RunCheck, err error) {
	defer guard(s.deps.Log, "Runs.Check", &err)
	_, _, out = s.deps.check(cfg)
	return out, nil
}

// RenderedConfig is the form shown as a YAML file and as a CLI command.
type RenderedConfig struct {
	YAML string `json:"yaml"`
	CLI  string `json:"cli"`
}

// Render shows cfg as the YAML `whetstone train --config` reads and as the
// equivalent command line.
func (s *Runs) Render(cfg runconfig.Config) (out RenderedConfig, err error) {
	defer guard(s.deps.Log, "Runs.Render", &err)
	y, err := cfg.YAML()
	if err != nil {
		return out, err
	}
	cli, err := cfg.CommandLine()
	if err != nil {
		return out, err
	}
	return RenderedConfig{YAML: string(y), CLI: cli}, nil
}

// Start checks cfg as Check does and queues a new run; a config with
// errors is refused with all of them (a *ConfigError) and no run is made.
// Warnings do not stop it.
func (s *Runs) Start(cfg runconfig.Config) (out runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.Start", &err)
	cfg, problems, _ := s.deps.check(cfg)
	if problems != nil {
		return out, problems
	}
	_, queue, err := s.b.get()
	if err != nil {
		return out, err
	}
	if out, err = queue.Submit(cfg); err == nil {
		s.deps.rememberModel(cfg.Model.Source)
		s.deps.rememberDataset(cfg.Dataset.Path)
	}
	return out, err
}

// List returns every run, newest first.
func (s *Runs) List() (out []runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.List", &err)
	store, _, err := s.b.get()
	if err != nil {
		return nil, err
	}
	out, err = store.List()
	if out == nil {
		out = []runs.Record{}
	}
	return out, err
}

// RunDetail is one run with its configuration.
type RunDetail struct {
	Record runs.Record      `json:"record"`
	Config runconfig.Config `json:"config"`
	// HasAdapter is true once the final adapter is saved (chat and export).
	HasAdapter bool `json:"has_adapter"`
	// Checkpoints are the steps with a saved checkpoint, newest first: a
	// resume continues from the first; with none it restarts from step 0,
	// which the UI says before resuming.
	Checkpoints []int `json:"checkpoints"`
	// ConfigError says why config.yaml cannot be read, for a damaged run
	// (Config is then empty).
	ConfigError string `json:"config_error,omitempty"`
	// Paths are where the run's files are.
	Paths RunPaths `json:"paths"`
}

// RunPaths are where a run keeps its files, to open in a file manager or
// name in a terminal.
type RunPaths struct {
	Folder string `json:"folder"`
	// Config is config.yaml, what `whetstone train --config` reads.
	Config string `json:"config"`
	// Adapter is the final adapter's folder (PEFT), written when the run
	// completes.
	Adapter string `json:"adapter"`
	Log     string `json:"log"`
}

// Get returns one run.
func (s *Runs) Get(ref string) (out RunDetail, err error) {
	defer guard(s.deps.Log, "Runs.Get", &err)
	store, id, err := s.find(ref)
	if err != nil {
		return out, err
	}
	rec, err := store.Get(id)
	if err != nil {
		return out, err
	}
	// A damaged run is shown with its Damage even when its config.yaml
	// cannot be read (the config is then empty).
	cfg, err := store.Config(id)
	if err != nil && rec.State != runs.Damaged {
		return out, err
	}
	out = RunDetail{Record: rec, Config: cfg, Paths: RunPaths{
		Folder: store.Dir(id), Config: store.ConfigPath(id), Adapter: store.AdapterDir(id), Log: store.LogPath(id),
	}}
	if err != nil {
		out.ConfigError = err.Error()
	}
	// An unreadable checkpoints folder reads as none: the record is still shown.
	out.Checkpoints, _ = train.Checkpoints(store.CheckpointsDir(id))
	if out.Checkpoints == nil {
		out.Checkpoints = []int{}
	}
	out.HasAdapter = exists(filepath.Join(out.Paths.Adapter, "adapter_model.safetensors"))
	return out, nil
}

// find resolves a run reference with the store.
func (s *Runs) find(ref string) (*runs.Store, string, error) {
	store, _, err := s.b.get()
	if err != nil {
		return nil, "", err
	}
	id, err := s.runID(store, ref)
	return store, id, err
}

// Metrics returns every recorded step of a run, for its charts.
func (s *Runs) Metrics(ref string) (out []runs.Metrics, err error) {
	defer guard(s.deps.Log, "Runs.Metrics", &err)
	store, id, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	out, err = store.Metrics(id)
	if out == nil {
		out = []runs.Metrics{}
	}
	return out, err
}

// MetricsReport is Metrics with what could not be read: lines of
// metrics.jsonl cut off by a crash or damaged, skipped and counted.
func (s *Runs) MetricsReport(ref string) (out runs.MetricsReport, err error) {
	defer guard(s.deps.Log, "Runs.MetricsReport", &err)
	store, id, err := s.find(ref)
	if err != nil {
		return out, err
	}
	out, err = store.ReadMetrics(id)
	if out.Metrics == nil {
		out.Metrics = []runs.Metrics{}
	}
	return out, err
}

// Log returns the last n lines of a run's log (all when n <= 0).
func (s *Runs) Log(ref string, n int) (out []string, err error) {
	defer guard(s.deps.Log, "Runs.Log", &err)
	store, id, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	if _, err := store.Get(id); err != nil {
		return nil, err
	}
	f, err := os.Open(store.LogPath(id))
	if os.IsNotExist(err) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read log of run %s: %w", id, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	out = []string{}
	for sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), "\r"))
		if n > 0 && len(out) > n {
			out = out[1:]
		}
	}
	return out, sc.Err()
}

// adapterOf returns the base model of a run, as one reference that
// carries its model.revision, and its saved adapter folder, for chatting
// with or exporting the run, and the run's id.
func (s *Runs) adapterOf(ref string) (modelRef, adapterDir, id string, err error) {
	store, id, err := s.find(ref)
	if err != nil {
		return "", "", "", err
	}
	cfg, err := store.Config(id)
	if err != nil {
		return "", "", "", err
	}
	adapterDir = store.AdapterDir(id)
	if !exists(filepath.Join(adapterDir, "adapter_model.safetensors")) {
		return "", "", "", fmt.Errorf("run %s has no saved adapter yet: it is written when training completes", id)
	}
	return modelRefOf(cfg.Model), adapterDir, runLabel(cfg.Name, id), nil
}

// runLabel names a run's exports: its name with the end of its id (so two
// runs of one name stay apart: "gemma-chat-8d9afe"), or the id when the
// run has no name usable in a file name.
func runLabel(name, id string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	clean := strings.Trim(b.String(), "-.")
	if clean == "" {
		return id
	}
	short := id
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		short = id[i+1:]
	}
	return clean + "-" + short
}

// Cancel stops a queued or running run.
func (s *Runs) Cancel(ref string) (err error) {
	defer guard(s.deps.Log, "Runs.Cancel", &err)
	id, queue, err := s.queued(ref)
	if err != nil {
		return err
	}
	return queue.Cancel(id)
}

// Pause checkpoints and stops a running run so it can be resumed.
func (s *Runs) Pause(ref string) (err error) {
	defer guard(s.deps.Log, "Runs.Pause", &err)
	id, queue, err := s.queued(ref)
	if err != nil {
		return err
	}
	return queue.Pause(id)
}

// Resume queues a paused, interrupted, failed or cancelled run to continue
// from its latest checkpoint.
func (s *Runs) Resume(ref string) (err error) {
	defer guard(s.deps.Log, "Runs.Resume", &err)
	return s.resume(ref, 0)
}

// ResumeFrom is Resume from the checkpoint at step (one of RunDetail's
// Checkpoints); 0 is the newest valid one.
func (s *Runs) ResumeFrom(ref string, step int) (err error) {
	defer guard(s.deps.Log, "Runs.ResumeFrom", &err)
	if step < 0 {
		return invalidf("step: must be a checkpoint's step, or 0 for the newest, got %d", step)
	}
	return s.resume(ref, step)
}

func (s *Runs) resume(ref string, step int) error {
	id, queue, err := s.queued(ref)
	if err != nil {
		return err
	}
	return queue.Resume(id, step)
}

// queued resolves a run reference for the queue.
func (s *Runs) queued(ref string) (string, *runs.Queue, error) {
	store, queue, err := s.b.get()
	if err != nil {
		return "", nil, err
	}
	id, err := s.runID(store, ref)
	return id, queue, err
}

// Delete removes a run that is not running, with everything it made.
func (s *Runs) Delete(ref string) (err error) {
	defer guard(s.deps.Log, "Runs.Delete", &err)
	id, queue, err := s.queued(ref)
	if err != nil {
		return err
	}
	return queue.Delete(id)
}

// Duplicate makes a new run with the same configuration and queues it (a
// terminal command leaves it queued for the app or `train --resume`: see
// Deps.OwnRunsOnly).
func (s *Runs) Duplicate(ref string) (out runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.Duplicate", &err)
	store, queue, err := s.b.get()
	if err != nil {
		return out, err
	}
	id, err := s.runID(store, ref)
	if err != nil {
		return out, err
	}
	if s.deps.OwnRunsOnly {
		return store.Duplicate(id)
	}
	return queue.Duplicate(id)
}
