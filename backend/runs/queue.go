package runs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Event topics published by the queue.
const (
	TopicState   = "run.state"
	TopicMetrics = "run.metrics"
	TopicLog     = "run.log"
)

// StateEvent is the payload of "run.state".
type StateEvent struct {
	ID     string `json:"id"`
	State  State  `json:"state"`
	Error  string `json:"error,omitempty"`
	Record Record `json:"record"`
}

// MetricsEvent is the payload of "run.metrics".
type MetricsEvent struct {
	ID      string  `json:"id"`
	Metrics Metrics `json:"metrics"`
}

// LogEvent is the payload of "run.log".
type LogEvent struct {
	ID   string `json:"id"`
	Line string `json:"line"`
	// Time is the line's stamp in train.log (RFC 3339, UTC), so a live line
	// reads the same as after a reload of the log.
	Time string `json:"time"`
}

// Stop is what the user asked a running job to do.
type Stop int32

const (
	// Continue: no request.
	Continue Stop = iota
	// PauseRequested: write a checkpoint, then return ErrPaused.
	PauseRequested
	// CancelRequested: stop as soon as possible and return ErrCancelled.
	CancelRequested
)

// Errors an Executor returns to say how a job ended early.
var (
	ErrPaused    = errors.New("run paused")
	ErrCancelled = errors.New("run cancelled")
)

// Job is one execution of a run, handed to the Executor.
type Job struct {
	ID     string
	Config runconfig.Config
	Store  *Store
	// Resume asks the executor to continue from a checkpoint: the step in
	// ResumeStep, or the newest valid one when ResumeStep is 0.
	Resume     bool
	ResumeStep int

	stop    atomic.Int32
	emitter events.Emitter
	// refusal is why the job did not start (ErrRefused), for Wait.
	refusal error
}

// StopRequested is polled by the executor between steps.
func (j *Job) StopRequested() Stop { return Stop(j.stop.Load()) }

// RequestStop asks the job to pause or cancel.
func (j *Job) RequestStop(s Stop) {
	// Cancel wins over pause; never downgrade.
	for {
		cur := j.stop.Load()
		if cur >= int32(s) || j.stop.CompareAndSwap(cur, int32(s)) {
			return
		}
	}
}

// Report records the metrics of one step: appended to metrics.jsonl, copied
// into the run record, and published on "run.metrics".
func (j *Job) Report(m Metrics) error {
	if err := j.Store.AppendMetrics(j.ID, m); err != nil {
		return err
	}
	rec, err := j.Store.Update(j.ID, func(r *Record) {
		r.Step = m.Step
		if m.TotalSteps > 0 {
			r.TotalSteps = m.TotalSteps
		}
		loss := m.Loss
		r.Loss = &loss
		if m.ValLoss != nil {
			v := *m.ValLoss
			r.ValLoss = &v
		}
	})
	if err != nil {
		return err
	}
	_ = rec
	j.emit(TopicMetrics, MetricsEvent{ID: j.ID, Metrics: m})
	return nil
}

// Checkpointed records that a checkpoint for step is complete on disk.
func (j *Job) Checkpointed(step int) error {
	_, err := j.Store.Update(j.ID, func(r *Record) { r.LastCheckpoint = step })
	return err
}

// Logf writes a line to train.log and publishes it on "run.log".
func (j *Job) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	stamp := logStamp(time.Now())
	_ = j.Store.appendLogAt(j.ID, line, stamp)
	j.emit(TopicLog, LogEvent{ID: j.ID, Line: line, Time: stamp})
}

func (j *Job) emit(topic string, payload any) {
	if j.emitter != nil {
		j.emitter.Emit(topic, payload)
	}
}

// Executor trains one job. It returns nil when the run completed, ErrPaused
// or ErrCancelled when it stopped on request, any other error on failure.
type Executor func(ctx context.Context, job *Job) error

// Queue executes runs one at a time, oldest submission first.
type Queue struct {
	store   *Store
	exec    Executor
	emitter events.Emitter

	mu      sync.Mutex
	pending []*Job
	current *Job
	wake    chan struct{}
	done    map[string][]chan error
	closed  bool
	wg      sync.WaitGroup
}

// QueueOption adjusts NewQueue.
type QueueOption func(*queueOptions)

type queueOptions struct{ noRestore bool }

// WithoutRestore leaves runs that an earlier process left "queued" alone,
// for a headless command that executes only the run it was asked for.
func WithoutRestore() QueueOption { return func(o *queueOptions) { o.noRestore = true } }

// NewQueue makes a queue over store. Runs left "queued" by an earlier
// process are enqueued again, oldest first (unless WithoutRestore). Call
// Start to begin executing.
func NewQueue(store *Store, exec Executor, emitter events.Emitter, opts ...QueueOption) (*Queue, error) {
	if emitter == nil {
		emitter = events.Discard{}
	}
	var o queueOptions
	for _, f := range opts {
		f(&o)
	}
	q := &Queue{store: store, exec: exec, emitter: emitter, wake: make(chan struct{}, 1), done: map[string][]chan error{}}
	if o.noRestore {
		return q, nil
	}
	recs, err := store.List()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.State == Queued {
			// A queued run that already made progress was queued by Resume.
			resume := r.Step > 0 || r.LastCheckpoint > 0
			q.pending = append(q.pending, q.newJob(r.ID, resume, 0))
		}
	}
	return q, nil
}

