package executor

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"slices"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// Plan is what a run config asks of the executor, as the typed options of
// the packages that do the work: which model to load and how, how the data
// is read (dataset.Options), labeled, tokenized and split, how it is
// batched, which adapters are added and how the trainer runs. plan derives
// all of it from a runconfig.Config in one place; plan_test.go checks that
// every config path changes the Plan, or says why it does not.
type Plan struct {
	Model ModelPlan
	Data  DataPlan
	LoRA  model.LoRAConfig
	// Batch is how micro-batches are made; the executor adds the
	// tokenizer's PadID.
	Batch batch.BatchOptions
	// Train is the trainer's options; the executor adds the run's
	// checkpoint folder, its resume point and its callbacks.
	Train train.Options
	// Output is a folder the adapter is copied to after training ("" for
	// none).
	Output string
	// Method is training.method; Preference holds the settings of the
	// preference methods (DPO, ORPO), read when Method is one of them.
	Method     string
	Preference train.PreferenceOptions
	// ModuleLRScale multiplies the learning rate of lora.modules_to_save:
	// training.embedding_learning_rate over training.learning_rate, 1 when
	// the former is 0.
	ModuleLRScale float64
}

// ModelPlan is which base model to load and how to run it.
type ModelPlan struct {
	// Source is a local folder or a hub id, Revision a hub revision.
	Source   string
	Revision string
	// GradientCheckpointing recomputes each layer's activations in the
	// backward pass (model.Model.SetGradientCheckpointing).
	GradientCheckpointing bool
	// Quantization is how the frozen projections are kept in memory
	// (model.Options.Quantization: none, nf4 or int8).
	Quantization string
	// Storage is the dtype of the other frozen weights (and of the
	// projections when not quantized): model.Options.StorageDType.
	Storage dtypes.DType
}

// DataPlan is where the examples come from and how they are made.
type DataPlan struct {
	// Path is the training data: a file, a folder or a hub id.
	Path string
	// ValPath is the validation data, resolved like Path; "" splits the
	// validation set off Path instead (Split).
	ValPath string
	// Dataset reads both; the executor sets Files for a hub id, and the
	// validation data's Split (its validation or test split when it has
	// one).
	Dataset  dataset.Options
	Mode     batch.Mode
	Tokenize batch.TokenizeOptions
	// Split is zero when ValPath is set: every row of Path is trained on.
	Split batch.SplitOptions
	// MaxExamples caps the training examples after the split (0: all).
	MaxExamples int
}

// plan turns a run config into the executor's Plan. It reads nothing from
// disk: what needs the model or the data (the tokenizer's padding id, hub
// files, limits that depend on the model) is the executor's.
func plan(cfg runconfig.Config) (Plan, error) {
	if err := cfg.Check(); err != nil {
		return Plan{}, err
	}
	t := cfg.Training
	data, err := dataPlan(cfg)
	if err != nil {
		return Plan{}, err
	}
	return Plan{
		Model: ModelPlan{Source: cfg.Model.Source, Revision: cfg.Model.Revision, GradientCheckpointing: t.GradientCheckpointing,
			Quantization: cfg.Model.Quantization, Storage: cfg.Model.StorageDType()},
		Data: data,
		LoRA: model.LoRAConfig{Rank: cfg.LoRA.R, Alpha: cfg.LoRA.Alpha, Dropout: cfg.LoRA.Dropout, RSLoRA: cfg.LoRA.RSLoRA,
			TargetModules: slices.Clone(cfg.LoRA.Targets), ModulesToSave: slices.Clone(cfg.LoRA.ModulesToSave), Seed: cfg.Seed},
		Batch: batch.BatchOptions{BatchSize: t.BatchSize, MaxLen: t.MaxSeqLen, Pack: t.Packs(), Seed: uint64(cfg.Seed)},
		Train: train.Options{Training: trainerSettings(t), Seed: cfg.Seed,
			CheckpointEvery: cfg.Checkpoint.Every, CheckpointKeep: cfg.Checkpoint.Keep},
		Output: cfg.Output,
		Method: t.Method,
		Preference: train.PreferenceOptions{Method: t.Method, Beta: t.DPOBeta, LabelSmoothing: t.DPOLabelSmoothing,
			Lambda: t.ORPOLambda},
		ModuleLRScale: moduleLRScale(t),
	}, nil
}

