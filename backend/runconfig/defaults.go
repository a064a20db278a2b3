package runconfig

import (
	"fmt"
	"sort"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Default returns the settings of Unsloth's Gemma 3 notebook: r=8, alpha=8,
// no dropout, AdamW with lr 2e-4 and weight decay 0.01, linear schedule with
// 5 warmup steps, batch 2 with 4 accumulation steps, seed 3407, 60 steps, and
// loss on responses only. These are the values a user of that notebook
// expects to see pre-filled. Unreadable rows are skipped, up to 1000, and
// examples over max_seq_len are truncated.
func Default() Config {
	return Config{
		Model: Model{Quantization: Quantizations()[0], Storage: Storages()[0]},
		LoRA: LoRA{
			R: 8, Alpha: 8, Dropout: 0,
			Targets: LoRATargets(),
		},
		Dataset: Dataset{ValFraction: 0.05, SkipBadRows: true, MaxBadRows: 1000, Truncation: dataset.Truncations[0]},
		Training: Training{
			Method:               MethodSFT,
			DPOBeta:              0.1,
			ORPOLambda:           0.1,
			LearningRate:         2e-4,
			Optimizer:            "adamw",
			WeightDecay:          0.01,
			Beta1:                0.9,
			Beta2:                0.999,
			Epsilon:              1e-8,
			Scheduler:            "linear",
			WarmupSteps:          5,
			BatchSize:            2,
			GradAccum:            4,
			MaxSteps:             60,
			Epochs:               1,
			MaxSeqLen:            2048,
			MaxGradNorm:          1.0,
			TrainOnResponsesOnly: true,
			EvalEvery:            10,
			EvalBatches:          8,
		},
		Checkpoint: Checkpoint{Every: 20, Keep: 3},
		Seed:       3407,
	}
}

// Preset is a per-model-family starting point.
type Preset struct {
	Family string `json:"family"`
	// Title is what the UI shows in the preset picker.
	Title string `json:"title"`
	// ResponseMarker and InstructionMarker are what Unsloth's
	// train_on_responses_only is given for this family (response_part and
	// instruction_part): it trains everything from after a response marker
	// up to the next instruction marker. Training does not read them (the
	// turns come from the model's chat template), but it trains the same
	// tokens; the batch package's tests check that against them.
	ResponseMarker    string `json:"response_marker"`
	InstructionMarker string `json:"instruction_marker"`
	Config            Config `json:"config"`
	// Owns lists the config paths choosing this preset sets
	// (PresetFields); the others keep the user's values.
	Owns []string `json:"owns"`
}

// Presets returns the known families, keyed by family name. The LoRA sizes
// follow the corresponding Unsloth notebooks (Gemma 3: r=8; Llama 3.x: r=16;
// Qwen 3: r=32), everything else is the Gemma 3 default.
func Presets() map[string]Preset {
	gemma := Default()
	llama := Default()
	llama.LoRA.R, llama.LoRA.Alpha = 16, 16
	qwen := Default()
	qwen.LoRA.R, qwen.LoRA.Alpha = 32, 32
	presets := map[string]Preset{
		"gemma3": {Family: "gemma3", Title: "Gemma 3", Config: gemma,
			InstructionMarker: "<start_of_turn>user\n", ResponseMarker: "<start_of_turn>model\n"},
		"llama3": {Family: "llama3", Title: "Llama 3.x", Config: llama,
			InstructionMarker: "<|start_header_id|>user<|end_header_id|>\n\n", ResponseMarker: "<|start_header_id|>assistant<|end_header_id|>\n\n"},
		"qwen3": {Family: "qwen3", Title: "Qwen 3", Config: qwen,
			InstructionMarker: "<|im_start|>user\n", ResponseMarker: "<|im_start|>assistant\n"},
	}
	for fam, p := range presets {
		p.Owns = PresetFields()
		presets[fam] = p
	}
	return presets
}

// Families lists preset names in a stable order.
func Families() []string {
	var out []string
	for k := range Presets() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ForFamily returns the preset config of a family.
func ForFamily(family string) (Config, error) {
	p, ok := Presets()[family]
	if !ok {
		return Config{}, fmt.Errorf("unknown model family %q (known: %v)", family, Families())
	}
	return p.Config, nil
}
