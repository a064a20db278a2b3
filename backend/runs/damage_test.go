package runs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeCheckpoint writes checkpoints/<step>/ the way backend/train lays it
// out: a manifest listing each file's size (the checksums are the
// trainer's to verify).
func fakeCheckpoint(t *testing.T, s *Store, id string, step int) {
	t.Helper()
	dir := filepath.Join(s.CheckpointsDir(id), strconv.Itoa(step))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "adapter.safetensors"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	man := `{"files":{"adapter.safetensors":{"size":3,"sha256":"x"}}}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(man), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pausedRun makes a run paused at step 3 with a checkpoint at step 2 and
// metrics for steps 1..3.
func pausedRun(t *testing.T, s *Store) Record {
	t.Helper()
	rec, err := s.Create(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := s.AppendMetrics(rec.ID, Metrics{Step: i, Loss: 1}); err != nil {
			t.Fatal(err)
		}
	}
	fakeCheckpoint(t, s, rec.ID, 2)
	rec, err = s.Update(rec.ID, func(r *Record) { r.State = Paused; r.Step = 3; r.LastCheckpoint = 2; r.TotalSteps = 5 })
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// resumeToEnd resumes id on a fresh queue over s and waits for the run.
func resumeToEnd(t *testing.T, s *Store, id string) *stepExecutor {
	t.Helper()
	ex := &stepExecutor{}
	q, err := NewQueue(s, ex.run, nil, WithoutRestore())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.Start(ctx)
	defer q.Close()
	if err := q.Resume(id, 0); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if err := q.Wait(ctx, id); err != nil {
		t.Fatalf("wait: %v", err)
	}
	return ex
}

// A damaged state.json (cut off, empty, wrongly typed...) does not stop the
// store: it opens, lists every run, the damaged one says what is wrong and
// that it can be resumed, the others work, and resuming it rewrites a fresh
// state.json and continues from its checkpoint.
func TestDamagedStateJSON(t *testing.T) {
	cases := map[string]string{
		"truncated":     `{"id":"x","name":"","state":"paus`,
		"empty":         ``,
		"wrong type":    `{"state":"paused","step":"three"}`,
		"array":         `[1,2,3]`,
		"null":          `null`,
		"unknown state": `{"state":"exploded"}`,
		"missing":       "-",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			s, _ := Open(root)
			healthy, _ := s.Create(testConfig())
			bad := pausedRun(t, s)
			if content == "-" {
				os.Remove(s.statePath(bad.ID))
			} else if err := os.WriteFile(s.statePath(bad.ID), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}

			s2, err := Open(root)
			if err != nil {
				t.Fatal(err)
			}
			list, err := s2.List()
			if err != nil || len(list) != 2 {
				t.Fatalf("List = %+v, %v", list, err)
			}
			byID := map[string]Record{list[0].ID: list[0], list[1].ID: list[1]}
			if h := byID[healthy.ID]; h.State != Queued || h.Damage != nil {
				t.Errorf("the healthy run: %+v", h)
			}
			got := byID[bad.ID]
			if got.ID != bad.ID || got.State != Damaged || got.Damage == nil || got.CanResume() != true {
				t.Fatalf("the damaged run: %+v", got)
			}
			d := got.Damage
			if len(d.Files) != 1 || d.Files[0] != "state.json" || !strings.HasPrefix(d.Reason, "state.json ") || d.ResumeStep != 2 ||
				!strings.Contains(d.Advice, "resume") || !strings.Contains(d.Advice, "delete") {
				t.Errorf("damage: %+v", d)
			}
			// From config.yaml and the folder name.
			if got.Model != "models/tiny" || got.Created.IsZero() || got.LastCheckpoint != 2 {
				t.Errorf("damaged record: %+v", got)
			}
			if r, err := s2.Get(bad.ID); err != nil || r.State != Damaged {
				t.Errorf("Get = %+v, %v", r, err)
			}
			// Nothing writes over the damaged file.
			if _, err := s2.Update(bad.ID, func(r *Record) { r.Name = "x" }); !errors.Is(err, ErrDamaged) {
				t.Errorf("Update of a damaged run: %v", err)
			}
			// The app's queue (serve) starts; the healthy run still works.
			if _, err := NewQueue(s2, (&stepExecutor{}).run, nil); err != nil {
				t.Fatalf("NewQueue: %v", err)
			}
			if _, err := s2.Duplicate(healthy.ID); err != nil {
				t.Errorf("Duplicate of the healthy run: %v", err)
			}

			ex := resumeToEnd(t, s2, bad.ID)
			r, err := s2.Get(bad.ID)
			if err != nil || r.State != Completed || r.Step != 5 || r.Damage != nil {
				t.Fatalf("after resume: %+v, %v", r, err)
			}
			if len(ex.resumed) != 1 || !ex.resumed[0] {
				t.Errorf("not executed as a resume: %v", ex.resumed)
			}
			if ms, _ := s2.Metrics(bad.ID); len(ms) != 5 || ms[2].Step != 3 {
				t.Errorf("metrics after resume: %+v", ms)
			}
			if content != "-" {
				if kept, err := os.ReadFile(s2.statePath(bad.ID) + ".damaged"); err != nil || string(kept) != content {
					t.Errorf("damaged state.json not kept: %q, %v", kept, err)
				}
			}
		})
	}
}

