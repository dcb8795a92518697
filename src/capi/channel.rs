//! `rshm_channel_create`, `rshm_channel_open`, `rshm_channel_send`,
//! `rshm_channel_recv`, `rshm_channel_reserve`, `rshm_channel_commit`,
//! `rshm_channel_peek`, `rshm_channel_release`, `rshm_channel_close`,
//! `rshm_channel_unlink`, `rshm_channel_capacity`, `rshm_channel_max_message`;
//! and behind the sender's cursor (rshm.h's inline `rshm_channel_sender_*`,
//! src/channel/inline.rs): `rshm_channel_sender_lend`,
//! `rshm_channel_sender_slow`, `rshm_channel_sender_take_back`,
//! `rshm_channel_wake_receiver`.

use super::{
    args,
    boundary::{run, run_named, NameArg},
};
use crate::channel::{self, Channel, Got, Sender, Sent};
use crate::errno::{Errno, Result};
use crate::object::leaf;
use crate::sync::Timeout;
use libc::{c_char, c_int, c_void};
use std::time::Duration;

/// Creates the named channel `name`: a one-way queue of variable-length
/// messages between two processes, in a shared-memory segment of its own
/// kind. One process sends, another (or the same, through a second handle)
/// receives; either may be the creator, and either may start first
/// (`rshm_channel_open` waits).
///
/// `name` is "/name" or "name" as for `rshm_shm_open`, borrowed for the
/// call. `capacity` is the room for queued messages in bytes, rounded up to
/// a multiple of 8 and to at least 64; each message takes its length
/// rounded up to 8 bytes plus 8, and the longest is the capacity minus 16
/// (`rshm_channel_capacity` and `rshm_channel_max_message` tell the
/// result). Size it for the traffic: a stream wants room for its bursts,
/// while a request/response exchange is fastest on a ring of a few
/// messages (256 bytes hold up to three of 64), which reuses the same few
/// cache lines instead of walking the whole area (docs/performance.md: a
/// 64-byte round trip through 256-byte rings against 64 KiB ones).
/// `mode` gives the permission
/// bits (0600 unless other users must open it; the umask applies). They
/// are the channel's only guard against shrinking: whoever can open it for
/// writing can ftruncate it, and the other side then gets SIGBUS (a named
/// object cannot be sealed). The ring
/// is formatted before the name appears, so no opener ever sees it half
/// made, and its pages are reserved now, so a full /dev/shm is ENOSPC here,
/// not SIGBUS later. On Linux the ring's pages are also mapped in now, in
/// this process (about 0.25 ms per MiB of capacity), so that no message
/// pays for a page fault; the pages being reserved, only a shortage of
/// memory for page tables can stop that, and then they fault in on first
/// use instead (the name exists by then: the create does not fail).
///
/// A side with nothing to do sleeps, and the other wakes it without any
/// barrier instruction per message where membarrier(2) is allowed (Linux
/// 4.16 and later): the sleeper pays for that, a few microseconds per
/// sleep. Elsewhere, or with `RSHM_HANDSHAKE=seqcst` in the creator's
/// environment (tests and benchmarks set it to compare), both sides pay a
/// full barrier per message instead. The channel records which, so every
/// opener follows its creator.
///
/// Returns a handle owned by the caller, released with
/// `rshm_channel_close`. It takes no role yet: it becomes the sender on its
/// first `rshm_channel_send` or `rshm_channel_reserve`, the receiver on its
/// first `rshm_channel_recv` or `rshm_channel_peek`. The name stays until
/// `rshm_channel_unlink`.
///
/// On failure returns NULL, leaves nothing behind, and sets errno:
/// - `EEXIST`: `name` exists (a channel or any other object, a symbolic
///   link included); it is untouched.
/// - `EINVAL`: `capacity` is 0, or the name is empty, only slashes, "." or
///   "..", or has an inner '/'.
/// - `EOVERFLOW`: `capacity` is too large to map.
/// - `ENOSPC`: /dev/shm has no room for `capacity` bytes.
/// - `EFBIG`: the object would exceed the process's RLIMIT_FSIZE (`ulimit
///   -f`); checked before the object grows, so no SIGXFSZ is raised and
///   nothing is left behind.
/// - `ENAMETOOLONG`: the name is longer than 255 bytes (31 on macOS).
/// - `EFAULT`: `name` is NULL.
/// - `EACCES`, `EMFILE`, `ENFILE`, `ENOMEM`: as for `rshm_segment_create`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_create(name: *const c_char, capacity: usize, mode: u32) -> *mut Channel {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_channel_create", subject, std::ptr::null_mut(), || {
        // SAFETY: name is a C string from the caller (checked for NULL and bounded).
        Channel::create(&unsafe { args::shm_name(name) }?, capacity, mode).map(into_handle)
    })
}

