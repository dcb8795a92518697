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

// Channel is a one-way message channel between processes in a named
// shared-memory segment (rshm_channel_* in rshm.h): one sender, one
// receiver, variable-length messages, no system call on the fast path.
// Either side may create it; a Channel becomes the sender on its first Send
// and the receiver on its first Recv. It is not safe for concurrent use:
// one goroutine at a time.
//
// A goroutine waiting in Recv or RecvContext parks on Go's netpoller,
// through the receiver's descriptor (Fd), and holds no OS thread while it
// waits. Where there is no descriptor (macOS: ENOTSUP; the descriptor
// limits, EMFILE and ENFILE, reached) it waits in a blocking cgo call,
// which holds its thread, as before.
//
// Release a Channel with Close. One that becomes unreachable without Close
// is closed by a finalizer when the garbage collector finds it (the peer
// then sees EPIPE): a safety net against leaked mappings, not a substitute
// for Close, since it runs at the collector's pace, maybe never.
type Channel struct {
	ch   *C.rshm_channel
	park parking
}

// ChannelCreate creates the channel name ("/name") with room for capacity
// bytes of queued messages, rounded up to 8 and to at least 64 (each
// message takes its length rounded up to 8, plus 8), and permission bits
// mode (e.g. 0o600). A request/response exchange is fastest on a ring of a
// few messages; see rshm_channel_create in rshm.h. The name stays until
// ChannelUnlink. Errors: EEXIST, EINVAL (capacity 0, bad name), EOVERFLOW,
// ENOSPC, EACCES, ENAMETOOLONG.
func ChannelCreate(name string, capacity int, mode uint32) (*Channel, error) {
	if capacity < 0 {
		return nil, refusedErr("ChannelCreate", name, syscall.EINVAL)
	}
	return openObject("ChannelCreate", name, func(cname *C.char, detail **C.char) (*Channel, error) {
		ch, err := C.rshm_go_channel_create(cname, C.size_t(capacity), C.uint32_t(mode), detail)
		return wrapChannel(ch), err
	})
}

// ChannelOpen opens the channel name, waiting up to timeout (rounded up to
// a millisecond; 0 looks once, a negative timeout waits about 49 days) for
// it to be created. Errors: ETIMEDOUT, ENOENT (timeout 0), EINVAL (not a
// channel), EPROTO (another layout version), EACCES.
func ChannelOpen(name string, timeout time.Duration) (*Channel, error) {
	ms := waitMs(timeout)
	return openObject("ChannelOpen", name, func(cname *C.char, detail **C.char) (*Channel, error) {
		ch, err := C.rshm_go_channel_open(cname, ms, detail)
		return wrapChannel(ch), err
	})
}

// wrapChannel makes a Channel, with its finalizer, of a handle the library
// returned; nil for none.
func wrapChannel(ch *C.rshm_channel) *Channel {
	if ch == nil {
		return nil
	}
	c := &Channel{ch: ch}
	runtime.SetFinalizer(c, (*Channel).Close)
	return c
}

// ChannelUnlink removes the name of a channel; open Channels keep working.
// Errors: ENOENT, EACCES, EINVAL, ENAMETOOLONG.
func ChannelUnlink(name string) error {
	return unlinkObject("ChannelUnlink", name, func(cname *C.char, detail **C.char) (C.int, error) {
		r, err := C.rshm_go_channel_unlink(cname, detail)
		return r, err
	})
}

// timeoutNs turns a Go timeout into rshm's: negative waits forever, 0 only tries.
func timeoutNs(d time.Duration) C.int64_t {
	if d < 0 {
		return -1
	}
	return C.int64_t(d.Nanoseconds())
}

// Send copies msg into the channel as one message, waiting for room up to
// timeout (negative: without limit; 0: not at all). Errors: EAGAIN (full,
// timeout 0), ETIMEDOUT, EMSGSIZE (longer than MaxMessage), EPIPE (the
// receiver closed or died), EBUSY (another sender), EPROTO, EFAULT (closed).
func (c *Channel) Send(msg []byte, timeout time.Duration) error {
	p := bytesPtr(msg)
	r, err := C.rshm_channel_send(c.ch, p, C.size_t(len(msg)), timeoutNs(timeout))
	runtime.KeepAlive(c) // no finalizer may close c.ch while C uses it
	return status(r, err)
}

