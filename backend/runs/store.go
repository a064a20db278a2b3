package runs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// ErrNotFound is returned for an unknown run id.
var ErrNotFound = errors.New("run not found")

// Store is the set of runs under one directory (the workspace's runs/).
// It is safe for concurrent use inside one process; across processes each
// state.json is replaced atomically, so readers never see a torn record,
// and each run's lock says which process executes it (see runlock.go).
type Store struct {
	root string
	self Owner

	mu sync.Mutex
	// held are the runs this Store executes right now.
	held map[string]*heldRun
	// configChecked remembers each run's config.yaml verdict, so List
	// parses a config again only when the file changed.
	configChecked map[string]configVerdict
}

// configVerdict is what readConfig said of config.yaml at one size and
// modification time.
type configVerdict struct {
	size    int64
	mtime   time.Time
	problem string
}

// heldRun is a run this Store executes: its lock, and the record as last
// written, which stands in for state.json should that be damaged while
// the run trains (the next write repairs it).
type heldRun struct {
	release func()
	last    Record
}

// Open uses root as the runs directory, creating it when missing. It
// reads no run, so no run's damage can make it fail.
func Open(root string) (*Store, error) {
	if strings.TrimSpace(root) == "" {
		return nil, errors.New("runs directory is empty")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create runs directory %s: %w", root, err)
	}
	return &Store{root: root, self: selfOwner(), held: map[string]*heldRun{}, configChecked: map[string]configVerdict{}}, nil
}

// Root is the runs directory.
func (s *Store) Root() string { return s.root }

