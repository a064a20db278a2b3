package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// preflight is the check every new run passes, from the New run form
// (Runs.Validate, as the user types), Runs.Start and `whetstone train`:
// the config's own values (runconfig's Validate), then what it names, all
// at once: a model folder that is missing or incomplete, a data file that
// is missing, an output folder that training could not write without
// replacing someone's files, and, over HTTP, any path outside the allowed
// folders. A typo is then a message next to its field, not a failed run in
// the runs list. Hub ids are left to the run, which downloads them.
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
