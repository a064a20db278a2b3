package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Arch is the architecture family a checkpoint is built as. Each has its own
// file (gemma3.go, llama.go, qwen.go) describing how it differs from the
// shared decoder blocks.
type Arch string

// Supported architectures.
const (
	Gemma3 Arch = "gemma3"
	Llama  Arch = "llama"
	Qwen2  Arch = "qwen2"
	Qwen3  Arch = "qwen3"
)

// RopeScaling is config.json's rope_scaling. Type "linear" divides positions
// by Factor; "llama3" rescales the frequencies by wavelength band.
type RopeScaling struct {
	Type                          string  `json:"rope_type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor,omitempty"`
	HighFreqFactor                float64 `json:"high_freq_factor,omitempty"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings,omitempty"`
}

// Config is the architecture-independent description of a decoder-only model,
// filled from a Hugging Face config.json by ParseConfig.
type Config struct {
	Arch Arch
	// ModelType is config.json's model_type as found ("gemma3_text", "gemma3",
	// "llama", "qwen2", "qwen3").
	ModelType string

	VocabSize        int
	HiddenSize       int
	IntermediateSize int
	NumLayers        int
	NumHeads         int
	NumKVHeads       int
	HeadDim          int

	RMSNormEps float64
	// RopeTheta is the RoPE base of global (full-attention) layers;
	// RopeLocalTheta that of sliding-window layers (Gemma 3 only, else equal).
	RopeTheta      float64
	RopeLocalTheta float64
	// RopeScaling applies to global layers only; nil means none.
	RopeScaling           *RopeScaling
	MaxPositionEmbeddings int

	// SlidingWindow is the window of sliding layers (0: no sliding layers).
	SlidingWindow int
	// LayerTypes holds "sliding_attention" or "full_attention" per layer.
	LayerTypes []string

	// AttnScale multiplies q·k: query_pre_attn_scalar^-0.5 for Gemma,
	// head_dim^-0.5 otherwise.
	AttnScale float64
	// Soft-capping of attention scores and final logits; 0 means none.
	AttnLogitSoftcap  float64
	FinalLogitSoftcap float64

	TieWordEmbeddings bool
	// HiddenAct is the MLP activation: "gelu_pytorch_tanh" or "silu".
	HiddenAct string
	// AttentionBias adds biases to q, k and v projections (Qwen 2).
	AttentionBias bool
	// QKNorm applies an RMSNorm over head_dim to queries and keys (Gemma 3, Qwen 3).
	QKNorm bool

	BOSTokenID  int
	EOSTokenIDs []int
	PadTokenID  int
	// TorchDType is the checkpoint's declared dtype ("bfloat16", "float32").
	TorchDType string
}

// IsSliding reports whether layer i uses sliding-window attention.
func (c *Config) IsSliding(i int) bool {
	return c.SlidingWindow > 0 && i < len(c.LayerTypes) && c.LayerTypes[i] == "sliding_attention"
}

