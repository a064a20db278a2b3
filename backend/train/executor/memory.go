package executor

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// memoryChoice is how a run's memory is laid out before it trains.
type memoryChoice struct {
	// Checkpointing is whether the run recomputes layer activations: as
	// its config says, or switched on here (Auto).
	Checkpointing, Auto bool
	// Note says why checkpointing was switched on, for the run's log.
	Note string
	// StepBytes is the estimate's figure for what one training step
	// allocates beyond the weights (train.Options.StepBytes).
	StepBytes int64
}

// chooseMemory switches gradient checkpointing on although the config
// leaves it off when the run's estimate does not fit the memory available
// (bytes; 0 is unknown) and the estimate with checkpointing does. The New
// run form suggests the same before Start; a run started from the CLI or
// the API, or on a busier machine than when it was checked, would
// otherwise swap or be killed. It applies to the pure-Go backend only,
// which trains in RAM (an XLA device's memory is not reported).
func chooseMemory(cfg runconfig.Config, mc *model.Config, backend string, avail int64) (memoryChoice, error) {
	run := estimate.ForConfig(cfg)
	chosen, err := estimate.Training(mc, run)
	if err != nil {
		return memoryChoice{}, err
	}
	c := memoryChoice{Checkpointing: run.GradientCheckpointing}
	if !c.Checkpointing && backend == "go" && avail > 0 && chosen.Total > avail {
		run.GradientCheckpointing = true
		ck, err := estimate.Training(mc, run)
		if err != nil {
			return memoryChoice{}, err
		}
		// When checkpointing alone does not make it fit, the settings stay
		// as the user chose them; the New run check says what would.
		if ck.Total <= avail {
			c.Checkpointing, c.Auto = true, true
			c.Note = fmt.Sprintf("gradient checkpointing: switched on because the run needs about %.1f GiB without it and %.1f GiB with it, and %.1f GiB are available",
				gib(chosen.Total), gib(ck.Total), gib(avail))
			chosen = ck
		}
	}
	c.StepBytes = chosen.StepBytes()
	return c, nil
}

func gib(bytes int64) float64 { return float64(bytes) / (1 << 30) }
