//! `rshm_topic_create`, `rshm_topic_open`, `rshm_topic_publish`,
//! `rshm_topic_receive`, `rshm_topic_lost`, `rshm_topic_close`,
//! `rshm_topic_unlink`, and beyond the list the zero-copy pairs
//! `rshm_topic_reserve` / `rshm_topic_commit` and `rshm_topic_peek` /
//! `rshm_topic_release`, and `rshm_topic_capacity`,
//! `rshm_topic_max_message`.

use super::{
    args,
    boundary::{run, run_named, NameArg},
};
use crate::consts::RSHM_TOPIC_BLOCK;
use crate::errno::{Errno, Result};
use crate::object::leaf;
use crate::sync::Timeout;
use crate::topic::{self, Got, Sent, Topic};
use libc::{c_char, c_int, c_void};
use std::time::Duration;

/// Creates the topic `name`: one publisher, up to `max_subscribers`
/// subscribers at once, variable-length messages that every subscriber
/// receives, in a shared-memory segment of its own kind. Returns the
/// publisher's handle; subscribers join with `rshm_topic_open`, before or
/// after (it waits for the name).
///
/// `name` is "/name" or "name" as for `rshm_shm_open`, borrowed for the
/// call. `capacity` is the room for messages in bytes, rounded up to a
/// multiple of 16 and to at least 64; each message takes its length
/// rounded up to 16 plus 16, and the longest is the capacity minus 32
/// (`rshm_topic_capacity`, `rshm_topic_max_message`). `flags` is 0 or
/// `RSHM_TOPIC_BLOCK`:
/// - 0: the publisher never waits. A subscriber that falls more than the
///   ring behind loses the oldest messages, counted exactly by
///   `rshm_topic_lost`, and goes on in order with the oldest still there.
/// - `RSHM_TOPIC_BLOCK`: nothing is lost; the publisher waits, up to its
///   timeout, for the slowest live subscriber.
///
/// In both, a subscriber that dies is noticed (pidfd) and never holds the
/// publisher up. `mode` gives the permission bits (the umask applies):
/// publisher and subscribers both need read and write permission, and
/// whoever has write permission can disturb the others (docs/topic.md:
/// what a hostile subscriber can do). The pages are reserved now, so a full
/// /dev/shm is ENOSPC here, not SIGBUS later.
///
/// Returns a handle owned by the caller, released with `rshm_topic_close`.
/// The name stays until `rshm_topic_unlink`.
///
/// On failure returns NULL, leaves nothing behind, and sets errno:
/// - `EEXIST`: `name` exists; it is untouched.
/// - `EINVAL`: `capacity` or `max_subscribers` is 0, `max_subscribers`
///   exceeds 1024, `flags` has a bit other than `RSHM_TOPIC_BLOCK`, or the
///   name is empty, only slashes, or has an inner '/'.
/// - `EOVERFLOW`: `capacity` is too large to map.
/// - `ENOSPC`: /dev/shm has no room.
/// - `ENAMETOOLONG`: the name is longer than 255 bytes (31 on macOS).
/// - `EFAULT`: `name` is NULL.
/// - `EACCES`, `EMFILE`, `ENFILE`, `ENOMEM`: as for `rshm_segment_create`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_create(
    name: *const c_char,
    capacity: usize,
    max_subscribers: u32,
    flags: c_int,
    mode: u32,
) -> *mut Topic {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_topic_create", subject, std::ptr::null_mut(), || {
        // SAFETY: name is a C string from the caller (checked for NULL and bounded).
        let name = unsafe { args::shm_name(name) }?;
        if flags & !RSHM_TOPIC_BLOCK != 0 {
            return Err(Errno(libc::EINVAL));
        }
        Topic::create(&name, capacity, max_subscribers, flags as u32, mode).map(into_handle)
    })
}

