package runs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Ownership of a run
//
// The process that executes a run holds the run's lock, runs/<id>/.lock
// (flock), from the moment it claims the run until it has written the
// run's final state. A record that says "running" is live exactly while
// that lock is held. The kernel drops the lock when the process exits,
// before the process is even reaped, so a dead owner, a zombie, a reused
// pid or a record that names pid 1 cannot keep a run "running"; the pid
// and host in the record are only shown to the user.
//
// Flock has no "is it held?" query: a reader finds out by trying to take
// the lock, and that try would make a trainer's simultaneous try fail. So
// every try of a run lock happens under runs/.claim.lock, which each
// holder keeps for an instant: a try that fails under it has met a real
// owner (a trainer, or a Delete renaming the folder), never a reader.

const (
	runLockName   = ".lock"
	claimLockName = ".claim.lock"
)

// ErrRefused marks a queued execution that did not start because, when
// its turn came, the run was no longer startable: another process had
// completed, paused or taken it, or it was damaged. Queue.Wait returns it.
var ErrRefused = errors.New("run refused")

// ErrDamaged is returned by Update for a run whose files cannot be read.
var ErrDamaged = errors.New("run damaged")

// runError is an error with its own message that errors.Is matches to a
// sentinel.
type runError struct {
	kind error
	msg  string
}

func (e *runError) Error() string        { return e.msg }
func (e *runError) Is(target error) bool { return target == e.kind }

func refused(format string, args ...any) error {
	return &runError{kind: ErrRefused, msg: fmt.Sprintf(format, args...)}
}

func (s *Store) runLockPath(id string) string { return filepath.Join(s.Dir(id), runLockName) }

// tryRunLock takes the run's lock without waiting; ok is false when a
// trainer (or a Delete) holds it.
func (s *Store) tryRunLock(id string) (release func(), ok bool, err error) {
	var held bool
	err = s.underClaimLock(func() error {
		release, held, err = tryLockFile(s.runLockPath(id))
		return err
	})
	if err != nil {
		return nil, false, s.lockError(id, err)
	}
	return release, held, nil
}

// probeRunLock reports whether a process holds the run's lock. When none
// does, fn runs while the probe holds it (and the claim lock), so fn may
// rewrite the record without a trainer starting or finishing meanwhile.
func (s *Store) probeRunLock(id string, fn func()) (held bool, err error) {
	err = s.underClaimLock(func() error {
		release, ok, err := tryLockFile(s.runLockPath(id))
		if err != nil {
			return err
		}
		if !ok {
			held = true
			return nil
		}
		defer release()
		fn()
		return nil
	})
	return held, s.lockError(id, err)
}

func (s *Store) underClaimLock(fn func() error) error {
	release, err := lockFile(filepath.Join(s.root, claimLockName))
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

func (s *Store) lockError(id string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(s.Dir(id)); errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
	}
	return err
}

// claim takes the run's lock for the whole execution and marks the run
// running in this process. It refuses (ErrRefused) a run that another
// process holds, or that is no longer queued: the state is read again
// under the lock, because another process may have run it to completion
// (or paused it) while this job waited for the device.
func (s *Store) claim(id string, resume bool) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[id] != nil {
		return Record{}, refused("run %s is already being executed by this process", id)
	}
	release, ok, err := s.tryRunLock(id)
	if err != nil {
		return Record{}, err
	}
	if !ok {
		rec, _ := s.readState(id)
		return Record{}, refused("run %s is being trained by another process%s; nothing to %s", id, ownerText(rec.Owner), verb(resume))
	}
	rec, problem := s.readState(id)
	if problem != "" {
		release()
		return Record{}, refused("run %s is damaged: state.json %s", id, problem)
	}
	if rec.State != Queued {
		release()
		switch rec.State {
		case Completed:
			return Record{}, refused("run %s completed while waiting; nothing to %s", id, verb(resume))
		case Running:
			// We hold the lock, so the process that marked it running is gone.
			return Record{}, refused("run %s was started by another process while waiting and was interrupted; resume it again to continue", id)
		default:
			return Record{}, refused("run %s became %s while waiting (another process acted on it); nothing to %s", id, rec.State, verb(resume))
		}
	}
	now := time.Now().UTC()
	owner := s.self
	rec.State = Running
	rec.Owner = &owner
	rec.Error = ""
	rec.Finished = nil
	if rec.Started == nil {
		rec.Started = &now
	}
	if err := s.writeState(id, &rec); err != nil {
		release()
		return Record{}, err
	}
	s.held[id] = &heldRun{release: release, last: rec}
	return rec, nil
}

func verb(resume bool) string {
	if resume {
		return "resume"
	}
	return "start"
}

// ownerText describes a run's owner for messages: " (process 12 on host)".
func ownerText(o *Owner) string {
	switch {
	case o == nil || o.PID <= 0:
		return ""
	case o.Host == "":
		return fmt.Sprintf(" (process %d)", o.PID)
	default:
		return fmt.Sprintf(" (process %d on %s)", o.PID, o.Host)
	}
}

// release lets go of a run this process executed, after its final state
// is written.
func (s *Store) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.held[id]; h != nil {
		h.release()
		delete(s.held, id)
	}
}
