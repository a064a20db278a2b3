//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
	"github.com/whetstone-ai/whetstone/backend/train"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// These tests stop a real `whetstone serve` process mid-run, the way a
// user, systemd or an OOM killer does, and check from the run store that
// nothing was lost. The serve process is this test binary run again with
// envServeChild set: its init runs what main.go runs for a command.
const (
	envServeChild = "WHETSTONE_SERVE_CHILD"
	// envServeArgs holds the command's arguments as a JSON array.
	envServeArgs = "WHETSTONE_SERVE_ARGS"
)

// The child half: main.go's signal handling around cli.Run, then its exit
// codes. A test binary run with the variable never reaches its tests.
func init() {
	if os.Getenv(envServeChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envServeArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "serve child: bad", envServeArgs+":", err)
		os.Exit(3)
	}
	os.Exit(childMain(args))
}

// childMain is main.go's main for a command, returning the exit code.
func childMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// As in main.go: after the first signal the default handling is back,
	// so a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: "test"}
	err := Run(ctx, env, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(os.Stderr, "whetstone:", err)
		return 2
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "whetstone: interrupted")
		return 130
	default:
		fmt.Fprintln(os.Stderr, "whetstone:", err)
		return 1
	}
}

// childOutput collects what the child writes while the test reads it.
type childOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *childOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *childOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// serveChild is a running `whetstone serve` process and its API.
type serveChild struct {
	cmd            *exec.Cmd
	stdout, stderr *childOutput
	exited         chan struct{} // closed once the process is reaped
	base, token    string
	client         *http.Client
}

const childToken = "serve-signal-test-token"

// startServeChild starts `serve` on a free loopback port over the
// workspace ws and waits for the URL it prints. Its output is shown when
// the test fails; a child still running at the end is killed.
func startServeChild(t *testing.T, ws string) *serveChild {
	t.Helper()
	args, err := json.Marshal([]string{"serve", "--addr", "127.0.0.1:0", "--token", childToken, "--workspace", ws})
	require.NoError(t, err)
	c := &serveChild{stdout: &childOutput{}, stderr: &childOutput{}, exited: make(chan struct{}), token: childToken,
		client: &http.Client{Timeout: time.Minute}}
	c.cmd = exec.Command(os.Args[0], "-test.run", "^$")
	c.cmd.Env = append(os.Environ(), envServeChild+"=1", envServeArgs+"="+string(args), "HF_HUB_OFFLINE=1")
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	require.NoError(t, c.cmd.Start())
	go func() {
		c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			t.Logf("serve stdout:\n%s\nserve stderr:\n%s", c.stdout, c.stderr)
		}
	})

	re := regexp.MustCompile(`Whetstone is serving at (http://127\.0\.0\.1:\d+/)\?token=`)
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(c.stdout.String()); m != nil {
			c.base = m[1]
			return c
		}
		select {
		case <-c.exited:
			t.Fatalf("serve exited before printing its URL: %v", c.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("serve did not print its URL")
	return nil
}

// call runs a service method over HTTP, decoding its result into out.
func (c *serveChild) call(method string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", c.base+"api/call/"+strings.ReplaceAll(method, ".", "/"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", method, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// signal sends sig and waits, bounded by Close's own wait and then some,
// for the process to end.
func (c *serveChild) signal(t *testing.T, sig syscall.Signal) *os.ProcessState {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(sig))
	select {
	case <-c.exited:
		return c.cmd.ProcessState
	case <-time.After(service.ShutdownWait + time.Minute):
		t.Fatalf("serve did not exit after %v", sig)
		return nil
	}
}

// waitStep polls Runs.Get until the run reports step or more.
func (c *serveChild) waitStep(t *testing.T, id string, step int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		var d service.RunDetail
		require.NoError(t, c.call("Runs.Get", &d, id))
		if d.Record.Step >= step {
			return
		}
		require.False(t, d.Record.State.Finished(), "run %s ended before step %d: %s %s", id, step, d.Record.State, d.Record.Error)
		select {
		case <-c.exited:
			t.Fatalf("serve exited while the run trained: %v", c.cmd.ProcessState)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("run %s did not reach step %d", id, step)
}

// signalFixture is a workspace holding a tiny model and a chat dataset:
// serve's path policy admits the workspace, so the run may read them.
type signalFixture struct {
	ws, modelDir, data string
}

func newSignalFixture(t *testing.T) signalFixture {
	t.Helper()
	ws, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	cfg, err := model.Preset("tiny")
	require.NoError(t, err)
	m, err := model.NewRandom(cfg, 1, model.Options{})
	require.NoError(t, err)
	f := signalFixture{ws: ws, modelDir: filepath.Join(ws, "models", "tiny"), data: filepath.Join(ws, "data", "chats.jsonl")}
	require.NoError(t, os.MkdirAll(f.modelDir, 0o755))
	require.NoError(t, m.SaveCheckpoint(f.modelDir))
	tokenizertest.ByteLevel(t, f.modelDir)
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, `{"conversations":[{"from":"human","value":"hello %d"},{"from":"gpt","value":"hello world %d"}]}`+"\n", i, i)
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(f.data), 0o755))
	require.NoError(t, os.WriteFile(f.data, []byte(b.String()), 0o644))
	return f
}

