package runs

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// A record's pid is never taken as proof of life: a run "running" in pid 1
// (always alive) or in this very process, without its lock held, is
// interrupted and can be resumed or deleted.
func TestRunningWithoutLockIsInterrupted(t *testing.T) {
	for name, owner := range map[string]Owner{"pid 1": {PID: 1}, "this process": {PID: os.Getpid()}} {
		t.Run(name, func(t *testing.T) {
			s, _ := Open(t.TempDir())
			rec, _ := s.Create(testConfig())
			if _, err := s.Update(rec.ID, func(r *Record) { r.State = Running; r.Owner = &owner }); err != nil {
				t.Fatal(err)
			}
			other, _ := Open(s.Root())
			r, err := other.Get(rec.ID)
			if err != nil || r.State != Interrupted || r.Owner != nil || !r.CanResume() {
				t.Fatalf("Get = %+v, %v", r, err)
			}
			if err := other.Delete(rec.ID); err != nil {
				t.Errorf("Delete: %v", err)
			}
		})
	}
}

// Two resumes of one run queued at once (two processes: two stores and
// queues on one runs folder). The first trains it to completion; the
// second, its turn come, reads the state again under the run's lock and
// refuses instead of training the completed run again.
func TestConcurrentResumesQueuedTogether(t *testing.T) {
	root := t.TempDir()
	s1, _ := Open(root)
	s2, _ := Open(root)
	rec := pausedRun(t, s1)
	ex1 := newGatedExecutor()
	ex2 := &stepExecutor{}
	q1, _ := NewQueue(s1, ex1.run, nil, WithoutRestore())
	q2, _ := NewQueue(s2, ex2.run, nil, WithoutRestore())
	closeWhenDone(t, q1, ex1)
	closeWhenDone(t, q2, nil)
	if err := q1.Resume(rec.ID, 0); err != nil {
		t.Fatal(err)
	}
	// Still queued, not yet started: the second resume is accepted too.
	if err := q2.Resume(rec.ID, 0); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q1.Start(ctx)
	ex1.step() // step 3 of the first: it holds the device and the run
	q2.Start(ctx)
	ex1.step()
	ex1.step()
	if err := q1.Wait(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	err := q2.Wait(ctx, rec.ID)
	if !errors.Is(err, ErrRefused) || err.Error() != "run "+rec.ID+" completed while waiting; nothing to resume" {
		t.Fatalf("second resume: %v", err)
	}
	if len(ex2.order) != 0 {
		t.Errorf("the second queue trained the run: %v", ex2.order)
	}
	r, _ := s2.Get(rec.ID)
	ms, _ := s2.Metrics(rec.ID)
	if r.State != Completed || r.Step != 5 || r.Error != "" || len(ms) != 5 {
		t.Errorf("after both: %+v, %d metric lines", r, len(ms))
	}
	if log, _ := os.ReadFile(s2.LogPath(rec.ID)); !strings.Contains(string(log), "completed while waiting") {
		t.Errorf("refusal not in the log: %q", log)
	}
}

// A resume asked while another process trains the run is refused at once,
// and so is deleting it; the refusal names the process.
func TestResumeWhileAnotherProcessTrains(t *testing.T) {
	root := t.TempDir()
	s1, _ := Open(root)
	s2, _ := Open(root)
	rec := pausedRun(t, s1)
	ex1 := newGatedExecutor()
	q1, _ := NewQueue(s1, ex1.run, nil, WithoutRestore())
	q2, _ := NewQueue(s2, (&stepExecutor{}).run, nil, WithoutRestore())
	ctx := context.Background()
	q1.Start(ctx)
	q2.Start(ctx)
	closeWhenDone(t, q1, ex1)
	closeWhenDone(t, q2, nil)
	if err := q1.Resume(rec.ID, 0); err != nil {
		t.Fatal(err)
	}
	ex1.step()
	err := q2.Resume(rec.ID, 0)
	if err == nil || !strings.Contains(err.Error(), "is running (process ") || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("second resume: %v", err)
	}
	if err := s2.Delete(rec.ID); err == nil || !strings.Contains(err.Error(), "cancel it before deleting") {
		t.Errorf("delete while training: %v", err)
	}
	// Nor can a job of the second queue claim it, had it been queued.
	if _, err := s2.claim(rec.ID, true); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "being trained by another process") {
		t.Errorf("claim while training: %v", err)
	}
	ex1.step()
	ex1.step()
	q1.Wait(ctx, rec.ID)
	if r, _ := s2.Get(rec.ID); r.State != Completed {
		t.Errorf("after training: %+v", r)
	}
}
