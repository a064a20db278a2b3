package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// MetricsReport is what ReadMetrics found in metrics.jsonl.
type MetricsReport struct {
	Metrics []Metrics `json:"metrics"`
	// Skipped counts the lines that could not be read (cut off by a crash,
	// damaged, edited by hand); they are left out of Metrics.
	Skipped int `json:"skipped"`
	// FirstProblem describes the first skipped line.
	FirstProblem string `json:"first_problem,omitempty"`
}

// metricsLine is one readable line, with its bytes as written.
type metricsLine struct {
	raw []byte
	m   Metrics
}

// parseMetrics splits metrics.jsonl into its readable lines, skipping and
// counting the others: a line that is not a JSON object with a positive
// step. Blank lines are ignored.
func parseMetrics(data []byte) (good []metricsLine, skipped int, first string) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m Metrics
		var problem string
		switch err := json.Unmarshal(line, &m); {
		case line[0] != '{':
			problem = "not a JSON object"
		case err != nil:
			problem = err.Error()
		case m.Step <= 0:
			problem = "no step"
		}
		if problem != "" {
			if skipped == 0 {
				first = fmt.Sprintf("line %d: %s", i+1, problem)
			}
			skipped++
			continue
		}
		good = append(good, metricsLine{raw: line, m: m})
	}
	return good, skipped, first
}

// ReadMetrics reads metrics.jsonl. Lines that cannot be read anywhere in
// the file are skipped and counted, never an error: the error is for a
// file that cannot be read at all.
func (s *Store) ReadMetrics(id string) (MetricsReport, error) {
	if err := checkID(id); err != nil {
		return MetricsReport{}, err
	}
	data, err := os.ReadFile(s.MetricsPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return MetricsReport{}, nil
	}
	if err != nil {
		return MetricsReport{}, fmt.Errorf("read metrics of run %s: %w", id, err)
	}
	good, skipped, first := parseMetrics(data)
	rep := MetricsReport{Skipped: skipped, FirstProblem: first}
	if len(good) > 0 {
		rep.Metrics = make([]Metrics, len(good))
		for i, l := range good {
			rep.Metrics[i] = l.m
		}
	}
	return rep, nil
}

// Metrics returns the readable lines of metrics.jsonl (ReadMetrics without
// the count of skipped ones).
func (s *Store) Metrics(id string) ([]Metrics, error) {
	rep, err := s.ReadMetrics(id)
	return rep.Metrics, err
}

// TruncateMetrics drops the metrics of steps after step, so a run resumed
// from the checkpoint at step does not list the replayed steps twice.
// Unreadable lines are dropped too (train.log says how many); a
// metrics.jsonl that cannot be read at all is set aside as
// metrics.jsonl.damaged and the resumed run starts a new one.
func (s *Store) TruncateMetrics(id string, step int) error {
	if err := checkID(id); err != nil {
		return err
	}
	path := s.MetricsPath(id)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		if rerr := os.Rename(path, path+".damaged"); rerr != nil {
			return fmt.Errorf("read metrics of run %s: %w (and could not set the file aside: %v)", id, err, rerr)
		}
		_ = s.AppendLog(id, fmt.Sprintf("metrics.jsonl could not be read (%v); kept as metrics.jsonl.damaged, a new one starts at step %d", err, step+1))
		return nil
	}
	good, skipped, first := parseMetrics(data)
	var buf bytes.Buffer
	for _, l := range good {
		if l.m.Step > step {
			continue
		}
		buf.Write(l.raw)
		buf.WriteByte('\n')
	}
	if skipped > 0 {
		_ = s.AppendLog(id, fmt.Sprintf("metrics.jsonl: dropped %d unreadable lines (first: %s)", skipped, first))
	}
	return safefile.Write(path, buf.Bytes(), 0o644)
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
	return s.appendLogAt(id, line, logStamp(time.Now()))
}

// appendLogAt adds line to train.log under the given stamp (Job.Logf
// publishes the same stamp with the line).
func (s *Store) appendLogAt(id, line, stamp string) error {
	return appendLine(s.LogPath(id), []byte(stamp+" "+strings.TrimRight(line, "\n")))
}

// logStamp is how train.log stamps a line.
func logStamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// appendLine adds line and a newline to path. When the file does not end
// with a newline (a crash cut its last line short) the line starts on a
// new one, so the cut line does not swallow it.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	buf := make([]byte, 0, len(line)+2)
	if info, err := f.Stat(); err == nil && info.Size() > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], info.Size()-1); err == nil && last[0] != '\n' {
			buf = append(buf, '\n')
		}
	}
	buf = append(append(buf, line...), '\n')
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return f.Close()
}
