package hub

import (
	"fmt"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
)

// Progress is the payload published on ProgressTopic while a snapshot downloads.
type Progress struct {
	Repo     string `json:"repo"`
	Type     string `json:"type"`
	Revision string `json:"revision"`
	Commit   string `json:"commit,omitempty"`
	// File is the file that most recently made progress.
	File       string `json:"file,omitempty"`
	FilesDone  int    `json:"files_done"`
	FilesTotal int    `json:"files_total"`
	// BytesDone counts bytes already in the cache, resumed and transferred.
	BytesDone  int64 `json:"bytes_done"`
	BytesTotal int64 `json:"bytes_total"`
	// BytesPerSecond is the transfer rate over the last few seconds.
	BytesPerSecond float64 `json:"bytes_per_second"`
	// ETASeconds is the estimated time left; -1 while unknown.
	ETASeconds float64 `json:"eta_seconds"`
	Done       bool    `json:"done"`
}

// progressInterval bounds how often events are published.
const progressInterval = 200 * time.Millisecond

// rateWindow is how far back the transfer rate looks.
const rateWindow = 5 * time.Second

type sample struct {
	at    time.Time
	bytes int64 // cumulative transferred bytes
}

// tracker aggregates the progress of parallel file downloads and publishes
// throttled events. Emissions are serialised under its mutex.
type tracker struct {
	mu          sync.Mutex
	emitter     events.Emitter
	state       Progress
	transferred int64 // bytes that came over the network, for the rate
	samples     []sample
	lastEmit    time.Time
	now         func() time.Time
}

func newTracker(emitter events.Emitter, repo Repo, rev, commit string, filesTotal int, bytesTotal int64) *tracker {
	return &tracker{
		emitter: emitter,
		now:     time.Now,
		state: Progress{
			Repo: repo.ID, Type: string(repo.Type), Revision: rev, Commit: commit,
			FilesTotal: filesTotal, BytesTotal: bytesTotal, ETASeconds: -1,
		},
	}
}

// existing counts bytes that needed no transfer (cached or resumed).
func (t *tracker) existing(file string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state.BytesDone += n
	t.state.File = file
	t.maybeEmit(false)
}

// transfer counts n bytes received from the network (negative when a
// partial download had to be discarded).
func (t *tracker) transfer(file string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state.BytesDone += n
	if n > 0 {
		t.transferred += n
	}
	t.state.File = file
	t.maybeEmit(false)
}

// fileDone marks one file complete.
func (t *tracker) fileDone(file string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state.FilesDone++
	t.state.File = file
	t.maybeEmit(t.state.FilesDone == t.state.FilesTotal)
}

// finish publishes the final event.
func (t *tracker) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state.Done = true
	t.state.BytesDone = t.state.BytesTotal
	t.state.ETASeconds = 0
	t.emit(t.now())
}

func (t *tracker) maybeEmit(force bool) {
	now := t.now()
	if !force && now.Sub(t.lastEmit) < progressInterval {
		t.addSample(now)
		return
	}
	t.emit(now)
}

func (t *tracker) addSample(now time.Time) {
	t.samples = append(t.samples, sample{at: now, bytes: t.transferred})
	cut := 0
	for cut < len(t.samples)-1 && now.Sub(t.samples[cut].at) > rateWindow {
		cut++
	}
	t.samples = t.samples[cut:]
}

func (t *tracker) emit(now time.Time) {
	t.addSample(now)
	first := t.samples[0]
	if dt := now.Sub(first.at).Seconds(); dt > 0.05 {
		t.state.BytesPerSecond = float64(t.transferred-first.bytes) / dt
	}
	left := t.state.BytesTotal - t.state.BytesDone
	switch {
	case left <= 0:
		t.state.ETASeconds = 0
	case t.state.BytesPerSecond > 0:
		t.state.ETASeconds = float64(left) / t.state.BytesPerSecond
	default:
		t.state.ETASeconds = -1
	}
	t.lastEmit = now
	t.emitter.Emit(ProgressTopic, t.state)
}

// FormatBytes renders a size with decimal units (1.5 GB = 1.5e9 bytes), as
// the hub's web pages do, so the sizes a user sees here match the model page.
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}
