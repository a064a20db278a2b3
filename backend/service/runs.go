package service

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// Runs starts, watches and manages training runs. Runs execute one at a
// time, in order, on the queue; progress arrives as "run.metrics",
// "run.state" and "run.log" events.
type Runs struct {
	deps  Deps
	store *runs.Store
	queue *runs.Queue
}

func newRuns(deps Deps) (*Runs, error) {
	store, err := runs.Open(deps.Workspace.RunsDir())
	if err != nil {
		return nil, err
	}
	client, err := deps.hubClient()
	if err != nil {
		return nil, err
	}
	exec := train.NewExecutor(train.Env{Backend: deps.compute.backend, Hub: client, CacheDir: deps.Workspace.CacheDir()})
	q, err := runs.NewQueue(store, exec, deps.Events)
	if err != nil {
		return nil, err
	}
	// A signal cancels deps.Context at once; the run must instead stop at
	// a step boundary with a checkpoint, which Services.Close asks for.
	q.Start(context.WithoutCancel(deps.Context))
	return &Runs{deps: deps, store: store, queue: q}, nil
}

// PresetInfo is one entry of the New run form's preset picker.
type PresetInfo struct {
	Family string           `json:"family"`
	Title  string           `json:"title"`
	Config runconfig.Config `json:"config"`
}

// Presets lists the per-family defaults (Unsloth's Gemma 3 notebook first).
func (s *Runs) Presets() (out []PresetInfo, err error) {
	defer guard(s.deps.Log, "Runs.Presets", &err)
	for _, p := range runconfig.Presets() {
		out = append(out, PresetInfo{Family: p.Family, Title: p.Title, Config: p.Config})
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

// Validate lists problems with cfg, each naming its field, for the form.
func (s *Runs) Validate(cfg runconfig.Config) (out []runconfig.FieldError, err error) {
	defer guard(s.deps.Log, "Runs.Validate", &err)
	out = cfg.Validate()
	if out == nil {
		out = []runconfig.FieldError{}
	}
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

// Start validates cfg and queues a new run.
func (s *Runs) Start(cfg runconfig.Config) (out runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.Start", &err)
	if err := cfg.Check(); err != nil {
		return out, err
	}
	if cfg, err = s.checkPaths(cfg); err != nil {
		return out, err
	}
	return s.queue.Submit(cfg)
}

// checkPaths holds the paths a run config names to the path policy (local
// models and data files come back absolute) and refuses an output folder
// that training could not write without replacing someone's files.
func (s *Runs) checkPaths(cfg runconfig.Config) (runconfig.Config, error) {
	var err error
	if cfg.Model.Source, err = s.deps.checkRef(cfg.Model.Source); err != nil {
		return cfg, fmt.Errorf("model.source: %w", err)
	}
	if cfg.Dataset.Path, err = s.deps.checkRef(cfg.Dataset.Path); err != nil {
		return cfg, fmt.Errorf("dataset.path: %w", err)
	}
	if cfg.Dataset.ValPath, err = s.deps.checkRef(cfg.Dataset.ValPath); err != nil {
		return cfg, fmt.Errorf("dataset.val_path: %w", err)
	}
	if cfg.Output != "" {
		if cfg.Output, err = s.deps.checkPath(cfg.Output); err != nil {
			return cfg, fmt.Errorf("output: %w", err)
		}
		if err := safefile.CheckReplaceable(cfg.Output, true); err != nil {
			return cfg, fmt.Errorf("output: %w", err)
		}
	}
	return cfg, nil
}

// List returns every run, newest first.
func (s *Runs) List() (out []runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.List", &err)
	out, err = s.store.List()
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
}

// Get returns one run.
func (s *Runs) Get(id string) (out RunDetail, err error) {
	defer guard(s.deps.Log, "Runs.Get", &err)
	rec, err := s.store.Get(id)
	if err != nil {
		return out, err
	}
	// A damaged run is shown with its Damage even when its config.yaml
	// cannot be read (the config is then empty).
	cfg, err := s.store.Config(id)
	if err != nil && rec.State != runs.Damaged {
		return out, err
	}
	// An unreadable checkpoints folder reads as none: the record is still shown.
	steps, _ := train.Checkpoints(s.store.CheckpointsDir(id))
	if steps == nil {
		steps = []int{}
	}
	return RunDetail{Record: rec, Config: cfg, Checkpoints: steps,
		HasAdapter: exists(filepath.Join(s.store.AdapterDir(id), "adapter_model.safetensors"))}, nil
}

// Metrics returns every recorded step of a run, for its charts.
func (s *Runs) Metrics(id string) (out []runs.Metrics, err error) {
	defer guard(s.deps.Log, "Runs.Metrics", &err)
	out, err = s.store.Metrics(id)
	if out == nil {
		out = []runs.Metrics{}
	}
	return out, err
}

// Log returns the last n lines of a run's log (all when n <= 0).
func (s *Runs) Log(id string, n int) (out []string, err error) {
	defer guard(s.deps.Log, "Runs.Log", &err)
	if _, err := s.store.Get(id); err != nil {
		return nil, err
	}
	f, err := os.Open(s.store.LogPath(id))
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

// adapterOf returns a run's base model reference and its saved adapter
// folder, for chatting with or exporting the run.
func (s *Runs) adapterOf(id string) (modelRef, adapterDir string, err error) {
	cfg, err := s.store.Config(id)
	if err != nil {
		return "", "", err
	}
	adapterDir = s.store.AdapterDir(id)
	if !exists(filepath.Join(adapterDir, "adapter_model.safetensors")) {
		return "", "", fmt.Errorf("run %s has no saved adapter yet: it is written when training completes", id)
	}
	return cfg.Model.Source, adapterDir, nil
}

// Cancel stops a queued or running run.
func (s *Runs) Cancel(id string) (err error) {
	defer guard(s.deps.Log, "Runs.Cancel", &err)
	return s.queue.Cancel(id)
}

// Pause checkpoints and stops a running run so it can be resumed.
func (s *Runs) Pause(id string) (err error) {
	defer guard(s.deps.Log, "Runs.Pause", &err)
	return s.queue.Pause(id)
}

// Resume queues a paused, interrupted, failed or cancelled run to continue
// from its latest checkpoint.
func (s *Runs) Resume(id string) (err error) {
	defer guard(s.deps.Log, "Runs.Resume", &err)
	return s.queue.Resume(id, 0)
}

// Delete removes a run that is not running, with everything it made.
func (s *Runs) Delete(id string) (err error) {
	defer guard(s.deps.Log, "Runs.Delete", &err)
	return s.queue.Delete(id)
}

// Duplicate queues a new run with the same configuration.
func (s *Runs) Duplicate(id string) (out runs.Record, err error) {
	defer guard(s.deps.Log, "Runs.Duplicate", &err)
	return s.queue.Duplicate(id)
}