/// Opens the topic `name` made by `rshm_topic_create`, waiting up to
/// `timeout_ms` milliseconds for it to exist (0: look once).
/// - `oflag` `RSHM_O_RDONLY`: subscribes. The handle receives every message
///   published after this call returns, in order.
/// - `oflag` `RSHM_O_RDWR`: becomes the publisher, taking over from one that
///   closed or died; it goes on with the next message number, and a message
///   its predecessor committed just before dying counts as published.
///
/// Returns a handle owned by the caller, released with `rshm_topic_close`.
///
/// On failure returns NULL and sets errno:
/// - `EUSERS`: `RSHM_O_RDONLY` and `max_subscribers` live subscribers hold
///   every place (a place frees when its holder closes or dies).
/// - `EBUSY`: `RSHM_O_RDWR` and a live publisher exists.
/// - `ETIMEDOUT`: no topic appeared within `timeout_ms`.
/// - `ENOENT`: `timeout_ms` is 0 and no object has that name.
/// - `EINVAL`: `oflag` is neither `RSHM_O_RDONLY` nor `RSHM_O_RDWR`, the
///   object is not an rshm topic, or the name is invalid.
/// - `EPROTO`: the topic comes from another layout version, its shared
///   counters are corrupt (a new publisher found them so), or its creator
///   picked a sleep handshake this process cannot run (membarrier(2)
///   refused here; `RSHM_HANDSHAKE=seqcst` in the creator's environment
///   avoids it).
/// - `EACCES`: the object's mode does not let the caller read and write it.
/// - `ENAMETOOLONG`, `EFAULT`, `EMFILE`, `ENFILE`, `ENOMEM`: as for
///   `rshm_segment_open`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_open(name: *const c_char, oflag: c_int, timeout_ms: u32) -> *mut Topic {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_topic_open", subject, std::ptr::null_mut(), || {
        // SAFETY: as in rshm_topic_create.
        let name = unsafe { args::shm_name(name) }?;
        Topic::open(&name, oflag, Duration::from_millis(timeout_ms.into())).map(into_handle)
    })
}

