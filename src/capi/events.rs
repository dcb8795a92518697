//! `rshm_channel_fd`, `rshm_topic_fd`: descriptors an event loop polls
//! instead of blocking in a receive.

use super::{boundary::run, channel, topic};
use crate::channel::Channel;
use crate::topic::Topic;

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
    run(-1, || channel::handle(ch)?.fd())
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
    run(-1, || topic::handle(t)?.fd())
}
