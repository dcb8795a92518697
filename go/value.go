package rshm

// #include <stdlib.h>
// #include <rshm.h>
// #include "detail.h"
import "C"

import (
	"context"
	"runtime"
	"syscall"
	"time"
)

// Value is a latest value shared between processes (rshm_value_* in
// rshm.h): one writer keeps a value of up to Size bytes up to date, and
// any number of readers, in any processes, copy the latest version. A
// reader never sees half an update, never waits for the writer and never
// writes to the object; the writer never waits for readers. A Value is
// not safe for concurrent use: one goroutine at a time. A Value that is
// garbage collected unclosed is closed by a finalizer; Close it yourself
// to give the writer's role up at a known time.
//
// A reader's goroutine waiting in Wait or WaitContext parks on Go's
// netpoller, through the reader's descriptor (Fd), and holds no OS thread
// while it waits (the descriptor's own watcher thread in the library is
// one per handle, see rshm_value_fd). The writer, which has no
// descriptor, and a reader where there is none (macOS; the descriptor
// limits reached) wait in a blocking cgo call, which holds its thread.
type Value struct {
	v    *C.rshm_value
	park parking
	// seen is the version this handle's reads returned last (0 before the
	// first), as the descriptor counts it; scratch is where Wait reads to
	// move it (see Wait).
	seen    uint64
	scratch []byte
}

// newValue makes a Value, with its finalizer, of a handle the library
// returned; nil for none.
func newValue(v *C.rshm_value) *Value {
	if v == nil {
		return nil
	}
	val := &Value{v: v}
	runtime.SetFinalizer(val, (*Value).Close)
	return val
}

// ValueCreate creates the value name ("/name") for values of up to size
// bytes (at least 1), with permission bits mode, and returns its writer.
// The value starts empty, at version 0. With 0o600 or 0o660 a Write makes
// no system call unless a reader waits; when mode lets some users read
// without writing (0o644), writes also wake the readers that may only
// read, backing off while nobody waits (see rshm_value_create in rshm.h).
// The name stays until ValueUnlink.
// Errors: EEXIST, EINVAL (size 0, bad name), EOVERFLOW, ENOSPC, EACCES,
// ENAMETOOLONG.
func ValueCreate(name string, size int, mode uint32) (*Value, error) {
	if size < 0 {
		return nil, refusedErr("ValueCreate", name, syscall.EINVAL)
	}
	return openObject("ValueCreate", name, func(cname *C.char, detail **C.char) (*Value, error) {
		v, err := C.rshm_go_value_create(cname, C.size_t(size), C.uint32_t(mode), detail)
		return newValue(v), err
	})
}

// ValueOpen opens the value name as a reader (flag O_RDONLY: read
// permission suffices, the object is mapped read-only) or as its writer
// (O_RDWR: taking over from a writer that died), waiting up to timeout
// (rounded up to a millisecond; 0 looks once, a negative timeout waits
// about 49 days) for it to be created. Errors: EBUSY (O_RDWR and a live
// writer), ETIMEDOUT, ENOENT (timeout 0), EINVAL (not a value, or another
// flag), EPROTO (another layout, or corrupt), EACCES.
func ValueOpen(name string, flag int, timeout time.Duration) (*Value, error) {
	ms := waitMs(timeout)
	return openObject("ValueOpen", name, func(cname *C.char, detail **C.char) (*Value, error) {
		v, err := C.rshm_go_value_open(cname, C.int(flag), ms, detail)
		return newValue(v), err
	})
}

// ValueUnlink removes the name of a value; open Values keep working.
// Errors: ENOENT, EACCES, EINVAL, ENAMETOOLONG.
func ValueUnlink(name string) error {
	return unlinkObject("ValueUnlink", name, func(cname *C.char, detail **C.char) (C.int, error) {
		r, err := C.rshm_go_value_unlink(cname, detail)
		return r, err
	})
}

// Write publishes data as the next version. It never waits. Errors: EBADF
// (a reader's Value), EMSGSIZE (longer than Size), EFAULT (closed).
func (v *Value) Write(data []byte) error {
	p := bytesPtr(data)
	r, err := C.rshm_value_write(v.v, p, C.size_t(len(data)))
	runtime.KeepAlive(v)
	return status(r, err)
}

