package runs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
// state.json is replaced atomically, so readers never see a torn record.
type Store struct {
	root string
	self Owner

	mu sync.Mutex
	// active holds the runs this process is executing right now; a record
	// owned by this process but not active was left by a goroutine that
	// died (or a test hook), and counts as interrupted.
	active map[string]bool
}

// Open uses root as the runs directory, creating it when missing.
func Open(root string) (*Store, error) {
	if strings.TrimSpace(root) == "" {
		return nil, errors.New("runs directory is empty")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create runs directory %s: %w", root, err)
	}
	return &Store{root: root, self: selfOwner(), active: map[string]bool{}}, nil
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
		TotalSteps: cfg.Training.MaxSteps,
	}
	if err := cfg.Save(filepath.Join(tmp, "config.yaml")); err != nil {
		os.RemoveAll(tmp)
		return Record{}, err
	}
	if err := safefile.WriteJSON(filepath.Join(tmp, "state.json"), rec); err != nil {
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
	return runconfig.Load(s.ConfigPath(id))
}

// Get reads one run's record, reporting a dead "running" run as interrupted.
func (s *Store) Get(id string) (Record, error) {
	if err := checkID(id); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readLocked(id)
}

func (s *Store) readLocked(id string) (Record, error) {
	data, err := os.ReadFile(s.statePath(id))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read run %s: %w", id, err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, fmt.Errorf("read %s: %w", s.statePath(id), err)
	}
	if rec.State == Running && !s.ownerAliveLocked(rec) {
		rec.State = Interrupted
		rec.Owner = nil
		// Persist so the next reader agrees without re-checking; a failure
		// here only means the next read decides again.
		_ = safefile.WriteJSON(s.statePath(id), rec)
	}
	return rec, nil
}

func (s *Store) ownerAliveLocked(rec Record) bool {
	if rec.Owner == nil {
		return false
	}
	if rec.Owner.PID == s.self.PID && rec.Owner.Start == s.self.Start {
		return s.active[rec.ID]
	}
	return processAlive(*rec.Owner)
}

// List returns every run, oldest first. Directories that are not runs
// (temporary ones left by a crash during Create) are skipped.
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
		rec, err := s.readLocked(e.Name())
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, err
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

// Update applies fn to the run's record and writes it back atomically.
func (s *Store) Update(id string, fn func(*Record)) (Record, error) {
	if err := checkID(id); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.readLocked(id)
	if err != nil {
		return Record{}, err
	}
	fn(&rec)
	rec.ID = id
	if err := safefile.WriteJSON(s.statePath(id), rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// claim marks the run as running in this process.
func (s *Store) claim(id string) (Record, error) {
	s.mu.Lock()
	s.active[id] = true
	s.mu.Unlock()
	now := time.Now().UTC()
	rec, err := s.Update(id, func(r *Record) {
		r.State = Running
		r.Owner = &Owner{PID: s.self.PID, Start: s.self.Start}
		r.Error = ""
		r.Finished = nil
		if r.Started == nil {
			r.Started = &now
		}
	})
	if err != nil {
		s.release(id)
	}
	return rec, err
}

// release forgets that this process executes the run.
func (s *Store) release(id string) {
	s.mu.Lock()
	delete(s.active, id)
	s.mu.Unlock()
}

// Delete removes a run and everything in it. A running run must be
// cancelled first.
func (s *Store) Delete(id string) error {
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	if rec.State == Running {
		return fmt.Errorf("run %s is running; cancel it before deleting", id)
	}
	// Rename first so a crash mid-removal leaves a non-run directory that
	// List ignores, not a half-deleted run.
	trash := filepath.Join(s.root, ".deleted-"+id)
	if err := os.Rename(s.Dir(id), trash); err != nil {
		return fmt.Errorf("delete run %s: %w", id, err)
	}
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

// AppendMetrics adds one line to metrics.jsonl.
func (s *Store) AppendMetrics(id string, m Metrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	return appendLine(s.MetricsPath(id), line)
}

// AppendLog adds one timestamped line to train.log.
func (s *Store) AppendLog(id, line string) error {
	stamp := time.Now().UTC().Format(time.RFC3339)
	return appendLine(s.LogPath(id), []byte(stamp+" "+strings.TrimRight(line, "\n")))
}

func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return f.Close()
}

// Metrics reads metrics.jsonl. A malformed line is an error, except a
// partial last line, which a crash mid-write can leave and is skipped.
func (s *Store) Metrics(id string) ([]Metrics, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.MetricsPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read metrics of %s: %w", id, err)
	}
	lines := bytes.Split(data, []byte("\n"))
	var out []Metrics
	for i, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(line, &m); err != nil {
			// Only the final piece can be torn (no newline after it).
			if i == len(lines)-1 {
				break
			}
			return nil, fmt.Errorf("%s line %d: %w", s.MetricsPath(id), i+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// TruncateMetrics drops the metrics of steps after step, so a run resumed
// from the checkpoint at step does not list the replayed steps twice.
func (s *Store) TruncateMetrics(id string, step int) error {
	ms, err := s.Metrics(id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, m := range ms {
		if m.Step > step {
			continue
		}
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return safefile.Write(s.MetricsPath(id), buf.Bytes(), 0o644)
}
