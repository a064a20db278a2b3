package runs

import (
	"slices"
	"time"
)

// State is where a run is in its life.
type State string

// The states of a run. Interrupted is never written by a healthy process: it
// is what a "running" record becomes when no process holds the run's lock.
// Damaged is never written at all: it is how a run whose state.json,
// config.yaml or metrics.jsonl cannot be read is reported (see Damage).
const (
	Queued      State = "queued"
	Running     State = "running"
	Paused      State = "paused"
	Completed   State = "completed"
	Failed      State = "failed"
	Cancelled   State = "cancelled"
	Interrupted State = "interrupted"
	Damaged     State = "damaged"
)

// known reports whether s is a state a state.json may hold.
func (s State) known() bool {
	switch s {
	case Queued, Running, Paused, Completed, Failed, Cancelled, Interrupted:
		return true
	}
	return false
}

// Resumable reports whether a run in this state can continue from a
// checkpoint. A damaged run may be resumable too: see Record.CanResume.
func (s State) Resumable() bool {
	return slices.Contains(ResumableStates, s)
}

// ResumableStates are the states a run can be resumed from (the UI reads
// the list from the generated contract).
var ResumableStates = []State{Paused, Interrupted, Failed, Cancelled}

// ActiveStates are queued or training: such a run can be paused or
// cancelled, not deleted.
var ActiveStates = []State{Queued, Running}

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

	// Owner names the process executing the run, for display ("running in
	// process 123 on host"). Whether that process is alive is never judged
	// from it: a "running" run is live exactly while its lock is held (see
	// runlock.go), which a dead, zombie or reused pid cannot fake.
	Owner *Owner `json:"owner,omitempty"`

	// Damage is set, with State Damaged, when the run's files cannot be
	// read; it is never written to state.json.
	Damage *Damage `json:"damage,omitempty"`

	// Version counts the writes of state.json. Each "run.state" event
	// carries the record it wrote, so a UI that sees a version it already
	// has, or one that skips a number, knows it missed or reordered an
	// event and asks the store again instead of showing a stale state.
	Version int64 `json:"version"`
}

// CanResume reports whether Queue.Resume would accept the run: a resumable
// state, or damage that a resume can repair.
func (r Record) CanResume() bool {
	if r.State == Damaged {
		return r.Damage != nil && r.Damage.Resumable
	}
	return r.State.Resumable()
}

// Owner is the process executing a run, for display only.
type Owner struct {
	PID  int    `json:"pid"`
	Host string `json:"host,omitempty"`
}

// Damage says why a run's files cannot be read and what can still be done.
type Damage struct {
	// Files names the run's files that cannot be read ("state.json",
	// "config.yaml", "metrics.jsonl").
	Files []string `json:"files"`
	// Reason says what is wrong, file by file.
	Reason string `json:"reason"`
	// Resumable is true when config.yaml is readable and a complete
	// checkpoint exists: Queue.Resume then sets the damaged files aside
	// (as <name>.damaged), writes a fresh state.json and continues from
	// the checkpoint at ResumeStep (the newest that looks complete).
	Resumable  bool `json:"resumable"`
	ResumeStep int  `json:"resume_step,omitempty"`
	// Advice says in words what can be done: resume, delete, or why not.
	Advice string `json:"advice"`
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
	// Extra holds the training method's own figures (train.Metrics names
	// them: DPO's rewards, ORPO's odds ratio), absent for SFT.
	Extra map[string]float64 `json:"extra,omitempty"`
}
