// Package runconfig holds the one typed description of a training run. The
// desktop form, the browser form, a hand-written YAML file and the CLI flags
// all end up in the same Config, so a run is reproducible however it was
// started: the run store saves it verbatim next to the run's results.
package runconfig

import (
	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Config is everything a training run needs. Field names are identical in
// YAML and JSON (snake_case) so a file written by the UI can be edited by hand
// and read back by `whetstone train --config`.
type Config struct {
	// Name is a human label for the run; the run id stays the key.
	Name       string     `yaml:"name,omitempty" json:"name,omitempty"`
	Model      Model      `yaml:"model" json:"model"`
	LoRA       LoRA       `yaml:"lora" json:"lora"`
	Dataset    Dataset    `yaml:"dataset" json:"dataset"`
	Training   Training   `yaml:"training" json:"training"`
	Checkpoint Checkpoint `yaml:"checkpoint" json:"checkpoint"`
	// Seed drives weight initialisation of the adapters, dropout, data
	// shuffling and the train/validation split.
	Seed int64 `yaml:"seed" json:"seed"`
	// Output is where the final adapter is copied in addition to the run's own
	// adapter/ directory; empty keeps it only inside the run directory.
	Output string `yaml:"output,omitempty" json:"output,omitempty"`
}

// Model names the base model. Its chat template is always the model
// folder's own, and a preset (Presets, `whetstone train --preset`) fills in
// the other sections when a config is made, so a config names no model
// family; files written before carry model.family, which Parse drops.
type Model struct {
	// Source is a local directory (config.json + safetensors + tokenizer) or a
	// Hugging Face hub id such as "google/gemma-3-270m-it".
	Source string `yaml:"source" json:"source"`
	// Revision pins a hub revision (branch, tag or commit); empty is "main".
	Revision string `yaml:"revision,omitempty" json:"revision,omitempty"`
	// Quantization stores the frozen projections of every decoder layer
	// (q, k, v, o, gate, up, down) in fewer bits while training and
	// chatting: "nf4" is QLoRA's 4-bit NormalFloat (about 0.52 bytes a
	// weight instead of bf16's 2), "int8" 8-bit blockwise (about 1.06),
	// "none" keeps them as loaded. The adapters stay float32; exports
	// merge onto the original weights on disk, never the quantized ones.
	// Empty (a config written before this field) means none.
	Quantization string `yaml:"quantization,omitempty" json:"quantization,omitempty"`
	// Storage is the dtype the frozen base weights are kept in while
	// training: "float32", or "bfloat16" at half the memory (Gemma 3 4B's
	// weights take 8 GB instead of 16), widened to float32 in the graph
	// where each is used. The adapters and all arithmetic stay float32.
	// Empty (a config written before this field) means float32.
	Storage string `yaml:"storage,omitempty" json:"storage,omitempty"`
}

// StorageBytes is the memory of one frozen base weight as model.storage
// keeps it.
func (m Model) StorageBytes() int { return m.StorageDType().Size() }

// StorageDType is the dtype model.storage keeps the frozen base weights in,
// as the model package takes it (float32 for a name Validate rejects).
func (m Model) StorageDType() dtypes.DType {
	if m.Storage == StorageBFloat16 {
		return dtypes.BFloat16
	}
	return dtypes.Float32
}

// LoRA describes the low-rank adapters added to the frozen base model.
type LoRA struct {
	// R is the adapters' rank: larger learns more, with more memory and
	// time per step.
	R int `yaml:"r" json:"r"`
	// Alpha scales the adapters' output by alpha/r (commonly alpha = r).
	Alpha float64 `yaml:"alpha" json:"alpha"`
	// Dropout is applied to the adapters' input while training (0 = none).
	Dropout float64 `yaml:"dropout" json:"dropout"`
	// Targets are the projections of each decoder layer that get adapters.
	Targets []string `yaml:"targets" json:"targets"`
	// RSLoRA scales by alpha/sqrt(r) instead of alpha/r (rank-stabilised LoRA).
	RSLoRA bool `yaml:"rslora" json:"rslora"`
	// ModulesToSave are whole base modules trained alongside the adapters
	// and saved with them (PEFT's modules_to_save): embed_tokens and
	// lm_head, as Unsloth's continued-pretraining notebook trains them to
	// teach a model a new domain's words. A model that ties its LM head to
	// its embeddings (Gemma 3) trains the one shared matrix for either
	// name. They take a full copy of the matrix and its optimiser state in
	// memory.
	ModulesToSave []string `yaml:"modules_to_save,omitempty" json:"modules_to_save,omitempty"`
}

// Scale is the factor applied to the adapter's output: alpha/r, or
// alpha/sqrt(r) with rank-stabilised LoRA (adapter.Scale).
func (l LoRA) Scale() float64 { return adapter.Scale(l.Alpha, l.R, l.RSLoRA) }

// Dataset says where the conversations come from and how to read them.
type Dataset struct {
	// Path is a local file or directory (jsonl, json, parquet, csv, or
	// txt files of raw text, one row each) or a hub id.
	Path string `yaml:"path" json:"path"`
	// Format overrides detection: sharegpt, openai, alpaca, text or
	// preference (chosen/rejected pairs, for DPO and ORPO).
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Mapping tells where the dataset keeps what a format's standard
	// names mean: each key is a standard name, its value the dataset's own
	// name. {"conversations": "dialog", "from": "role"} reads the turns
	// from the column "dialog" and each turn's role from its key "role".
	// Keys: conversations or messages, from or role, value or content,
	// instruction, input, output, system, text, prompt, chosen, rejected
	// (or dataset.Mapping's names:
	// conversation_column, role_key, ...), format, and roles.<name> with
	// user, assistant or system (roles.bot: assistant). See
	// dataset.MappingKeys.
	Mapping map[string]string `yaml:"mapping,omitempty" json:"mapping,omitempty"`
	// Split picks the files of a folder or hub dataset by split name
	// ("train", "test"...); empty reads the train split when the files are
	// named by split, and every data file otherwise.
	Split string `yaml:"split,omitempty" json:"split,omitempty"`
	// ValFraction of the rows is held out for validation loss (0 disables it
	// unless ValPath is set).
	ValFraction float64 `yaml:"val_fraction" json:"val_fraction"`
	// ValPath is a separate validation set: a file, a folder or a hub id,
	// resolved like Path (a folder or hub dataset gives its validation
	// split, else its test split, else what Path would read), read with
	// the same format, mapping and row options and tokenized the same way.
	// When set it wins over ValFraction: every row of Path is trained on.
	ValPath string `yaml:"val_path,omitempty" json:"val_path,omitempty"`
	// MaxRows caps the training examples (0 = all), handy for a quick try;
	// the file is still read and split whole.
	MaxRows int `yaml:"max_rows,omitempty" json:"max_rows,omitempty"`
	// MaxRowMB refuses (skips and counts) a row larger than this many MB
	// (0 = the default, 16 MB: dataset.DefaultMaxRowBytes), so one damaged
	// or hostile row cannot exhaust memory.
	MaxRowMB int `yaml:"max_row_mb,omitempty" json:"max_row_mb,omitempty"`
	// SkipBadRows skips (and counts) rows that cannot be read or rendered
	// (invalid JSON, an unknown role, an empty conversation, a row the chat
	// template refuses) instead of stopping the run at the first one.
	SkipBadRows bool `yaml:"skip_bad_rows" json:"skip_bad_rows"`
	// MaxBadRows stops the run once more rows than this were skipped
	// (0 = no limit): a mostly unreadable file usually means a wrong
	// mapping, not a few bad rows.
	MaxBadRows int `yaml:"max_bad_rows" json:"max_bad_rows"`
	// Truncation is what happens to an example longer than
	// training.max_seq_len: "truncate" keeps its first max_seq_len tokens,
	// "drop" leaves it out (dataset.Truncations).
	Truncation dataset.Truncation `yaml:"truncation" json:"truncation"`
}

// Training holds the optimiser, schedule and loop hyperparameters.
type Training struct {
	// Method is what the run optimises: "sft" (supervised fine-tuning on
	// the answers), "dpo" (Direct Preference Optimization on chosen and
	// rejected answers, against the base model with the adapters off),
	// "orpo" (odds-ratio preference optimization: the chosen answers' loss
	// plus an odds-ratio term, no reference model) or "cpt" (continued
	// pretraining: raw text, packed, loss on every token).
	Method string `yaml:"method" json:"method"`
	// DPO's beta sets how far the tuned model may move from the
	// base one (higher keeps it closer). TRL's default is 0.1.
	DPOBeta float64 `yaml:"dpo_beta" json:"dpo_beta"`
	// DPO's label smoothing is the assumed fraction of pairs whose preference
	// is wrong (conservative DPO); 0 is the plain sigmoid loss.
	DPOLabelSmoothing float64 `yaml:"dpo_label_smoothing" json:"dpo_label_smoothing"`
	// ORPO's lambda weighs its odds-ratio term against the chosen
	// answers' loss (TRL's ORPOConfig.beta, default 0.1).
	ORPOLambda float64 `yaml:"orpo_lambda" json:"orpo_lambda"`
	// The embeddings' learning rate is that of lora.modules_to_save
	// (0 = learning_rate); Unsloth's continued-pretraining notebook uses a
	// tenth of it or less for the embeddings.
	EmbeddingLearningRate float64 `yaml:"embedding_learning_rate" json:"embedding_learning_rate"`
	// LearningRate is the peak learning rate, reached after the warmup.
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
	// Optimizer is "adamw" (the only one for now; named so configs stay
	// explicit when others arrive).
	Optimizer string `yaml:"optimizer" json:"optimizer"`
	// WeightDecay is AdamW's decoupled weight decay of the adapters.
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	// Beta1 is AdamW's decay rate of the gradient's moving average.
	Beta1 float64 `yaml:"beta1" json:"beta1"`
	// Beta2 is AdamW's decay rate of the squared gradient's moving average.
	Beta2 float64 `yaml:"beta2" json:"beta2"`
	// Epsilon keeps AdamW's update finite where gradients are near zero.
	Epsilon float64 `yaml:"epsilon" json:"epsilon"`
	// Scheduler is linear, cosine or constant; all start with WarmupSteps of
	// linear warmup from zero.
	Scheduler string `yaml:"scheduler" json:"scheduler"`
	// WarmupSteps raise the learning rate linearly from zero to its peak.
	WarmupSteps int `yaml:"warmup_steps" json:"warmup_steps"`
	// BatchSize is sequences per micro-batch; GradAccum micro-batches make one
	// optimiser step (effective batch = BatchSize*GradAccum).
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// GradAccum is the number of micro-batches whose gradients are summed
	// into one optimiser step. The step's loss is normalized by the trained
	// tokens of all its micro-batches together (summed token losses over
	// the summed token count), not averaged per micro-batch, so it equals
	// the loss of one batch of BatchSize*GradAccum sequences.
	GradAccum int `yaml:"grad_accum" json:"grad_accum"`
	// MaxSteps bounds the run in optimiser steps; when 0, Epochs does.
	MaxSteps int `yaml:"max_steps" json:"max_steps"`
	// Epochs is the number of passes over the training rows (fractions
	// allowed); it bounds the run only when MaxSteps is 0.
	Epochs float64 `yaml:"epochs" json:"epochs"`
	// MaxSeqLen truncates (and bounds packing of) tokenized examples.
	MaxSeqLen int `yaml:"max_seq_len" json:"max_seq_len"`
	// MaxGradNorm clips the global gradient norm; 0 disables clipping.
	MaxGradNorm float64 `yaml:"max_grad_norm" json:"max_grad_norm"`
	// TrainOnResponsesOnly masks the prompt tokens out of the loss: only
	// the assistant turns are trained, each answer with its end-of-turn
	// marker and the whitespace after it up to the next turn, as Unsloth's
	// train_on_responses_only does.
	TrainOnResponsesOnly bool `yaml:"train_on_responses_only" json:"train_on_responses_only"`
	// Packing concatenates short examples into full rows.
	Packing bool `yaml:"packing" json:"packing"`
	// GradientCheckpointing keeps only each decoder layer's input for the
	// backward pass and recomputes the rest: activation memory falls to
	// about one layer's worth, for roughly a quarter more compute per step.
	GradientCheckpointing bool `yaml:"gradient_checkpointing" json:"gradient_checkpointing"`
	// EvalEvery runs a validation pass every N optimiser steps (0 = only at
	// the end, when a validation set exists).
	EvalEvery int `yaml:"eval_every" json:"eval_every"`
	// EvalBatches caps a validation pass (0 = the whole validation set).
	EvalBatches int `yaml:"eval_batches" json:"eval_batches"`
}

// Packs reports whether the run's examples share rows: continued
// pretraining always fills whole rows, preference pairs never share one,
// SFT packs as training.packing says.
func (t Training) Packs() bool {
	switch {
	case t.Method == MethodCPT:
		return true
	case PreferenceMethod(t.Method):
		return false
	}
	return t.Packing
}

// Checkpoint controls periodic saving of the resumable state.
type Checkpoint struct {
	// Every N optimiser steps (0 = only when paused or at the end).
	Every int `yaml:"every" json:"every"`
	// Keep the newest N checkpoints (0 = keep all).
	Keep int `yaml:"keep" json:"keep"`
}