/// Opens the channel `name` made by `rshm_channel_create`, waiting up to
/// `timeout_ms` milliseconds for it to exist (0: look once). The opener may
/// start before the creator.
///
/// The open costs what the opener asked for, whatever the creator claims:
/// the name is checked as for `rshm_segment_open` (no link followed, no
/// FIFO waited on), the object must be exactly as large as its ring implies
/// and have every page reserved, as `rshm_channel_create` leaves it, and
/// only the ring's pages are mapped in (Linux), a MiB at a time until
/// `timeout_ms` has passed since the call began (at least the first MiB;
/// pages not reached are faulted in on first use, about 0.25 ms per MiB).
///
/// Returns a handle owned by the caller, released with
/// `rshm_channel_close`; it takes a role on first use, as for
/// `rshm_channel_create`.
///
/// On failure returns NULL and sets errno (`rshm_error_detail` says what
/// was found):
/// - `ETIMEDOUT`: no channel appeared within `timeout_ms`.
/// - `ENOENT`: `timeout_ms` is 0 and no object has that name.
/// - `EINVAL`: the object is not an rshm channel (a plain object, or an
///   rshm segment of another kind, such as one from `rshm_segment_create`),
///   or the name is invalid (including "." and "..").
/// - `ENODEV`: the name is a FIFO, directory, socket or device, not a
///   shared-memory object (Linux); at once, whatever `timeout_ms`.
/// - `ELOOP`: the name is a symbolic link (Linux); it is not followed.
/// - `EPROTO`: the channel was made by an rshm with another layout version
///   of the segment or of the channel, or its ring header is damaged, or
///   its size is not the one its header and ring imply, or its pages were
///   never reserved (a creator that lies about its size, to charge its
///   openers time and memory, is refused before anything is mapped in), or
///   its creator could use membarrier(2) and this process cannot (a
///   seccomp filter refuses it here only; a creator run with
///   `RSHM_HANDSHAKE=seqcst` in its environment makes channels any
///   process can open).
/// - `ENOSPC`: a page of the ring cannot be had (/dev/shm is full, or the
///   object shrank meanwhile): the open fails rather than a later send
///   raising SIGBUS.
/// - `ENOMEM`: no memory to map the ring's pages in.
/// - `EACCES`: the object's mode does not let the caller read and write it.
/// - `ENAMETOOLONG`, `EFAULT`, `EMFILE`, `ENFILE`: as for
///   `rshm_segment_open`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_open(name: *const c_char, timeout_ms: u32) -> *mut Channel {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_channel_open", subject, std::ptr::null_mut(), || {
        // SAFETY: as in rshm_channel_create.
        let name = unsafe { args::shm_name(name) }?;
        Channel::open(&name, Duration::from_millis(timeout_ms.into())).map(into_handle)
    })
}

