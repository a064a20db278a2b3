package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// GenerationConfig is what generation_config.json says about stopping and
// sampling. Chat models put their end-of-turn token among its EOS ids
// (Gemma 3: 1 and 106), which config.json often lacks.
type GenerationConfig struct {
	EOSTokenIDs []int32
	// DoSample false means the model's authors expect greedy decoding.
	DoSample bool
	Sampling SamplingOptions
}

// LoadGenerationConfig reads dir/generation_config.json. A missing file is
// not an error: it returns found=false.
func LoadGenerationConfig(dir string) (gc GenerationConfig, found bool, err error) {
	path := filepath.Join(dir, "generation_config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return gc, false, nil
	}
	if err != nil {
		return gc, false, fmt.Errorf("model: %w", err)
	}
	var raw struct {
		EOSTokenID        json.RawMessage `json:"eos_token_id"`
		DoSample          bool            `json:"do_sample"`
		Temperature       *float64        `json:"temperature"`
		TopK              int             `json:"top_k"`
		TopP              float64         `json:"top_p"`
		MinP              float64         `json:"min_p"`
		RepetitionPenalty float64         `json:"repetition_penalty"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return gc, false, fmt.Errorf("model: %s: %w", path, err)
	}
	ids, err := tokenIDs(raw.EOSTokenID, "eos_token_id")
	if err != nil {
		return gc, false, fmt.Errorf("model: %s: %w", path, err)
	}
	for _, id := range ids {
		gc.EOSTokenIDs = append(gc.EOSTokenIDs, int32(id))
	}
	gc.DoSample = raw.DoSample
	gc.Sampling = SamplingOptions{TopK: raw.TopK, TopP: raw.TopP, MinP: raw.MinP, RepetitionPenalty: raw.RepetitionPenalty}
	if raw.DoSample {
		gc.Sampling.Temperature = 1 // transformers' default when sampling
		if raw.Temperature != nil {
			gc.Sampling.Temperature = *raw.Temperature
		}
	}
	return gc, true, nil
}

// StopTokens are the ids Generate stops on by default: config.json's and
// generation_config.json's EOS ids.
func (m *Model) StopTokens() []int32 {
	var out []int32
	for _, id := range m.cfg.EOSTokenIDs {
		out = append(out, int32(id))
	}
	if m.gen != nil {
		for _, id := range m.gen.EOSTokenIDs {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// GenerationConfig returns the checkpoint's generation_config.json, if Load
// found one.
func (m *Model) GenerationConfig() (GenerationConfig, bool) {
	if m.gen == nil {
		return GenerationConfig{}, false
	}
	return *m.gen, true
}
