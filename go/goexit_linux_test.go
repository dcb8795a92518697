package rshm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// openFds counts this process's open descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	must(t, "ReadDir /proc/self/fd", err)
	return len(entries) - 1 // ReadDir's own descriptor
}

// createInitOnGoroutine runs SegmentCreateInit with init on a goroutine
// of its own, as a test's helper goroutine would, and reports whether the
// call returned to its caller, and what was recovered there. A call that
// never ends fails the test.
func createInitOnGoroutine(t *testing.T, name string, init func([]byte) error) (returned bool, recovered interface{}) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { recovered = recover() }()
		seg, err := SegmentCreateInit(name, 4096, 0o600, init)
		returned = true
		if err == nil {
			_ = seg.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("SegmentCreateInit did not end within 10 s")
	}
	return returned, recovered
}

// wantNothingLeft checks that a creation abandoned by its init left no
// name, no temporary object and no descriptor, and that the name is free.
func wantNothingLeft(t *testing.T, name, how string, fdsBefore int) {
	t.Helper()
	_, err := SegmentOpen(name, O_RDONLY, 0)
	wantDetail(t, "SegmentOpen after "+how, err, syscall.ENOENT)
	if left := leftovers(t); len(left) != 0 {
		t.Errorf("%s left %v in /dev/shm", how, left)
	}
	if n := openFds(t); n != fdsBefore {
		t.Errorf("%s: %d descriptors open, %d before", how, n, fdsBefore)
	}
	seg, err := SegmentCreate(name, 10, 0o600)
	must(t, "SegmentCreate after "+how, err)
	must(t, "Close", seg.Close())
	must(t, "SegmentUnlink", SegmentUnlink(name))
}

// runtime.Goexit in init, what t.Fatal calls: the library cleans up, then
// the calling goroutine ends the same way (its deferred calls run, the
// code after the call does not), and nothing leaks.
func TestSegmentCreateInitGoexit(t *testing.T) {
	name := testName(t, "goexit")
	before := openFds(t)
	returned, recovered := createInitOnGoroutine(t, name, func(data []byte) error {
		copy(data, "half written")
		runtime.Goexit()
		return nil
	})
	if returned || recovered != nil {
		t.Errorf("after Goexit in init: returned %v, recovered %v; want the caller ended by Goexit", returned, recovered)
	}
	wantNothingLeft(t, name, "Goexit in init", before)
}

// A panic in init, panic(nil) included, goes on in the caller after the
// cleanup, and nothing leaks.
func TestSegmentCreateInitPanicLeaksNothing(t *testing.T) {
	name := testName(t, "panic")
	before := openFds(t)
	returned, recovered := createInitOnGoroutine(t, name, func([]byte) error { panic("init panics") })
	if returned || recovered != "init panics" {
		t.Errorf("after a panic in init: returned %v, recovered %v; want init's panic", returned, recovered)
	}
	wantNothingLeft(t, name, "a panic in init", before)

	returned, _ = createInitOnGoroutine(t, name, func([]byte) error { panic(nil) })
	if returned {
		t.Errorf("SegmentCreateInit returned after init's panic(nil)")
	}
	wantNothingLeft(t, name, "panic(nil) in init", before)
}

// Forgotten Segments and Channels are closed by their finalizers: their
// descriptors come back once the collector has run. 2000 of each would
// keep 2000 descriptors (three each for a receiver that parked) without
// them.
func TestFinalizersCloseForgottenHandles(t *testing.T) {
	for _, c := range []struct {
		kind   string
		create func(name string) error
	}{
		{"Segment", func(name string) error {
			_, err := SegmentCreate(name, 4096, 0o600)
			return err
		}},
		{"Channel", func(name string) error {
			_, err := ChannelCreate(name, 64, 0o600)
			return err
		}},
		// A receiver that parked has the library's descriptors and the
		// poller's duplicate.
		{"ParkedChannel", func(name string) error {
			ch, err := ChannelCreate(name, 64, 0o600)
			if err != nil {
				return err
			}
			if _, err := ch.Recv(nil, time.Microsecond); err != syscall.ETIMEDOUT {
				return fmt.Errorf("Recv: %v, want ETIMEDOUT", err)
			}
			if ch.park.p == nil {
				return errors.New("Recv with a timeout made no poller")
			}
			return nil
		}},
	} {
		t.Run(c.kind, func(t *testing.T) {
			runtime.GC()
			before := openFds(t)
			name := testName(t, "forgotten")
			for i := 0; i < 2000; i++ {
				must(t, c.kind+"Create", c.create(name))
				must(t, "unlink", ShmUnlink(name)) // the handle stays open
				if i%250 == 249 {
					runtime.GC()
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			n := openFds(t)
			for n > before && time.Now().Before(deadline) {
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
				n = openFds(t)
			}
			if n > before {
				t.Errorf("%d descriptors open after 2000 forgotten %ss and the collector, %d before", n, c.kind, before)
			}
		})
	}
}

// A Segment or Channel closed by hand has no finalizer left to close it
// again (its descriptor number may belong to someone else by then).
func TestCloseDropsTheFinalizer(t *testing.T) {
	name := testName(t, "closed")
	seg, err := SegmentCreate(name, 4096, 0o600)
	must(t, "SegmentCreate", err)
	must(t, "Close", seg.Close())
	must(t, "SegmentUnlink", SegmentUnlink(name))
	ch, err := ChannelCreate(name, 64, 0o600)
	must(t, "ChannelCreate", err)
	must(t, "Close", ch.Close())
	must(t, "ChannelUnlink", ChannelUnlink(name))
	fd := newMemfd(t, 4096)
	seg, ch = nil, nil
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := Fcntl(fd, F_GETFD, 0); err != nil {
		t.Errorf("a descriptor opened after Close was closed by a finalizer: %v", err)
	}
}