/// Publishes the `len` bytes at `msg` as one message to every subscriber:
/// copies them into the topic once. `msg` is borrowed for the call; it may
/// be NULL when `len` is 0. Only with `RSHM_TOPIC_BLOCK` does it wait, for
/// room the slowest live subscriber still holds, as `timeout_ns` allows
/// (-1 without limit, 0 not at all, else nanoseconds); without, it never
/// waits and `timeout_ns` is only checked. An open reservation
/// (`rshm_topic_reserve`) is abandoned, unless the call fails with `EFAULT`
/// or `EINVAL`. Publishing with no subscriber is no error.
///
/// No system call is made unless a subscriber sleeps (then one wake-up for
/// all).
///
/// Returns 0. On failure returns -1, publishes nothing, and sets errno:
/// - `EAGAIN`: `RSHM_TOPIC_BLOCK`, no room, and `timeout_ns` is 0.
/// - `ETIMEDOUT`: still no room when the timeout passed.
/// - `EMSGSIZE`: `len` exceeds `rshm_topic_max_message`.
/// - `EBADF`: `t` is a subscriber's handle.
/// - `EINVAL`: `timeout_ns` is below -1.
/// - `EFAULT`: `t` is NULL, or `msg` is NULL and `len` is not 0.
///
/// Thread safety: a handle is used by one thread at a time; a handle
/// inherited through fork must not be used in the child.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_publish(t: *mut Topic, msg: *const c_void, len: usize, timeout_ns: i64) -> c_int {
    // The streaming publisher's path, before the panic boundary: a short
    // message that needs no wait costs a leaf's stores only
    // (src/object/copy.rs says why that matters). It cannot panic: its
    // functions deny every panicking construct (`Publisher::publish_now`).
    // SAFETY: a non-NULL t is a live handle used by one thread at a time,
    // and a non-NULL msg the caller's len readable bytes (the contract).
    if let Some(topic) = unsafe { t.as_mut() } {
        if timeout_ns >= -1 && !msg.is_null() {
            match unsafe { topic.publish_now(msg.cast(), len) } {
                Sent::Done => return 0,
                // SAFETY: t is the live handle above.
                Sent::Wake => return unsafe { wake_subscribers(t) },
                Sent::No => {}
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { publish_long(t, msg, len, timeout_ns) }
}

/// The wake-up sleeping or polling subscribers need after
/// `rshm_topic_publish`'s short path published; 0 (the publish's result).
///
/// # Safety
/// `t` is a live handle.
#[cold]
#[inline(never)]
unsafe extern "C" fn wake_subscribers(t: *mut Topic) -> c_int {
    run("rshm_topic_publish", -1, || {
        handle(t)?.wake_subscribers();
        Ok(0)
    })
}

/// `rshm_topic_publish` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_topic_publish`.
#[inline(never)]
unsafe extern "C" fn publish_long(t: *mut Topic, msg: *const c_void, len: usize, timeout_ns: i64) -> c_int {
    run("rshm_topic_publish", -1, || {
        let t = handle(t)?;
        let timeout = Timeout::from_ns(timeout_ns)?;
        if msg.is_null() && len != 0 {
            return Err(Errno(libc::EFAULT));
        }
        t.publish_with(len, timeout, |dst| {
            if len != 0 {
                // SAFETY: msg is the caller's len readable bytes (not NULL,
                // checked above); dst is len writable bytes in the topic.
                unsafe { std::ptr::copy_nonoverlapping(msg.cast::<u8>(), dst, len) }
            }
        })
        .map(|()| 0)
    })
}

/// Receives this subscriber's next message: copies it into `buf` (`cap`
/// bytes, borrowed for the call), waiting for one as `timeout_ns` allows
/// (-1, 0 or nanoseconds, as for `rshm_topic_publish`). Messages arrive
/// whole and in the order they were published; a message overwritten
/// while it was copied (the subscriber fell a ring behind) is never
/// returned: it counts in `rshm_topic_lost` and the next one still there
/// is taken instead. Only messages the publisher completed are seen, even
/// if it was killed.
///
/// Returns the message's length (0 for an empty message). On failure
/// returns -1 and sets errno:
/// - `EAGAIN`: nothing new and `timeout_ns` is 0.
/// - `ETIMEDOUT`: still nothing when the timeout passed.
/// - `EMSGSIZE`: the message is longer than `cap`. It stays: retry with a
///   larger buffer (`rshm_topic_max_message` bounds every message).
/// - `EPIPE`: nothing is left and the publisher has closed or died. Every
///   message it published before was delivered first (or counted lost). A
///   new publisher may take over; receiving then goes on.
/// - `EBADMSG`, `EPROTO`: the topic's shared memory is corrupt (a peer
///   wrote over it).
/// - `EBADF`: `t` is the publisher's handle.
/// - `EINVAL`: `timeout_ns` is below -1.
/// - `EFAULT`: `t` is NULL, or `buf` is NULL and `cap` is not 0.
///
/// Thread safety: as for `rshm_topic_publish`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_receive(t: *mut Topic, buf: *mut c_void, cap: usize, timeout_ns: i64) -> i64 {
    // The busy subscriber's path, before the panic boundary, as in
    // rshm_topic_publish (`Subscriber::receive_now`). A call that may wait
    // first polls a few times here when its last wait was short
    // (`Subscriber::polls`, `leaf::poll`): a message that comes meanwhile,
    // as in a ping-pong, is taken at once.
    // SAFETY: a non-NULL t is a live handle used by one thread at a time,
    // and a non-NULL buf the caller's cap writable bytes (the contract).
    if let Some(topic) = unsafe { t.as_mut() } {
        if timeout_ns >= -1 && !buf.is_null() {
            let polls = if timeout_ns == 0 { 0 } else { topic.polls() };
            match leaf::poll(polls, || unsafe { topic.receive_now(buf.cast(), cap) }) {
                Got::Msg(len) => return len as i64,
                // SAFETY: t is the live handle above.
                Got::Wake(len) => return unsafe { wake_publisher(t, len) },
                Got::Empty | Got::No => {}
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { receive_long(t, buf, cap, timeout_ns) }
}

/// The wake-up a `RSHM_TOPIC_BLOCK` publisher waiting for room needs after
/// `rshm_topic_receive`'s short path took a message of `len` bytes; `len`
/// (the receive's result).
///
/// # Safety
/// `t` is a live handle.
#[cold]
#[inline(never)]
unsafe extern "C" fn wake_publisher(t: *mut Topic, len: usize) -> i64 {
    run("rshm_topic_receive", -1, || {
        handle(t)?.wake_publisher();
        Ok(len as i64)
    })
}

/// `rshm_topic_receive` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_topic_receive`.
#[inline(never)]
unsafe extern "C" fn receive_long(t: *mut Topic, buf: *mut c_void, cap: usize, timeout_ns: i64) -> i64 {
    run("rshm_topic_receive", -1, || {
        let t = handle(t)?;
        let timeout = Timeout::from_ns(timeout_ns)?;
        // No message is longer than max_message: the slice does not claim
        // bytes of buf beyond it (a cap such as SIZE_MAX is no object's size).
        let cap = cap.min(t.max_message());
        let buf = if cap == 0 {
            &mut [][..]
        } else if buf.is_null() {
            return Err(Errno(libc::EFAULT));
        } else {
            // SAFETY: a non-NULL buf is the caller's cap writable bytes.
            unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), cap) }
        };
        t.receive(buf, timeout).map(|len| len as i64)
    })
}

/// How many messages this subscriber missed because it fell more than the
/// ring behind (never with `RSHM_TOPIC_BLOCK`, unless a peer scribbled):
/// received + lost = published since it subscribed, exactly, once it has
/// taken what is left. The publisher's handle answers 0.
///
/// Returns the count. On failure returns 0 and sets errno:
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: safe from any thread while no thread uses or closes `t`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_lost(t: *const Topic) -> u64 {
    // SAFETY: a non-NULL t is a live handle (the caller's contract).
    run("rshm_topic_lost", 0, || unsafe { t.as_ref() }.map(Topic::lost).ok_or(Errno(libc::EFAULT)))
}

/// Zero-copy publishing, step one: reserves room for a message of `len`
/// bytes in the topic and returns where to write it, waiting for room as
/// `rshm_topic_publish` does. Write it there, then publish it with
/// `rshm_topic_commit`; no subscriber sees anything before.
///
/// Returns the address of `len` writable, contiguous, 16-byte-aligned bytes
/// inside the shared segment (valid also for `len` 0), valid until
/// `rshm_topic_commit`, the next `rshm_topic_reserve` or
/// `rshm_topic_publish` (which abandon it unless they fail with `EFAULT`
/// or `EINVAL`), or `rshm_topic_close`.
///
/// On failure returns NULL and sets errno as `rshm_topic_publish` does:
/// `EAGAIN`, `ETIMEDOUT`, `EMSGSIZE`, `EBADF`, `EINVAL`, or `EFAULT` (`t`
/// is NULL).
///
/// Thread safety: as for `rshm_topic_publish`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_reserve(t: *mut Topic, len: usize, timeout_ns: i64) -> *mut c_void {
    run("rshm_topic_reserve", std::ptr::null_mut(), || {
        let t = handle(t)?;
        t.reserve(len, Timeout::from_ns(timeout_ns)?).map(|p| p.cast())
    })
}

