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
//	    .lock             held by the process executing the run (runlock.go)
//
// # Why the directories are the index
//
// There is no database. The list of runs is rebuilt by scanning runs/ and
// reading each run's files, and every state.json is replaced atomically
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
// # Damage, ownership, metrics
//
// A run folder whose state.json, config.yaml or metrics.jsonl cannot be
// read (cut off, empty, wrongly typed, missing) never hides the others or
// stops the store: it is listed in state "damaged" with Record.Damage
// saying which file is wrong, how, and what can be done. It can always be
// deleted; it can be resumed when config.yaml is readable and a complete
// checkpoint exists, which sets the unreadable files aside (<name>.damaged)
// and writes a fresh state.json. Nothing else writes over a damaged file.
//
// The process that executes a run holds the run's lock (runs/<id>/.lock,
// flock) until it has written the run's final state, and "running" means
// exactly that the lock is held: a run whose state says "running" with no
// one holding its lock is reported as "interrupted" and can be resumed
// from its newest valid checkpoint. The pid and host in the record are for
// display only, so a dead owner, a zombie, a reused pid or pid 1 cannot
// keep a run "running" (runlock.go says how the lock is checked). A queued
// execution reads the run's state again once it holds the lock and refuses
// a run that another process completed, paused or took meanwhile.
//
// metrics.jsonl is append-only. A line that cannot be read (a partial one
// left by a crash, a damaged one anywhere) is skipped and counted
// (ReadMetrics), never an error, and resuming rewrites the file with the
// readable lines up to the checkpoint's step, so the resumed steps are not
// listed twice.
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
