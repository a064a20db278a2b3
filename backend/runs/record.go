package runs

import (
	"time"
)

// State is where a run is in its life.
type State string

// The states of a run. Interrupted is never written by a healthy process: it
// is what a "running" record becomes when its process is found dead.
const (
	Queued      State = "queued"
	Running     State = "running"
	Paused      State = "paused"
	Completed   State = "completed"
	Failed      State = "failed"
	Cancelled   State = "cancelled"
	Interrupted State = "interrupted"
)

// Resumable reports whether a run in this state can continue from a
// checkpoint.
func (s State) Resumable() bool {
	return s == Paused || s == Interrupted || s == Failed || s == Cancelled
}

// Finished reports whether the state is final until the user acts.
func (s State) Finished() bool {
	return s == Completed || s == Failed || s == Cancelled
}

// Record is a run's state.json: what the run list shows.
type Record struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	State State  `json:"state"`
	// Model and Dataset are copied from the config for the run list.
	Model   string `json:"model"`
	Dataset string `json:"dataset"`

	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`

	// Step is the last optimiser step reported; TotalSteps the planned total
	// (0 until the trainer knows it).
	Step       int      `json:"step"`
	TotalSteps int      `json:"total_steps"`
	Loss       *float64 `json:"loss,omitempty"`
	ValLoss    *float64 `json:"val_loss,omitempty"`
	// LastCheckpoint is the step of the newest checkpoint written (0: none).
	LastCheckpoint int `json:"last_checkpoint"`
	// Error explains a failed run (NaN loss, missing file...).
	Error string `json:"error,omitempty"`
	// DuplicateOf names the run this one was copied from.
	DuplicateOf string `json:"duplicate_of,omitempty"`

	// Owner identifies the process executing the run, so a later process
	// can tell a live run from one whose process died.
	Owner *Owner `json:"owner,omitempty"`
}

// Owner identifies a process across pid reuse.
type Owner struct {
	PID int `json:"pid"`
	// Start is the process start time in clock ticks since boot (Linux), or
	// empty where unknown.
	Start string `json:"start,omitempty"`
}

// Metrics is one line of metrics.jsonl: the state of training after an
// optimiser step. Optional values are null when not measured at that step.
type Metrics struct {
	Step        int      `json:"step"`
	Epoch       float64  `json:"epoch"`
	Loss        float64  `json:"loss"`
	ValLoss     *float64 `json:"val_loss"`
	LR          float64  `json:"lr"`
	GradNorm    float64  `json:"grad_norm"`
	TokensPerS  float64  `json:"tokens_per_s"`
	ElapsedS    float64  `json:"elapsed_s"`
	EtaS        float64  `json:"eta_s"`
	RSSMB       float64  `json:"rss_mb"`
	DeviceMemMB *float64 `json:"device_mem_mb"`
	// TotalSteps is the planned number of steps (for progress bars).
	TotalSteps int `json:"total_steps,omitempty"`
}