/// Sends the `len` bytes at `msg` as one message: copies them into the
/// channel, waiting for room as `timeout_ns` allows (-1 without limit, 0
/// not at all, else nanoseconds). The first send (or reserve) makes the
/// handle the channel's sender. `msg` is borrowed for the call; it may be
/// NULL when `len` is 0 (an empty message is a message). An open
/// reservation (`rshm_channel_reserve`) is abandoned, even when the send
/// fails, unless it fails with `EFAULT` or `EINVAL`: bad arguments leave
/// the channel as it was.
///
/// No system call is made unless the receiver sleeps (then one wake-up) or
/// the channel is full (then a short spin, then a sleep).
///
/// Returns 0. On failure returns -1, sends nothing, and sets errno:
/// - `EAGAIN`: the channel is full and `timeout_ns` is 0.
/// - `ETIMEDOUT`: still full when the timeout passed.
/// - `EMSGSIZE`: `len` exceeds `rshm_channel_max_message`: it never fits.
/// - `EPIPE`: the receiver has closed its handle, or died (noticed while
///   waiting for room). Never SIGPIPE.
/// - `EBUSY`: another live handle is the sender.
/// - `EPROTO`: the receiver's state in shared memory is corrupt.
/// - `EINVAL`: `timeout_ns` is below -1.
/// - `EFAULT`: `ch` is NULL, or `msg` is NULL and `len` is not 0.
///
/// Thread safety: a handle is used by one thread at a time; a handle
/// inherited through fork must not be used in the child (open the channel
/// there instead).
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_send(ch: *mut Channel, msg: *const c_void, len: usize, timeout_ns: i64) -> c_int {
    // The streaming sender's path, before the panic boundary: a message
    // that needs no wait and nothing reported costs a leaf's stores only
    // (src/channel/copy.rs says why that matters). It cannot panic: its
    // functions deny every panicking construct (`Ring::send_now`).
    // SAFETY: a non-NULL ch is a live handle used by one thread at a time,
    // and a non-NULL msg the caller's len readable bytes (the contract).
    if let Some(c) = unsafe { ch.as_mut() } {
        if timeout_ns >= -1 && !msg.is_null() {
            match unsafe { c.send_now(msg.cast(), len) } {
                Sent::Done => return 0,
                // SAFETY: ch is the live handle above.
                Sent::Wake => return unsafe { wake_receiver(ch) },
                Sent::No => {}
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { send_long(ch, msg, len, timeout_ns) }
}

/// The wake-up a sleeping receiver needs after `rshm_channel_send`'s
/// short path sent it a message; 0 (the send's result).
///
/// # Safety
/// `ch` is a live handle.
#[cold]
#[inline(never)]
unsafe extern "C" fn wake_receiver(ch: *mut Channel) -> c_int {
    wake_rx_as("rshm_channel_send", ch)
}

/// Wakes `ch`'s receiver, inside the panic boundary as the call `name`.
fn wake_rx_as(name: &'static str, ch: *mut Channel) -> c_int {
    run(name, -1, || {
        handle(ch)?.wake_rx();
        Ok(0)
    })
}

/// Wakes the receiver of `ch`'s channel if it sleeps in a receive or waits
/// in an event loop (its descriptor becomes readable); does nothing, and
/// makes no system call, otherwise. `rshm_channel_sender_send` calls it
/// when its message found the receiver waiting; a program has no other
/// need for it, and an extra call only costs the receiver a look.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
#[cold]
pub unsafe extern "C" fn rshm_channel_wake_receiver(ch: *mut Channel) -> c_int {
    wake_rx_as("rshm_channel_wake_receiver", ch)
}

/// Lends `ch`'s sending side to the cursor `*s`: the call behind
/// `rshm_channel_sender_begin` (rshm.h), which a program calls instead.
/// The handle becomes the sender if it is not yet, an open reservation is
/// abandoned, and until `rshm_channel_sender_take_back` the handle's own
/// sending calls (`rshm_channel_send`, `_reserve`) fail with EBUSY.
///
/// Returns 0. On failure returns -1, leaves `*s` as it was, and sets
/// errno:
/// - `EBUSY`: the handle lent its sending side already and has not taken
///   it back; or another live handle is the sender.
/// - `EPROTO`: the receiver's state in shared memory is corrupt.
/// - `EFAULT`: `ch` or `s` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_sender_lend(ch: *mut Channel, s: *mut Sender) -> c_int {
    run("rshm_channel_sender_lend", -1, || {
        let c = handle(ch)?;
        if s.is_null() {
            return Err(Errno(libc::EFAULT));
        }
        let cursor = Sender { ch, ..c.lend()? };
        // SAFETY: s is the caller's writable rshm_channel_sender (the contract).
        unsafe { s.write(cursor) };
        Ok(0)
    })
}

/// `rshm_channel_sender_send`'s slow call, for what its inline part does
/// not do: takes the cursor `s`'s state back into its handle, sends `msg`
/// as `rshm_channel_send` does, lends the state again and returns the
/// cursor as it now is, with `status` 0, or -1 with errno set. The cursor
/// comes and goes by value so that the caller's copy never has its
/// address taken and stays in registers. A program calls
/// `rshm_channel_sender_send`, which calls this.
///
/// Errors (`status` -1) as `rshm_channel_send`, and:
/// - `EINVAL`: `s` is not a cursor that `rshm_channel_sender_begin` made,
///   or one already ended (`s` comes back as it was).
/// - `EPROTO`: the shared counters are corrupt; the cursor comes back
///   lent, and its sends say EPROTO while they stay so.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_sender_slow(
    s: Sender,
    msg: *const c_void,
    len: usize,
    timeout_ns: i64,
) -> Sender {
    let ch = s.ch;
    let mut out = Sender { status: -1, ..s };
    let status = run("rshm_channel_sender_slow", -1, || {
        if s.abi != crate::channel::RSHM_CHANNEL_SENDER_ABI {
            return Err(Errno(libc::EINVAL));
        }
        let c = handle(ch)?;
        let sent = c.take_back().and_then(|()| {
            // SAFETY: forwarded from the caller; ch is the live handle above.
            match unsafe { send_long(ch, msg, len, timeout_ns) } {
                0 => Ok(0),
                _ => Err(Errno(crate::errno::get())),
            }
        });
        // Lent again whatever happened, so that the caller's cursor stays
        // one (after EPROTO its sends say so while the counters stay
        // corrupt; its end works).
        out = Sender { ch, status: -1, ..c.lend()? };
        sent
    });
    out.status = status;
    out
}

/// Takes back the sending side `ch` lent (`rshm_channel_sender_lend`):
/// the call behind `rshm_channel_sender_end` (rshm.h), which a program
/// calls instead. The handle goes on from the last message the cursor
/// sent, as read from shared memory and checked as a new sender checks
/// it: nothing of the cursor is trusted.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: the handle has not lent its sending side.
/// - `EPROTO`: the shared counters are corrupt (the handle takes its
///   sending side back all the same, from where it lent it).
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_sender_take_back(ch: *mut Channel) -> c_int {
    run("rshm_channel_sender_take_back", -1, || {
        handle(ch)?.take_back()?;
        Ok(0)
    })
}

/// `rshm_channel_send` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_channel_send`.
#[inline(never)]
unsafe extern "C" fn send_long(ch: *mut Channel, msg: *const c_void, len: usize, timeout_ns: i64) -> c_int {
    run("rshm_channel_send", -1, || {
        let ch = handle(ch)?;
        let timeout = Timeout::from_ns(timeout_ns)?;
        if msg.is_null() && len != 0 {
            return Err(Errno(libc::EFAULT));
        }
        // No slice of the caller's bytes: a len that no message can have
        // (EMSGSIZE from the core) may exceed the caller's object.
        ch.send_with(len, timeout, |dst| {
            if len != 0 {
                // SAFETY: msg is the caller's len readable bytes (not NULL,
                // checked above); dst is len writable bytes in the ring.
                unsafe { std::ptr::copy_nonoverlapping(msg.cast::<u8>(), dst, len) }
            }
        })
        .map(|()| 0)
    })
}

/// Receives the next message: copies it into `buf` (`cap` bytes, borrowed
/// for the call) and removes it from the channel, waiting for one as
/// `timeout_ns` allows (-1, 0 or nanoseconds, as for `rshm_channel_send`).
/// The first receive (or peek) makes the handle the channel's receiver.
/// Messages arrive whole and in the order they were sent; only messages
/// the sender completed are ever seen, even if it was killed.
///
/// Returns the message's length (0 for an empty message). On failure
/// returns -1 and sets errno:
/// - `EAGAIN`: the channel is empty and `timeout_ns` is 0.
/// - `ETIMEDOUT`: still empty when the timeout passed.
/// - `EMSGSIZE`: the message is longer than `cap`. It stays in the channel:
///   retry with a larger buffer (`rshm_channel_peek` tells its length; no
///   message is longer than `rshm_channel_max_message`).
/// - `EPIPE`: the channel is empty and the sender has closed its handle or
///   died. Every message it sent before was delivered first.
/// - `EBUSY`: another live handle is the receiver.
/// - `EPROTO`: the sender's state in shared memory is corrupt.
/// - `EBADMSG`: a message's framing in shared memory is corrupt.
/// - `EINVAL`: `timeout_ns` is below -1.
/// - `EFAULT`: `ch` is NULL, or `buf` is NULL and `cap` is not 0.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_recv(ch: *mut Channel, buf: *mut c_void, cap: usize, timeout_ns: i64) -> i64 {
    // The busy receiver's path, before the panic boundary, as for
    // rshm_channel_send: a short message already there costs a leaf. A
    // call that may wait first polls a few times here when its last wait
    // was short (`Ring::polls`, `leaf::poll`): a message that comes
    // meanwhile, as in a ping-pong, is taken at once.
    // SAFETY: a non-NULL ch is a live handle used by one thread at a time,
    // and a non-NULL buf the caller's cap writable bytes (the contract).
    if let Some(c) = unsafe { ch.as_mut() } {
        if timeout_ns >= -1 && !buf.is_null() {
            let polls = if timeout_ns == 0 { 0 } else { c.polls() };
            match leaf::poll(polls, || unsafe { c.recv_now(buf.cast(), cap) }) {
                // No overflow: n <= 64.
                Got::Msg(n) => return n as i64,
                // SAFETY: ch is the live handle above.
                Got::Wake(n) => return unsafe { wake_sender(ch, n as i64) },
                Got::Empty | Got::No => {}
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { recv_long(ch, buf, cap, timeout_ns) }
}

/// The wake-up a sender waiting for room needs after `rshm_channel_recv`'s
/// short path freed some; `n` (the receive's result).
///
/// # Safety
/// `ch` is a live handle.
#[cold]
#[inline(never)]
unsafe extern "C" fn wake_sender(ch: *mut Channel, n: i64) -> i64 {
    run("rshm_channel_recv", -1, || {
        handle(ch)?.wake_tx();
        // Opaque, so the caller cannot keep n itself around the call and
        // must make it a tail call (no register saved on its short path).
        Ok(std::hint::black_box(n))
    })
}

/// `rshm_channel_recv` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_channel_recv`.
#[inline(never)]
unsafe extern "C" fn recv_long(ch: *mut Channel, buf: *mut c_void, cap: usize, timeout_ns: i64) -> i64 {
    run("rshm_channel_recv", -1, || {
        let ch = handle(ch)?;
        let timeout = Timeout::from_ns(timeout_ns)?;
        // No message is longer than max_message: bytes of buf beyond it are
        // never written, and the slice does not claim them (a cap such as
        // SIZE_MAX is no object's size).
        // SAFETY: a non-NULL buf is the caller's cap writable bytes.
        let buf = unsafe { bytes_mut(buf.cast(), cap.min(ch.max_message())) }?;
        ch.recv(buf, timeout).map(|len| len as i64)
    })
}

/// Zero-copy sending, step one: reserves room for a message of `len` bytes
/// in the channel and returns where to write it, waiting for room as
/// `timeout_ns` allows. Write the message there, then publish it with
/// `rshm_channel_commit`; the receiver sees nothing before. The first
/// reserve (or send) makes the handle the channel's sender.
///
/// Returns the address of `len` writable, contiguous, 8-byte-aligned bytes
/// inside the shared segment (valid also for `len` 0). The memory belongs to
/// the channel: it is valid until `rshm_channel_commit`, the next
/// `rshm_channel_reserve` or `rshm_channel_send` (which abandon the
/// reservation even when they fail, unless with `EFAULT` or `EINVAL`), or
/// `rshm_channel_close`, whichever comes first.
///
/// On failure returns NULL and sets errno, as `rshm_channel_send` does:
/// `EAGAIN`, `ETIMEDOUT`, `EMSGSIZE`, `EPIPE`, `EBUSY`, `EPROTO`, `EINVAL`,
/// or `EFAULT` (`ch` is NULL).
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_reserve(ch: *mut Channel, len: usize, timeout_ns: i64) -> *mut c_void {
    run("rshm_channel_reserve", std::ptr::null_mut(), || {
        let ch = handle(ch)?;
        ch.reserve(len, Timeout::from_ns(timeout_ns)?).map(|p| p.cast())
    })
}

/// Zero-copy sending, step two: publishes the first `len` bytes of the
/// reservation from `rshm_channel_reserve` as one message (`len` may be
/// less than reserved; the rest is given back). The reserved pointer is
/// invalid afterwards. Never waits.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: no reservation is open, or `len` exceeds it. Nothing is sent;
///   an open reservation stays open.
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_commit(ch: *mut Channel, len: usize) -> c_int {
    run("rshm_channel_commit", -1, || handle(ch)?.commit(len).map(|()| 0))
}

/// Zero-copy receiving, step one: returns the next message where it lies
/// in the channel, without copying or removing it, waiting for one as
/// `timeout_ns` allows; stores its length in `*len`. Read it in place,
/// then free its room with `rshm_channel_release`. Peeking again before
/// releasing returns the same message. The first peek (or receive) makes
/// the handle the channel's receiver.
///
/// The receiver checks every length and index it reads from shared memory,
/// so the message lies inside the segment whatever the sender wrote; its
/// bytes are the sender's, to be validated like any input.
///
/// Returns the address of the message's `*len` bytes, 8-byte aligned and
/// not NULL (also for an empty message). The memory belongs to the channel
/// and is read-only to the receiver: it is valid until
/// `rshm_channel_release`, `rshm_channel_recv` (which consumes it) or
/// `rshm_channel_close`.
///
/// On failure returns NULL, leaves `*len` unchanged, and sets errno as
/// `rshm_channel_recv` does (`EAGAIN`, `ETIMEDOUT`, `EPIPE`, `EBUSY`,
/// `EPROTO`, `EBADMSG`, `EINVAL`), or:
/// - `EFAULT`: `ch` or `len` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_peek(ch: *mut Channel, len: *mut usize, timeout_ns: i64) -> *const c_void {
    run("rshm_channel_peek", std::ptr::null(), || {
        let ch = handle(ch)?;
        let out = args::out(len)?;
        let (p, n) = ch.peek(Timeout::from_ns(timeout_ns)?)?;
        *out = n;
        Ok(p.cast())
    })
}

/// Zero-copy receiving, step two: removes the message `rshm_channel_peek`
/// returned, making its room free for the sender. Its pointer is invalid
/// afterwards. Never waits.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: no message is peeked.
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_send`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_release(ch: *mut Channel) -> c_int {
    run("rshm_channel_release", -1, || handle(ch)?.release().map(|()| 0))
}

/// Closes the handle: gives up its roles, wakes the peer, unmaps the
/// segment and frees the handle, which must not be used again; pointers
/// from `rshm_channel_reserve` and `rshm_channel_peek` die with it. A
/// reservation not committed is dropped; messages already sent stay for
/// the receiver. After the sender closes, the receiver gets the messages
/// left, then `EPIPE`; after the receiver closes, the sender gets `EPIPE`.
/// A role given up may be taken again by a new handle. The name stays until
/// `rshm_channel_unlink`. NULL is a no-op.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBUSY`: a sender's cursor of the handle is out
///   (`rshm_channel_sender_begin`), which holds the handle: end it first.
///   The handle stays open and usable.
/// - `EINVAL`, `EIO`: as munmap(2) or close(2) report them (the handle is
///   freed all the same).
///
/// Thread safety: no other thread may use `ch` during or after the call.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_close(ch: *mut Channel) -> c_int {
    // SAFETY: a non-NULL ch is a live handle (the caller's contract).
    match unsafe { ch.as_ref() } {
        None => return 0,
        Some(h) if h.is_lent() => return run("rshm_channel_close", -1, || Err(Errno(libc::EBUSY))),
        Some(_) => {}
    }
    // SAFETY: a non-NULL ch came from into_handle and is given back once.
    let ch = unsafe { Box::from_raw(ch) };
    run("rshm_channel_close", -1, || ch.close().map(|()| 0))
}

/// Removes the name of a channel, as `rshm_shm_unlink` does: handles
/// already open stay valid and keep working; new `rshm_channel_open` calls
/// wait for a new channel of that name. Like `rshm_segment_unlink`, it
/// removes whatever object has the name, without checking that it is a
/// channel.
///
/// Returns 0. On failure returns -1 and sets errno as `rshm_shm_unlink` does:
/// - `ENOENT`: no object has that name.
/// - `EACCES`, `EINVAL`, `ENAMETOOLONG`, `EFAULT`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_unlink(name: *const c_char) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: name is a C string from the caller (checked for NULL and bounded).
    run_named("rshm_channel_unlink", subject, -1, || channel::unlink(&unsafe { args::shm_name(name) }?).map(|()| 0))
}

