package service

import (
	"sync"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// PrepTopic carries a run's preparation before its first step: rows read
// and tokenized of the total, batching, loading the model, compiling.
const PrepTopic = "run.prep"

// PrepEvent is the payload of "run.prep" and what Runs.Prep returns.
type PrepEvent struct {
	ID string `json:"id"`
	executor.Prep
}

// prepBoard keeps each run's latest preparation report, so a page opened
// in the middle of it shows where it is, not nothing until the next
// report. It holds the runs prepared since the app started: one entry
// each, a few dozen bytes.
type prepBoard struct {
	mu   sync.Mutex
	last map[string]PrepEvent
}

// reporter is executor.Env.Prep: it records p and publishes it.
func (b *prepBoard) reporter(em events.Emitter) func(job *runs.Job, p executor.Prep) {
	return func(job *runs.Job, p executor.Prep) {
		ev := PrepEvent{ID: job.ID, Prep: p}
		b.mu.Lock()
		if b.last == nil {
			b.last = map[string]PrepEvent{}
		}
		b.last[job.ID] = ev
		b.mu.Unlock()
		if em != nil {
			em.Emit(PrepTopic, ev)
		}
	}
}

// Prep returns the latest preparation report of a run (its id, the start
// of its id or its name); ok is false when this process has not prepared
// it (not started yet, or prepared before the app started).
func (s *Runs) Prep(ref string) (out PrepEvent, err error) {
	defer guard(s.deps.Log, "Runs.Prep", &err)
	store, _, err := s.b.get()
	if err != nil {
		return out, err
	}
	id, err := s.runID(store, ref)
	if err != nil {
		return out, err
	}
	s.b.prep.mu.Lock()
	defer s.b.prep.mu.Unlock()
	out, ok := s.b.prep.last[id]
	if !ok {
		out = PrepEvent{ID: id}
	}
	return out, nil
}
