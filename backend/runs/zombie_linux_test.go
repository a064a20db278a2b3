package runs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The child half of TestZombieOwnerIsNotRunning: it trains the run named
// by the environment with an executor that says so on stdout and then
// never returns.
func init() {
	root, id := os.Getenv("WHETSTONE_RUNS_CHILD_ROOT"), os.Getenv("WHETSTONE_RUNS_CHILD_RUN")
	if root == "" || id == "" {
		return
	}
	store, err := Open(root)
	if err != nil {
		os.Exit(3)
	}
	q, err := NewQueue(store, func(ctx context.Context, job *Job) error {
		fmt.Println("training")
		for {
			time.Sleep(time.Hour)
		}
	}, nil, WithoutRestore())
	if err != nil {
		os.Exit(3)
	}
	q.Start(context.Background())
	if err := q.Resume(id, 0); err != nil {
		os.Exit(3)
	}
	for {
		time.Sleep(time.Hour)
	}
}

// waitExitedNoReap blocks until the process has exited, leaving it a
// zombie (waitid with WNOWAIT): its pid still exists.
func waitExitedNoReap(pid int) error {
	const pPID, wEXITED, wNOWAIT = 1, 4, 0x1000000
	var info [128]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), wEXITED|wNOWAIT, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// A trainer killed and not yet reaped is a zombie: its pid exists (and
// still has its start time), but its lock is gone, so its run is
// interrupted, not running.
func TestZombieOwnerIsNotRunning(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	rec, _ := s.Create(testConfig())
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "WHETSTONE_RUNS_CHILD_ROOT="+root, "WHETSTONE_RUNS_CHILD_RUN="+rec.ID)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	reaped := false
	defer func() {
		if !reaped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "training\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	r, err := s.Get(rec.ID)
	if err != nil || r.State != Running || r.Owner == nil || r.Owner.PID != pid {
		t.Fatalf("while the child trains: %+v, %v", r, err)
	}
	if err := s.Delete(rec.ID); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", pid)) {
		t.Errorf("delete while the child trains: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := waitExitedNoReap(pid); err != nil {
		t.Fatal(err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil || !strings.Contains(string(stat), ") Z ") {
		t.Fatalf("the child is not a zombie: %q, %v", stat, err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the zombie's pid does not exist: %v", err)
	}
	r, err = s.Get(rec.ID)
	if err != nil || r.State != Interrupted || !r.CanResume() {
		t.Fatalf("run of a zombie: %+v, %v", r, err)
	}
	reaped = true
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) {
		t.Errorf("child exit: %v", err)
	}
}