// signalSteps is the length of the runs: long enough that a signal sent
// at step 2 or 5 lands well before the end, short for a test.
const signalSteps = 60

// startRun asks the child for the gemma3 defaults, makes them tiny and
// starts a run with checkpoints every `every` steps (0: only on pause).
func (f signalFixture) startRun(t *testing.T, c *serveChild, every int) runs.Record {
	t.Helper()
	var cfg runconfig.Config
	require.NoError(t, c.call("Runs.Defaults", &cfg, "gemma3"))
	cfg.Model.Source, cfg.Dataset.Path = f.modelDir, f.data
	cfg.Training.MaxSteps, cfg.Training.BatchSize, cfg.Training.GradAccum = signalSteps, 2, 1
	cfg.Training.MaxSeqLen, cfg.Training.WarmupSteps = 64, 1
	cfg.Checkpoint.Every = every
	var rec runs.Record
	require.NoError(t, c.call("Runs.Start", &rec, cfg))
	require.NotEmpty(t, rec.ID)
	return rec
}

// openRuns opens the workspace's run store the way a new process would.
func openRuns(t *testing.T, ws string) *runs.Store {
	t.Helper()
	w, err := workspace.Open(ws)
	require.NoError(t, err)
	store, err := runs.Open(w.RunsDir())
	require.NoError(t, err)
	return store
}

