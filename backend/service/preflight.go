package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// preflight is the first part of check, which every new run passes, from
// the New run form (Runs.Check, as the user types), Runs.Start and
// `whetstone train`:
// the config's own values (runconfig's Validate), then what it names, all
// at once: a model folder that is missing or incomplete, a data file that
// is missing, an output folder that training could not write without
// replacing someone's files, and, over HTTP, any path outside the allowed
// folders. A typo is then a message next to its field, not a failed run in
// the runs list. Hub ids are left to check and the run, which download
// them.
//
// It returns cfg with its local paths made absolute where the path policy
// applies (so nothing downstream resolves them again against the server's
// working folder), and nil or the problems.
func (d Deps) preflight(cfg runconfig.Config) (runconfig.Config, *ConfigError) {
	e := &ConfigError{}
	if fields := cfg.Validate(); len(fields) > 0 {
		e.Fields = append(e.Fields, fields...)
		e.causes = append(e.causes, &runconfig.ValidationError{Fields: fields})
	}
	var err error
	if cfg.Model.Source != "" {
		if cfg.Model.Source, err = d.checkRef(cfg.Model.Source); err != nil {
			e.add("model.source", err)
		} else if err := checkModelDir(cfg.Model.Source); err != nil {
			e.add("model.source", err)
		}
	}
	if msg := revisionConflict(cfg.Model); msg != "" {
		e.add("model.revision", errors.New(msg))
	}
	for _, f := range []struct {
		field string
		path  *string
	}{{"dataset.path", &cfg.Dataset.Path}, {"dataset.val_path", &cfg.Dataset.ValPath}} {
		if *f.path == "" {
			continue
		}
		if *f.path, err = d.checkRef(*f.path); err != nil {
			e.add(f.field, err)
		} else if _, err := parseDatasetRef(*f.path); err != nil {
			e.add(f.field, err)
		}
	}
	if cfg.Output != "" {
		if cfg.Output, err = d.checkPath(cfg.Output); err != nil {
			e.add("output", err)
		} else if err := safefile.CheckReplaceable(cfg.Output, true); err != nil {
			e.add("output", err)
		}
	}
	if len(e.Fields) == 0 {
		return cfg, nil
	}
	return cfg, e
}

// checkModelDir checks that a local model folder holds a readable
// config.json, safetensors weights and a tokenizer; a hub id passes.
func checkModelDir(source string) error {
	ref, err := hub.ParseRef(source)
	if err != nil {
		return err
	}
	if !ref.IsLocal() {
		if ref.Type == hub.Dataset {
			return fmt.Errorf("%s names a dataset, not a model", source)
		}
		return nil
	}
	dir := ref.Local
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("model %s is a file; give the folder that holds config.json, the safetensors weights and the tokenizer", source)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return fmt.Errorf("model %s has no readable config.json (is it a Hugging Face model folder?): %w", source, err)
	}
	if !json.Valid(data) {
		return fmt.Errorf("model %s: config.json is not valid JSON (%d bytes: cut off by an interrupted copy or download?)", source, len(data))
	}
	if weights, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(weights) == 0 {
		return fmt.Errorf("model %s has no .safetensors weights", source)
	}
	if !isFile(filepath.Join(dir, "tokenizer.json")) && !isFile(filepath.Join(dir, "tokenizer.model")) {
		return fmt.Errorf("model %s has no tokenizer (tokenizer.json or tokenizer.model): copy the tokenizer files of its base model into the folder", source)
	}
	return nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// RunCheck is everything the New run form shows before Start, at once:
// the errors that refuse Start (preflight's, and those the model and data
// reveal: a max_seq_len past the model's context, a batch larger than the
// data), warnings that allow it, the run's length and the fit check.
type RunCheck struct {
	Errors   []runconfig.FieldError `json:"errors"`
	Warnings []runconfig.FieldError `json:"warnings"`
	Steps    runconfig.StepPlan     `json:"steps"`
	// Fit is the memory estimate against this machine; absent when the
	// model's config could not be read or the settings are invalid.
	Fit *MemoryEstimate `json:"fit,omitempty"`
	// Family is the preset family of the model (gemma3, llama3, qwen3),
	// "" when its config could not be read: the form offers that preset.
	Family string `json:"family,omitempty"`
}

// maxCountedRows bounds the rows a check reads to count examples: past
// it the count is a lower bound (StepPlan.Exact false), and the form stays
// responsive on a dataset of millions of rows.
const maxCountedRows = 1_000_000

