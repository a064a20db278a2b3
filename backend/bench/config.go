package bench

import (
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Config is one benchmark configuration: a Gemma-3-shaped model (random
// weights), its LoRA adapters and the batch shape trained on.
type Config struct {
	Name  string `json:"name"`
	Vocab int    `json:"vocab"`
	// Hidden, Layers, Heads, KVHeads, HeadDim and MLP size the model.
	Hidden  int `json:"hidden"`
	Layers  int `json:"layers"`
	Heads   int `json:"heads"`
	KVHeads int `json:"kv_heads"`
	HeadDim int `json:"head_dim"`
	MLP     int `json:"mlp"`
	// Seq and Batch are the training batch shape [Batch, Seq].
	Seq   int `json:"seq"`
	Batch int `json:"batch"`
	// Rank is the LoRA rank on q, k, v, o, gate, up and down projections.
	Rank int `json:"rank"`
	// SlidingWindow is the window of the sliding-attention layers (every
	// layer but each sixth); 0 for the issue 10 shapes, whose model preset
	// has a 512 window that their sequences never exceed.
	SlidingWindow int `json:"sliding_window,omitempty"`
	// Published names the Hugging Face model whose config.json (kept in
	// gemma3/) defines this shape; empty for the synthetic shapes.
	Published string `json:"published,omitempty"`
	// Storage is the dtype the frozen base weights are kept in, as
	// model.storage names it (runconfig.Storages; the compute is float32):
	// empty for float32.
	Storage string `json:"storage,omitempty"`
}

// publishedConfigs are the text config.json files of the real models, as
// published on the Hugging Face hub (google/gemma-3-270m and
// google/gemma-3-1b-pt): the model config of the real-size benchmarks is
// parsed from them, so the benchmark trains the published architecture
// (sizes, 262,144-token vocabulary, sliding/full layer pattern, RoPE
// bases), with random float32 weights.
//
//go:embed gemma3/*.config.json
var publishedConfigs embed.FS

// configs are fixed by issue 10 and mirror ../shared/bench/torch_lora_ref.py
// arguments, so both sides build the same shapes.
var configs = []Config{
	{Name: "tiny", Vocab: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, MLP: 128, Seq: 64, Batch: 4, Rank: 8},
	{Name: "5m", Vocab: 8192, Hidden: 256, Layers: 3, Heads: 4, KVHeads: 1, HeadDim: 64, MLP: 1024, Seq: 256, Batch: 4, Rank: 8},
	{Name: "30m", Vocab: 16384, Hidden: 512, Layers: 6, Heads: 8, KVHeads: 2, HeadDim: 64, MLP: 2048, Seq: 256, Batch: 4, Rank: 8},
	// Real sizes (issue 19): Gemma 3 270M at 1,024-token rows, Gemma 3 1B
	// at the default preset's shape (runconfig: max_seq_len 2048, batch 2).
	{Name: "gemma3-270m", Vocab: 262144, Hidden: 640, Layers: 18, Heads: 4, KVHeads: 1, HeadDim: 256, MLP: 2048, Seq: 1024, Batch: 2, Rank: 8,
		SlidingWindow: 512, Published: "google/gemma-3-270m"},
	{Name: "gemma3-1b", Vocab: 262144, Hidden: 1152, Layers: 26, Heads: 4, KVHeads: 1, HeadDim: 256, MLP: 6912, Seq: 2048, Batch: 2, Rank: 8,
		SlidingWindow: 512, Published: "google/gemma-3-1b-pt"},
	// Gemma 3 4B (the text model of the multimodal checkpoint, the seed
	// notebook's model) at the same shape, its frozen weights kept in
	// bfloat16 as a 16 GB machine trains it.
	{Name: "gemma3-4b", Vocab: 262208, Hidden: 2560, Layers: 34, Heads: 8, KVHeads: 4, HeadDim: 256, MLP: 10240, Seq: 2048, Batch: 2, Rank: 8,
		SlidingWindow: 1024, Published: "google/gemma-3-4b-pt", Storage: runconfig.StorageBFloat16},
}

// Configs returns the benchmark configurations, smallest first.
func Configs() []Config { return append([]Config(nil), configs...) }

// ConfigNames lists the configuration names, smallest first.
func ConfigNames() []string {
	var out []string
	for _, c := range configs {
		out = append(out, c.Name)
	}
	return out
}

// Lookup returns the configuration with the given name.
func Lookup(name string) (Config, error) {
	for _, c := range configs {
		if c.Name == name {
			return c, nil
		}
	}
	return Config{}, fmt.Errorf("bench: unknown config %q (have %s)", name, strings.Join(ConfigNames(), ", "))
}

// ModelConfig returns the model configuration: the model package's preset
// of the same name (the Gemma 3 text architecture: q/k norm, tied
// embeddings, tanh GELU, sliding layers of 512 then one global every six),
// checked against this configuration's sizes. With sequences of at most 512
// tokens the sliding window never masks anything, so the work equals the
// PyTorch reference's full causal attention. A Published configuration is
// parsed from the model's config.json instead (publishedConfigs).
func (c Config) ModelConfig() (*model.Config, error) {
	var mc *model.Config
	var err error
	from := "model preset " + c.Name
	if c.Published != "" {
		mc, err = c.publishedModelConfig()
		from = c.publishedFile()
	} else {
		mc, err = model.Preset(c.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	got := []int{mc.VocabSize, mc.HiddenSize, mc.NumLayers, mc.NumHeads, mc.NumKVHeads, mc.HeadDim, mc.IntermediateSize}
	want := []int{c.Vocab, c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.MLP}
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("bench: %s has sizes %v, the benchmark defines %v", from, got, want)
	}
	if c.Published != "" && mc.SlidingWindow != c.SlidingWindow {
		return nil, fmt.Errorf("bench: %s has sliding window %d, the benchmark defines %d", from, mc.SlidingWindow, c.SlidingWindow)
	}
	return mc, nil
}

// publishedFile is the embedded config.json of a Published configuration.
func (c Config) publishedFile() string {
	_, name, _ := strings.Cut(c.Published, "/")
	return "gemma3/" + name + ".config.json"
}

func (c Config) publishedModelConfig() (*model.Config, error) {
	data, err := publishedConfigs.ReadFile(c.publishedFile())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.publishedFile(), err)
	}
	mc, err := model.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.publishedFile(), err)
	}
	// The weights are random float32, not the published bfloat16 ones.
	mc.TorchDType = "float32"
	return mc, nil
}

