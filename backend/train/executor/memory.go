package executor

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// autoCheckpointing says whether a run should get gradient checkpointing
// although its config leaves it off: when its estimate does not fit the
// memory available (bytes; 0 is unknown) and the estimate with
// checkpointing does. The New run form suggests the same before Start; a
// run started from the CLI or the API, or on a busier machine than when it
// was checked, would otherwise swap or be killed. It applies to the
// pure-Go backend only, which trains in RAM (an XLA device's memory is not
// reported). The note says why, for the run's log.
func autoCheckpointing(cfg runconfig.Config, mc *model.Config, backend string, avail int64) (bool, string, error) {
	if cfg.Training.GradientCheckpointing || backend != "go" || avail <= 0 {
		return false, "", nil
	}
	run := estimate.ForConfig(cfg)
	plain, err := estimate.Training(mc, run)
	if err != nil {
		return false, "", err
	}
	if plain.Total <= avail {
		return false, "", nil
	}
	run.GradientCheckpointing = true
	ck, err := estimate.Training(mc, run)
	if err != nil {
		return false, "", err
	}
	if ck.Total > avail {
		// Checkpointing alone does not make it fit: leave the settings
		// as the user chose them; the New run check says what would.
		return false, "", nil
	}
	return true, fmt.Sprintf("gradient checkpointing: switched on because the run needs about %.1f GiB without it and %.1f GiB with it, and %.1f GiB are available",
		gib(plain.Total), gib(ck.Total), gib(avail)), nil
}

// stepBytes is the memory estimate's figure for what one training step
// allocates beyond the weights (train.Options.StepBytes).
func stepBytes(cfg runconfig.Config, mc *model.Config, checkpointing bool) (int64, error) {
	run := estimate.ForConfig(cfg)
	run.GradientCheckpointing = checkpointing
	b, err := estimate.Training(mc, run)
	if err != nil {
		return 0, err
	}
	return b.StepBytes(), nil
}

func gib(bytes int64) float64 { return float64(bytes) / (1 << 30) }