func (q *Queue) newJob(id string, resume bool, step int) *Job {
	return &Job{ID: id, Store: q.store, Resume: resume, ResumeStep: step, emitter: q.emitter}
}

// Start runs the worker until ctx ends or Close is called.
func (q *Queue) Start(ctx context.Context) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.loop(ctx)
	}()
	q.signal()
}

// Close stops taking new jobs, asks the current one to pause (so it can be
// resumed later) and waits for the worker.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	if q.current != nil {
		q.current.RequestStop(PauseRequested)
	}
	q.mu.Unlock()
	q.signal()
	q.wg.Wait()
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) loop(ctx context.Context) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return
		}
		var job *Job
		if len(q.pending) > 0 {
			job = q.pending[0]
			q.pending = q.pending[1:]
			q.current = job
		}
		q.mu.Unlock()
		if job == nil {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			continue
		}
		q.execute(ctx, job)
		q.mu.Lock()
		q.current = nil
		waiters := q.done[job.ID]
		delete(q.done, job.ID)
		q.mu.Unlock()
		for _, w := range waiters {
			w <- job.refusal
			close(w)
		}
	}
}

func (q *Queue) execute(ctx context.Context, job *Job) {
	cfg, err := q.store.Config(job.ID)
	if err != nil {
		q.finish(job, Failed, err)
		return
	}
	job.Config = cfg
	// One run per device across processes too: the desktop app and a
	// `whetstone train` in a terminal share the workspace's device lock.
	release, st, err := q.lockDevice(ctx, job)
	if err != nil {
		q.finish(job, Failed, err)
		return
	}
	if release == nil {
		q.finish(job, st, nil)
		return
	}
	defer release()
	// The run's own lock, held until its final state is written, and the
	// state read again under it: another process may have run it while
	// this job waited for the device.
	rec, err := q.store.claim(job.ID, job.Resume)
	if errors.Is(err, ErrRefused) {
		// The record is left as the other process made it; the UI learns
		// what that is.
		job.refusal = err
		job.Logf("%v", err)
		if rec, gerr := q.store.Get(job.ID); gerr == nil {
			q.emitState(rec)
		}
		return
	}
	if err != nil {
		q.finish(job, Failed, err)
		return
	}
	q.emitState(rec)
	err = q.runExecutor(ctx, job)
	switch {
	case err == nil:
		q.finish(job, Completed, nil)
	case errors.Is(err, ErrPaused):
		q.finish(job, Paused, nil)
	case errors.Is(err, ErrCancelled):
		q.finish(job, Cancelled, nil)
	case ctx.Err() != nil:
		// The application is shutting down; the run can be resumed.
		q.finish(job, Interrupted, nil)
	default:
		q.finish(job, Failed, err)
	}
}

// lockPoll is how often a queued run checks whether the device is free.
const lockPoll = 500 * time.Millisecond

// lockDevice waits for the device lock. It returns the release function,
// or nil and the state the job ends in when it was paused, cancelled or
// the queue stopped while waiting.
func (q *Queue) lockDevice(ctx context.Context, job *Job) (func(), State, error) {
	path := filepath.Join(q.store.root, ".device.lock")
	told := false
	for {
		release, ok, err := tryLockFile(path)
		if err != nil {
			return nil, Failed, err
		}
		if ok {
			return release, "", nil
		}
		if !told {
			job.Logf("waiting for the run of another Whetstone process to finish (one run per device)")
			told = true
		}
		switch job.StopRequested() {
		case PauseRequested:
			return nil, Paused, nil
		case CancelRequested:
			return nil, Cancelled, nil
		}
		select {
		case <-ctx.Done():
			return nil, Queued, nil
		case <-time.After(lockPoll):
		}
	}
}

// runExecutor turns a panic in the executor into a failure of the run, not
// of the application.
func (q *Queue) runExecutor(ctx context.Context, job *Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training crashed: %v", r)
		}
	}()
	return q.exec(ctx, job)
}

func (q *Queue) finish(job *Job, st State, cause error) {
	now := time.Now().UTC()
	rec, err := q.store.Update(job.ID, func(r *Record) {
		r.State = st
		r.Owner = nil
		if st.Finished() {
			r.Finished = &now
		}
		if cause != nil {
			r.Error = cause.Error()
		}
	})
	q.store.release(job.ID)
	if err != nil {
		job.Logf("could not record the end of the run: %v", err)
		return
	}
	if cause != nil {
		job.Logf("run failed: %v", cause)
	}
	q.emitState(rec)
}