// Without a readable config.yaml, or without a checkpoint, a damaged run
// cannot be resumed: Resume says why, and Delete still removes it.
func TestDamagedRunsThatCannotResume(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	garbled := pausedRun(t, s)
	os.WriteFile(s.ConfigPath(garbled.ID), []byte("model: [unclosed\n"), 0o644)
	empty := pausedRun(t, s)
	os.WriteFile(s.ConfigPath(empty.ID), nil, 0o644)
	noCkpt, _ := s.Create(testConfig())
	os.WriteFile(s.statePath(noCkpt.ID), []byte(`{"sta`), 0o644)

	q, err := NewQueue(s, (&stepExecutor{}).run, nil, WithoutRestore())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{garbled.ID, empty.ID} {
		r, err := s.Get(id)
		if err != nil || r.State != Damaged || r.CanResume() || r.Damage.Files[0] != "config.yaml" ||
			!strings.Contains(r.Damage.Advice, "config.yaml") || r.Step != 3 {
			t.Fatalf("run with a bad config: %+v, %v", r, err)
		}
		if err := q.Resume(id, 0); err == nil || !strings.Contains(err.Error(), "cannot be resumed") || !strings.Contains(err.Error(), "config.yaml") {
			t.Errorf("resume with a bad config: %v", err)
		}
		if _, err := s.Duplicate(id); err == nil {
			t.Error("duplicated a run whose config cannot be read")
		}
	}
	r, _ := s.Get(noCkpt.ID)
	if r.State != Damaged || r.CanResume() || !strings.Contains(r.Damage.Advice, "no complete checkpoint") {
		t.Fatalf("run without a checkpoint: %+v", r)
	}
	if err := q.Resume(noCkpt.ID, 0); err == nil || !strings.Contains(err.Error(), "no complete checkpoint") {
		t.Errorf("resume without a checkpoint: %v", err)
	}
	// A checkpoint whose files do not match its manifest does not count.
	fakeCheckpoint(t, s, noCkpt.ID, 4)
	os.WriteFile(filepath.Join(s.CheckpointsDir(noCkpt.ID), "4", "adapter.safetensors"), []byte("a"), 0o644)
	if r, _ := s.Get(noCkpt.ID); r.CanResume() {
		t.Errorf("a partial checkpoint made the run resumable: %+v", r.Damage)
	}
	for _, id := range []string{garbled.ID, empty.ID, noCkpt.ID} {
		if err := q.Delete(id); err != nil {
			t.Errorf("delete damaged run: %v", err)
		}
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Errorf("after deleting: %+v, %v", list, err)
	}
}

