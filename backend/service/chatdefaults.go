package service

import (
	"math"

	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// ChatModel names the model whose sampling defaults are asked for: a run
// (its base model) or a model reference, as in ChatRequest.
type ChatModel struct {
	RunID string `json:"run_id"`
	Model string `json:"model"`
}

// SamplingDefaults are a model's recommended sampling settings, read from
// its generation_config.json as transformers reads it: do_sample false
// means greedy (temperature 0), do_sample true without a temperature means
// 1. The Chat screen and `whetstone chat` start from them, so a model is
// sampled the way its authors (or, for the demo, Whetstone) intend.
type SamplingDefaults struct {
	// Found is false when the model has no generation_config.json: the
	// caller keeps its own settings.
	Found       bool    `json:"found"`
	Temperature float64 `json:"temperature"`
	TopP        float64 `json:"top_p"`
	TopK        int     `json:"top_k"`
	MinP        float64 `json:"min_p"`
	// RepetitionPenalty 0 is off (so is 1).
	RepetitionPenalty float64 `json:"repetition_penalty"`
	// AutoWeights is what auto weights (ChatRequest.Weights) become for
	// this model, its size deciding, so a screen can say so before the
	// first answer. It is set whether or not Found; empty when the
	// model's config.json cannot be read, which the answer then reports.
	AutoWeights chat.Weights `json:"auto_weights,omitempty"`
}

// Defaults returns the sampling settings m's generation_config.json
// recommends, each within SamplingLimits.
func (s *Chat) Defaults(m ChatModel) (out SamplingDefaults, err error) {
	defer guard(s.deps.Log, "Chat.Defaults", &err)
	ref := m.Model
	if m.RunID != "" {
		if ref, _, _, err = s.runs.adapterOf(m.RunID); err != nil {
			return out, err
		}
	}
	// configOnly: a hub model needs only its small files for this.
	dir, err := s.deps.modelDir(ref, true)
	if err != nil {
		return out, err
	}
	auto, _ := chat.WeightsAuto.Resolve(dir)
	gc, found, err := model.LoadGenerationConfig(dir)
	if err != nil {
		return out, err
	}
	if !found {
		return SamplingDefaults{AutoWeights: auto}, nil
	}
	// A file's values are clamped rather than refused: they are advice,
	// and the request they end up in is checked against the same limits.
	clamp := func(name string, v float64) float64 {
		l := SamplingLimits[name]
		return math.Min(math.Max(v, l.Min), l.Max)
	}
	return SamplingDefaults{
		Found:             true,
		Temperature:       clamp("temperature", gc.Sampling.Temperature),
		TopP:              clamp("top_p", gc.Sampling.TopP),
		TopK:              int(clamp("top_k", float64(gc.Sampling.TopK))),
		MinP:              clamp("min_p", gc.Sampling.MinP),
		RepetitionPenalty: clamp("repetition_penalty", gc.Sampling.RepetitionPenalty),
		AutoWeights:       auto,
	}, nil
}