/// Zero-copy publishing, step two: publishes the first `len` bytes of the
/// reservation as one message (the rest is given back). The reserved
/// pointer is invalid afterwards. Never waits.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: no reservation is open, or `len` exceeds it; nothing is
///   published and an open reservation stays open.
/// - `EBADF`: `t` is a subscriber's handle.
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: as for `rshm_topic_publish`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_commit(t: *mut Topic, len: usize) -> c_int {
    run("rshm_topic_commit", -1, || handle(t)?.commit(len).map(|()| 0))
}

/// Zero-copy receiving, step one: returns this subscriber's next message
/// where it lies in the topic, without copying it, waiting for one as
/// `timeout_ns` allows; stores its length in `*len`. Read it in place, then
/// call `rshm_topic_release`, which says whether what was read is whole.
/// Peeking again before releasing returns the same message.
///
/// Every length and index read from shared memory is checked, so the
/// message lies inside the segment whatever a peer wrote; its bytes are
/// the publisher's, to be validated like any input. Without
/// `RSHM_TOPIC_BLOCK` the publisher may overwrite the message while it is
/// read: act on the bytes only after `rshm_topic_release` returned 0 (or
/// copy them first).
///
/// Returns the address of the message's `*len` bytes, 16-byte aligned, not
/// NULL. The memory is the topic's and read-only to subscribers: it is
/// valid until `rshm_topic_release`, `rshm_topic_receive` or
/// `rshm_topic_close`.
///
/// On failure returns NULL, leaves `*len` unchanged, and sets errno as
/// `rshm_topic_receive` does (`EAGAIN`, `ETIMEDOUT`, `EPIPE`, `EBADMSG`,
/// `EPROTO`, `EBADF`, `EINVAL`), or:
/// - `EFAULT`: `t` or `len` is NULL.
///
/// Thread safety: as for `rshm_topic_publish`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_peek(t: *mut Topic, len: *mut usize, timeout_ns: i64) -> *const c_void {
    run("rshm_topic_peek", std::ptr::null(), || {
        let t = handle(t)?;
        let out = args::out(len)?;
        let (p, n) = t.peek(Timeout::from_ns(timeout_ns)?)?;
        *out = n;
        Ok(p.cast())
    })
}

