package service

import (
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/accel"
	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// FitSuggestion is the least harmful change of a run's settings that
// makes its estimate fit (estimate.Suggest): the concrete values to set.
type FitSuggestion struct {
	GradientCheckpointing bool `json:"gradient_checkpointing"`
	// Quantization is the model.quantization to set: the run's own, or
	// "nf4" where storing the base projections in 4 bits makes it fit.
	Quantization string  `json:"quantization,omitempty"`
	BatchSize    int     `json:"batch_size"`
	GradAccum    int     `json:"grad_accum"`
	MaxSeqLen    int     `json:"max_seq_len"`
	TotalMB      float64 `json:"total_mb"`
	// Text says it in a sentence, e.g. "turn on gradient checkpointing
	// (estimated 7.7 GiB)".
	Text string `json:"text"`
}

// memoryEstimate estimates training mc with cfg (a preference method's
// micro-batch holds both sides of its pairs, and DPO runs a reference
// pass: see estimate.Run.Method) and checks it against the memory of this
// machine that the run will use, with a suggestion when it does not fit.
// Available memory is RAM (MemAvailable): the pure-Go backend trains in
// it. An XLA backend on a GPU trains in the GPU's
// memory, which GoMLX does not report; the check then says so in Note
// rather than compare with the wrong memory silently.
func (d Deps) memoryEstimate(mc *model.Config, cfg runconfig.Config) (MemoryEstimate, error) {
	return checkFit(mc, cfg, availableMB(), d.plannedGPU())
}

// checkFit is memoryEstimate with the machine's free memory (MB, 0 when
// unknown) and GPU backend ("" for none) given.
func checkFit(mc *model.Config, cfg runconfig.Config, freeMB float64, gpu string) (MemoryEstimate, error) {
	t := cfg.Training
	run := estimate.ForConfig(cfg)
	b, err := estimate.Training(mc, run)
	if err != nil {
		return MemoryEstimate{}, err
	}
	out := MemoryEstimate{Breakdown: b, TotalMB: mb(b.Total), FreeMB: freeMB, Memory: "RAM"}
	if gpu != "" {
		out.Note = fmt.Sprintf("training runs on %s, whose GPU memory the backend does not report: this compares the estimate with RAM", gpu)
	}
	out.Fits = out.FreeMB == 0 || out.TotalMB <= out.FreeMB
	if out.Fits {
		return out, nil
	}
	fit, ok, err := estimate.Suggest(mc, run, t.GradAccum, int64(out.FreeMB*(1<<20)))
	if err != nil {
		return out, err
	}
	if !ok {
		weights := gib(mb(b.BaseWeights))
		// Suggest tried NF4 too: say what the weights take that way.
		q := run
		q.Quantization = model.QuantNF4
		if qb, err := estimate.Training(mc, q); err == nil && qb.BaseWeights < b.BaseWeights {
			weights += fmt.Sprintf(" (%s as NF4)", gib(mb(qb.BaseWeights)))
		}
		out.Note = joinNote(out.Note, fmt.Sprintf("no setting fits in %s: the base weights alone take %s; use a smaller model or a machine with more memory",
			gib(out.FreeMB), weights))
		return out, nil
	}
	s := &FitSuggestion{GradientCheckpointing: fit.GradientCheckpointing, Quantization: fit.Quantization, BatchSize: fit.BatchSize, GradAccum: fit.GradAccum,
		MaxSeqLen: fit.SeqLen, TotalMB: mb(fit.Estimate.Total)}
	var steps []string
	if fit.GradientCheckpointing && !t.GradientCheckpointing {
		steps = append(steps, "turn on gradient checkpointing")
	}
	if fit.BatchSize != t.BatchSize {
		steps = append(steps, fmt.Sprintf("use batch size %d with %d accumulation steps (the same effective batch of %d)",
			fit.BatchSize, fit.GradAccum, fit.BatchSize*fit.GradAccum))
	}
	if fit.Quantization != run.Quantization && fit.Quantization != "" {
		steps = append(steps, fmt.Sprintf("store the base weights as %s (model.quantization)", strings.ToUpper(fit.Quantization)))
	}
	if fit.SeqLen != t.MaxSeqLen {
		steps = append(steps, fmt.Sprintf("lower max_seq_len to %d", fit.SeqLen))
	}
	s.Text = fmt.Sprintf("%s (estimated %s of the %s available)", strings.Join(steps, ", "), gib(s.TotalMB), gib(out.FreeMB))
	out.Suggestion = s
	return out, nil
}

// plannedGPU names the GPU backend the settings (or GOMLX_BACKEND, which
// wins as in openCompute) choose, without opening it: loading a PJRT
// plugin to answer a form's question would cost seconds. "" for the CPU.
// A plugin is taken for a GPU one by its name (pjrt_c_api_cuda_plugin.so).
func (d Deps) plannedGPU() string {
	config := strings.TrimSpace(d.Getenv(accel.EnvVar))
	if config == "" {
		settings, err := d.Workspace.LoadSettings()
		if err != nil || settings.Backend != "xla" {
			return ""
		}
		config = "xla:" + settings.XLAPluginPath
	}
	name, plugin, _ := strings.Cut(config, ":")
	lower := strings.ToLower(plugin)
	for _, gpu := range []string{"cuda", "rocm", "gpu"} {
		if name == "xla" && strings.Contains(lower, gpu) {
			return "XLA (" + gpu + ")"
		}
	}
	return ""
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func gib(mb float64) string { return fmt.Sprintf("%.1f GiB", mb/1024) }

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