func (q *Queue) emitState(rec Record) {
	q.emitter.Emit(TopicState, StateEvent{ID: rec.ID, State: rec.State, Error: rec.Error, Record: rec})
}

// Submit creates a run for cfg and queues it.
func (q *Queue) Submit(cfg runconfig.Config) (Record, error) {
	rec, err := q.store.Create(cfg)
	if err != nil {
		return Record{}, err
	}
	q.push(q.newJob(rec.ID, false, 0))
	q.emitState(rec)
	return rec, nil
}

func (q *Queue) push(job *Job) {
	q.mu.Lock()
	q.pending = append(q.pending, job)
	q.mu.Unlock()
	q.signal()
}

// Wait blocks until the run's current execution ends (returns at once when
// the run is neither queued nor running here) or ctx ends. When the run's
// turn came but it could no longer start (another process completed,
// paused or took it meanwhile), the error says so and matches ErrRefused.
func (q *Queue) Wait(ctx context.Context, id string) error {
	q.mu.Lock()
	inQueue := q.current != nil && q.current.ID == id || slices.ContainsFunc(q.pending, func(j *Job) bool { return j.ID == id })
	if !inQueue {
		q.mu.Unlock()
		return nil
	}
	ch := make(chan error, 1)
	q.done[id] = append(q.done[id], ch)
	q.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// removePending takes a queued job out of the queue.
func (q *Queue) removePending(id string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.IndexFunc(q.pending, func(j *Job) bool { return j.ID == id })
	if i < 0 {
		return false
	}
	q.pending = slices.Delete(q.pending, i, i+1)
	waiters := q.done[id]
	delete(q.done, id)
	for _, w := range waiters {
		close(w)
	}
	return true
}

// Cancel stops a running run or removes a queued one.
func (q *Queue) Cancel(id string) error { return q.stop(id, CancelRequested, Cancelled) }

// Pause asks a running run to checkpoint and stop; a queued run is held
// back (paused) without starting.
func (q *Queue) Pause(id string) error { return q.stop(id, PauseRequested, Paused) }

func (q *Queue) stop(id string, req Stop, queuedTo State) error {
	q.mu.Lock()
	if q.current != nil && q.current.ID == id {
		q.current.RequestStop(req)
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	if q.removePending(id) {
		rec, err := q.store.Update(id, func(r *Record) { r.State = queuedTo })
		if err != nil {
			return err
		}
		q.emitState(rec)
		return nil
	}
	rec, err := q.store.Get(id)
	if err != nil {
		return err
	}
	return fmt.Errorf("run %s is %s, not queued or running here", id, rec.State)
}

// Resume queues a paused, interrupted, failed or cancelled run to continue
// from its newest valid checkpoint (step 0) or from the checkpoint at step.
// A run that is "queued" in the store but not in this queue (left by
// another process, or made by Store.Duplicate) is started. A damaged run
// is repaired first when it can be (see Damage.Resumable).
func (q *Queue) Resume(id string, step int) error {
	rec, err := q.store.Get(id)
	if err != nil {
		return err
	}
	switch rec.State {
	case Running:
		return fmt.Errorf("run %s is running%s; nothing to resume", id, ownerText(rec.Owner))
	case Damaged:
		if rec, err = q.store.repair(id); err != nil {
			return err
		}
		q.push(q.newJob(id, true, step))
		q.emitState(rec)
		return nil
	}
	if rec.State == Queued {
		q.mu.Lock()
		pending := slices.ContainsFunc(q.pending, func(j *Job) bool { return j.ID == id }) || q.current != nil && q.current.ID == id
		q.mu.Unlock()
		if pending {
			return fmt.Errorf("run %s is already queued", id)
		}
		q.push(q.newJob(id, rec.Step > 0 || rec.LastCheckpoint > 0, step))
		return nil
	}
	if !rec.State.Resumable() {
		return fmt.Errorf("run %s is %s; only paused, interrupted, failed or cancelled runs can be resumed", id, rec.State)
	}
	rec, err = q.store.Update(id, func(r *Record) { r.State = Queued; r.Error = "" })
	if err != nil {
		return err
	}
	q.push(q.newJob(id, true, step))
	q.emitState(rec)
	return nil
}

// Delete removes a run that is not running (a queued one leaves the queue).
func (q *Queue) Delete(id string) error {
	q.mu.Lock()
	running := q.current != nil && q.current.ID == id
	q.mu.Unlock()
	if running {
		return fmt.Errorf("run %s is running; cancel it before deleting", id)
	}
	q.removePending(id)
	return q.store.Delete(id)
}

// Duplicate copies a run's config into a new queued run.
func (q *Queue) Duplicate(id string) (Record, error) {
	rec, err := q.store.Duplicate(id)
	if err != nil {
		return Record{}, err
	}
	q.push(q.newJob(rec.ID, false, 0))
	q.emitState(rec)
	return rec, nil
}

// Current is the id of the running job, or "".
func (q *Queue) Current() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.current == nil {
		return ""
	}
	return q.current.ID
}