func moduleLRScale(t runconfig.Training) float64 {
	if t.EmbeddingLearningRate == 0 {
		return 1
	}
	return t.EmbeddingLearningRate / t.LearningRate
}

// dataPlan is plan's DataPlan. It needs only the dataset settings to be
// valid, so a check before Start (CountExamples) reads the data as
// training will even while other fields are still being edited.
func dataPlan(cfg runconfig.Config) (DataPlan, error) {
	d, t := cfg.Dataset, cfg.Training
	mapping, errs := dataset.ParseMappingKeys(d.Mapping)
	if len(errs) > 0 { // Check refuses these already
		return DataPlan{}, fmt.Errorf("dataset.mapping: %w", errs[0])
	}
	if d.Format != "" {
		f, err := dataset.ParseFormat(d.Format)
		if err != nil {
			return DataPlan{}, fmt.Errorf("dataset.format: %w", err)
		}
		mapping.Format = f // dataset.format wins over a "format" key of the mapping
	}
	// Continued pretraining learns every token of its text; preference
	// pairs train their answers whatever the mode says.
	mode := batch.TrainAll
	if t.TrainOnResponsesOnly && t.Method != runconfig.MethodCPT {
		mode = batch.TrainResponses
	}
	split := batch.SplitOptions{Fraction: d.ValFraction, Seed: uint64(cfg.Seed)}
	if d.ValPath != "" {
		split = batch.SplitOptions{}
	}
	return DataPlan{
		Path: d.Path, ValPath: d.ValPath,
		Dataset: ReadOptions(mapping, d),
		Mode:    mode,
		Tokenize: batch.TokenizeOptions{MaxLen: t.MaxSeqLen, Truncation: d.Truncation, SkipBadRows: d.SkipBadRows,
			// Continued pretraining reads long documents: every part of
			// one is trained, in max_seq_len pieces, none cut away.
			SplitLong: t.Method == runconfig.MethodCPT},
		Split:       split,
		MaxExamples: d.MaxRows,
	}, nil
}

// ReadOptions is how a run reads the data of its config's dataset
// section: mapping (dataset.mapping and dataset.format, parsed) and the
// row options (split, bad rows, row size). service.Datasets reads through
// it too, so that the Datasets screen and `whetstone data inspect` read
// the files a run reads and skip the rows it skips.
func ReadOptions(mapping dataset.Mapping, d runconfig.Dataset) dataset.Options {
	return dataset.Options{Mapping: mapping, SkipBadRows: d.SkipBadRows, MaxBadRows: d.MaxBadRows,
		Split: d.Split, MaxRowBytes: int64(d.MaxRowMB) << 20}
}

// trainerSettings are the fields of t that Run reads. The others reach
// the tokenizer, the batcher and the model through the rest of the Plan
// and stay zero here, so that the Plan changes with a field only where
// something reads it.
func trainerSettings(t runconfig.Training) runconfig.Training {
	return runconfig.Training{
		LearningRate: t.LearningRate, Scheduler: t.Scheduler, WarmupSteps: t.WarmupSteps,
		WeightDecay: t.WeightDecay, Beta1: t.Beta1, Beta2: t.Beta2, Epsilon: t.Epsilon, MaxGradNorm: t.MaxGradNorm,
		GradAccum: t.GradAccum, MaxSteps: t.MaxSteps, Epochs: t.Epochs,
		EvalEvery: t.EvalEvery, EvalBatches: t.EvalBatches,
	}
}
