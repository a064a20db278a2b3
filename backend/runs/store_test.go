package runs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

func testConfig() runconfig.Config {
	c := runconfig.Default()
	c.Model.Source = "models/tiny"
	c.Dataset.Path = "data.jsonl"
	return c
}

func TestCreateListGetAndConfig(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Create(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.State != Queued {
		t.Fatalf("records %+v %+v", a, b)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].ID != a.ID {
		t.Fatalf("List = %v, %v", list, err)
	}
	cfg, err := s.Config(a.ID)
	if err != nil || cfg.Model.Source != "models/tiny" {
		t.Fatalf("Config = %+v, %v", cfg, err)
	}
	if _, err := s.Get("../etc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad id: %v", err)
	}
	bad := testConfig()
	bad.LoRA.R = 0
	if _, err := s.Create(bad); err == nil || !strings.Contains(err.Error(), "lora.r") {
		t.Errorf("invalid config accepted: %v", err)
	}
}

// TestStoreAfterCrash simulates what kill -9 leaves behind: a run marked
// running by a dead process, a half-created run directory, a torn last
// metrics line.
func TestStoreAfterCrash(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	rec, _ := s.Create(testConfig())

	// A process that has exited owned the run.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` binary:", err)
	}
	dead := Owner{PID: cmd.ProcessState.Pid()}
	if _, err := s.Update(rec.ID, func(r *Record) { r.State = Running; r.Owner = &dead; r.Step = 7 }); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := s.AppendMetrics(rec.ID, Metrics{Step: i, Loss: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.OpenFile(s.MetricsPath(rec.ID), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step": 4, "lo`)
	f.Close()
	if err := os.MkdirAll(filepath.Join(root, ".new-20260101-000000-abcdef-123"), 0o755); err != nil {
		t.Fatal(err)
	}

	// A fresh process opens the store.
	s2, _ := Open(root)
	list, err := s2.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != Interrupted || !list[0].State.Resumable() || list[0].Step != 7 {
		t.Fatalf("after crash: %+v", list)
	}
	rep, err := s2.ReadMetrics(rec.ID)
	if err != nil || len(rep.Metrics) != 3 || rep.Skipped != 1 {
		t.Fatalf("metrics after torn write: %+v %v", rep, err)
	}
	// The next line does not run into the torn one.
	if err := s2.AppendMetrics(rec.ID, Metrics{Step: 5}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s2.ReadMetrics(rec.ID); len(rep.Metrics) != 4 || rep.Metrics[3].Step != 5 || rep.Skipped != 1 {
		t.Fatalf("metrics appended after a torn line: %+v", rep)
	}
	if err := s2.TruncateMetrics(rec.ID, 2); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s2.ReadMetrics(rec.ID); len(rep.Metrics) != 2 || rep.Metrics[1].Step != 2 || rep.Skipped != 0 {
		t.Fatalf("truncated metrics: %+v", rep)
	}

	// A run owned by this live process but not executed by it (the
	// goroutine died) is interrupted too: no one holds its lock. One this
	// store executes stays running.
	self := selfOwner()
	s2.Update(rec.ID, func(r *Record) { r.State = Running; r.Owner = &self })
	if r, _ := s2.Get(rec.ID); r.State != Interrupted {
		t.Errorf("orphaned run state %s", r.State)
	}
	s2.Update(rec.ID, func(r *Record) { r.State = Queued })
	if _, err := s2.claim(rec.ID, true); err != nil {
		t.Fatal(err)
	}
	if r, _ := s2.Get(rec.ID); r.State != Running {
		t.Errorf("active run state %s", r.State)
	}
	if r, _ := s.Get(rec.ID); r.State != Running {
		t.Errorf("active run seen from another store: %s", r.State)
	}
	s2.release(rec.ID)
	if r, _ := s.Get(rec.ID); r.State != Interrupted {
		t.Errorf("released run still %s", r.State)
	}
}

func TestDeleteAndDuplicate(t *testing.T) {
	s, _ := Open(t.TempDir())
	rec, _ := s.Create(testConfig())
	dup, err := s.Duplicate(rec.ID)
	if err != nil || dup.DuplicateOf != rec.ID || dup.ID == rec.ID {
		t.Fatalf("Duplicate = %+v, %v", dup, err)
	}
	if err := s.Delete(rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(rec.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted run still found: %v", err)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Errorf("list after delete: %v", list)
	}
}

// stepExecutor pretends to train: it reports steps until done or asked to
// stop, and records the order in which jobs ran.
type stepExecutor struct {
	mu      sync.Mutex
	order   []string
	resumed []bool
	// With gate set, each step waits for a value on gate, then checks for
	// a stop request, then reports and acknowledges on ack: a test that
	// calls step() knows the step is fully done, and a stop requested
	// before the next send is seen by that next step.
	gate, ack chan struct{}
}

func newGatedExecutor() *stepExecutor {
	return &stepExecutor{gate: make(chan struct{}), ack: make(chan struct{})}
}

// closeWhenDone closes q when the test ends, first letting go of a gated
// executor that waits for its next step, so that a failing test ends
// instead of waiting in Close forever.
func closeWhenDone(t *testing.T, q *Queue, ex *stepExecutor) {
	t.Cleanup(func() {
		if ex != nil && ex.gate != nil {
			close(ex.gate)
		}
		q.Close()
	})
}

// stepWatchdog turns a hang into a failure when broken code stops the
// executor early; a working executor takes a step in milliseconds.
const stepWatchdog = time.Minute

// step lets the executor run one step and waits until it is reported.
func (e *stepExecutor) step() {
	select {
	case e.gate <- struct{}{}:
	case <-time.After(stepWatchdog):
		panic("the executor did not take the next step (it stopped early)")
	}
	select {
	case <-e.ack:
	case <-time.After(stepWatchdog):
		panic("the executor did not report its step (it failed)")
	}
}

func (e *stepExecutor) run(ctx context.Context, job *Job) error {
	e.mu.Lock()
	e.order = append(e.order, job.ID)
	e.resumed = append(e.resumed, job.Resume)
	e.mu.Unlock()
	start := 0
	if job.Resume {
		rec, _ := job.Store.Get(job.ID)
		start = rec.LastCheckpoint
		// As the trainer does when it has loaded the checkpoint.
		if err := job.Store.TruncateMetrics(job.ID, start); err != nil {
			return err
		}
	}
	for step := start + 1; step <= 5; step++ {
		if e.gate != nil {
			if _, ok := <-e.gate; !ok {
				return ErrPaused // the test ended
			}
		}
		switch job.StopRequested() {
		case PauseRequested:
			job.Checkpointed(step - 1)
			return ErrPaused
		case CancelRequested:
			return ErrCancelled
		}
		if err := job.Report(Metrics{Step: step, Loss: 1 / float64(step), TotalSteps: 5}); err != nil {
			return err
		}
		if e.ack != nil {
			e.ack <- struct{}{}
		}
	}
	if job.Config.Name == "fail" {
		return errors.New("loss became NaN at step 5")
	}
	return nil
}

func TestQueueRunsFIFOAndRecordsOutcome(t *testing.T) {
	s, _ := Open(t.TempDir())
	ex := &stepExecutor{}
	rec := &events.Recorder{}
	q, err := NewQueue(s, ex.run, rec)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := q.Submit(testConfig())
	failing := testConfig()
	failing.Name = "fail"
	b, _ := q.Submit(failing)
	c, _ := q.Submit(testConfig())
	ctx := context.Background()
	q.Start(ctx)
	defer q.Close()
	for _, id := range []string{a.ID, b.ID, c.ID} {
		q.Wait(ctx, id)
	}
	if strings.Join(ex.order, ",") != a.ID+","+b.ID+","+c.ID {
		t.Errorf("order = %v", ex.order)
	}
	ra, _ := s.Get(a.ID)
	rb, _ := s.Get(b.ID)
	if ra.State != Completed || ra.Step != 5 || ra.Loss == nil || *ra.Loss != 0.2 || ra.Finished == nil {
		t.Errorf("a = %+v", ra)
	}
	if rb.State != Failed || !strings.Contains(rb.Error, "NaN") {
		t.Errorf("b = %+v", rb)
	}
	if ms, _ := s.Metrics(a.ID); len(ms) != 5 {
		t.Errorf("metrics = %v", ms)
	}
	topics := map[string]int{}
	for _, e := range rec.Events() {
		topics[e.Topic]++
	}
	if topics[TopicState] < 6 || topics[TopicMetrics] != 15 || topics[TopicLog] < 1 {
		t.Errorf("events = %v", topics)
	}
}

func TestQueuePauseResumeCancel(t *testing.T) {
	s, _ := Open(t.TempDir())
	ex := newGatedExecutor()
	q, _ := NewQueue(s, ex.run, nil)
	ctx := context.Background()
	q.Start(ctx)
	closeWhenDone(t, q, ex)
	a, _ := q.Submit(testConfig())
	b, _ := q.Submit(testConfig())
	ex.step()                             // step 1 of a
	ex.step()                             // step 2 of a
	if err := q.Pause(b.ID); err != nil { // queued: held back
		t.Fatal(err)
	}
	if err := q.Pause(a.ID); err != nil {
		t.Fatal(err)
	}
	ex.gate <- struct{}{} // step 3 of a sees the pause
	q.Wait(ctx, a.ID)
	ra, _ := s.Get(a.ID)
	rb, _ := s.Get(b.ID)
	if ra.State != Paused || ra.LastCheckpoint != 2 || rb.State != Paused {
		t.Fatalf("after pause: a=%+v b=%+v", ra, rb)
	}
	if err := q.Resume(a.ID, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ex.step()
	}
	q.Wait(ctx, a.ID)
	if ra, _ = s.Get(a.ID); ra.State != Completed || ra.Step != 5 {
		t.Fatalf("after resume: %+v", ra)
	}
	if ex.resumed[1] != true {
		t.Errorf("second execution not a resume: %v", ex.resumed)
	}
	if err := q.Resume(a.ID, 0); err == nil {
		t.Error("completed run resumed")
	}
	// Cancel while running.
	if err := q.Resume(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	ex.step()
	q.Cancel(b.ID)
	ex.gate <- struct{}{}
	q.Wait(ctx, b.ID)
	if rb, _ = s.Get(b.ID); rb.State != Cancelled || rb.Step != 1 {
		t.Fatalf("after cancel: %+v", rb)
	}
	if err := q.Delete(b.ID); err != nil {
		t.Fatal(err)
	}
	d, err := q.Duplicate(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		ex.step()
	}
	q.Wait(ctx, d.ID)
	if rd, _ := s.Get(d.ID); rd.State != Completed || rd.DuplicateOf != a.ID {
		t.Errorf("duplicate: %+v", rd)
	}
}

func TestQueueRequeuesAfterRestartAndRecoversPanics(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	rec, _ := s.Create(testConfig())
	s2, _ := Open(root)
	q, err := NewQueue(s2, func(ctx context.Context, job *Job) error { panic("index out of range") }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q.Start(ctx)
	if err := q.Wait(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	q.Close()
	r, _ := s2.Get(rec.ID)
	if r.State != Failed || !strings.Contains(r.Error, "index out of range") {
		t.Errorf("after panic: %+v", r)
	}
}

func TestWithoutRestoreRunsOnlyWhatItIsGiven(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	left, _ := s.Create(testConfig())
	mine, _ := s.Create(testConfig())
	ex := &stepExecutor{}
	q, err := NewQueue(s, ex.run, nil, WithoutRestore())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.Start(ctx)
	defer q.Close()
	if err := q.Resume(mine.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := q.Resume(mine.ID, 0); err == nil {
		t.Error("a run was queued twice")
	}
	q.Wait(ctx, mine.ID)
	if len(ex.order) != 1 || ex.order[0] != mine.ID {
		t.Errorf("executed %v, want only %s", ex.order, mine.ID)
	}
	if r, _ := s.Get(left.ID); r.State != Queued {
		t.Errorf("the other run is %s", r.State)
	}
}

// TestOneRunPerDeviceAcrossQueues opens two queues on one store, as the
// desktop app and a terminal `whetstone train` would: the second run
// waits, still queued, until the first ends.
func TestOneRunPerDeviceAcrossQueues(t *testing.T) {
	root := t.TempDir()
	s1, _ := Open(root)
	s2, _ := Open(root)
	ex1 := newGatedExecutor()
	ex2 := &stepExecutor{}
	q1, _ := NewQueue(s1, ex1.run, nil, WithoutRestore())
	q2, _ := NewQueue(s2, ex2.run, nil, WithoutRestore())
	ctx := context.Background()
	q1.Start(ctx)
	q2.Start(ctx)
	closeWhenDone(t, q1, ex1)
	closeWhenDone(t, q2, nil)
	a, _ := q1.Submit(testConfig())
	ex1.step() // a is running
	b, _ := q2.Submit(testConfig())
	time.Sleep(3 * lockPoll)
	if r, _ := s2.Get(b.ID); r.State != Queued || len(ex2.order) != 0 {
		t.Fatalf("second run started while the device was busy: %+v", r)
	}
	if log, _ := os.ReadFile(s2.LogPath(b.ID)); !strings.Contains(string(log), "waiting for the run of another") {
		t.Errorf("no waiting message in the log: %q", log)
	}
	for i := 0; i < 4; i++ {
		ex1.step()
	}
	q1.Wait(ctx, a.ID)
	q2.Wait(ctx, b.ID)
	if r, _ := s2.Get(b.ID); r.State != Completed {
		t.Errorf("second run after the first: %+v", r)
	}
}

// Every write of a run's state moves its version on, so a UI can tell a
// missed or reordered "run.state" event from the latest one.
func TestStateVersionGrowsWithEveryWrite(t *testing.T) {
	store, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := runconfig.Default()
	cfg.Model.Source, cfg.Dataset.Path = "org/m", "org/d"
	rec, err := store.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := rec.Version
	for i := 0; i < 3; i++ {
		next, err := store.Update(rec.ID, func(r *Record) { r.Step = i + 1 })
		if err != nil {
			t.Fatal(err)
		}
		if next.Version != last+1 {
			t.Fatalf("write %d: version %d after %d", i, next.Version, last)
		}
		last = next.Version
	}
	got, err := store.Get(rec.ID)
	if err != nil || got.Version != last {
		t.Fatalf("stored version %d, want %d (%v)", got.Version, last, err)
	}
}
