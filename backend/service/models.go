package service

import (
	"os"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Models describes base models and fetches them from the hub.
type Models struct{ deps Deps }

// ModelInfo is what the Models screen shows about a model.
type ModelInfo struct {
	Ref           string `json:"ref"`
	LocalDir      string `json:"local_dir"`
	Architecture  string `json:"architecture"`
	ModelType     string `json:"model_type"`
	Params        int64  `json:"params"`
	ContextLength int    `json:"context_length"`
	DType         string `json:"dtype"`
	VocabSize     int    `json:"vocab_size"`
	Layers        int    `json:"layers"`
	Hidden        int    `json:"hidden"`
	Heads         int    `json:"heads"`
	KVHeads       int    `json:"kv_heads"`
	HasTokenizer  bool   `json:"has_tokenizer"`
	HasWeights    bool   `json:"has_weights"`
	// Family is the preset family (gemma3, llama3, qwen3) runs will use.
	Family string `json:"family"`
}

// MemoryEstimate is the predicted peak memory of a training run.
type MemoryEstimate struct {
	estimate.Breakdown
	TotalMB float64 `json:"total_mb"`
	// FreeMB is the machine's available memory, 0 when unknown.
	FreeMB float64 `json:"free_mb"`
	// Fits is true when the estimate is at most FreeMB, or FreeMB is
	// unknown.
	Fits bool `json:"fits"`
	// Memory names what FreeMB measures ("RAM").
	Memory string `json:"memory,omitempty"`
	// Note says what the check could not see: a GPU's memory, or that no
	// setting fits.
	Note string `json:"note,omitempty"`
	// Suggestion is the least harmful change that makes the run fit;
	// absent when it fits or when nothing does.
	Suggestion *FitSuggestion `json:"suggestion,omitempty"`
}

// Inspect reads a model's config from a local folder, or from the hub cache
// (downloading only the small files) for a hub id.
func (s *Models) Inspect(ref string) (info ModelInfo, err error) {
	defer guard(s.deps.Log, "Models.Inspect", &err)
	dir, cfg, err := s.config(ref)
	if err != nil {
		return info, err
	}
	info = ModelInfo{
		Ref: ref, LocalDir: dir, Architecture: string(cfg.Arch), ModelType: cfg.ModelType,
		Params: cfg.NumParams(), ContextLength: cfg.MaxPositionEmbeddings, DType: cfg.TorchDType,
		VocabSize: cfg.VocabSize, Layers: cfg.NumLayers, Hidden: cfg.HiddenSize, Heads: cfg.NumHeads, KVHeads: cfg.NumKVHeads,
		Family: familyOf(cfg),
	}
	info.HasTokenizer = exists(filepath.Join(dir, "tokenizer.json")) || exists(filepath.Join(dir, "tokenizer.model"))
	info.HasWeights = exists(filepath.Join(dir, "model.safetensors")) || exists(filepath.Join(dir, "model.safetensors.index.json"))
	s.deps.rememberModel(ref) // the picker offers it next time
	return info, nil
}

// EstimateMemory predicts the peak memory of training ref with cfg.
func (s *Models) EstimateMemory(ref string, cfg runconfig.Config) (out MemoryEstimate, err error) {
	defer guard(s.deps.Log, "Models.EstimateMemory", &err)
	_, mc, err := s.config(ref)
	if err != nil {
		return out, err
	}
	return s.deps.memoryEstimate(mc, cfg)
}

// Download fetches a hub model into the shared Hugging Face cache, with
// progress on the "hub.progress" topic, and returns its folder.
func (s *Models) Download(ref string) (dir string, err error) {
	defer guard(s.deps.Log, "Models.Download", &err)
	if dir, err = s.resolve(ref, false); err == nil {
		s.deps.rememberModel(ref)
	}
	return dir, err
}

// config reads ref's config.json, fetching only the small files of a hub
// model, and returns it with the model's folder.
func (s *Models) config(ref string) (string, *model.Config, error) {
	dir, err := s.resolve(ref, true)
	if err != nil {
		return "", nil, err
	}
	cfg, err := model.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return "", nil, err
	}
	return dir, cfg, nil
}

// resolve turns ref into a folder (see Deps.modelDir).
func (s *Models) resolve(ref string, configOnly bool) (string, error) {
	return s.deps.modelDir(ref, configOnly)
}

func familyOf(c *model.Config) string {
	switch c.Arch {
	case model.Gemma3:
		return "gemma3"
	case model.Llama:
		return "llama3"
	default:
		return "qwen3"
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
