package train

import "errors"

// StepMetrics is what the loop reports after each optimiser step.
type StepMetrics struct {
	Step       int
	TotalSteps int
	// Epoch is the fractional number of passes over the training data.
	Epoch    float64
	Loss     float64
	ValLoss  *float64
	LR       float64
	GradNorm float64
	// TokensPerS counts non-padding tokens of this execution.
	TokensPerS float64
	// ElapsedS includes the time of the executions it resumed from.
	ElapsedS    float64
	EtaS        float64
	RSSMB       float64
	DeviceMemMB *float64
	// Extra holds the objective's own figures of the step (Metrics lists
	// them per method), each a mean over the step's pairs or tokens.
	Extra map[string]float64
}

// Report receives the metrics of every optimiser step; an error stops
// the run.
type Report func(StepMetrics) error

// StopRequest is what the loop is asked to do between optimiser steps.
type StopRequest int

const (
	// Continue training.
	Continue StopRequest = iota
	// Pause: write a checkpoint, then return ErrPaused.
	Pause
	// Cancel: stop at once and return ErrCancelled.
	Cancel
)

// Stopper is polled between optimiser steps.
type Stopper interface {
	StopRequested() StopRequest
}

// StopFunc makes a function a Stopper.
type StopFunc func() StopRequest

// StopRequested implements Stopper.
func (f StopFunc) StopRequested() StopRequest { return f() }

var (
	// ErrPaused is returned after a requested pause, once the checkpoint
	// of the last finished step is written.
	ErrPaused = errors.New("training paused")
	// ErrCancelled is returned after a requested cancellation.
	ErrCancelled = errors.New("training cancelled")
)
