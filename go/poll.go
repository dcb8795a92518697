package rshm

// Parking: how a goroutine waits for a handle on Go's netpoller, holding
// no OS thread, instead of sitting in a blocking cgo call (which holds one
// thread per waiting goroutine: 200 waiting receivers, 200 threads).
//
// The contract, for a handle that adopts it (Channel.Recv does; a value's
// Wait and a topic's Receive are meant to, the same way):
//
//   - The handle has a descriptor from the library (rshm_channel_fd and
//     the like) that is readable, level-triggered, whenever try would not
//     say EAGAIN, and that after try says EAGAIN stays quiet until the
//     next change, which then makes it readable anew. Go's netpoller is
//     edge-triggered; that new readiness is the edge it needs. rshm's
//     doorbells give exactly this: a receive that finds nothing drains the
//     bell and arms it, and the next message (or the peer's death) rings
//     it, one datagram (or the pidfd's wake-up), one wake-up of the epoll
//     descriptor, one edge for the netpoller's registration of it. Where
//     the descriptor stays readable after an EAGAIN (a ring left queued;
//     the first millisecond after the peer's death), park looks again
//     after a backoff; where it stays quiet when it should not (the
//     library's documented blind spots), a re-check a second finds what
//     it missed. Both are safety nets, not the way wake-ups come.
//   - try is one attempt that never blocks (the C call with timeout 0): nil
//     when it is done, EAGAIN when there is nothing yet, any other error to
//     end the wait with. block(d) is the same operation as a blocking cgo
//     call waiting up to d (negative: without limit), ETIMEDOUT when d runs
//     out: the fallback where there is no descriptor.
//   - The handle holds a parking (the zero value is ready), lets one
//     goroutine at a time wait on it (as the handles themselves require),
//     and calls its close before closing itself, the finalizer's path
//     included.
//
// A handle adopts it with a field and a call:
//
//	type Value struct { v *C.rshm_value; park parking }
//	err := v.park.wait(ctx, timeout, v.Fd, try, block) // in Wait
//	v.park.close()                                     // in Close
//
// The descriptor is asked for on the first wait that has to wait, never
// for a try (timeout 0) alone. Where it cannot be had, the wait blocks in
// cgo as before: ENOTSUP (not Linux; then never asked for again), the
// descriptor limits (EMFILE, ENFILE: asked for again on the next wait),
// or any other refusal (the blocking call then reports it).
//
// The poller owns a duplicate of the descriptor (close-on-exec), which Go's
// *os.File closes; the library's descriptor stays the handle's. The
// duplicate is made non-blocking so that os.NewFile registers it with the
// netpoller; that flag belongs to the open file description and so shows
// on the handle's descriptor too, where it changes nothing (poll and
// epoll_wait ignore it).

// #include <poll.h>
// #include <stdint.h>
import "C"

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// recheckEvery bounds how long a parked goroutine trusts its descriptor
// alone: it tries again that often even when nothing rang and the
// descriptor is quiet. The descriptor misses what the library documents
// it cannot see (a sender in another network namespace, whose rings go
// nowhere) and a sender that takes its role and dies before its first
// message (the descriptor watches the sender it knew at the last
// receive); such a wait would otherwise last forever. A re-check a second
// costs nothing measurable. 0 turns it off (the tests do, to prove no
// wake-up is lost).
var recheckEvery = time.Second

// fallbackSlice bounds each blocking cgo call of a context-aware wait that
// has no descriptor: the context is looked at between the calls.
const fallbackSlice = 50 * time.Millisecond

// aLongTimeAgo is a deadline in the past: setting it wakes a parked Read.
var aLongTimeAgo = time.Unix(1, 0)

// parking is a handle's way to wait: its poller once it has one.
type parking struct {
	p *poller
	// never: the descriptor is not supported here; always block.
	never bool
}

// poller is the netpoller's registration of a duplicate of a handle's
// descriptor.
type poller struct {
	f  *os.File
	rc syscall.RawConn
	// parks counts the times a goroutine parked, stucks the times it found
	// the descriptor readable after an EAGAIN (for the tests).
	parks, stucks atomic.Uint64
}

// wait runs the operation until it is done or fails, waiting up to timeout
// (negative: without limit; 0: try once) and until ctx is done (then
// ctx.Err()). It parks the goroutine on the descriptor fd returns when it
// can, and falls back to block otherwise. The operation is never done and
// then reported as failed: a nil result means try or block did it.
//
// It tries first, so a caller may call it directly; a hot path that tries
// inline first spares the closures' allocation when there is no wait.
func (z *parking) wait(ctx context.Context, timeout time.Duration, fd func() (int, error), try func() error, block func(time.Duration) error) error {
	if timeout == 0 {
		return try()
	}
	if p := z.poller(fd); p != nil {
		return p.park(ctx, timeout, try)
	}
	return blockSliced(ctx, timeout, block)
}

// receive is wait for a receive: one(t) is one C receive with rshm's
// timeout t (0: try once), returning the length received.
func (z *parking) receive(ctx context.Context, timeout time.Duration, fd func() (int, error), one func(C.int64_t) (int, error)) (n int, err error) {
	err = z.wait(ctx, timeout, fd, func() (err error) {
		n, err = one(0)
		return err
	}, func(d time.Duration) (err error) {
		n, err = one(timeoutNs(d))
		return err
	})
	return n, err
}

// poller is z's poller, made on first use, or nil where there is none.
func (z *parking) poller(fd func() (int, error)) *poller {
	if z.p != nil || z.never {
		return z.p
	}
	n, err := fd()
	if err == nil {
		z.p, err = newPoller(n)
	}
	z.never = err == syscall.ENOTSUP
	return z.p
}

