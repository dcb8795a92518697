package rshm

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// A signal that reaches the sleeping thread ends Wait with nil, not EINTR,
// as any wake-up does; waitForError, which the tests use for ETIMEDOUT,
// waits again then, and so sees the timeout once the signals stop (a
// single 1 ms Wait amid them returns nil). SIGURG is the Go runtime's own
// preemption signal, sent here as fast as possible (tgkill: Linux).
func TestWaitTakesASignalForAWakeUp(t *testing.T) {
	value, _, _ := wordsOf(anonPages(t, 1))
	runtime.LockOSThread() // so that the signals reach the thread that sleeps
	defer runtime.UnlockOSThread()
	pid, tid := os.Getpid(), syscall.Gettid()
	stop, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				stopped <- nil
				return
			default:
			}
			if err := syscall.Tgkill(pid, tid, syscall.SIGURG); err != nil {
				stopped <- err
				return
			}
			runtime.Gosched()
		}
	}()
	woken := false
	for i := 0; i < 100 && !woken; i++ {
		woken = Wait(value, 0, 100*time.Millisecond) == nil
	}
	time.AfterFunc(20*time.Millisecond, func() { close(stop) })
	err := waitForError(value, 0, time.Millisecond)
	must(t, "Tgkill", <-stopped)
	if !woken {
		t.Errorf("no signal ended a 100 ms Wait in 100 tries")
	}
	wantErrno(t, "waitForError amid signals", err, syscall.ETIMEDOUT)
}