/// Zero-copy receiving, step two: consumes the message `rshm_topic_peek`
/// returned. Its pointer is invalid afterwards. Never waits.
///
/// Returns 0: the message was whole while it was peeked. On failure
/// returns -1 and sets errno:
/// - `ESTALE`: the publisher overwrote the message (default policy, the
///   subscriber fell a ring behind): what was read may be torn and must be
///   dropped. It counts in `rshm_topic_lost`; the next peek returns the
///   oldest message still there.
/// - `EINVAL`: no message is peeked.
/// - `EBADF`: `t` is the publisher's handle.
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: as for `rshm_topic_publish`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_release(t: *mut Topic) -> c_int {
    run("rshm_topic_release", -1, || handle(t)?.release().map(|()| 0))
}

/// Closes the handle: gives up its role (the publisher's, or the
/// subscriber's place), wakes whoever waits on it, unmaps the segment and
/// frees the handle, which must not be used again; pointers from
/// `rshm_topic_reserve` and `rshm_topic_peek` die with it. After the
/// publisher closes, subscribers receive what is left, then `EPIPE`; a new
/// publisher may take over. The name stays until `rshm_topic_unlink`.
/// NULL is a no-op.
///
/// Returns 0. On failure returns -1 and sets errno (the handle is freed
/// all the same):
/// - `EINVAL`, `EIO`: as munmap(2) or close(2) report them.
///
/// Thread safety: no other thread may use `t` during or after the call.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_close(t: *mut Topic) -> c_int {
    if t.is_null() {
        return 0;
    }
    // SAFETY: a non-NULL t came from into_handle and is given back once.
    let t = unsafe { Box::from_raw(t) };
    run("rshm_topic_close", -1, || t.close().map(|()| 0))
}

/// Removes the name of a topic, as `rshm_shm_unlink` does: handles already
/// open keep working; new `rshm_topic_open` calls wait for a new topic of
/// that name. It removes whatever object has the name, without checking
/// that it is a topic.
///
/// Returns 0. On failure returns -1 and sets errno as `rshm_shm_unlink` does:
/// - `ENOENT`: no object has that name.
/// - `EACCES`, `EINVAL`, `ENAMETOOLONG`, `EFAULT`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_unlink(name: *const c_char) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: as in rshm_topic_create.
    run_named("rshm_topic_unlink", subject, -1, || topic::unlink(&unsafe { args::shm_name(name) }?).map(|()| 0))
}

/// The room for messages in bytes, as the creator made it: at least the
/// capacity asked for. A message of n bytes takes n rounded up to 16, plus 16.
///
/// Returns the capacity. On failure returns 0 and sets errno:
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: safe from any thread while no thread closes `t`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_capacity(t: *const Topic) -> usize {
    // SAFETY: a non-NULL t is a live handle (the caller's contract).
    run("rshm_topic_capacity", 0, || unsafe { t.as_ref() }.map(Topic::capacity).ok_or(Errno(libc::EFAULT)))
}

/// The longest message the topic can ever carry (its capacity minus 32):
/// longer ones fail with `EMSGSIZE`.
///
/// Returns the length. On failure returns 0 and sets errno:
/// - `EFAULT`: `t` is NULL.
///
/// Thread safety: as for `rshm_topic_capacity`.
#[no_mangle]
pub unsafe extern "C" fn rshm_topic_max_message(t: *const Topic) -> usize {
    // SAFETY: as in rshm_topic_capacity.
    run("rshm_topic_max_message", 0, || unsafe { t.as_ref() }.map(Topic::max_message).ok_or(Errno(libc::EFAULT)))
}

fn into_handle(t: Topic) -> *mut Topic {
    Box::into_raw(Box::new(t))
}

pub(super) fn handle<'a>(t: *mut Topic) -> Result<&'a mut Topic> {
    // SAFETY: a non-NULL t is a live handle from into_handle, used by one
    // thread at a time (the caller's contract).
    unsafe { t.as_mut() }.ok_or(Errno(libc::EFAULT))
}