// NumParams returns the number of base parameters (tied head counted once).
func (c *Config) NumParams() int64 {
	var n int64
	for _, w := range baseWeightShapes(c) {
		p := int64(1)
		for _, d := range w.shape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// rawConfig mirrors the config.json fields we read. Pointer fields tell
// "absent" from zero so the architecture defaults of transformers apply.
type rawConfig struct {
	ModelType             string          `json:"model_type"`
	Architectures         []string        `json:"architectures"`
	TextConfig            json.RawMessage `json:"text_config"`
	VocabSize             int             `json:"vocab_size"`
	HiddenSize            int             `json:"hidden_size"`
	IntermediateSize      int             `json:"intermediate_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads"`
	HeadDim               int             `json:"head_dim"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeLocalBaseFreq     *float64        `json:"rope_local_base_freq"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	SlidingWindow         *int            `json:"sliding_window"`
	SlidingWindowPattern  *int            `json:"sliding_window_pattern"`
	PrivateWindowPattern  *int            `json:"_sliding_window_pattern"`
	UseSlidingWindow      *bool           `json:"use_sliding_window"`
	MaxWindowLayers       *int            `json:"max_window_layers"`
	LayerTypes            []string        `json:"layer_types"`
	QueryPreAttnScalar    *float64        `json:"query_pre_attn_scalar"`
	AttnLogitSoftcapping  *float64        `json:"attn_logit_softcapping"`
	FinalLogitSoftcapping *float64        `json:"final_logit_softcapping"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	HiddenAct             string          `json:"hidden_act"`
	HiddenActivation      string          `json:"hidden_activation"`
	AttentionBias         *bool           `json:"attention_bias"`
	BOSTokenID            json.RawMessage `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	PadTokenID            json.RawMessage `json:"pad_token_id"`
	TorchDType            string          `json:"torch_dtype"`
	DType                 string          `json:"dtype"`
}

// LoadConfig reads and parses a config.json file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("model: %s is not a model folder: it has no config.json", filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		var syntax *json.SyntaxError
		if errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &syntax) && int(syntax.Offset) >= len(data)) {
			return nil, fmt.Errorf("model: %s is cut off (%d bytes, the JSON ends early): download or copy it again", path, len(data))
		}
		return nil, fmt.Errorf("model: %s is not valid JSON: %w", path, err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses a Hugging Face config.json. A multimodal "gemma3"
// config yields its text_config (the language model); the vision tower is
// ignored.
func ParseConfig(data []byte) (*Config, error) {
	var raw rawConfig
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	outerType := raw.ModelType
	if raw.ModelType == "gemma3" && len(raw.TextConfig) > 0 {
		var text rawConfig
		if err := json.Unmarshal(raw.TextConfig, &text); err != nil {
			return nil, fmt.Errorf("config.json text_config: %w", err)
		}
		// Token ids and tying often live only in the outer config.
		if text.EOSTokenID == nil {
			text.EOSTokenID = raw.EOSTokenID
		}
		if text.BOSTokenID == nil {
			text.BOSTokenID = raw.BOSTokenID
		}
		if text.PadTokenID == nil {
			text.PadTokenID = raw.PadTokenID
		}
		if text.TieWordEmbeddings == nil {
			text.TieWordEmbeddings = raw.TieWordEmbeddings
		}
		if text.TorchDType == "" {
			text.TorchDType = raw.TorchDType
		}
		raw = text
		raw.ModelType = "gemma3_text"
	}
	if raw.ModelType == "gemma3_text" {
		gemma3Defaults(&raw)
	}
	cfg := &Config{
		ModelType:             raw.ModelType,
		VocabSize:             raw.VocabSize,
		HiddenSize:            raw.HiddenSize,
		IntermediateSize:      raw.IntermediateSize,
		NumLayers:             raw.NumHiddenLayers,
		NumHeads:              raw.NumAttentionHeads,
		NumKVHeads:            raw.NumKeyValueHeads,
		HeadDim:               raw.HeadDim,
		MaxPositionEmbeddings: raw.MaxPositionEmbeddings,
		TorchDType:            firstNonEmpty(raw.TorchDType, raw.DType),
	}
	if cfg.NumKVHeads == 0 {
		cfg.NumKVHeads = cfg.NumHeads
	}
	if cfg.HeadDim == 0 && cfg.NumHeads > 0 {
		cfg.HeadDim = cfg.HiddenSize / cfg.NumHeads
	}
	var err error
	switch raw.ModelType {
	case "gemma3_text":
		err = gemma3Config(cfg, &raw)
	case "llama":
		err = llamaConfig(cfg, &raw)
	case "qwen2", "qwen3":
		err = qwenConfig(cfg, &raw)
	case "":
		return nil, fmt.Errorf("config.json: missing model_type")
	default:
		return nil, fmt.Errorf("config.json: model_type %q (outer %q) is not supported; supported: gemma3_text, gemma3, llama, qwen2, qwen3",
			raw.ModelType, outerType)
	}
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if cfg.BOSTokenID, err = firstTokenID(raw.BOSTokenID, "bos_token_id"); err != nil {
		return nil, err
	}
	if cfg.PadTokenID, err = firstTokenID(raw.PadTokenID, "pad_token_id"); err != nil {
		return nil, err
	}
	if cfg.EOSTokenIDs, err = tokenIDs(raw.EOSTokenID, "eos_token_id"); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return cfg, nil
}

// Validate checks that sizes are positive and consistent.
func (c *Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads},
		{"num_key_value_heads", c.NumKVHeads}, {"head_dim", c.HeadDim},
	} {
		if f.v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", f.name, f.v)
		}
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.NumHeads, c.NumKVHeads)
	}
	if len(c.LayerTypes) != c.NumLayers {
		return fmt.Errorf("layer_types has %d entries for %d layers", len(c.LayerTypes), c.NumLayers)
	}
	for i, lt := range c.LayerTypes {
		if lt != "sliding_attention" && lt != "full_attention" {
			return fmt.Errorf("layer_types[%d] = %q, want sliding_attention or full_attention", i, lt)
		}
	}
	if c.RMSNormEps <= 0 || c.RopeTheta <= 0 || c.AttnScale <= 0 {
		return fmt.Errorf("rms_norm_eps, rope_theta and the attention scale must be positive")
	}
	switch c.HiddenAct {
	case "gelu_pytorch_tanh", "silu":
	default:
		return fmt.Errorf("activation %q is not supported (gelu_pytorch_tanh, silu)", c.HiddenAct)
	}
	if rs := c.RopeScaling; rs != nil {
		switch rs.Type {
		case "linear":
			if rs.Factor <= 0 {
				return fmt.Errorf("rope_scaling linear needs a positive factor")
			}
		case "llama3":
			if rs.Factor <= 0 || rs.LowFreqFactor <= 0 || rs.HighFreqFactor <= rs.LowFreqFactor || rs.OriginalMaxPositionEmbeddings <= 0 {
				return fmt.Errorf("rope_scaling llama3 needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
			}
		default:
			return fmt.Errorf("rope_scaling type %q is not supported (linear, llama3)", rs.Type)
		}
	}
	return nil
}

func parseRopeScaling(raw json.RawMessage) (*RopeScaling, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m struct {
		RopeScaling
		LegacyType string `json:"type"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("rope_scaling: %w", err)
	}
	rs := m.RopeScaling
	if rs.Type == "" {
		rs.Type = m.LegacyType
	}
	if rs.Type == "default" {
		return nil, nil
	}
	return &rs, nil
}

func optFloat(p *float64, def float64) float64 {
	if p != nil {
		return *p
	}
	return def
}

func optSoftcap(p *float64) float64 {
	if p == nil || *p <= 0 {
		return 0
	}
	return *p
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// tokenIDs accepts a number, a list of numbers or null.
func tokenIDs(raw json.RawMessage, field string) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(raw, &one); err == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("config.json: %s must be an integer or a list of integers", field)
	}
	return many, nil
}

func firstTokenID(raw json.RawMessage, field string) (int, error) {
	ids, err := tokenIDs(raw, field)
	if err != nil || len(ids) == 0 {
		return -1, err
	}
	return ids[0], nil
}

func allLayers(n int, kind string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = kind
	}
	return out
}

func invSqrt(x float64) float64 { return 1 / math.Sqrt(x) }