// StorageDType is the dtype of the frozen base weights (Storage).
func (c Config) StorageDType() (dtypes.DType, error) {
	if c.Storage != "" && !slices.Contains(runconfig.Storages(), c.Storage) {
		return dtypes.InvalidDType, fmt.Errorf("bench: %s: unknown storage %q (%s)", c.Name, c.Storage, strings.Join(runconfig.Storages(), ", "))
	}
	return runconfig.Model{Storage: c.Storage}.StorageDType(), nil
}

// TokensPerStep is the number of tokens one training step processes.
func (c Config) TokensPerStep() int { return c.Seq * c.Batch }

// TorchArgs are the arguments of ../shared/bench/torch_lora_ref.py that
// build the same model and batch.
func (c Config) TorchArgs() []string {
	return []string{
		"--vocab", strconv.Itoa(c.Vocab), "--hidden", strconv.Itoa(c.Hidden), "--layers", strconv.Itoa(c.Layers),
		"--heads", strconv.Itoa(c.Heads), "--kv", strconv.Itoa(c.KVHeads), "--hd", strconv.Itoa(c.HeadDim),
		"--inter", strconv.Itoa(c.MLP), "--seq", strconv.Itoa(c.Seq), "--batch", strconv.Itoa(c.Batch), "--r", strconv.Itoa(c.Rank),
	}
}