// check is preflight with what the model's config and the data add (see
// RunCheck). The model is read from its folder, or for a hub id its small
// files, as Models.Inspect does; the data is counted only when local.
// What cannot be read here is left to the run: the check then knows less,
// it does not fail.
func (d Deps) check(cfg runconfig.Config) (runconfig.Config, *ConfigError, RunCheck) {
	cfg, problems := d.preflight(cfg)
	out := RunCheck{Errors: []runconfig.FieldError{}, Warnings: []runconfig.FieldError{}}
	bad := map[string]bool{}
	if problems != nil {
		for _, f := range problems.Fields {
			bad[f.Field] = true
		}
	}
	var facts runconfig.Facts
	if cfg.Model.Source != "" && !bad["model.source"] {
		dir, err := d.modelDir(cfg.Model.Source, true)
		// A hub id the hub does not have, or will not serve, would make a
		// run that fails at once; being offline is left to the run.
		if errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrGated) {
			if problems == nil {
				problems = &ConfigError{}
			}
			problems.add("model.source", err)
		}
		if err == nil {
			if mc, err := model.LoadConfig(filepath.Join(dir, "config.json")); err == nil {
				facts.ContextLength = mc.MaxPositionEmbeddings
				out.Family = familyOf(mc)
				if est, err := d.memoryEstimate(mc, cfg); err == nil {
					out.Fit = &est
				}
			}
		}
	}
	if cfg.Dataset.Path != "" && !bad["dataset.path"] {
		if data, err := d.countExamples(cfg); err == nil {
			if msg := executor.MethodDataProblem(cfg, data.format); msg != "" {
				if problems == nil {
					problems = &ConfigError{}
				}
				problems.add("training.method", errors.New(msg))
			}
			facts.TrainExamples = trainExamples(cfg, data)
		}
	}
	errs, warnings := cfg.Problems(facts)
	for _, e := range errs {
		if problems == nil {
			problems = &ConfigError{}
		}
		problems.add(e.Field, errors.New(e.Message))
	}
	if f := out.Fit; f != nil && !f.Fits {
		warnings = append(warnings, fitWarning(f, cfg))
	}
	out.Steps = cfg.Steps(facts.TrainExamples)
	out.Warnings = append(out.Warnings, warnings...)
	if problems != nil {
		out.Errors = problems.Fields
	}
	return cfg, problems, out
}

// fitWarning puts a run that does not fit next to the field its
// suggestion changes first. It is a warning, not an error: the estimate
// is an approximation and available memory changes as other programs
// run, so the user decides.
func fitWarning(f *MemoryEstimate, cfg runconfig.Config) runconfig.FieldError {
	t := cfg.Training
	msg := fmt.Sprintf("the run needs about %s, more than the %s of %s available", gib(f.TotalMB), gib(f.FreeMB), f.Memory)
	s := f.Suggestion
	if s == nil {
		if f.Note != "" {
			msg += "; " + f.Note
		}
		return runconfig.FieldError{Field: "model.source", Message: msg}
	}
	msg += ": " + s.Text
	switch {
	case s.GradientCheckpointing && !t.GradientCheckpointing:
		return runconfig.FieldError{Field: "training.gradient_checkpointing", Message: msg}
	case s.BatchSize != t.BatchSize:
		return runconfig.FieldError{Field: "training.batch_size", Message: msg}
	case s.Quantization != "" && s.Quantization != cfg.Model.Quantization:
		return runconfig.FieldError{Field: "model.quantization", Message: msg}
	default:
		return runconfig.FieldError{Field: "training.max_seq_len", Message: msg}
	}
}

// exampleCounts remembers CountExamples per data file state and reading
// options, so the form, which checks on every edit, reads a large file
// once, and edits made while it is being read wait for that one reading
// instead of starting their own. It holds a few entries: one form edits
// one config at a time.
var exampleCounts = struct {
	sync.Mutex
	m map[string]*countResult
}{m: map[string]*countResult{}}

type countResult struct {
	done chan struct{} // closed once data and err are set
	data dataFacts
	err  error
}

// dataFacts are what a check learns from local data: the conversations
// training would read (n, exact as executor.CountExamples says) and the
// format they are read as.
type dataFacts struct {
	n      int
	exact  bool
	format dataset.Format
}

func (d Deps) countExamples(cfg runconfig.Config) (dataFacts, error) {
	st, err := os.Stat(cfg.Dataset.Path)
	if err != nil {
		return dataFacts{}, nil
	}
	key, err := json.Marshal(struct {
		D     runconfig.Dataset
		Size  int64
		MTime int64
	}{cfg.Dataset, st.Size(), st.ModTime().UnixNano()})
	if err != nil {
		return dataFacts{}, err
	}
	exampleCounts.Lock()
	r, ok := exampleCounts.m[string(key)]
	if !ok {
		if len(exampleCounts.m) >= 16 {
			clear(exampleCounts.m)
		}
		r = &countResult{done: make(chan struct{})}
		exampleCounts.m[string(key)] = r
	}
	exampleCounts.Unlock()
	if ok {
		select {
		case <-r.done:
			return r.data, r.err
		case <-d.ctx().Done():
			return dataFacts{}, d.ctx().Err()
		}
	}
	r.data.n, r.data.exact, r.err = executor.CountExamples(d.ctx(), cfg, maxCountedRows)
	if r.err == nil {
		r.data.format, r.err = dataFormat(d.ctx(), cfg)
	}
	if r.err != nil {
		// Not remembered: a cancelled request or a file being written
		// may read fine next time.
		exampleCounts.Lock()
		if exampleCounts.m[string(key)] == r {
			delete(exampleCounts.m, string(key))
		}
		exampleCounts.Unlock()
	}
	close(r.done)
	return r.data, r.err
}