var idPattern = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$`)

// newID makes a sortable, unique id: creation time plus random bits.
func newID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Dir is the run's directory.
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// ConfigPath is the run's config.yaml.
func (s *Store) ConfigPath(id string) string { return filepath.Join(s.Dir(id), "config.yaml") }

// MetricsPath is the run's metrics.jsonl.
func (s *Store) MetricsPath(id string) string { return filepath.Join(s.Dir(id), "metrics.jsonl") }

// LogPath is the run's train.log.
func (s *Store) LogPath(id string) string { return filepath.Join(s.Dir(id), "train.log") }

// CheckpointsDir holds the run's checkpoints/<step>/ directories.
func (s *Store) CheckpointsDir(id string) string { return filepath.Join(s.Dir(id), "checkpoints") }

// AdapterDir is where the final adapter is written.
func (s *Store) AdapterDir(id string) string { return filepath.Join(s.Dir(id), "adapter") }

func (s *Store) statePath(id string) string { return filepath.Join(s.Dir(id), "state.json") }

// writeState atomically replaces a run's state.json with rec, one version
// on from the record it replaces.
func (s *Store) writeState(id string, rec *Record) error {
	rec.Version++
	return safefile.WriteJSON(s.statePath(id), encodeState(*rec))
}

// IsID reports whether s is written like a run id (it says nothing of
// whether such a run exists), so a caller can tell an id from a name or
// a prefix without building a path from it.
func IsID(s string) bool { return idPattern.MatchString(s) }

func checkID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %q is not a run id", ErrNotFound, id)
	}
	return nil
}

// Create validates cfg and makes a new queued run for it.
func (s *Store) Create(cfg runconfig.Config) (Record, error) {
	if err := cfg.Check(); err != nil {
		return Record{}, err
	}
	now := time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	var id string
	for {
		id = newID(now)
		if _, err := os.Stat(s.Dir(id)); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	// Build the directory under a temporary name and rename it into place,
	// so a scan never sees a run without its config and state.
	tmp, err := os.MkdirTemp(s.root, ".new-"+id+"-")
	if err != nil {
		return Record{}, fmt.Errorf("create run directory: %w", err)
	}
	rec := Record{
		ID: id, Name: cfg.Name, State: Queued, Created: now,
		Model: cfg.Model.Source, Dataset: cfg.Dataset.Path,
		TotalSteps: cfg.Training.MaxSteps, Version: 1,
	}
	if err := cfg.Save(filepath.Join(tmp, "config.yaml")); err != nil {
		os.RemoveAll(tmp)
		return Record{}, err
	}
	if err := safefile.WriteJSON(filepath.Join(tmp, "state.json"), encodeState(rec)); err != nil {
		os.RemoveAll(tmp)
		return Record{}, err
	}
	if err := os.Rename(tmp, s.Dir(id)); err != nil {
		os.RemoveAll(tmp)
		return Record{}, fmt.Errorf("create run directory %s: %w", s.Dir(id), err)
	}
	return rec, nil
}

// Config reads the run's config.yaml.
func (s *Store) Config(id string) (runconfig.Config, error) {
	if err := checkID(id); err != nil {
		return runconfig.Config{}, err
	}
	cfg, problem := s.readConfig(id)
	if problem != "" {
		if _, err := os.Stat(s.Dir(id)); errors.Is(err, os.ErrNotExist) {
			return runconfig.Config{}, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return runconfig.Config{}, fmt.Errorf("run %s: config.yaml %s", id, problem)
	}
	return cfg, nil
}

// Get reads one run's record: a dead "running" run comes back interrupted,
// a run whose files cannot be read comes back in state Damaged (not as an
// error). The error is ErrNotFound when there is no such run folder.
func (s *Store) Get(id string) (Record, error) {
	if err := checkID(id); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked(id)
}

// loadLocked reads the run's record; its only error is ErrNotFound.
func (s *Store) loadLocked(id string) (Record, error) {
	if info, err := os.Stat(s.Dir(id)); err != nil || !info.IsDir() {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	rec, stateProblem := s.readState(id)
	if h := s.held[id]; h != nil {
		// This process trains it: it is running, whatever the disk says.
		if stateProblem != "" {
			return h.last, nil
		}
		return rec, nil
	}
	// Whether a process holds the run's lock is asked only where it
	// matters: a record that says running, or one that cannot say.
	trained := false
	if stateProblem != "" || rec.State == Running {
		held, err := s.probeRunLock(id, func() {
			// No one holds the lock. Read again under it: the owner may have
			// written its final state just before letting go.
			cur, problem := s.readState(id)
			if problem == "" && cur.State == Running {
				cur.State = Interrupted
				cur.Owner = nil
				// Saved so the next reader agrees without asking again; a
				// failure only means the next read decides again.
				_ = s.writeState(id, &cur)
			}
			rec, stateProblem = cur, problem
		})
		switch {
		case errors.Is(err, ErrNotFound):
			return Record{}, err
		case err != nil && rec.State == Running:
			// The lock cannot even be opened (a read-only folder): no
			// process can be training here.
			rec.State, rec.Owner = Interrupted, nil
		case held && stateProblem == "":
			return rec, nil
		}
		trained = held
	}
	var d damage
	d.add("state.json", stateProblem)
	cfgProblem := s.configProblemLocked(id)
	d.add("config.yaml", cfgProblem)
	d.add("metrics.jsonl", s.metricsProblem(id))
	if len(d.files) == 0 {
		return rec, nil
	}
	cfg, cfgProblem := s.readConfig(id)
	return s.damagedRecord(id, rec, stateProblem == "", cfg, cfgProblem == "", d, trained), nil
}

// configProblemLocked is readConfig's problem, parsing config.yaml only
// when its size or modification time changed since the last look.
func (s *Store) configProblemLocked(id string) string {
	info, err := os.Stat(s.ConfigPath(id))
	if err != nil {
		delete(s.configChecked, id)
		_, problem := s.readConfig(id)
		return problem
	}
	if v, ok := s.configChecked[id]; ok && v.size == info.Size() && v.mtime.Equal(info.ModTime()) {
		return v.problem
	}
	_, problem := s.readConfig(id)
	s.configChecked[id] = configVerdict{size: info.Size(), mtime: info.ModTime(), problem: problem}
	return problem
}

// List returns every run, oldest first, damaged ones included; it fails
// only when the runs directory itself cannot be read. Directories that are
// not runs (temporary ones left by a crash during Create) are skipped.
func (s *Store) List() ([]Record, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s.root, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, e := range entries {
		if !e.IsDir() || !idPattern.MatchString(e.Name()) {
			continue
		}
		rec, err := s.loadLocked(e.Name())
		if err != nil {
			// Deleted since the directory was read.
			continue
		}
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Update applies fn to the run's record and writes it back atomically. A
// damaged run is not updated (ErrDamaged): its files stay as they are
// until it is resumed or deleted.
func (s *Store) Update(id string, fn func(*Record)) (Record, error) {
	if err := checkID(id); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.loadLocked(id)
	if err != nil {
		return Record{}, err
	}
	if rec.State == Damaged {
		return Record{}, &runError{kind: ErrDamaged, msg: fmt.Sprintf("run %s is damaged: %s", id, rec.Damage.Reason)}
	}
	fn(&rec)
	rec.ID = id
	rec.Damage = nil
	if err := s.writeState(id, &rec); err != nil {
		return Record{}, err
	}
	if h := s.held[id]; h != nil {
		h.last = rec
	}
	return rec, nil
}

// Delete removes a run and everything in it, damaged or not. A running
// run (its lock is held) must be cancelled first.
func (s *Store) Delete(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[id] != nil {
		return fmt.Errorf("run %s is running; cancel it before deleting", id)
	}
	if info, err := os.Stat(s.Dir(id)); err != nil || !info.IsDir() {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	release, ok, err := s.tryRunLock(id)
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	if !ok {
		rec, _ := s.readState(id)
		return fmt.Errorf("run %s is running%s; cancel it before deleting", id, ownerText(rec.Owner))
	}
	// Rename first, holding the lock so no trainer starts on it, so a
	// crash mid-removal leaves a non-run directory that List ignores, not
	// a half-deleted run.
	var b [3]byte
	_, _ = rand.Read(b[:])
	trash := filepath.Join(s.root, ".deleted-"+id+"-"+hex.EncodeToString(b[:]))
	err = os.Rename(s.Dir(id), trash)
	release()
	if err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	delete(s.configChecked, id)
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
	return nil
}

// Duplicate creates a new queued run with the same config.
func (s *Store) Duplicate(id string) (Record, error) {
	cfg, err := s.Config(id)
	if err != nil {
		return Record{}, err
	}
	rec, err := s.Create(cfg)
	if err != nil {
		return Record{}, err
	}
	return s.Update(rec.ID, func(r *Record) { r.DuplicateOf = id })
}