// finishInProcess runs (or resumes) id to its end on a queue of this
// process and returns its metrics.
func finishInProcess(t *testing.T, store *runs.Store, id string) []runs.Metrics {
	t.Helper()
	q, err := runs.NewQueue(store, executor.New(executor.Env{}), nil, runs.WithoutRestore())
	require.NoError(t, err)
	q.Start(context.Background())
	defer q.Close()
	require.NoError(t, q.Resume(id, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	require.NoError(t, q.Wait(ctx, id))
	rec, err := store.Get(id)
	require.NoError(t, err)
	require.Equal(t, runs.Completed, rec.State, rec.Error)
	ms, err := store.Metrics(id)
	require.NoError(t, err)
	return ms
}

// uninterrupted trains cfg from step 0 in a fresh store of this process.
func uninterrupted(t *testing.T, cfg runconfig.Config) []runs.Metrics {
	t.Helper()
	store, err := runs.Open(t.TempDir())
	require.NoError(t, err)
	rec, err := store.Create(cfg)
	require.NoError(t, err)
	return finishInProcess(t, store, rec.ID)
}

// requireSameLosses checks a resumed run lists every step once, in order,
// with the losses of the run that was never stopped.
func requireSameLosses(t *testing.T, want, got []runs.Metrics) {
	t.Helper()
	require.Len(t, want, signalSteps)
	require.Len(t, got, signalSteps)
	for i := range want {
		require.Equal(t, i+1, got[i].Step, "metrics steps")
		require.InDelta(t, want[i].Loss, got[i].Loss, 1e-6, "loss at step %d", i+1)
	}
}

// TestServeSIGTERMPausesWithACheckpoint stops serve mid-run with SIGTERM
// (systemd, docker stop) and SIGINT (Ctrl-C): the process exits cleanly,
// the run is paused with a checkpoint at the step it stopped, and resumed
// by another process it ends with the losses of a run never stopped.
func TestServeSIGTERMPausesWithACheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSignalFixture(t)
			c := startServeChild(t, f.ws)
			started := f.startRun(t, c, 0)
			c.waitStep(t, started.ID, 2)
			st := c.signal(t, tc.sig)
			require.True(t, st.Exited() && st.ExitCode() == 0, "serve ended with %v", st)

			store := openRuns(t, f.ws)
			rec, err := store.Get(started.ID)
			require.NoError(t, err)
			require.Equal(t, runs.Paused, rec.State, rec.Error)
			t.Logf("paused at step %d of %d", rec.Step, signalSteps)
			require.GreaterOrEqual(t, rec.Step, 2)
			require.Less(t, rec.Step, signalSteps, "the run ended before the signal stopped it")
			// The only checkpoint is the pause's, at the last step trained.
			steps, err := train.Checkpoints(store.CheckpointsDir(started.ID))
			require.NoError(t, err)
			require.Equal(t, []int{rec.Step}, steps)
			require.Equal(t, rec.Step, rec.LastCheckpoint)
			require.NoError(t, train.VerifyCheckpoint(filepath.Join(store.CheckpointsDir(started.ID), fmt.Sprint(rec.Step))))
			ms, err := store.Metrics(started.ID)
			require.NoError(t, err)
			require.Len(t, ms, rec.Step)

			cfg, err := store.Config(started.ID)
			require.NoError(t, err)
			got := finishInProcess(t, store, started.ID)
			requireSameLosses(t, uninterrupted(t, cfg), got)
		})
	}
}

// TestServeKill9IsResumable kills serve with no chance to clean up (an OOM
// kill, a power cut): the run is no longer shown as running, its periodic
// checkpoint is intact, and a resume completes it as if never stopped.
func TestServeKill9IsResumable(t *testing.T) {
	f := newSignalFixture(t)
	c := startServeChild(t, f.ws)
	started := f.startRun(t, c, 2)
	c.waitStep(t, started.ID, 5)
	st := c.signal(t, syscall.SIGKILL)
	ws, ok := st.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "serve ended with %v", st)

	store := openRuns(t, f.ws)
	rec, err := store.Get(started.ID)
	require.NoError(t, err)
	// Nothing holds the run's lock any more, so it no longer reads as
	// running but as interrupted, which a resume accepts.
	require.Equal(t, runs.Interrupted, rec.State, "%+v", rec)
	require.True(t, rec.State.Resumable())
	require.Less(t, rec.Step, signalSteps, "the run ended before the kill")
	// The kill may cut a checkpoint short; the newest whole one, which a
	// resume starts from, is at step 4 or later.
	steps, err := train.Checkpoints(store.CheckpointsDir(started.ID))
	require.NoError(t, err)
	whole := 0
	for _, s := range steps {
		if train.VerifyCheckpoint(filepath.Join(store.CheckpointsDir(started.ID), fmt.Sprint(s))) == nil {
			whole = s
			break
		}
	}
	t.Logf("after the kill: %s at step %d of %d, checkpoints %v", rec.State, rec.Step, signalSteps, steps)
	require.GreaterOrEqual(t, whole, 4, "checkpoints %v", steps)

	cfg, err := store.Config(started.ID)
	require.NoError(t, err)
	got := finishInProcess(t, store, started.ID)
	requireSameLosses(t, uninterrupted(t, cfg), got)
}
