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
	"unsafe"
)

// TopicBlock makes a topic's publisher wait for the slowest live
// subscriber instead of overwriting what it has not read (TopicCreate flags).
const TopicBlock = C.RSHM_TOPIC_BLOCK

// Topic is one end of a one-to-many topic (rshm_topic_* in rshm.h): the
// publisher's (TopicCreate, or TopicOpen with O_RDWR) or a subscriber's
// (TopicOpen with O_RDONLY). Every subscriber receives every message
// published after it subscribed, in order, or counts it in Lost. A Topic
// is not safe for concurrent use: one goroutine at a time. A Topic that
// becomes unreachable without Close is closed by a finalizer, which gives
// its role up; call Close to do it at a known time.
//
// A subscriber's goroutine waiting in Receive or ReceiveContext parks on
// Go's netpoller, through the subscriber's descriptor (Fd), and holds no
// OS thread while it waits. Where there is no descriptor (macOS; the
// descriptor limits reached) it waits in a blocking cgo call, which holds
// its thread.
type Topic struct {
	t *C.rshm_topic
	// A pointer to an incomplete C type is not one the garbage collector
	// scans, so a Topic of that field alone would be an 8-byte object
	// without pointers, which the tiny allocator packs with others, and
	// whose finalizer may then never run. This field makes it an object of
	// its own, whatever the fields beside it.
	_    unsafe.Pointer
	park parking
}

// newTopic makes a Topic, with its finalizer, of a handle the library
// returned; nil for none.
func newTopic(t *C.rshm_topic) *Topic {
	if t == nil {
		return nil
	}
	topic := &Topic{t: t}
	runtime.SetFinalizer(topic, (*Topic).Close)
	return topic
}

// TopicCreate creates the topic name ("/name") and returns its publisher:
// room for capacity bytes of messages (rounded up to 16 and to at least 64;
// each message takes its length rounded up to 16, plus 16), up to
// maxSubscribers subscribers at once (at most 1024), flags 0 (the publisher
// never waits; a subscriber that falls a ring behind loses the oldest
// messages) or TopicBlock, and permission bits mode (e.g. 0o600; publisher
// and subscribers need read and write). Errors: EEXIST, EINVAL (capacity
// or maxSubscribers 0 or too many, unknown flags, bad name), EOVERFLOW,
// ENOSPC, EACCES, ENAMETOOLONG.
func TopicCreate(name string, capacity int, maxSubscribers uint32, flags int, mode uint32) (*Topic, error) {
	cflags, err := cint(flags)
	if err != nil || capacity < 0 {
		return nil, refusedErr("TopicCreate", name, syscall.EINVAL)
	}
	return openObject("TopicCreate", name, func(cname *C.char, detail **C.char) (*Topic, error) {
		t, err := C.rshm_go_topic_create(cname, C.size_t(capacity), C.uint32_t(maxSubscribers), cflags, C.uint32_t(mode), detail)
		return newTopic(t), err
	})
}

// TopicOpen opens the topic name, waiting up to timeout (rounded up to a
// millisecond; 0 looks once, a negative timeout waits about 49 days) for it
// to be created: with O_RDONLY as a new subscriber, with O_RDWR as the
// publisher in place of one that closed or died. Errors: EUSERS (every
// subscriber place taken), EBUSY (a live publisher exists), ETIMEDOUT,
// ENOENT (timeout 0), EINVAL (another oflag, not a topic), EPROTO, EACCES.
func TopicOpen(name string, oflag int, timeout time.Duration) (*Topic, error) {
	coflag, err := cint(oflag)
	if err != nil {
		return nil, refusedErr("TopicOpen", name, syscall.EINVAL)
	}
	ms := waitMs(timeout)
	return openObject("TopicOpen", name, func(cname *C.char, detail **C.char) (*Topic, error) {
		t, err := C.rshm_go_topic_open(cname, coflag, ms, detail)
		return newTopic(t), err
	})
}

// TopicUnlink removes the name of a topic; open Topics keep working.
// Errors: ENOENT, EACCES, EINVAL, ENAMETOOLONG.
func TopicUnlink(name string) error {
	return unlinkObject("TopicUnlink", name, func(cname *C.char, detail **C.char) (C.int, error) {
		r, err := C.rshm_go_topic_unlink(cname, detail)
		return r, err
	})
}