// A line cut off in the middle of metrics.jsonl is skipped and counted:
// the run is not damaged, its metrics read, and resuming truncates the
// file without failing, dropping the bad line.
func TestMetricsCutOffMiddleLine(t *testing.T) {
	s, _ := Open(t.TempDir())
	rec := pausedRun(t, s)
	data := `{"step":1,"loss":1}` + "\n" + `{"step":2,"lo` + "\n" + `{"step":3,"loss":1,"future_field":"kept"}` + "\n" + `"hello"` + "\n"
	if err := os.WriteFile(s.MetricsPath(rec.ID), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := s.ReadMetrics(rec.ID)
	if err != nil || len(rep.Metrics) != 2 || rep.Skipped != 2 || !strings.HasPrefix(rep.FirstProblem, "line 2:") {
		t.Fatalf("ReadMetrics = %+v, %v", rep, err)
	}
	if r, _ := s.Get(rec.ID); r.State != Paused {
		t.Fatalf("a bad metrics line made the run %s", r.State)
	}
	if err := s.TruncateMetrics(rec.ID, 3); err != nil {
		t.Fatal(err)
	}
	kept, _ := os.ReadFile(s.MetricsPath(rec.ID))
	if string(kept) != `{"step":1,"loss":1}`+"\n"+`{"step":3,"loss":1,"future_field":"kept"}`+"\n" {
		t.Errorf("truncated file: %q", kept)
	}
	if log, _ := os.ReadFile(s.LogPath(rec.ID)); !strings.Contains(string(log), "dropped 2 unreadable lines") {
		t.Errorf("no warning in the log: %q", log)
	}

	os.WriteFile(s.MetricsPath(rec.ID), []byte(data), 0o644)
	resumeToEnd(t, s, rec.ID)
	rep, _ = s.ReadMetrics(rec.ID)
	steps := []int{}
	for _, m := range rep.Metrics {
		steps = append(steps, m.Step)
	}
	if r, _ := s.Get(rec.ID); r.State != Completed || rep.Skipped != 0 || len(steps) != 4 || steps[0] != 1 || steps[1] != 3 {
		t.Errorf("after resume: state %s, metrics steps %v, %d skipped", r.State, steps, rep.Skipped)
	}
}

// A metrics.jsonl that cannot be read at all damages the run; resuming
// sets it aside and starts a new one.
func TestUnreadableMetricsFile(t *testing.T) {
	s, _ := Open(t.TempDir())
	rec := pausedRun(t, s)
	os.Remove(s.MetricsPath(rec.ID))
	if err := os.Mkdir(s.MetricsPath(rec.ID), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(rec.ID)
	if err != nil || r.State != Damaged || r.Damage.Files[0] != "metrics.jsonl" || !r.CanResume() || r.Step != 3 {
		t.Fatalf("run with an unreadable metrics file: %+v, %v", r, err)
	}
	if _, err := s.Metrics(rec.ID); err == nil {
		t.Error("an unreadable metrics file read as empty")
	}
	resumeToEnd(t, s, rec.ID)
	if r, _ := s.Get(rec.ID); r.State != Completed {
		t.Errorf("after resume: %+v", r)
	}
	if info, err := os.Stat(s.MetricsPath(rec.ID) + ".damaged"); err != nil || !info.IsDir() {
		t.Errorf("unreadable metrics not kept: %v", err)
	}
	if ms, _ := s.Metrics(rec.ID); len(ms) != 3 || ms[0].Step != 3 {
		t.Errorf("metrics after resume: %+v", ms)
	}
}

// state.json damaged while this process trains the run: the run goes on
// and its next write repairs the file.
func TestStateDamagedWhileTraining(t *testing.T) {
	s, _ := Open(t.TempDir())
	ex := newGatedExecutor()
	q, _ := NewQueue(s, ex.run, nil)
	ctx := context.Background()
	q.Start(ctx)
	closeWhenDone(t, q, ex)
	rec, _ := q.Submit(testConfig())
	ex.step()
	os.WriteFile(s.statePath(rec.ID), []byte(`{"st`), 0o644)
	if r, err := s.Get(rec.ID); err != nil || r.State != Running {
		t.Fatalf("trained run with a damaged state.json: %+v, %v", r, err)
	}
	// Another store (another process) sees the damage, and that it is
	// being trained.
	other, _ := Open(s.Root())
	if r, _ := other.Get(rec.ID); r.State != Damaged || r.CanResume() || !strings.Contains(r.Damage.Advice, "training it") {
		t.Errorf("seen from another process: %+v", r)
	}
	for i := 0; i < 4; i++ {
		ex.step()
	}
	q.Wait(ctx, rec.ID)
	if r, _ := other.Get(rec.ID); r.State != Completed || r.Step != 5 {
		t.Errorf("after training: %+v", r)
	}
}
