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
func Parse(data []byte) (Config, error) {
	cfg := Default()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return Config{}, fmt.Errorf("parse JSON run config: %w", err)
		}
		return cfg, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("parse YAML run config: %w", friendlyYAMLError(err, true))
	}
	return cfg, nil
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
