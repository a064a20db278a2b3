package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// EstimateResult puts the memory estimate (backend/estimate, for the
// settings the run used) next to the measured peak.
type EstimateResult struct {
	Breakdown  estimate.Breakdown `json:"breakdown"`
	EstimateMB float64            `json:"estimate_mb"`
	PeakRSSMB  float64            `json:"peak_rss_mb"`
	// Ratio is EstimateMB / PeakRSSMB (issue 19 asks for 0.9–1.1).
	Ratio float64 `json:"ratio"`
	// AvailableMB is MemAvailable before the run (0: unknown).
	AvailableMB float64 `json:"available_mb"`
	// Checkpointing says whether gradient checkpointing was used and why.
	Checkpointing string `json:"checkpointing"`
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// estimateRun is the estimate's description of a bench run.
func estimateRun(c Config, checkpointing bool) estimate.Run {
	return estimate.Run{WeightBytes: runconfig.Model{Storage: c.Storage}.StorageBytes(), Rank: c.Rank, Targets: model.AllLinear, BatchSize: c.Batch, SeqLen: c.Seq,
		GradientCheckpointing: checkpointing}
}

// chooseCheckpointing decides gradient checkpointing as a run with the
// default preset does (service checkFit, estimate.Suggest): off unless the
// estimate without it exceeds the available memory. forced turns it on.
// It returns the choice, its estimate and the sentence that explains it.
func chooseCheckpointing(c Config, mc *model.Config, forced bool, availMB float64) (bool, estimate.Breakdown, string, error) {
	if forced {
		b, err := estimate.Training(mc, estimateRun(c, true))
		return true, b, "on (--grad-checkpoint)", err
	}
	off, err := estimate.Training(mc, estimateRun(c, false))
	if err != nil {
		return false, off, "", err
	}
	if availMB <= 0 || mib(off.Total) <= availMB {
		why := fmt.Sprintf("off: the estimate without it, %.0f MiB, fits the %.0f MiB available", mib(off.Total), availMB)
		if availMB <= 0 {
			why = "off: available memory unknown"
		}
		return false, off, why, nil
	}
	on, err := estimate.Training(mc, estimateRun(c, true))
	return true, on, fmt.Sprintf("on: the estimate without it, %.0f MiB, exceeds the %.0f MiB available (with it: %.0f MiB)",
		mib(off.Total), availMB, mib(on.Total)), err
}

// releaseMemory returns freed memory to the system: the go backend pools
// its buffers in sync.Pools, which the second collection empties.
func releaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// resetPeakRSS releases what the process no longer uses and resets its
// peak RSS (VmHWM) to the current RSS, so that the roofline measurement
// before training does not count in training's peak. Linux only; false
// when the kernel refused.
func resetPeakRSS() bool {
	releaseMemory()
	// "5" resets the peak resident set size (proc(5), clear_refs).
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
