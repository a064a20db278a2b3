// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package workerspool

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countWork returns a task that claims items [0, len(done)) one at a time,
// counting each claim.
func countWork(done []atomic.Int32) func() {
	var next atomic.Int64
	return func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(done) {
				return
			}
			done[i].Add(1)
		}
	}
}

func TestSpinnersDoEveryPieceOnce(t *testing.T) {
	s := NewSpinners(3, time.Millisecond)
	for round := range 200 {
		done := make([]atomic.Int32, 1000)
		s.Run(countWork(done))
		for i := range done {
			if got := done[i].Load(); got != 1 {
				t.Fatalf("round %d: item %d done %d times", round, i, got)
			}
		}
	}
}

// A helper that is running takes the next task: the first goroutine to
// enter the task waits until a second one has.
func TestSpinnersHelpTheCaller(t *testing.T) {
	s := NewSpinners(1, time.Hour)
	s.Run(func() {}) // starts the helper
	var entered atomic.Int32
	second := make(chan struct{})
	s.Run(func() {
		switch entered.Add(1) {
		case 1:
			select {
			case <-second:
			case <-time.After(30 * time.Second):
				t.Error("no helper joined the task")
			}
		case 2:
			close(second)
		}
	})
}

// Idle helpers exit; Run starts them again when needed.
func TestSpinnersExitWhenIdle(t *testing.T) {
	s := NewSpinners(2, 0)
	done := make([]atomic.Int32, 10)
	s.Run(countWork(done))
	for s.Alive() > 0 {
		time.Sleep(time.Millisecond)
	}
	done = make([]atomic.Int32, 10)
	s.Run(countWork(done))
	for i := range done {
		if done[i].Load() != 1 {
			t.Fatalf("item %d not done once after the helpers exited", i)
		}
	}
}

// Runs from several goroutines at once each complete their own work.
func TestSpinnersConcurrentRuns(t *testing.T) {
	s := NewSpinners(2, time.Millisecond)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				done := make([]atomic.Int32, 257)
				s.Run(countWork(done))
				for i := range done {
					if done[i].Load() != 1 {
						t.Errorf("item %d done %d times", i, done[i].Load())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestNilAndEmptySpinnersRunOnTheCaller(t *testing.T) {
	for _, s := range []*Spinners{nil, NewSpinners(0, time.Second)} {
		ran := 0
		s.Run(func() { ran++ })
		if ran != 1 || s.Alive() != 0 {
			t.Fatalf("ran %d times, %d helpers alive", ran, s.Alive())
		}
	}
}
