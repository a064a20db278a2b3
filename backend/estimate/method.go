package estimate

import (
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// ForConfig is the Run a run config describes: its adapters and trained
// modules, the batch shape (BatchSize in examples, pairs for the
// preference methods), checkpointing, the storage of the frozen weights
// and the training method. The New run form's memory check and the
// executor's automatic checkpointing both read it.
func ForConfig(cfg runconfig.Config) Run {
	t := cfg.Training
	return Run{
		WeightBytes: cfg.Model.StorageBytes(),
		Rank:        cfg.LoRA.R, Targets: cfg.LoRA.Targets, ModulesToSave: cfg.LoRA.ModulesToSave,
		BatchSize: t.BatchSize, SeqLen: t.MaxSeqLen,
		GradientCheckpointing: t.GradientCheckpointing, Quantization: cfg.Model.Quantization,
		Method: t.Method,
	}
}

// rowsPerExample is how many rows one example of the method takes in a
// micro-batch: a preference pair is two, its chosen and rejected sides.
func rowsPerExample(method string) int {
	if runconfig.PreferenceMethod(method) {
		return 2
	}
	return 1
}

// methodTraining is Training for a method whose examples take several
// rows (Run.Method), DPO's with a reference pass too.
//
// DPO's reference pass (the same weights with the adapters off) adds one
// decoder layer's activations of the batch: it needs no gradient, so each
// of its layers' values is dropped once the next layer has read it, and
// only its per-row log-probabilities are kept for the loss. A layer is
// taken as the run's activations over its layers without checkpointing,
// and adds its share of the overhead (the pools' and the collector's
// slack grow with the live memory and the step's) at the run's own ratio.
func methodTraining(c *model.Config, r Run) (Breakdown, error) {
	reference := r.Method == runconfig.MethodDPO
	r.BatchSize *= rowsPerExample(r.Method)
	r.Method = ""
	b, err := Training(c, r)
	if err != nil || !reference {
		return b, err
	}
	plain := r
	plain.GradientCheckpointing = false
	full, err := Training(c, plain)
	if err != nil {
		return b, err
	}
	layer := full.Activations / int64(max(1, c.NumLayers))
	overhead := int64(float64(layer) * float64(b.Overhead) / float64(max(1, b.Total-b.Overhead)))
	b.Activations += layer
	b.Overhead += overhead
	b.Total += layer + overhead
	return b, nil
}
