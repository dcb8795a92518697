//! `rshm_channel_fd`, `rshm_value_fd`, `rshm_topic_fd`: descriptors an
//! event loop polls instead of blocking in a receive or a wait.

use super::{boundary::run, channel, topic, value};
use crate::channel::Channel;
use crate::topic::Topic;
use crate::value::Value;

/// The receiver's descriptor of the channel `ch`, for poll(2), epoll(7),
/// select(2) or any event loop built on them: it is readable exactly when
/// the next `rshm_channel_recv` or `rshm_channel_peek` would not block —
/// a message is waiting, or the sender closed or died (even by SIGKILL;
/// the receive then says `EPIPE` once everything sent has been taken). It
/// is level-triggered, like a socket: it stays readable until this
/// handle's receives take what is there, and stops being readable once
/// they have drained the channel. Poll for `POLLIN` (`EPOLLIN`).
///
/// A handle that has no role yet becomes the channel's receiver. Calling
/// it again returns the same descriptor.
///
/// Ownership: the descriptor belongs to the handle. Poll it; never read,
/// write or close it (`rshm_channel_close` does). It is close-on-exec.
///
/// Cost: a sender pays a system call only for the first message after the
/// receiver found the channel empty, as when the receiver sleeps; while
/// the receiver keeps up with a stream, neither side makes one. A spurious
/// readiness is possible (another process that can read the channel can
/// ring it): the receive then fails with `EAGAIN` and the descriptor is
/// quiet again.
///
/// Scope: the sender must share the receiver's network namespace (the
/// descriptor is rung through an abstract unix socket); a sender elsewhere
/// still delivers, but the descriptor then only tells of its death. Linux
/// only.
///
/// Returns the descriptor. On failure returns -1 and sets errno:
/// - `EBUSY`: another live handle is the receiver.
/// - `EPROTO`: the channel's state in shared memory is corrupt.
/// - `EMFILE`, `ENFILE`: the descriptor limits (it takes two, and one more
///   while a sender is attached).
/// - `ENOTSUP`: not on Linux.
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_recv`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_fd(ch: *mut Channel) -> i32 {
    run("rshm_channel_fd", -1, || channel::handle(ch)?.fd())
}

/// The reader's descriptor of the value `v`, for poll(2), epoll(7),
/// select(2) or any event loop built on them: it is readable exactly when
/// the next `rshm_value_read` on `v` would return a version other than the
/// one this handle read last (version 0 before its first read). It is
/// level-triggered: it stays readable until a read on `v` takes a new
/// version, and is quiet again once the handle has read the latest one.
/// Poll for `POLLIN` (`EPOLLIN`).
///
/// A value does not report its writer's death (the last version stays
/// readable, and a new writer may take over), so neither does the
/// descriptor: a writer that closes or dies leaves it as it was.
///
/// Calling it again returns the same descriptor. Ownership: the descriptor
/// belongs to the handle. Poll it; never read, write or close it
/// (`rshm_value_close` does). It is close-on-exec.
///
/// Cost: the first call starts a thread of the handle's own (64 KiB of
/// stack) that waits for the version to move as `rshm_value_wait` does,
/// makes the descriptor readable, and parks until the handle reads. So a
/// writer pays what one waiter in `rshm_value_wait` costs it (a wake-up
/// per write while the thread sleeps, none while it is parked behind a
/// version the handle has not read), and handles that never ask for a
/// descriptor cost nothing. A reader that may only read the object (mode
/// 0644, another user) cannot announce that it waits: its thread looks at
/// the version every 1 ms while the descriptor is quiet (a thousand short
/// wake-ups a second, for as long as the handle lives), so the descriptor
/// turns readable within 1 ms of a write, usually at once (the writer of
/// such an object wakes it; see `rshm_value_wait`); closing such a handle
/// may take that long. Once a handle has a descriptor, a read that takes
/// the latest version makes two system calls (unparking the thread and
/// quieting the descriptor), and one that finds nothing new makes one. A
/// spurious readiness is possible (another process can ring the
/// descriptor): the read then returns the version already read, and the
/// descriptor is quiet again.
///
/// Returns the descriptor. On failure returns -1 and sets errno:
/// - `EBADF`: `v` is the writer's handle (opened by `rshm_value_create` or
///   with `RSHM_O_RDWR`): the descriptor is a reader's.
/// - `EMFILE`, `ENFILE`: the descriptor limits (it takes two, and a third
///   for a moment while the thread maps the object to wait).
/// - `EAGAIN`: no thread could be made.
/// - `EBUSY`: a reader's cursor (`rshm_value_reader_begin`) is out and
///   the handle has no descriptor yet: end the cursor first.
/// - `ENOTSUP`: not on Linux.
/// - `EFAULT`: `v` is NULL.
///
/// Thread safety: as for `rshm_value_read`. A child of fork(2) does not
/// inherit the thread: in the child the handle's descriptor never turns
/// readable (the child may close the handle, and should not use it).
#[no_mangle]
pub unsafe extern "C" fn rshm_value_fd(v: *mut Value) -> i32 {
    run("rshm_value_fd", -1, || value::handle(v)?.fd())
}

/// The subscriber's descriptor of the topic `t`, for poll(2), epoll(7),
/// select(2) or any event loop built on them: it is readable exactly when
/// this subscriber's next `rshm_topic_receive` or `rshm_topic_peek` would
/// not block — a message is waiting for it, or the publisher closed or
/// died (even by SIGKILL; the receive then says `EPIPE` once everything
/// published has been taken). It is level-triggered, like a socket: it
/// stays readable until this handle's receives take what is there, and
/// stops being readable once they have drained it. Each subscriber has its
/// own; a publish makes every polling subscriber's readable. Poll for
/// `POLLIN` (`EPOLLIN`).
///
/// Calling it again returns the same descriptor.
///
/// Ownership: the descriptor belongs to the handle. Poll it; never read,
/// write or close it (`rshm_topic_close` does). It is close-on-exec.
///
/// Cost: the publisher pays nothing for subscribers that do not poll, nor
/// while every polling subscriber is busy with what is there; it rings
/// (one system call per polling subscriber) only for the first message
/// after such a subscriber found nothing to receive, as it wakes a
/// sleeping one. A spurious readiness is possible (another process that
/// can read the topic can ring it): the receive then fails with `EAGAIN`
/// and the descriptor is quiet again.
///
/// Scope: the publisher must share the subscriber's network namespace
/// (the descriptor is rung through an abstract unix socket); a publisher
/// elsewhere still delivers, but the descriptor then only tells of its
/// death. Linux only.
///
/// Returns the descriptor. On failure returns -1 and sets errno:
/// - `EBADF`: `t` is the publisher's handle (it has nothing to receive).
/// - `EMFILE`, `ENFILE`: the descriptor limits (it takes two, and one more
///   while a publisher is attached).
/// - `ENOTSUP`: not on Linux.
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: as for `rshm_topic_receive`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_fd(t: *mut Topic) -> i32 {
    run("rshm_topic_fd", -1, || topic::handle(t)?.fd())
}
