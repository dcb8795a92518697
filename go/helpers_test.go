package rshm

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
)

var nameCounter int32

// testName is a name no other process or test uses, "/rshm-test-PID-N-tag",
// unlinked when the test ends if the test left it behind.
func testName(t *testing.T, tag string) string {
	t.Helper()
	name := fmt.Sprintf("/rshm-test-%d-%d-%s", os.Getpid(), atomic.AddInt32(&nameCounter, 1), tag)
	t.Cleanup(func() {
		if err := ShmUnlink(name); err != nil && !errors.Is(err, syscall.ENOENT) {
			t.Errorf("cleanup unlink %s: %v", name, err)
		}
	})
	return name
}

// closeLater closes fd when the test ends unless the test closed it.
func closeLater(t *testing.T, fd int) {
	t.Helper()
	t.Cleanup(func() { _ = Close(fd) })
}

// wideInt is v as an int and true where int holds it (64-bit targets), else
// false: a case that passes a value beyond C's int, or beyond 32 bits, only
// exists where Go's int is wider than that.
func wideInt(v int64) (int, bool) {
	return int(v), int64(int(v)) == v
}

// wantErrno fails the test unless err is exactly the errno want.
func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v (%s)", what, err, want, ErrnoName(want))
		return
	}
	if _, ok := err.(syscall.Errno); !ok {
		t.Errorf("%s: error %T is not a syscall.Errno", what, err)
	}
}

// must fails the test now if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// newMemfd is a memfd of size bytes, closed when the test ends.
func newMemfd(t *testing.T, size int64) int {
	t.Helper()
	fd, err := MemfdCreate("rshm-go-test", MFD_CLOEXEC)
	must(t, "MemfdCreate", err)
	closeLater(t, fd)
	must(t, "FtruncateInt64", FtruncateInt64(fd, size))
	return fd
}

// wantDetail fails the test unless err, from a call on one of rshm's own
// objects, is an *Error of errno want with a detail to show.
func wantDetail(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v (%s)", what, err, want, ErrnoName(want))
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Detail == "" || e.Errno != want {
		t.Errorf("%s: error %T %v is not an *Error with a detail", what, err, err)
	}
}
