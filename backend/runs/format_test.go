package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// formatOneState is a state.json as format 1 wrote it: the record with no
// "format" field.
func formatOneState(t *testing.T, s *Store, id string, rec Record) []byte {
	t.Helper()
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if err := os.WriteFile(s.statePath(id), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

func fileFormat(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		t.Fatal(err)
	}
	if head.Format == nil {
		return 0
	}
	return *head.Format
}

func TestNewRunsWriteTheCurrentFormat(t *testing.T) {
	s, _ := Open(t.TempDir())
	rec, err := s.Create(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if f := fileFormat(t, s.statePath(rec.ID)); f != StateFormat {
		t.Errorf("Create wrote format %d, want %d", f, StateFormat)
	}
	if _, err := s.Update(rec.ID, func(r *Record) { r.Step = 1 }); err != nil {
		t.Fatal(err)
	}
	if f := fileFormat(t, s.statePath(rec.ID)); f != StateFormat {
		t.Errorf("Update wrote format %d, want %d", f, StateFormat)
	}
}

// A run written by format 1 (no "format" field) lists, reads and queues
// like any other, and its state.json is not touched until the run's state
// changes; that write adds the format.
func TestStateFormatOneLoadsAndIsUpgradedOnlyWhenWritten(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	paused := pausedRun(t, s)
	queued, _ := s.Create(testConfig())
	oldPaused := formatOneState(t, s, paused.ID, paused)
	queuedRec, _ := s.Get(queued.ID)
	oldQueued := formatOneState(t, s, queued.ID, queuedRec)

	s2, _ := Open(root)
	list, err := s2.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	for _, r := range list {
		if r.State == Damaged || r.Damage != nil {
			t.Fatalf("a format 1 run is damaged: %+v", r.Damage)
		}
	}
	got, err := s2.Get(paused.ID)
	if err != nil || got.State != Paused || got.Step != 3 || got.LastCheckpoint != 2 || got.Version != paused.Version || !got.CanResume() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := NewQueue(s2, (&stepExecutor{}).run, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Config(paused.ID); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]byte{paused.ID: oldPaused, queued.ID: oldQueued} {
		if data, _ := os.ReadFile(s2.statePath(id)); !bytes.Equal(data, want) {
			t.Errorf("reading run %s rewrote its state.json:\n%s", id, data)
		}
	}

	// The next write upgrades it, keeping every field.
	up, err := s2.Update(paused.ID, func(r *Record) { r.Name = "renamed" })
	if err != nil {
		t.Fatal(err)
	}
	if f := fileFormat(t, s2.statePath(paused.ID)); f != StateFormat {
		t.Errorf("after a write: format %d, want %d", f, StateFormat)
	}
	again, _ := s2.Get(paused.ID)
	if again.Name != "renamed" || again.Step != 3 || again.Version != up.Version || again.Version != paused.Version+1 {
		t.Errorf("after the upgrade: %+v", again)
	}
	// And a run resumed from format 1 trains to the end.
	resumeToEnd(t, s2, paused.ID)
	if r, _ := s2.Get(paused.ID); r.State != Completed {
		t.Errorf("resumed format 1 run: %+v", r)
	}
}

// A run written by a newer Whetstone is listed as damaged, naming the file
// and both formats; it is never updated, resumed, repaired or marked
// interrupted, and its files stay byte-identical.
func TestStateFormatNewerIsRefusedAndLeftUnchanged(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	healthy, _ := s.Create(testConfig())
	// Resumable were it not for the format: a readable config and a
	// complete checkpoint. "running" would make a reader of a known format
	// mark it interrupted.
	future := pausedRun(t, s)
	newer := []byte(`{
  "format": 3,
  "id": "` + future.ID + `",
  "state": "running",
  "owner": {"pid": 999999999},
  "step": 3,
  "last_checkpoint": 2,
  "something_new": {"a": 1},
  "version": 9
}
`)
	if err := os.WriteFile(s.statePath(future.ID), newer, 0o644); err != nil {
		t.Fatal(err)
	}
	metrics, _ := os.ReadFile(s.MetricsPath(future.ID))
	config, _ := os.ReadFile(s.ConfigPath(future.ID))

	s2, _ := Open(root)
	q, err := NewQueue(s2, (&stepExecutor{}).run, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s2.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	got, err := s2.Get(future.ID)
	if err != nil || got.State != Damaged || got.Damage == nil || got.CanResume() {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	for _, want := range []string{"state.json has format 3", "format 2", "newer version of Whetstone"} {
		if !strings.Contains(got.Damage.Reason, want) {
			t.Errorf("reason %q does not say %q", got.Damage.Reason, want)
		}
	}
	if !strings.Contains(got.Damage.Advice, "newer version") || strings.Contains(got.Damage.Advice, "resume it") {
		t.Errorf("advice: %q", got.Damage.Advice)
	}
	if err := q.Resume(future.ID, 0); err == nil || !strings.Contains(err.Error(), "format 3") {
		t.Errorf("Resume: %v", err)
	}
	if _, err := s2.Update(future.ID, func(r *Record) { r.Name = "x" }); !errors.Is(err, ErrDamaged) {
		t.Errorf("Update: %v", err)
	}
	if _, err := s2.claim(future.ID, true); err == nil || !strings.Contains(err.Error(), "format 3") {
		t.Errorf("claim: %v", err)
	}
	if r, _ := s2.Get(healthy.ID); r.State != Queued {
		t.Errorf("the healthy run: %+v", r)
	}

	for path, want := range map[string][]byte{s2.statePath(future.ID): newer, s2.MetricsPath(future.ID): metrics, s2.ConfigPath(future.ID): config} {
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s changed: %v\n%s", path, err, data)
		}
	}
	if _, err := os.Stat(s2.statePath(future.ID) + ".damaged"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state.json was set aside: %v", err)
	}
}
