package executor

import (
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// PrepStage is a step of a run's preparation before its first training
// step, in the order they happen.
type PrepStage string

const (
	// PrepReading counts the data's rows, so tokenizing has a total.
	PrepReading PrepStage = "reading"
	// PrepTokenizing renders and tokenizes rows: Done of Total rows.
	PrepTokenizing PrepStage = "tokenizing"
	// PrepBatching plans the first epoch's micro-batches (packing them
	// when training.packing is on).
	PrepBatching PrepStage = "batching"
	// PrepLoading loads the base model's weights and adds the adapters.
	PrepLoading PrepStage = "loading"
	// PrepCompiling builds and compiles the training step, which the
	// first step waits for.
	PrepCompiling PrepStage = "compiling"
)

// PrepStages lists the stages in order.
var PrepStages = []PrepStage{PrepReading, PrepTokenizing, PrepBatching, PrepLoading, PrepCompiling}

// Prep is one report of a run's preparation: its stage and, where it
// counts something (rows), how far it is. Total 0 is unknown.
type Prep struct {
	Stage PrepStage `json:"stage"`
	Done  int       `json:"done"`
	Total int       `json:"total"`
	// Note says what is being done in words ("tokenized 12000 of 30000
	// rows").
	Note string `json:"note"`
}

// prepEvery is how often tokenizing reports, in rows: a few hundred
// reports on 30k rows, none on a dataset of a few hundred.
const prepEvery = 500

// prep reports p through env.Prep, when set.
func (env Env) prep(job *runs.Job, p Prep) {
	if env.Prep != nil {
		env.Prep(job, p)
	}
}
