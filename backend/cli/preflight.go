package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// preflight checks, before a run is created, what a new run needs on local
// disk: a typo'd path or an incomplete model folder is then one error line,
// not a failed run left in the runs list. Hub ids are left to the run,
// which downloads them.
func preflight(cfg runconfig.Config) error {
	if err := checkModelDir(cfg.Model.Source); err != nil {
		return err
	}
	if err := checkDataPath("dataset.path", cfg.Dataset.Path); err != nil {
		return err
	}
	if cfg.Dataset.ValPath != "" {
		if err := checkDataPath("dataset.val_path", cfg.Dataset.ValPath); err != nil {
			return err
		}
	}
	if cfg.Output != "" {
		if err := safefile.CheckReplaceable(cfg.Output, true); err != nil {
			return fmt.Errorf("output (--out): %w", err)
		}
	}
	return nil
}

// checkModelDir verifies a local model folder holds a readable config.json,
// safetensors weights and a tokenizer.
func checkModelDir(source string) error {
	ref, err := hub.ParseRef(source)
	if err != nil {
		return fmt.Errorf("model.source: %w", err)
	}
	if !ref.IsLocal() {
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
	if !fileExists(filepath.Join(dir, "tokenizer.json")) && !fileExists(filepath.Join(dir, "tokenizer.model")) {
		return fmt.Errorf("model %s has no tokenizer (tokenizer.json or tokenizer.model): copy the tokenizer files of its base model into the folder", source)
	}
	return nil
}

// checkDataPath reports a dataset path that is plainly a missing local
// file; hub ids and folders are left to the dataset reader.
func checkDataPath(field, path string) error {
	ref, err := hub.ParseRef(path)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if !ref.IsLocal() && looksLikeDataFile(path) {
		return fmt.Errorf("%s: %s: %w", field, path, os.ErrNotExist)
	}
	return nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
