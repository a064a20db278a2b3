package runconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Parse reads a YAML or JSON config (JSON is valid YAML, but it is decoded
// with encoding/json when it looks like JSON so number and field errors read
// naturally). Missing fields keep their defaults; unknown fields are errors,
// so a typo such as "learning_rte" is reported instead of silently ignored.
//
// Keys that earlier versions wrote and that mean nothing now (retired) are
// read and dropped, so the configs stored with old runs still load.
func Parse(data []byte) (Config, error) {
	cfg := Default()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(dropRetiredJSON(trimmed)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return Config{}, fmt.Errorf("parse JSON run config: %w", err)
		}
		return cfg.canonical(), nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dropRetiredYAML(dec.Decode(&cfg)); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("parse YAML run config: %w", friendlyYAMLError(err, true))
	}
	return cfg.canonical(), nil
}

// canonical returns c with empty lists and maps as nil, the one form each
// has after a round trip through either encoding (YAML writes a nil list
// as [] and reads [] back as an empty one), and an empty quantization as
// none, so that Load(Save(c)) == c.canonical().
func (c Config) canonical() Config {
	if len(c.LoRA.Targets) == 0 {
		c.LoRA.Targets = nil
	}
	if len(c.LoRA.ModulesToSave) == 0 {
		c.LoRA.ModulesToSave = nil
	}
	if len(c.Dataset.Mapping) == 0 {
		c.Dataset.Mapping = nil
	}
	if c.Model.Storage == "" {
		c.Model.Storage = Storages()[0]
	}
	if c.Training.Method == "" {
		// Files written before training.method existed are SFT runs.
		c.Training.Method = MethodSFT
	}
	if c.Model.Quantization == "" {
		// Omitted when empty, so it reads back as the default.
		c.Model.Quantization = Quantizations()[0]
	}
	return c
}

// retired maps the config paths earlier versions wrote, and that no longer
// exist, to why: Parse drops them from a file, and Set refuses them with
// the reason.
var retired = map[string]string{
	"model.family": "a config no longer names a model family: the chat template is the model folder's own, " +
		"and a preset (whetstone train --preset) fills in the other fields when a config is made",
}

// dropRetiredYAML removes yaml.v3's complaints about retired keys from
// err (the decoder reads every other field anyway), returning nil when
// nothing else was wrong.
func dropRetiredYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	secs := sections()
	var kept []string
	for _, m := range te.Errors {
		if sub := unknownFieldRE.FindStringSubmatch(m); sub != nil {
			if _, ok := retired[strings.TrimPrefix(secs[sub[2]].path+"."+sub[1], ".")]; ok {
				continue
			}
		}
		kept = append(kept, m)
	}
	if len(kept) == 0 {
		return nil
	}
	return &yaml.TypeError{Errors: kept}
}

// dropRetiredJSON removes the retired keys of a JSON config, which
// encoding/json would otherwise report before any other unknown field.
// Text that is not a JSON object is left for the decoder to report.
func dropRetiredJSON(data []byte) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return data
	}
	changed := false
	for path := range retired {
		sec, key, _ := strings.Cut(path, ".")
		var m map[string]json.RawMessage
		if json.Unmarshal(top[sec], &m) != nil {
			continue
		}
		if _, ok := m[key]; !ok {
			continue
		}
		delete(m, key)
		b, err := json.Marshal(m)
		if err != nil {
			return data
		}
		top[sec], changed = b, true
	}
	if !changed {
		return data
	}
	out, err := json.Marshal(top)
	if err != nil {
		return data
	}
	return out
}

// Load reads a config file (.yaml, .yml or .json).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read run config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// YAML renders the config as YAML.
func (c Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode run config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode run config: %w", err)
	}
	return buf.Bytes(), nil
}

// JSON renders the config as indented JSON.
func (c Config) JSON() ([]byte, error) {
	return json.MarshalIndent(c, "", "  ")
}

// Save writes the config atomically (temp file + rename); the format follows
// the extension (.json, otherwise YAML).
func (c Config) Save(path string) error {
	var (
		data []byte
		err  error
	)
	if strings.EqualFold(filepath.Ext(path), ".json") {
		data, err = c.JSON()
	} else {
		data, err = c.YAML()
	}
	if err != nil {
		return err
	}
	return safefile.Write(path, data, 0o644)
}
