// Package runs keeps the history of training runs in the workspace and
// executes them one at a time.
//
// # Layout
//
//	<workspace>/runs/<id>/
//	    config.yaml       the runconfig.Config the run was started with
//	    state.json        the run's record: state, progress, timestamps, owner
//	    metrics.jsonl     one JSON object per optimiser step, append-only
//	    train.log         human-readable log lines
//	    checkpoints/<step>/  resumable training state (written by backend/train)
//	    adapter/          the final LoRA adapter
//
// # Why the directories are the index
//
// There is no database. The list of runs is rebuilt by scanning runs/ and
// reading each state.json, and every state.json is replaced atomically
// (temporary file, fsync, rename). We chose this over SQLite or bbolt because:
//
//   - A run directory is self-contained: copying, archiving or deleting it
//     by hand (or from a file manager) cannot leave an index that disagrees
//     with the disk, since the disk is the index.
//   - After a crash or kill -9 each state.json is either the old or the new
//     version, never a torn write; there is no second copy of the truth to
//     reconcile and no journal to recover.
//   - The scale is small (tens to hundreds of runs); a scan of small JSON
//     files takes milliseconds, far below anything a user notices.
//   - It needs no cgo and no extra dependency, keeping the single static
//     binary.
//
// A run whose state says "running" but whose owning process is gone (the
// record keeps the owner's pid and process start time) is reported as
// "interrupted" and can be resumed from its newest valid checkpoint.
// metrics.jsonl is append-only; a partial last line left by a crash is
// ignored when reading, and resuming truncates the file back to the
// checkpoint's step so the resumed steps are not listed twice.
//
// # Queue
//
// Queue runs jobs one at a time per device in submission order (FIFO). Runs
// left "queued" by a previous process are picked up again on start (unless
// WithoutRestore, which the headless CLI uses to run only its own run).
// "One at a time" also holds across processes: a job takes the advisory
// lock runs/.device.lock (flock, released by the kernel if the process
// dies) before it starts, so a `whetstone train` in a terminal waits, still
// queued, while the desktop app trains, and the other way round. Pause
// asks the trainer to write a checkpoint and stop; Resume puts a paused,
// interrupted or failed run back in the queue to continue from its latest
// (or a chosen) checkpoint. Progress is published on the events.Emitter
// topics "run.state", "run.metrics" and "run.log".
package runs
