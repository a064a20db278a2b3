// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package workerspool

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Spinners are helper goroutines that share short tasks with their caller
// and, between tasks, keep polling for the next one for a while before they
// exit.
//
// A one-token decode step is a chain of matrix-vector products of tens of
// microseconds each. Handing each to a freshly started goroutine (Saturate)
// costs a thread wake-up per product, which on a virtual machine takes about
// as long as the product itself: a 1024 x 640 BFloat16 product read memory
// at half the rate of one long product. A helper that is still polling
// takes the next task at once. The caller always works on the task too, so
// a helper that is late, or gone, only means less help, never a wait; and
// helpers that find nothing to do for spinFor exit, so an idle Spinners
// holds no goroutines.
type Spinners struct {
	n       int32
	spinFor time.Duration
	alive   atomic.Int32
	job     atomic.Pointer[spinJob]
}

// spinJob is one Run: its task and the count of helpers inside it, with
// spinClosed set once the caller has finished and no helper may join.
type spinJob struct {
	task  func()
	state atomic.Int64
}

const spinClosed = int64(1) << 62

// NewSpinners returns up to n helpers, started by Run as needed, that poll
// for spinFor after each task before they exit.
func NewSpinners(n int, spinFor time.Duration) *Spinners {
	return &Spinners{n: int32(max(n, 0)), spinFor: spinFor}
}

// Run calls task on the calling goroutine and on every helper free to take
// it, and returns once all these calls have returned. task must split its
// work dynamically (for instance with an atomic counter), since any number
// of copies, from one up, may run. When another Run is in progress, task
// runs on the caller alone.
func (s *Spinners) Run(task func()) {
	if s == nil || s.n == 0 {
		task()
		return
	}
	j := &spinJob{task: task}
	if !s.job.CompareAndSwap(nil, j) {
		task()
		return
	}
	for {
		a := s.alive.Load()
		if a >= s.n {
			break
		}
		if s.alive.CompareAndSwap(a, a+1) {
			go s.helper()
		}
	}
	task()
	// Close the job to latecomers, then wait for the helpers inside, which
	// are at most one piece of work from done.
	j.state.Or(spinClosed)
	for spins := 0; j.state.Load() != spinClosed; spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
	s.job.Store(nil)
}

// Alive returns the number of helper goroutines running now.
func (s *Spinners) Alive() int {
	if s == nil {
		return 0
	}
	return int(s.alive.Load())
}

func (s *Spinners) helper() {
	defer s.alive.Add(-1)
	var last *spinJob
	idleSince := time.Now()
	for {
		if j := s.job.Load(); j != nil && j != last {
			last = j
			if j.join() {
				j.task()
				j.state.Add(-1)
			}
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) >= s.spinFor {
			return
		}
		// Yield rather than hold the processor: the caller's other
		// goroutines (the graph executor's) keep running.
		runtime.Gosched()
	}
}

// join enters the job unless its caller has already finished.
func (j *spinJob) join() bool {
	for {
		v := j.state.Load()
		if v&spinClosed != 0 {
			return false
		}
		if j.state.CompareAndSwap(v, v+1) {
			return true
		}
	}
}
