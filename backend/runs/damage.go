package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// A run folder can be damaged by hand edits, a full disk, a copy cut
// short or a file system repair. A damaged run never hides the others: it
// is listed in state Damaged with what is wrong and what can be done, and
// it can always be deleted. Nothing here rewrites a damaged file; only a
// resume does, after setting it aside.

// readState reads and checks state.json. problem says what is wrong with
// it, "" when it is fine.
func (s *Store) readState(id string) (Record, string) {
	data, err := os.ReadFile(s.statePath(id))
	if err != nil {
		return Record{}, fileProblem(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Record{}, "is empty"
	}
	if problem := newerFormatProblem(data); problem != "" {
		return Record{}, problem
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, fmt.Sprintf("is not a readable run record (%v)", err)
	}
	if !rec.State.known() {
		if rec.State == "" {
			return Record{}, "names no state"
		}
		return Record{}, fmt.Sprintf("names an unknown state %q", rec.State)
	}
	rec.ID = id
	rec.Damage = nil
	return rec, ""
}

// readConfig reads config.yaml; problem is "" when it is fine. An empty
// file is damage too: it would parse as the defaults, not as the run's
// settings.
func (s *Store) readConfig(id string) (runconfig.Config, string) {
	data, err := os.ReadFile(s.ConfigPath(id))
	if err != nil {
		return runconfig.Config{}, fileProblem(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return runconfig.Config{}, "is empty"
	}
	cfg, err := runconfig.Parse(data)
	if err != nil {
		return runconfig.Config{}, fmt.Sprintf("cannot be parsed (%v)", err)
	}
	return cfg, ""
}

// metricsProblem checks that metrics.jsonl, when present, can be opened.
// Unreadable lines inside it are not damage: reading skips and counts
// them (see ReadMetrics).
func (s *Store) metricsProblem(id string) string {
	f, err := os.Open(s.MetricsPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		return fileProblem(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fileProblem(err)
	}
	if !info.Mode().IsRegular() {
		return "is not a regular file"
	}
	return ""
}

func fileProblem(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "is missing"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("cannot be read (%v)", err)
}

// damage collects what is wrong with a run's files.
type damage struct {
	files, reasons []string
}

func (d *damage) add(file, problem string) {
	if problem == "" {
		return
	}
	d.files = append(d.files, file)
	d.reasons = append(d.reasons, file+" "+problem)
}

// damagedRecord builds the record of a damaged run: what state.json says
// when it is readable, else what config.yaml and the folder name say.
// trained is true when a process holds the run's lock.
func (s *Store) damagedRecord(id string, rec Record, stateOK bool, cfg runconfig.Config, cfgOK bool, d damage, trained bool) Record {
	step := newestCheckpoint(s.CheckpointsDir(id))
	if !stateOK {
		rec = Record{ID: id, Created: createdFromID(id), Step: step, LastCheckpoint: step}
		if cfgOK {
			rec.Name, rec.Model, rec.Dataset, rec.TotalSteps = cfg.Name, cfg.Model.Source, cfg.Dataset.Path, cfg.Training.MaxSteps
		}
	}
	rec.ID = id
	rec.State = Damaged
	rec.Owner = nil
	dm := &Damage{Files: d.files, Reason: strings.Join(d.reasons, "; "), ResumeStep: step}
	switch {
	case trained:
		dm.Advice = "a Whetstone process holds the run's lock and is training it; it rewrites state.json at its next step"
	case s.newerFormat(id):
		dm.Advice = "a newer version of Whetstone wrote this run; open it with that version (or newer), which can resume, export or delete it; this version leaves its files unchanged"
	case !cfgOK:
		dm.Advice = "without a readable config.yaml the run cannot be resumed or duplicated; delete it, or repair config.yaml by hand"
	case step == 0:
		dm.Advice = "it has no complete checkpoint to resume from; duplicate it to train again from the start, or delete it"
	default:
		dm.Resumable = true
		dm.Advice = fmt.Sprintf("resume it to continue from its checkpoint at step %d (the unreadable files are kept as <name>.damaged), or delete it", step)
	}
	if _, err := os.Stat(filepath.Join(s.AdapterDir(id), "adapter_model.safetensors")); err == nil && !trained {
		dm.Advice += fmt.Sprintf("; its trained adapter in %s is intact and can be copied out first", s.AdapterDir(id))
	}
	rec.Damage = dm
	return rec
}

// createdFromID reads the creation time that newID put in the id.
func createdFromID(id string) time.Time {
	t, err := time.Parse("20060102-150405", id[:min(len(id), 15)])
	if err != nil {
		return time.Time{}
	}
	return t
}

// newestCheckpoint returns the step of the newest checkpoint under dir
// that looks complete, 0 when none does. The layout is backend/train's
// (checkpoint.go): checkpoints/<step>/ with manifest.json written last,
// listing each file's size and SHA-256. Here the files must exist with
// their sizes; the trainer verifies the checksums when it resumes and
// falls back to an older checkpoint if one fails.
func newestCheckpoint(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	best := 0
	for _, e := range entries {
		step, err := strconv.Atoi(e.Name())
		if err != nil || step <= best || !e.IsDir() {
			continue
		}
		if checkpointLooksComplete(filepath.Join(dir, e.Name())) {
			best = step
		}
	}
	return best
}

func checkpointLooksComplete(path string) bool {
	data, err := os.ReadFile(filepath.Join(path, "manifest.json"))
	if err != nil {
		return false
	}
	var man struct {
		Files map[string]struct {
			Size int64 `json:"size"`
		} `json:"files"`
	}
	if json.Unmarshal(data, &man) != nil || len(man.Files) == 0 {
		return false
	}
	for name, f := range man.Files {
		info, err := os.Stat(filepath.Join(path, name))
		if err != nil || !info.Mode().IsRegular() || info.Size() != f.Size {
			return false
		}
	}
	return true
}

// repair queues a damaged but resumable run again: its unreadable
// state.json and metrics.jsonl are set aside as <name>.damaged (nothing is
// deleted) and a fresh state.json is written, from the old one when it is
// readable, else from config.yaml, the folder name and the newest
// complete checkpoint.
func (s *Store) repair(id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.loadLocked(id)
	if err != nil {
		return Record{}, err
	}
	if rec.State != Damaged {
		return rec, nil
	}
	if !rec.Damage.Resumable {
		return Record{}, fmt.Errorf("run %s is damaged (%s) and cannot be resumed: %s", id, rec.Damage.Reason, rec.Damage.Advice)
	}
	release, ok, err := s.tryRunLock(id)
	if err != nil {
		return Record{}, err
	}
	if !ok {
		return Record{}, fmt.Errorf("run %s is being trained by another process; nothing to resume", id)
	}
	defer release()
	for _, name := range rec.Damage.Files {
		var path string
		switch name {
		case "state.json":
			path = s.statePath(id)
		case "metrics.jsonl":
			path = s.MetricsPath(id)
		default:
			continue
		}
		if err := os.Rename(path, path+".damaged"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Record{}, fmt.Errorf("set aside the damaged %s of run %s: %w", name, id, err)
		}
	}
	_ = s.AppendLog(id, fmt.Sprintf("repaired for resuming: %s; continuing from the checkpoint at step %d", rec.Damage.Reason, rec.Damage.ResumeStep))
	rec.State = Queued
	rec.Damage = nil
	rec.Error = ""
	rec.Finished = nil
	if err := s.writeState(id, &rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}