// Publish copies msg into the topic once, for every subscriber. Only a
// TopicBlock topic waits, for room, up to timeout (negative: without
// limit; 0: not at all). Errors: EAGAIN, ETIMEDOUT (TopicBlock only),
// EMSGSIZE (longer than MaxMessage), EBADF (a subscriber), EFAULT (closed).
func (t *Topic) Publish(msg []byte, timeout time.Duration) error {
	p := bytesPtr(msg)
	r, err := C.rshm_topic_publish(t.t, p, C.size_t(len(msg)), timeoutNs(timeout))
	runtime.KeepAlive(t)
	return status(r, err)
}

// Receive copies this subscriber's next message into buf and returns its
// length, waiting for one up to timeout as for Publish. Errors: EAGAIN
// (nothing new, timeout 0), ETIMEDOUT, EMSGSIZE (buf too small: the message
// stays), EPIPE (nothing left and the publisher closed or died), EBADMSG,
// EPROTO (corrupt shared memory), EBADF (the publisher), EFAULT (closed).
//
// A wait parks the goroutine on the netpoller (see Topic): the first one
// asks for the subscriber's descriptor, as Fd does. A parked Receive also
// looks at the topic once a second whatever its descriptor says, so a
// publisher the descriptor cannot hear (one in another network namespace,
// see rshm_topic_fd) is heard within that second.
func (t *Topic) Receive(buf []byte, timeout time.Duration) (int, error) {
	n, err := t.receive(buf, 0)
	if err != syscall.EAGAIN || timeout == 0 {
		return n, err
	}
	return t.receiveWait(context.Background(), buf, timeout)
}

// ReceiveContext is Receive waiting without a timeout until a message
// comes or ctx is done: then it returns ctx.Err() and takes no message
// (none is taken when ctx is done before the call, even if one is
// waiting). Cancellation wakes a parked goroutine at once; without a
// descriptor, the blocking wait notices it within 50 ms.
func (t *Topic) ReceiveContext(ctx context.Context, buf []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return t.receiveWait(ctx, buf, -1)
}

// receiveWait is a receive that waits, parked where it can (poll.go).
func (t *Topic) receiveWait(ctx context.Context, buf []byte, timeout time.Duration) (int, error) {
	return t.park.receive(ctx, timeout, readerFd(t.Fd), func(to C.int64_t) (int, error) { return t.receive(buf, to) })
}

// receive is one rshm_topic_receive.
func (t *Topic) receive(buf []byte, timeout C.int64_t) (int, error) {
	p := bytesPtr(buf)
	n, err := C.rshm_topic_receive(t.t, p, C.size_t(len(buf)), timeout)
	runtime.KeepAlive(t)
	return counted(n, err)
}

// Fd is the subscriber's descriptor (rshm_topic_fd), for a program's own
// event loop: readable, level-triggered, exactly when the next Receive
// would not wait (a message, or the publisher closed or died: then EPIPE
// once all is taken). A readiness can be spurious: Receive with timeout 0
// then says EAGAIN. The descriptor belongs to the Topic and is the same on
// every call: poll it, never read, write or close it; Close closes it. It
// is close-on-exec. Errors: EBADF (the publisher), EMFILE, ENFILE, ENOTSUP
// (not Linux), EFAULT (closed).
func (t *Topic) Fd() (int, error) {
	fd, err := C.rshm_topic_fd(t.t)
	runtime.KeepAlive(t)
	return descriptor(fd, err)
}

// Lost is how many messages this subscriber missed by falling behind:
// received + lost = published since it subscribed. 0 for the publisher.
func (t *Topic) Lost() uint64 {
	n := uint64(C.rshm_topic_lost(t.t))
	runtime.KeepAlive(t)
	return n
}

// Capacity is the room for messages in bytes.
func (t *Topic) Capacity() int {
	n := int(C.rshm_topic_capacity(t.t))
	runtime.KeepAlive(t)
	return n
}

// MaxMessage is the longest message the topic can carry.
func (t *Topic) MaxMessage() int {
	n := int(C.rshm_topic_max_message(t.t))
	runtime.KeepAlive(t)
	return n
}

// Close gives up the Topic's role (after the publisher, subscribers get
// what is left, then EPIPE; a subscriber's place frees), closes its
// descriptors and unmaps the segment. Closing twice is a no-op.
func (t *Topic) Close() error {
	h := t.t
	t.t = nil
	runtime.SetFinalizer(t, nil)
	if h == nil {
		return nil
	}
	t.park.close()
	if r, err := C.rshm_topic_close(h); r != 0 {
		return failed(err)
	}
	return nil
}