// Recv copies the next message into buf and returns its length, waiting for
// one up to timeout as for Send. Errors: EAGAIN (empty, timeout 0),
// ETIMEDOUT, EMSGSIZE (buf too small: the message stays for a retry), EPIPE
// (empty and the sender closed or died), EBUSY (another receiver), EPROTO,
// EBADMSG, EFAULT (closed).
//
// A wait parks the goroutine on the netpoller (see Channel): the first
// one asks for the receiver's descriptor, as Fd does. A parked Recv also
// looks at the channel once a second whatever its descriptor says, so a
// sender the descriptor cannot hear (one in another network namespace,
// see rshm_channel_fd) is heard within that second.
func (c *Channel) Recv(buf []byte, timeout time.Duration) (int, error) {
	n, err := c.recv(buf, 0)
	if err != syscall.EAGAIN || timeout == 0 {
		return n, err
	}
	return c.recvWait(context.Background(), buf, timeout)
}

// RecvContext is Recv waiting without a timeout until a message comes or
// ctx is done: then it returns ctx.Err() and takes no message (none is
// taken when ctx is done before the call, even if one is waiting).
// Cancellation wakes a parked goroutine at once; without a descriptor,
// the blocking wait notices it within 50 ms.
func (c *Channel) RecvContext(ctx context.Context, buf []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return c.recvWait(ctx, buf, -1)
}

// recvWait is a receive that waits, parked where it can (poll.go).
func (c *Channel) recvWait(ctx context.Context, buf []byte, timeout time.Duration) (int, error) {
	return c.park.receive(ctx, timeout, c.Fd, func(t C.int64_t) (int, error) { return c.recv(buf, t) })
}

// recv is one rshm_channel_recv.
func (c *Channel) recv(buf []byte, timeout C.int64_t) (int, error) {
	p := bytesPtr(buf)
	n, err := C.rshm_channel_recv(c.ch, p, C.size_t(len(buf)), timeout)
	runtime.KeepAlive(c)
	return counted(n, err)
}

// Fd is the receiver's descriptor (rshm_channel_fd), for a program's own
// event loop: readable, level-triggered, exactly when the next Recv would
// not wait (a message, or the sender closed or died: then EPIPE). A
// readiness can be spurious: Recv with timeout 0 then says EAGAIN. The
// Channel becomes the receiver if it is not yet. The descriptor belongs to
// the Channel and is the same on every call: poll it, never read, write
// or close it; Close closes it. It is close-on-exec. Errors: ENOTSUP (not
// Linux), EBUSY (another receiver), EMFILE, ENFILE, EPROTO, EFAULT
// (closed).
func (c *Channel) Fd() (int, error) {
	fd, err := C.rshm_channel_fd(c.ch)
	runtime.KeepAlive(c)
	return descriptor(fd, err)
}

// Capacity is the room for queued messages in bytes.
func (c *Channel) Capacity() int {
	n := int(C.rshm_channel_capacity(c.ch))
	runtime.KeepAlive(c)
	return n
}

// MaxMessage is the longest message the channel can hold.
func (c *Channel) MaxMessage() int {
	n := int(C.rshm_channel_max_message(c.ch))
	runtime.KeepAlive(c)
	return n
}

// Close gives up the Channel's role (the peer then sees EPIPE once it has
// taken what is left), closes its descriptors and unmaps the segment.
// Closing twice is a no-op.
func (c *Channel) Close() error {
	ch := c.ch
	c.ch = nil
	if ch == nil {
		return nil
	}
	runtime.SetFinalizer(c, nil)
	c.park.close()
	if r, err := C.rshm_channel_close(ch); r != 0 {
		return failed(err)
	}
	return nil
}