// Read copies the latest complete value into buf and returns its length
// and version. It never waits for the writer; a Value's versions never go
// back. Errors: EMSGSIZE (buf shorter than the value; a buffer of Size
// bytes always suffices), EBADMSG (the object is corrupt), EFAULT (closed).
func (v *Value) Read(buf []byte) (int, uint64, error) {
	p := bytesPtr(buf)
	var version C.uint64_t
	n, err := C.rshm_value_read(v.v, p, C.size_t(len(buf)), &version)
	runtime.KeepAlive(v)
	if n < 0 {
		return 0, 0, failed(err)
	}
	v.seen = uint64(version)
	return int(n), uint64(version), nil
}

// Wait returns once the value's version differs from version (at once if
// it already does), waiting up to timeout (negative: without limit; 0: not
// at all). Errors: EAGAIN (timeout 0), ETIMEDOUT, EFAULT (closed), and
// where Wait reads (below) Read's EBADMSG.
//
// A reader's wait parks the goroutine on the netpoller (see Value): the
// first one asks for the descriptor, as Fd does. The descriptor tells of
// a version other than the one the handle read last, while Wait is about
// the version it is given; so before it parks, Wait makes the two agree:
// when version is the latest and not the one the handle read last, Wait
// reads the value once (into a buffer of its own, which it discards), and
// returns at once if that read finds a newer version. The rule for
// callers: after Wait(version) has waited, the handle has read version
// (or a later one), and Fd is quiet until the next write. Pass the
// version the last Read returned and Wait reads nothing. A parked Wait
// also looks at the value once a second whatever the descriptor says.
func (v *Value) Wait(version uint64, timeout time.Duration) error {
	err := v.wait(version, 0)
	if err != syscall.EAGAIN || timeout == 0 {
		return err
	}
	return v.waitParked(context.Background(), version, timeout)
}

// WaitContext is Wait without a timeout, until the version differs from
// version or ctx is done: then it returns ctx.Err() (also when ctx is done
// before the call, even if the version differs). Cancellation wakes a
// parked goroutine at once; without a descriptor, the blocking wait
// notices it within 50 ms.
func (v *Value) WaitContext(ctx context.Context, version uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.waitParked(ctx, version, -1)
}

// waitParked is a Wait that waits, parked where it can (poll.go).
func (v *Value) waitParked(ctx context.Context, version uint64, timeout time.Duration) error {
	return v.park.wait(ctx, timeout, readerFd(v.Fd), func() error {
		err := v.wait(version, 0)
		if err != syscall.EAGAIN || v.park.p == nil || v.seen == version {
			return err
		}
		// Make the descriptor's version the caller's (see Wait).
		if v.scratch == nil {
			v.scratch = make([]byte, v.Size())
		}
		if _, got, err := v.Read(v.scratch); err != nil || got != version {
			return err
		}
		return v.wait(version, 0)
	}, func(d time.Duration) error {
		return v.wait(version, d)
	})
}

// wait is one rshm_value_wait.
func (v *Value) wait(version uint64, timeout time.Duration) error {
	r, err := C.rshm_value_wait(v.v, C.uint64_t(version), timeoutNs(timeout))
	runtime.KeepAlive(v)
	return status(r, err)
}

// Fd is a reader's descriptor (rshm_value_fd), for a program's own event
// loop: readable, level-triggered, exactly when the next Read would
// return a version other than the one this handle read last (0 before its
// first Read). A readiness can be spurious: the Read then returns the
// version already read. A writer's death does not show. The descriptor
// belongs to the Value and is the same on every call: poll it, never
// read, write or close it; Close closes it. It is close-on-exec. The
// first call starts the handle's watcher thread in the library (see
// rshm_value_fd for its cost). Errors: EBADF (the writer), EMFILE, ENFILE,
// EAGAIN (no thread), ENOTSUP (not Linux), EFAULT (closed).
func (v *Value) Fd() (int, error) {
	fd, err := C.rshm_value_fd(v.v)
	runtime.KeepAlive(v)
	return descriptor(fd, err)
}

// Size is the longest value in bytes, as the creator asked; 0 once closed.
func (v *Value) Size() int {
	if v.v == nil {
		return 0
	}
	n := int(C.rshm_value_size(v.v))
	runtime.KeepAlive(v)
	return n
}

// Close gives the writer's role up (another process may then open the
// value with O_RDWR), closes the descriptor and unmaps the object. Closing twice is a no-op.
func (v *Value) Close() error {
	h := v.v
	v.v = nil
	if h == nil {
		return nil
	}
	runtime.SetFinalizer(v, nil)
	v.park.close()
	if r, err := C.rshm_value_close(h); r != 0 {
		return failed(err)
	}
	return nil
}
