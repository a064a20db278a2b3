// Package service is the layer the UI calls: one struct per screen's domain,
// whose exported methods are bound into the Wails window and served over
// HTTP by `whetstone serve` alike. Methods are thin: they translate DTOs,
// call the domain packages and wrap errors. Every method recovers panics
// (GoMLX reports failures by panicking) so nothing crosses the binding
// boundary but an error.
package service

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Deps is what the services share.
type Deps struct {
	Workspace *workspace.Workspace
	Events    events.Emitter
	Log       zerolog.Logger
	Version   string
	// Context bounds background work (downloads, generation); it is
	// cancelled when the app shuts down. Training is not cut off by it: the
	// run queue outlives it until Close pauses the run with a checkpoint.
	Context context.Context
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// Remote is set when the services answer requests over HTTP (`serve`):
	// every path a request names is held to the path policy, and settings
	// that load code or widen what requests reach are read-only. The
	// desktop window and the CLI act for the local user and leave it unset.
	Remote bool
	// AllowedRoots are folders requests may use for this process only
	// (`serve --allow DIR`), beside those in the settings.
	AllowedRoots []string
	// OwnRunsOnly is set by the terminal commands (`whetstone train`,
	// `runs`, `export`...): the run queue executes only the runs this
	// process starts or resumes, and runs that another process left queued
	// stay queued for the app (or `train --resume`); Runs.Duplicate leaves
	// its copy queued the same way. The run store, the queue and the
	// compute backend are then opened when first needed, so a command that
	// never trains touches neither the runs folder nor a plugin.
	OwnRunsOnly bool

	// call is the context of one call, set on the copies Scoped makes.
	call context.Context

	// compute is opened by New from the settings.
	compute *computeBackend
}

// Services holds one value per bound service.
type Services struct {
	System   *System
	Settings *Settings
	Models   *Models
	Export   *Export
	Chat     *Chat
	Datasets *Datasets
	Runs     *Runs
}

// New builds the services over deps.
func New(deps Deps) (*Services, error) {
	if deps.Workspace == nil {
		return nil, fmt.Errorf("services need a workspace")
	}
	if deps.Events == nil {
		deps.Events = events.Discard{}
	}
	if deps.Context == nil {
		deps.Context = context.Background()
	}
	if deps.Getenv == nil {
		deps.Getenv = os.Getenv
	}
	deps.compute = newCompute(deps)
	if !deps.OwnRunsOnly {
		// The app opens its backend at start, so a broken one is reported
		// (and the fallback logged) before the first run.
		if _, err := deps.compute.open(); err != nil {
			return nil, fmt.Errorf("open a compute backend: %w", err)
		}
	}
	runsSvc, err := newRuns(deps)
	if err != nil {
		return nil, fmt.Errorf("open the run store: %w", err)
	}
	return &Services{
		System:   &System{deps: deps},
		Settings: &Settings{deps: deps},
		Models:   &Models{deps: deps},
		Export:   &Export{deps: deps, runs: runsSvc},
		Chat:     newChat(deps, runsSvc),
		Datasets: &Datasets{deps: deps},
		Runs:     runsSvc,
	}, nil
}

// ShutdownWait bounds how long Close waits for the running run to write
// its checkpoint; past it the run stays resumable from its last periodic
// checkpoint. It stays under systemd's default stop timeout (90 s), so a
// supervised serve is not killed while it waits.
const ShutdownWait = 80 * time.Second

// Close stops the run queue the way `whetstone train` stops on Ctrl-C: the
// running run is paused with a checkpoint, so a resume continues exactly
// where it stopped. It waits at most ShutdownWait (main lets a second
// signal end the process at once). Calling it again does nothing.
func (s *Services) Close() {
	s.close(ShutdownWait)
}

func (s *Services) close(wait time.Duration) {
	log := s.Runs.deps.Log
	store, queue := s.Runs.b.shut()
	if queue == nil {
		return
	}
	id := queue.Current()
	if id != "" {
		log.Warn().Str("run", id).Msg("pausing the running run: writing a checkpoint before exiting (a second Ctrl-C or SIGTERM stops at once)")
	}
	done := make(chan struct{})
	go func() {
		queue.Close()
		close(done)
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		log.Error().Str("run", id).Dur("waited", wait).Msg("the run did not reach a checkpoint in time; it resumes from its last periodic checkpoint")
		return
	}
	if id == "" {
		return
	}
	// Say what the store holds, not what was asked for: a pause whose
	// checkpoint failed leaves the run failed, not paused.
	rec, err := store.Get(id)
	switch {
	case err != nil:
		log.Error().Err(err).Str("run", id).Msg("read the run after pausing it")
	case rec.State == runs.Paused:
		log.Info().Str("run", id).Int("step", rec.Step).Int("checkpoint", rec.LastCheckpoint).Msg("run paused; resume it to continue from this checkpoint")
	default:
		log.Warn().Str("run", id).Str("state", string(rec.State)).Int("step", rec.Step).Int("checkpoint", rec.LastCheckpoint).Str("error", rec.Error).Msg("the run stopped without a pause checkpoint")
	}
}

// WaitRun blocks until the execution of a run in this process ends, or
// ctx does; it returns at once when the run is neither queued nor running
// here. When the run's turn came but it could not start (another process
// completed, paused or took it meanwhile) the error matches ErrRunRefused.
// The terminal commands wait with it; the UI follows "run.state" events.
func (s *Services) WaitRun(ctx context.Context, ref string) error {
	store, queue, err := s.Runs.b.get()
	if err != nil {
		return err
	}
	id, err := s.Runs.runID(store, ref)
	if err != nil {
		return err
	}
	return queue.Wait(ctx, id)
}

// Named maps the Go struct name of each service to its value, the names the
// frontend uses (window.go.service.<Name> under Wails, /api/call/<Name>/...
// over HTTP).
func (s *Services) Named() map[string]any {
	return map[string]any{
		"System":   s.System,
		"Settings": s.Settings,
		"Models":   s.Models,
		"Export":   s.Export,
		"Chat":     s.Chat,
		"Datasets": s.Datasets,
		"Runs":     s.Runs,
	}
}

// Bind lists the services for wails.Run's Bind option.
func (s *Services) Bind() []any {
	out := make([]any, 0, len(s.Named()))
	for _, v := range s.Named() {
		out = append(out, v)
	}
	return out
}

// hubClient builds a hub client from the environment, with the token saved
// in the settings taking precedence over HF_TOKEN.
func (d Deps) hubClient() (*hub.Client, error) {
	opts, err := d.hubOptions()
	if err != nil {
		return nil, err
	}
	return hub.New(opts), nil
}

// hubOptions are hubClient's options, for a caller that adjusts them.
func (d Deps) hubOptions() (hub.Options, error) {
	opts := hub.OptionsFromEnv(d.Getenv)
	settings, err := d.Workspace.LoadSettings()
	if err != nil {
		return opts, err
	}
	if settings.HubToken != "" {
		opts.Token = settings.HubToken
	}
	opts.Events = d.Events
	return opts, nil
}

// guard turns a panic in a service method into an error, logging the stack.
// Use as: defer guard(log, "Datasets.Preview", &err).
func guard(log zerolog.Logger, op string, err *error) {
	if r := recover(); r != nil {
		log.Error().Str("op", op).Interface("panic", r).Str("stack", string(debug.Stack())).Msg("service panic")
		*err = fmt.Errorf("%s failed unexpectedly: %v", op, r)
	}
}
