package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Schema names the result format. Bump the version when a field changes
// meaning; adding fields keeps it.
const Schema = "whetstone.bench/v1"

// Result is the outcome of benchmarking one configuration. Its top-level
// TokensPerS and PeakRSSMB are the headline training figures; the sections
// hold the details. Sections that were not measured are absent.
type Result struct {
	Schema   string    `json:"schema"`
	Time     time.Time `json:"time"`
	Revision string    `json:"revision,omitempty"` // VCS revision of the binary, "+dirty" when modified
	Machine  Machine   `json:"machine"`
	Config   Config    `json:"config"`

	// TokensPerS is training tokens per second (median steady step).
	TokensPerS float64 `json:"tokens_per_s"`
	// PeakRSSMB is the process's peak resident memory (VmHWM) in MiB,
	// read right after training.
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// PeakRSSScope says what the peak covers: "fresh process" when this
	// configuration ran alone in its process, "shared process" when
	// earlier work in the same process may have set it.
	PeakRSSScope string `json:"peak_rss_scope"`

	Train TrainResult `json:"train"`
	// Roofline is the measured GEMM rate and the fraction of it a training
	// step reaches; Estimate the memory estimate beside the measured peak.
	Roofline  *RooflineResult  `json:"roofline,omitempty"`
	Estimate  *EstimateResult  `json:"estimate,omitempty"`
	Generate  *GenerateResult  `json:"generate,omitempty"`
	Tokenizer *TokenizerResult `json:"tokenizer,omitempty"`
	Dataset   *DatasetResult   `json:"dataset,omitempty"`
	// Reference is the PyTorch figure measured in the same run, if asked.
	Reference *Reference `json:"reference,omitempty"`
	// Notes explain skipped sections and anything unusual.
	Notes []string `json:"notes,omitempty"`
}

// File is a set of results saved together (whetstone bench --out).
type File struct {
	Schema  string   `json:"schema"`
	Results []Result `json:"results"`
}

// WriteFile saves results atomically as a File.
func WriteFile(path string, results []Result) error {
	if err := safefile.WriteJSON(path, File{Schema: Schema, Results: results}); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// ReadFile loads a File, accepting a single Result too (what
// `whetstone bench --json --config X` prints).
func ReadFile(path string) (File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("bench: %w", err)
	}
	var probe struct {
		Schema  string          `json:"schema"`
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return File{}, fmt.Errorf("bench: %s: %w", path, err)
	}
	if probe.Schema != Schema {
		return File{}, fmt.Errorf("bench: %s has schema %q, this build reads %q", path, probe.Schema, Schema)
	}
	if probe.Results == nil {
		var r Result
		if err := json.Unmarshal(data, &r); err != nil {
			return File{}, fmt.Errorf("bench: %s: %w", path, err)
		}
		return File{Schema: Schema, Results: []Result{r}}, nil
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("bench: %s: %w", path, err)
	}
	return f, nil
}

// revision returns the binary's VCS revision, if it was built from a
// repository.
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}
