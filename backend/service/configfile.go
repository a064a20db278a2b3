package service

import (
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// maxConfigText bounds a pasted or picked run config: a real one is a
// few kilobytes (a long dataset mapping included).
const maxConfigText = 1 << 20

// ImportedConfig is a run config read from the text of a file.
type ImportedConfig struct {
	Config runconfig.Config `json:"config"`
	// Errors are its values' problems, each naming its field
	// (runconfig's Validate); paths and the rest are Check's.
	Errors []runconfig.FieldError `json:"errors"`
}

// ParseConfig reads the text of a run config file, YAML or JSON, exactly
// as `whetstone train --config` reads one (runconfig.Parse: missing
// fields keep their defaults, an unknown field is an error), for the New
// run form's import. Text that cannot be read is an invalid request
// whose message names the line.
func (s *Runs) ParseConfig(text string) (out ImportedConfig, err error) {
	defer guard(s.deps.Log, "Runs.ParseConfig", &err)
	if len(text) > maxConfigText {
		return out, invalidf("config: %d bytes is more than a run config's limit of %d", len(text), maxConfigText)
	}
	cfg, err := runconfig.Parse([]byte(text))
	if err != nil {
		return out, invalid(err)
	}
	out = ImportedConfig{Config: cfg, Errors: cfg.Validate()}
	if out.Errors == nil {
		out.Errors = []runconfig.FieldError{}
	}
	return out, nil
}
