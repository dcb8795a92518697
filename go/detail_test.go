package rshm

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestObjectErrorsCarryTheDetail(t *testing.T) {
	name := testName(t, "detail")
	_, err := ChannelOpen(name, 0)
	wantDetail(t, "ChannelOpen of a missing name", err, syscall.ENOENT)
	var e *Error
	if errors.As(err, &e) {
		if !strings.Contains(e.Detail, "rshm_channel_open") || !strings.Contains(e.Detail, name) {
			t.Errorf("detail %q names neither the call nor the name", e.Detail)
		}
		if s := err.Error(); !strings.Contains(s, e.Detail) || !strings.Contains(s, "ENOENT") {
			t.Errorf("Error() = %q: not the detail and the errno", s)
		}
	}
	var no syscall.Errno
	if !errors.As(err, &no) || no != syscall.ENOENT {
		t.Errorf("errors.As to a syscall.Errno: %v", no)
	}

	// What the library found under the name is in the sentence.
	if err := syscall.Mkfifo("/dev/shm"+name, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	_, err = SegmentOpen(name, O_RDONLY, 0)
	if !errors.As(err, &e) || !strings.Contains(strings.ToLower(e.Detail), "fifo") {
		t.Errorf("SegmentOpen of a FIFO: %v, want a detail that says FIFO", err)
	}
	must(t, "ValueUnlink", ValueUnlink(name))
	wantDetail(t, "TopicUnlink of a missing name", TopicUnlink(name), syscall.ENOENT)

	// An argument the package refuses itself: the same form.
	_, err = ValueOpen("/a\x00b", O_RDONLY, 0)
	wantDetail(t, "ValueOpen with a NUL", err, syscall.EINVAL)
	if errors.As(err, &e) && e.Detail != `ValueOpen("/a\x00b"): `+ErrnoString(syscall.EINVAL) {
		t.Errorf("detail of a refused name: %q", e.Detail)
	}

	// The seed's calls keep their plain errno.
	_, err = ShmOpen(name, O_RDONLY, 0)
	wantErrno(t, "ShmOpen of a missing name", err, syscall.ENOENT)
}

// The detail is the OS thread's: each failed call's, read in that call,
// names its own object however the goroutines move between threads.
func TestObjectErrorDetailIsTheCallsOwn(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("/rshm-test-missing-%d-%d", g, i)
				_, err := TopicOpen(name, O_RDONLY, 0)
				var e *Error
				if !errors.As(err, &e) || e.Errno != syscall.ENOENT || !strings.Contains(e.Detail, `"`+name+`"`) {
					t.Errorf("TopicOpen(%s): %v", name, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