// readerFd is fd for a handle whose other role, the writer's or the
// publisher's, has no descriptor (EBADF): that role's waits block in cgo
// and never ask again.
func readerFd(fd func() (int, error)) func() (int, error) {
	return func() (int, error) {
		n, err := fd()
		if err == syscall.EBADF {
			err = syscall.ENOTSUP
		}
		return n, err
	}
}

// close releases the poller, if any (the duplicate descriptor).
func (z *parking) close() {
	if z.p != nil {
		_ = z.p.f.Close()
		z.p = nil
	}
}

// newPoller registers a close-on-exec duplicate of fd with the netpoller.
// ENOTSUP when the netpoller does not take it.
func newPoller(fd int) (*poller, error) {
	d, err := Fcntl(fd, syscall.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(d, true); err != nil {
		_ = syscall.Close(d)
		return nil, err
	}
	f := os.NewFile(uintptr(d), "rshm-poll") // owns d from here on
	// Only a file the netpoller took has deadlines.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		_ = f.Close()
		return nil, syscall.ENOTSUP
	}
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, syscall.ENOTSUP
	}
	return &poller{f: f, rc: rc}, nil
}

// park is wait on the netpoller.
//
// It trusts the contract, but checks the one way a break of it would lose
// a wake-up: try says EAGAIN while the descriptor stays readable, which
// gives the edge-triggered netpoller no new edge. That happens when a
// ring is left queued on an armed bell (a stranger's, or a sender's that
// took the bell before the receiver drained it and rang after: a few
// times in a million messages), and for up to a millisecond after the
// peer's death (the library asks the kernel about its peer at most once a
// millisecond, while the pidfd in the descriptor is readable at once).
// Then the goroutine, still parked for any new edge, also looks again
// after 1 ms, 2 ms, 4 ms... (up to a second), until the descriptor is
// quiet after an EAGAIN or the wait is over.
func (p *poller) park(ctx context.Context, timeout time.Duration, try func() error) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	if ctx.Done() != nil {
		// The watcher ends a parked Read by a deadline in the past; it is
		// gone before park returns, so it never touches a later wait.
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			select {
			case <-ctx.Done():
				_ = p.f.SetReadDeadline(aLongTimeAgo)
			case <-stop:
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
	}
	var err error
	// backoff > 0: the descriptor was readable after an EAGAIN; look again
	// after backoff rather than waiting for an edge alone.
	var backoff time.Duration
	stuck := false
	read := func(fd uintptr) bool {
		err = try()
		if err != syscall.EAGAIN {
			return true
		}
		if !stuck && readable(fd) {
			// A ring after the try makes it readable too: try once more.
			if err = try(); err != syscall.EAGAIN {
				return true
			}
			if readable(fd) {
				stuck = true
				p.stucks.Add(1)
				return true
			}
		}
		if !stuck {
			backoff = 0
		}
		p.parks.Add(1)
		return false
	}
	for {
		until := deadline
		limit := recheckEvery
		if stuck && (limit <= 0 || backoff < limit) {
			limit = backoff
		}
		if limit > 0 {
			if r := time.Now().Add(limit); until.IsZero() || r.Before(until) {
				until = r
			}
		}
		if e := p.f.SetReadDeadline(until); e != nil {
			return pollErrno(e)
		}
		// After the deadline is set: a watcher that fired before it sees
		// its past deadline overwritten, but its context is done already.
		if e := ctx.Err(); e != nil {
			return e
		}
		wasStuck := stuck
		e := p.rc.Read(read)
		if e == nil {
			if !stuck || wasStuck {
				return err
			}
			// Newly stuck: park again, looking after a backoff.
			backoff = stuckBackoff(backoff)
			continue
		}
		if !errors.Is(e, os.ErrDeadlineExceeded) {
			return pollErrno(e)
		}
		if e := ctx.Err(); e != nil {
			return e
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			if err = try(); err == syscall.EAGAIN {
				err = syscall.ETIMEDOUT
			}
			return err
		}
		if stuck {
			// Look again: readable still (grow the backoff), or quiet.
			stuck = false
		}
	}
}

// stuckBackoff is the next wait before looking again at a descriptor that
// stays readable while try says EAGAIN: 1 ms, doubling, up to a second.
func stuckBackoff(b time.Duration) time.Duration {
	switch {
	case b == 0:
		return time.Millisecond
	case b >= time.Second/2:
		return time.Second
	}
	return 2 * b
}

// readable polls fd, not waiting.
func readable(fd uintptr) bool {
	pfd := C.struct_pollfd{fd: C.int(fd), events: C.POLLIN}
	return C.poll(&pfd, 1, 0) == 1 && pfd.revents&C.POLLIN != 0
}

// pollErrno is an error of the netpoller's as the package reports errors:
// a closed file is a closed handle (EFAULT).
func pollErrno(err error) error {
	var no syscall.Errno
	if errors.As(err, &no) {
		return no
	}
	if errors.Is(err, os.ErrClosed) {
		return syscall.EFAULT
	}
	return syscall.EIO
}

// blockSliced is wait without a descriptor: block in cgo for the whole
// timeout, or, under a context that can end, in slices of fallbackSlice,
// looking at the context between them.
func blockSliced(ctx context.Context, timeout time.Duration, block func(time.Duration) error) error {
	if ctx.Done() == nil {
		return block(timeout)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := fallbackSlice
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return syscall.ETIMEDOUT
			}
			if left < d {
				d = left
			}
		}
		if err := block(d); err != syscall.ETIMEDOUT {
			return err
		}
	}
}