/// The room for queued messages in bytes, as the creator made it: at least
/// the capacity asked for. A message of n bytes takes n rounded up to 8,
/// plus 8.
///
/// Returns the capacity. On failure returns 0 and sets errno:
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: safe to call from any thread while no thread closes `ch`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_capacity(ch: *const Channel) -> usize {
    // SAFETY: a non-NULL ch is a live handle (the caller's contract).
    run("rshm_channel_capacity", 0, || unsafe { ch.as_ref() }.map(Channel::capacity).ok_or(Errno(libc::EFAULT)))
}

/// The longest message the channel can ever hold (its capacity minus 16):
/// longer ones fail with `EMSGSIZE`.
///
/// Returns the length. On failure returns 0 and sets errno:
/// - `EFAULT`: `ch` is NULL.
///
/// Thread safety: as for `rshm_channel_capacity`.
#[no_mangle]
pub unsafe extern "C" fn rshm_channel_max_message(ch: *const Channel) -> usize {
    // SAFETY: as in rshm_channel_capacity.
    run("rshm_channel_max_message", 0, || unsafe { ch.as_ref() }.map(Channel::max_message).ok_or(Errno(libc::EFAULT)))
}

fn into_handle(ch: Channel) -> *mut Channel {
    Box::into_raw(Box::new(ch))
}

pub(super) fn handle<'a>(ch: *mut Channel) -> Result<&'a mut Channel> {
    // SAFETY: a non-NULL ch is a live handle from into_handle, used by one
    // thread at a time (the caller's contract).
    unsafe { ch.as_mut() }.ok_or(Errno(libc::EFAULT))
}

/// The caller's buffer: NULL is EFAULT unless it is empty.
///
/// # Safety
/// A non-NULL `p` points to `len` writable bytes, not used elsewhere,
/// for the call.
unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the caller's promise; an object cannot exceed isize::MAX bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}
