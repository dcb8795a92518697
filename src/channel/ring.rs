//! A single-producer single-consumer ring of variable-length messages in a
//! caller-provided shared region, for processes that do not trust each other.
//!
//! # Layout
//! The region (64-byte aligned; page-aligned in practice) starts with the
//! `Header` and has its record area at `DATA_OFFSET`, `capacity` bytes, a
//! multiple of 8. A record is an 8-byte length word (native endian) and the
//! payload, padded to 8 bytes, so every payload is 8-byte aligned. The
//! length word says what the slot holds: 0, nothing committed yet; `len + 1`,
//! a message of `len` bytes; `PAD`, nothing up to the area's end (a record
//! never wraps, so `reserve` always hands out contiguous memory).
//!
//! # Counters
//! `head` (bytes the sender published) and `tail` (bytes the receiver
//! consumed) only grow; a record at counter `c` sits at `c % capacity`,
//! which a padding record keeps true by moving the counter to the next
//! multiple of the capacity. Each side keeps its own counter and position
//! in process memory and only publishes them: it never reads its own
//! counter back. Each side also caches the other's counter and reads it
//! again only when the cache says it must, as the classic SPSC ring does:
//! the sender reads `tail` when the space it last saw is used up, the
//! receiver reads `head` when the records it last saw are taken. So a
//! receiver that has caught up polls `head`, a line of its own, and never
//! a line the sender is writing a record into; it reads a record's lines
//! once they are published.
//!
//! # Records are read only under head
//! The receiver reads the length word at its position only when `head`
//! says a record is there (1 to `capacity` bytes past `tail`); a length
//! word is never read for whether a record exists. So the area needs no
//! marking of free space: the sender writes a record's payload and length
//! word, then `head`, and nothing else. A record of `n` bytes needs `n`
//! free bytes; the largest message stays `capacity - 16` bytes (the
//! documented bound). A sender that dies between a length word and `head`
//! leaves a record that was never sent (its send had not returned): the
//! next sender starts at `head` and writes over it.
//!
//! # Trust
//! Every length word is read once and checked against the area's end (not
//! against `head`); counters read from the header are checked (`head - tail`
//! within `0..=capacity`, multiples of 8) before use. A hostile peer can
//! therefore make calls fail with EPROTO (bad counters) or EBADMSG (bad
//! record: under `head`, a length word of 0, padding at offset 0, or a
//! length past the area's end), or hand over garbage payload bytes, but
//! never make this side touch memory outside the region.
//!
//! # Ordering
//! The sender stores the payload and the length word plainly (Relaxed)
//! and then `head` with Release; the receiver loads `head` with Acquire
//! before it reads the records under it. The receiver releases a record
//! by publishing `tail` (Release), after which the sender may overwrite
//! its space.
//!
//! # Stores on the busy path
//! A sender streaming to another CPU is bound by the stores it has in
//! flight (`copy` explains why), so a short message's send makes as few
//! as it can: its private counter (before the record, so that it is not
//! queued behind it), the payload, the length word and `head`, with no
//! call and no saved register (`send_now`). A caller that streams can do
//! better still: `lend` hands these steps to a cursor in the caller's
//! registers, where rshm.h's inline `rshm_channel_sender_send` runs them
//! without a call or a private store (`inline` says why and how).
//!
//! # Waiting
//! A side that cannot proceed spins, then sleeps on its wait word
//! (`rx_wait` / `tx_wait`) through the shared sleep handshake
//! (`object::handshake`): the other side calls its `wake` after each
//! length word or `tail` it stores, which costs no system call while
//! nobody sleeps.
//!
//! No wake-up is lost, in either protocol. Each wait is one store-buffer
//! pair: the waker stores S and loads the wait word (L); the sleeper
//! stores 1 there (A) and loads S's location (C). For data, S is the
//! sender's store of `head` (`announce`), C the receiver's load of it
//! (`rx_published`); for room, S is `tail` (`publish_tail`), C the
//! sender's load of it (`tx_free`); for a close, S is the role word's
//! CLOSED (`close`), C the sleeper's look at it after announcing
//! (`sleep`). A wake-up is lost only if L misses A and C misses S. The
//! `SeqCst` protocol puts a `fence(SeqCst)` between S and L and between A
//! and C, so one of the two loads sees the other side's store. The
//! `Asymmetric` protocol has no barrier instruction between S and L (a
//! compiler fence only: the busy path of every message); the sleeper,
//! after A, issues membarrier(2), which gives the waker's thread a full
//! barrier B somewhere in its run while the sleeper waits: L after B sees
//! A; L before B means S before B, and B makes S visible before C. The
//! same in full, with what the kernel guarantees, at the top of
//! `object::handshake`. Which protocol a ring uses is fixed by its creator
//! in the header (`handshake`), so both sides always run the same one.
//!
//! The spin adapts (`object::wait::Spin`): twice the side's last wait,
//! between 5 and 100 us, or 5 us after a wait longer than 200 (a peer
//! that pauses that long is better slept through; the margin is for the
//! wake-up, which a wait that ended in a sleep includes). So a receiver
//! whose messages come every few tens of microseconds (a sender copying
//! large messages) keeps spinning instead of paying a wake-up per
//! message, and a side that waits for long burns at most 5 us before it
//! sleeps. Sleeps last at most `SLICE`, after which the sleeper checks its
//! peer is alive: a peer that dies cannot wake it, and then it fails with
//! EPIPE once nothing is left.

use super::header::{self, Header, DATA_OFFSET, MIN_CAPACITY};
use super::inline::{Sender, RSHM_CHANNEL_SENDER_ABI};
use crate::errno::{Errno, Result};
use crate::object::copy;
use crate::object::doorbell::{self, Bell};
use crate::object::handshake::{self, Handshake, Protocol, Waiters};
use crate::object::leaf::{self, Got, Sent};
use crate::object::peer::{self, Peer, Watch};
use crate::object::wait::Spin;
use crate::sync::Timeout;
use std::sync::atomic::{AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// The length word of a padding record.
const PAD: u64 = u64::MAX;
/// The longest sleep between checks that the peer lives.
const SLICE: Duration = Duration::from_millis(50);

/// Bytes a record with `len` payload bytes takes; `len <= capacity - 16`.
fn record(len: u64) -> u64 {
    8 + ((len + 7) & !7)
}

/// Whether `head`, read by the receiver at `tail`, says a record waits:
/// 1..=cap bytes ahead. A receiver that took a record before its sender
/// stored `head` is ahead of it (a huge difference): nothing waits.
#[inline]
fn published(tail: u64, head: u64, cap: u64) -> bool {
    let ahead = head.wrapping_sub(tail);
    ahead != 0 && ahead <= cap
}

/// The sender's bookkeeping for a record of `n` bytes at its position (`n`
/// bytes there free and before the area's end): moves its private counter
/// past it and returns where the record starts and the new head.
fn advance(tx: &mut Tx, n: u64) -> (u64, u64) {
    let (at, room) = (tx.pos(), tx.room());
    tx.head = tx.head.wrapping_add(n);
    // Callers checked n <= room. Were that wrong, room() would wrap to a
    // huge count and the short path write past the area: make it none.
    if n > room {
        tx.limit = tx.head;
    }
    (at, tx.head)
}

/// Publishes the record at `at` (its payload written): its length word,
/// then `head` (Release, for the payload and the word), then the look at
/// the receiver's wait word: true when the receiver must be woken
/// (`wake_rx`). No call and no panic, as for `advance`.
///
/// # Safety
/// `at` is a multiple of 8 below the area's size.
#[inline(always)]
#[must_use]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
unsafe fn announce(h: &Header, data: *mut u8, hs: Handshake, at: u64, head: u64, word: u64) -> bool {
    // SAFETY: at is a multiple of 8 in the area (the caller's contract), so
    // the 8 bytes are aligned and in the region; any bits are a valid
    // AtomicU64.
    let w = unsafe { &*data.add(at as usize).cast::<AtomicU64>() };
    w.store(word, Relaxed);
    h.head.0.store(head, Release);
    hs.waiting(&h.rx_wait.0.word)
}

/// The sender's private state.
struct Tx {
    head: u64,
    /// The head at which the sender last started at offset 0: its position
    /// is `head - lap`, which reaches `capacity` (not 0) when a record
    /// ends the area, until `wrap` starts the next lap.
    lap: u64,
    /// The head up to which records fit without reading `tail` again or
    /// reaching the area's end: `room()` is `limit - head`, so the short
    /// path checks one difference and stores only `head`.
    limit: u64,
    /// The last valid tail read: space known free without reading again.
    tail_seen: u64,
    /// Payload length of the open reservation.
    reserved: Option<u64>,
    /// The short path is lent to a caller's cursor (`lend`): `limit` is
    /// `head`, so that this handle's own short paths find no room, and
    /// the long way says EBUSY until `take_back`.
    lent: bool,
    watch: Watch,
    spin: Spin,
}

impl Tx {
    fn pos(&self) -> u64 {
        self.head.wrapping_sub(self.lap)
    }

    /// Bytes free at the position, known without reading `tail`: up to the
    /// area's end and up to what `tail_seen` frees.
    fn room(&self) -> u64 {
        self.limit.wrapping_sub(self.head)
    }

    /// Starts the next lap once a record ended the area, and sets the room
    /// from the position and `tail_seen`. The room never exceeds
    /// `cap - 8`, the longest record (a message of `cap - 16`): the short
    /// paths, which check a record against the room alone, then never send
    /// one the receiver would call corrupt (a 64- or 72-byte ring's whole
    /// area would fit a message longer than its largest).
    fn wrap(&mut self, cap: u64) {
        if self.pos() == cap {
            self.lap = self.head;
        }
        let room = (cap - self.head.wrapping_sub(self.tail_seen)).min(cap - self.pos()).min(cap - 8);
        self.limit = self.head.wrapping_add(room);
    }

    /// Goes on from sound shared counters (`Ring::sound_counters`): a
    /// record at counter `c` sits at `c % cap`.
    fn go_on_from(&mut self, head: u64, tail: u64, cap: u64) {
        self.head = head;
        self.lap = head - head % cap;
        self.tail_seen = tail;
        self.wrap(cap);
    }
}

/// The receiver's private state.
struct Rx {
    tail: u64,
    pos: u64,
    /// EAGAINs in a row from receiving calls on a handle with a
    /// descriptor (`after_rx`).
    quiet: u32,
    /// The last `head` read: records up to it are published, so their
    /// length words are read without polling the line the sender writes.
    seen: u64,
    /// Payload length of the message handed out by `peek`.
    peeked: Option<u64>,
    watch: Watch,
    spin: Spin,
}

impl Rx {
    /// Whether a record waits at the receiver's position, by the `head`
    /// last read or, when that is used up, by reading it again (and
    /// keeping it). The short paths' look: no call, no panic.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    fn known_published(&mut self, h: &Header, cap: u64) -> bool {
        if published(self.tail, self.seen, cap) {
            return true;
        }
        let head = h.head.0.load(Acquire);
        if !published(self.tail, head, cap) {
            return false;
        }
        self.seen = head;
        true
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Tx,
    Rx,
}

/// A call's timeout and, for a bounded one, its deadline, counted from the
/// call's slow path on: the spin counts against it, so a short timeout
/// ends near its time rather than after the longest spin. Only a bounded
/// timeout reads the clock here.
struct Wait {
    timeout: Timeout,
    deadline: Option<Instant>,
}

impl Wait {
    fn new(timeout: Timeout) -> Wait {
        let deadline = match timeout {
            Timeout::After(_) => timeout.deadline(),
            Timeout::Try | Timeout::Forever => None,
        };
        Wait { timeout, deadline }
    }

    /// How long one may still sleep: None for no limit, Err once over.
    fn left(&self) -> Result<Option<Duration>> {
        match (self.timeout, self.deadline) {
            (Timeout::Try, _) => Err(Errno(libc::EAGAIN)),
            // Forever, or a deadline beyond what the clock can hold.
            (_, None) => Ok(None),
            (_, Some(d)) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(Errno(libc::ETIMEDOUT)),
            },
        }
    }

    /// Whether a bounded wait is over at `now`.
    fn over(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d)
    }
}

/// One process's handle on a ring. It becomes the sender on its first
/// `reserve`/`send` and the receiver on its first `peek`/`recv` (one handle
/// may be both); `close` or drop gives the roles up.
///
/// The handle does not own the region: whoever maps it keeps it mapped
/// while the handle lives. A handle is used by one thread at a time, in the
/// process that made it (a child of `fork` makes its own).
pub struct Ring {
    hdr: *const Header,
    data: *mut u8,
    cap: u64,
    me: u32,
    /// The sleep handshake, as every handle on this ring runs it.
    hs: Handshake,
    /// `SLICE`, but for tests that stretch it.
    slice: Duration,
    /// Test-only: a side that cannot proceed sleeps at once.
    #[cfg(test)]
    no_spin: bool,
    tx: Option<Tx>,
    rx: Option<Rx>,
    /// The receiver's doorbell, once `rx_fd` asked for it.
    bell: Option<Bell>,
    /// The longest message `recv_now` takes: `copy::SHORT`, or less in a
    /// ring whose messages are all shorter.
    short: u64,
    /// The receiver's bell told the sender to fence (`Handshake::arm_fenced`).
    fenced: std::cell::Cell<bool>,
}

// SAFETY: the region is shared memory made for concurrent use (its header
// is all atomics); the private state moves with the handle.
unsafe impl Send for Ring {}

impl Ring {
    /// Formats `base..base + len` as an empty ring whose record area is the
    /// rest of the region (rounded down to 8 bytes) and returns a handle.
    /// Its sleep handshake is `Protocol::for_new_object()`. EINVAL for a
    /// NULL or not 64-byte-aligned `base`, or a region too small for the
    /// header and `MIN_CAPACITY` bytes.
    ///
    /// # Safety
    /// The region is mapped and writable for the handle's life, and nobody
    /// else uses it while it is formatted.
    pub unsafe fn init(base: *mut u8, len: usize) -> Result<Ring> {
        // SAFETY: forwarded from the caller.
        unsafe { Ring::init_with(base, len, Protocol::for_new_object()) }
    }

    /// `init` with the given handshake protocol (tests run both).
    ///
    /// # Safety
    /// As for `init`.
    pub(crate) unsafe fn init_with(base: *mut u8, len: usize, protocol: Protocol) -> Result<Ring> {
        let protocol = protocol.join()?;
        // SAFETY: forwarded from the caller.
        let (h, cap) = unsafe { header::init(base, len, protocol) }?;
        Ok(Ring::new(h, base, cap, protocol))
    }

    /// A handle on a ring another handle formatted, perhaps in another
    /// process. EAGAIN while it is not yet formatted, EPROTO when the region
    /// does not hold a ring of this version or one whose sleep handshake
    /// this process cannot run (membarrier(2) refused here but not to the
    /// ring's creator), EINVAL as for `init`.
    ///
    /// # Safety
    /// The region is mapped and writable for the handle's life.
    pub unsafe fn attach(base: *mut u8, len: usize) -> Result<Ring> {
        // SAFETY: forwarded from the caller.
        let (h, cap, protocol) = unsafe { header::attach(base, len) }?;
        Ok(Ring::new(h, base, cap, protocol.join()?))
    }

    // Functions, not associated constants, which cbindgen would put in rshm.h.

    /// Bytes of the region before the record area (the header).
    pub const fn header_size() -> usize {
        DATA_OFFSET
    }

    /// The smallest record area accepted, in bytes.
    pub const fn min_capacity() -> usize {
        MIN_CAPACITY as usize
    }

    /// The region length for a record area of `capacity` bytes, rounded up
    /// to a multiple of 8 and to at least `min_capacity()`; None when it
    /// overflows.
    pub fn ring_len(capacity: usize) -> Option<usize> {
        let area = capacity.max(Ring::min_capacity()).checked_add(7)? & !7;
        area.checked_add(DATA_OFFSET)
    }

    /// `ring_len(capacity)` rounded up to whole pages; None when it overflows.
    pub fn region_len(capacity: usize) -> Option<usize> {
        crate::page::round_up(Ring::ring_len(capacity)?)
    }

    fn new(hdr: &Header, base: *mut u8, cap: u64, protocol: Protocol) -> Ring {
        // SAFETY: DATA_OFFSET + cap bytes are in the region (checked by init/attach).
        let data = unsafe { base.add(DATA_OFFSET) };
        let hs = Handshake::new(protocol, Waiters::One);
        Ring {
            hdr,
            data,
            cap,
            me: peer::me(),
            hs,
            slice: SLICE,
            #[cfg(test)]
            no_spin: false,
            tx: None,
            rx: None,
            bell: None,
            short: (copy::SHORT as u64).min(cap - 16),
            fenced: std::cell::Cell::new(false),
        }
    }

    /// The protocol this ring's sides sleep and wake by.
    pub fn protocol(&self) -> Protocol {
        self.hs.protocol()
    }

    /// Test-only: this handle sleeps without the barriers that make its
    /// wake-ups safe, and in slices of `slice`, so that a lost wake-up
    /// shows as a wait of that long.
    #[cfg(test)]
    pub(crate) fn unfenced(&mut self, slice: Duration) {
        self.hs = self.hs.without_sleeper_fence();
        self.slice = slice;
    }

    /// Test-only: whether a side that cannot proceed sleeps without a spin
    /// first (a stress test turns it on and off to vary its waits).
    #[cfg(test)]
    pub(crate) fn set_no_spin(&mut self, on: bool) {
        self.no_spin = on;
    }

    #[cfg(test)]
    fn no_spin(&self) -> bool {
        self.no_spin
    }

    #[cfg(not(test))]
    #[inline(always)]
    fn no_spin(&self) -> bool {
        false
    }

    /// The shared header, borrowed apart from the handle so that the
    /// handle's private state can change meanwhile; never kept beyond it.
    fn hdr<'a>(&self) -> &'a Header {
        // SAFETY: the region outlives the handle (constructor contract) and
        // the result is used only within a method call.
        unsafe { &*self.hdr }
    }

    /// The length word at `off` in the record area.
    fn word<'a>(&self, off: u64) -> &'a AtomicU64 {
        debug_assert!(off % 8 == 0 && off < self.cap);
        // SAFETY: callers pass a multiple of 8 below cap, so the 8 bytes are
        // in the area and aligned (the area starts 64-byte aligned); any bit
        // pattern is a valid AtomicU64, and the region outlives the call.
        unsafe { &*self.data.add(off as usize).cast::<AtomicU64>() }
    }

    /// Bytes in the record area.
    pub fn capacity(&self) -> usize {
        self.cap as usize
    }

    /// The largest message the ring can ever hold: a record and the next
    /// slot's length word fill the area.
    pub fn max_message(&self) -> usize {
        (self.cap - 16) as usize
    }

    // ---- sending ----

    /// Reserves room for a message of `len` bytes and returns where to
    /// write it: contiguous, 8-byte aligned, valid until `commit` or the
    /// next `reserve` or `send`, which abandons it whatever it returns.
    /// Waits for room as `timeout` allows.
    ///
    /// Errors: EMSGSIZE (`len > max_message()`), EAGAIN (`Try` and no room),
    /// ETIMEDOUT, EPIPE (the receiver closed; or it died, noticed when this
    /// side has to wait for room), EBUSY (another handle is the sender),
    /// EPROTO (the receiver's counter is corrupt).
    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        // Whatever this call returns, the reservation before it is gone.
        if let Some(tx) = self.tx.as_mut() {
            tx.reserved = None;
        }
        match self.reserve_now(len) {
            Some(p) => Ok(p),
            None => self.reserve_wait(len, timeout),
        }
    }

    /// `reserve` when it needs no wait and no check beyond the private
    /// state: the role is held, the record fits before the area's end, and
    /// the space last known free holds it. None sends the call the long way.
    #[inline]
    fn reserve_now(&mut self, len: usize) -> Option<*mut u8> {
        let cap = self.cap;
        let closed = self.hdr().receiver.load(Acquire) == peer::CLOSED;
        let tx = self.tx.as_mut()?;
        let len = len as u64;
        if len > cap - 16 || closed {
            return None;
        }
        if record(len) > tx.room() {
            return None;
        }
        tx.reserved = Some(len);
        // SAFETY: room <= cap - pos, so the payload lies in the area.
        Some(unsafe { self.data.add(tx.pos() as usize + 8) })
    }

    /// Whether the sending side is lent to a cursor (`lend`).
    pub fn is_lent(&self) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.lent)
    }

    /// `reserve` in full: takes the role, pads out the area's end, waits.
    fn reserve_wait(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        if len as u64 > self.cap - 16 {
            return Err(Errno(libc::EMSGSIZE));
        }
        if self.tx.is_none() {
            self.tx = Some(self.claim_tx()?);
        }
        if self.is_lent() {
            return Err(Errno(libc::EBUSY));
        }
        if self.hdr().receiver.load(SeqCst) == peer::CLOSED {
            return Err(Errno(libc::EPIPE));
        }
        let (rec, cap) = (record(len as u64), self.cap);
        let wait = Wait::new(timeout);
        let tx = self.tx.as_mut().expect("claimed above");
        tx.wrap(cap);
        if tx.pos() + rec > cap {
            // No wrapping record: pad out the end and start again at 0.
            let pad = cap - tx.pos();
            self.tx_room(pad, &wait)?;
            self.publish(pad, PAD);
            self.tx.as_mut().expect("claimed above").wrap(cap);
        }
        self.tx_room(rec, &wait)?;
        let tx = self.tx.as_mut().expect("claimed above");
        tx.wrap(cap);
        tx.reserved = Some(len as u64);
        // SAFETY: pos + rec <= cap, so the payload lies in the area.
        Ok(unsafe { self.data.add(tx.pos() as usize + 8) })
    }

    /// Publishes the first `len` bytes of the open reservation as one
    /// message. EINVAL without a reservation or for `len` beyond it.
    pub fn commit(&mut self, len: usize) -> Result<()> {
        let tx = self.tx.as_mut().ok_or(Errno(libc::EINVAL))?;
        match tx.reserved {
            Some(r) if len as u64 <= r => {}
            _ => return Err(Errno(libc::EINVAL)),
        }
        tx.reserved = None;
        // The reservation found record(len) bytes free at pos.
        self.publish(record(len as u64), len as u64 + 1);
        Ok(())
    }

    /// `send` of a message of up to `copy::SHORT` bytes at `msg` when it
    /// needs no wait (as `reserve_now`): copies it without a call and
    /// publishes it. The streaming sender's path, written for few stores
    /// (`copy`) and no call: the caller makes the rare one it asks for.
    ///
    /// # Safety
    /// `msg` is readable for `len` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn send_now(&mut self, msg: *const u8, len: usize) -> Sent {
        let (h, data, hs) = (self.hdr(), self.data, self.hs);
        let Some(tx) = self.tx.as_mut() else { return Sent::No };
        // No overflow: len <= SHORT.
        let rec = ((len as u64).wrapping_add(7) & !7).wrapping_add(8);
        if len > copy::SHORT || rec > tx.room() || h.receiver.load(Acquire) == peer::CLOSED {
            return Sent::No;
        }
        // A send abandons an open reservation.
        if tx.reserved.is_some() {
            tx.reserved = None;
        }
        // advance(), less its guard: rec <= room was just checked. First,
        // so that this store to private memory is not queued behind the
        // ring's (`copy` says why that matters).
        let at = tx.pos();
        tx.head = tx.head.wrapping_add(rec);
        let head = tx.head;
        // SAFETY: rec <= room <= cap - at, so the payload's len bytes, after
        // the length word, lie in the area; msg is the caller's len bytes.
        unsafe { copy::short(data.add(at as usize).add(8), msg, len) };
        // SAFETY: at is the sender's position, a multiple of 8 below cap.
        match unsafe { announce(h, data, hs, at, head, (len as u64).wrapping_add(1)) } {
            true => Sent::Wake,
            false => Sent::Done,
        }
    }

    /// Lends the sender's short path to a cursor the caller keeps
    /// (`rshm_channel_sender_begin`): takes the sender role if the handle
    /// has none, abandons an open reservation, and returns the state the
    /// cursor's inline send needs (its `ch` is the caller's to fill). Until
    /// `take_back` this handle's own sends say EBUSY. EBUSY when lent
    /// already; otherwise as `reserve` for taking the role.
    pub fn lend(&mut self) -> Result<Sender> {
        if self.tx.is_none() {
            self.tx = Some(self.claim_tx()?);
        }
        let (cap, hs) = (self.cap, self.hs);
        let tx = self.tx.as_mut().expect("claimed above");
        if tx.lent {
            return Err(Errno(libc::EBUSY));
        }
        tx.reserved = None;
        tx.wrap(cap);
        let cursor = Sender {
            abi: RSHM_CHANNEL_SENDER_ABI,
            fence: u32::from(hs.protocol() == Protocol::SeqCst),
            status: 0,
            unused: 0,
            head: tx.head,
            lap: tx.lap,
            limit: tx.limit,
            tail_seen: tx.tail_seen,
            cap,
            base: self.hdr.cast_mut().cast(),
            ch: std::ptr::null_mut(),
        };
        tx.lent = true;
        tx.limit = tx.head;
        Ok(cursor)
    }

    /// Ends a `lend`: the handle goes on from the head the cursor
    /// published (it publishes every message), read from shared memory and
    /// checked as a new sender checks it, so nothing of the caller's cursor
    /// is trusted. EINVAL when nothing is lent; EPROTO when the shared
    /// counters are corrupt (the handle is then no longer lent, knows of no
    /// room, and its sends say EPROTO while they stay so; should a hostile
    /// receiver make them sound again, it goes on from where it lent, still
    /// inside the area).
    pub fn take_back(&mut self) -> Result<()> {
        if !self.is_lent() {
            return Err(Errno(libc::EINVAL));
        }
        let (cap, counters) = (self.cap, self.sound_counters());
        let tx = self.tx.as_mut().expect("lent above");
        tx.lent = false;
        let Some((head, tail)) = counters else {
            // No room known: the next send reads tail again (`tx_free`),
            // and says EPROTO while it stays corrupt.
            tx.tail_seen = tx.head.wrapping_sub(cap);
            tx.limit = tx.head;
            return Err(Errno(libc::EPROTO));
        };
        tx.go_on_from(head, tail, cap);
        Ok(())
    }

    /// Copies `msg` into the ring as one message.
    pub fn send(&mut self, msg: &[u8], timeout: Timeout) -> Result<()> {
        self.send_with(msg.len(), timeout, |p| {
            // SAFETY: p is msg.len() writable bytes in the region (send_with).
            unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), p, msg.len()) }
        })
    }

    /// Sends one message of `len` bytes that `fill` writes at the address
    /// it is given (`len` writable bytes in the region, 8-byte aligned):
    /// `reserve`, `fill`, `commit`. `fill` runs only once there is room,
    /// so a caller whose bytes are not a slice yet (the C layer) checks
    /// nothing about them for a message that can never be sent.
    pub fn send_with(&mut self, len: usize, timeout: Timeout, fill: impl FnOnce(*mut u8)) -> Result<()> {
        fill(self.reserve(len, timeout)?);
        self.commit(len)
    }

    fn claim_tx(&self) -> Result<Tx> {
        let h = self.hdr();
        peer::claim(&h.sender.0, self.me)?;
        // A receiver waiting in an event loop watches its sender's process:
        // ring it so that it looks at the new one (once per claim).
        self.hs.wake_ringing(&h.rx_wait.0.word, &h.rx_wait.0.bell);
        let refuse = || {
            peer::give_up(&h.sender.0, self.me);
            Err(Errno(libc::EPROTO))
        };
        // A previous sender's published head is where this one goes on: a
        // record it wrote but did not publish (it died first) was never sent.
        let Some((head, tail)) = self.sound_counters() else { return refuse() };
        let mut tx = Tx {
            head: 0,
            lap: 0,
            limit: 0,
            tail_seen: 0,
            reserved: None,
            lent: false,
            watch: Watch::default(),
            spin: Spin::default(),
        };
        tx.go_on_from(head, tail, self.cap);
        Ok(tx)
    }

    /// The shared head and tail a sender goes on from (a new one, or one
    /// taking its cursor back), when sound: both multiples of 8, head at
    /// most the capacity ahead. None when a peer wrote anything else.
    fn sound_counters(&self) -> Option<(u64, u64)> {
        let h = self.hdr();
        let (head, tail) = (h.head.0.load(SeqCst), h.tail.0.load(SeqCst));
        (head % 8 == 0 && tail % 8 == 0 && head.wrapping_sub(tail) <= self.cap).then_some((head, tail))
    }

    /// Waits until `need` bytes past head are free.
    fn tx_room(&mut self, need: u64, wait: &Wait) -> Result<()> {
        let tx = self.tx.as_ref().expect("sender");
        if self.cap - tx.head.wrapping_sub(tx.tail_seen) >= need {
            return Ok(());
        }
        self.block(Side::Tx, wait, |r| Ok(r.tx_free()? >= need))
    }

    /// Free bytes, from a fresh and checked read of tail.
    fn tx_free(&mut self) -> Result<u64> {
        let tail = self.hdr().tail.0.load(Acquire);
        let tx = self.tx.as_mut().expect("sender");
        let used = tx.head.wrapping_sub(tail);
        if used > self.cap || tail % 8 != 0 {
            return Err(Errno(libc::EPROTO));
        }
        tx.tail_seen = tail;
        tx.wrap(self.cap);
        Ok(self.cap - used)
    }

    /// Publishes the `n` bytes at pos as a record whose length word is
    /// `word`: `n <= capacity - pos`, and `n` bytes at pos are free.
    fn publish(&mut self, n: u64, word: u64) {
        let (at, head) = advance(self.tx.as_mut().expect("sender"), n);
        // SAFETY: at is the sender's position, a multiple of 8 below cap.
        if unsafe { announce(self.hdr(), self.data, self.hs, at, head, word) } {
            self.wake_rx();
        }
    }

    /// Wakes the receiver, and rings its doorbell if it waits in an event
    /// loop: after `send_now` said so.
    #[cold]
    pub fn wake_rx(&self) {
        let h = self.hdr();
        handshake::woken_ringing(&h.rx_wait.0.word, &h.rx_wait.0.bell);
    }

    // ---- receiving ----

    /// The next message, left in the ring: its address (8-byte aligned) and
    /// length, valid until `release`. Calling it again before `release`
    /// returns the same message. Waits for one as `timeout` allows.
    ///
    /// Errors: EAGAIN (`Try` and empty), ETIMEDOUT, EPIPE (empty and the
    /// sender closed or died), EBUSY (another handle is the receiver),
    /// EPROTO (the counters are corrupt when this handle becomes the
    /// receiver), EBADMSG (a corrupt record).
    pub fn peek(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        let r = self.peek_msg(timeout);
        self.after_rx(r)
    }

    #[inline]
    fn peek_msg(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        match self.peek_now() {
            Some(m) => Ok(m),
            None => self.peek_wait(timeout),
        }
    }

    /// `peek` when a message is there at once and nothing is peeked yet.
    /// None sends the call the long way, which reads the length word again
    /// and reports what is wrong with it, if anything.
    #[inline]
    fn peek_now(&mut self) -> Option<(*const u8, usize)> {
        let cap = self.cap;
        let h = self.hdr();
        let rx = self.rx.as_mut()?;
        let pos = rx.pos;
        if rx.peeked.is_some() {
            return None;
        }
        if !rx.known_published(h, cap) {
            return None;
        }
        // Under head: stored before it, and the sender keeps off it until
        // tail passes. 0 (corrupt) and PAD wrap to values above any valid
        // length.
        let len = self.word(pos).load(Relaxed).wrapping_sub(1);
        if len > cap - 16 || record(len) > cap - pos {
            return None;
        }
        self.rx.as_mut()?.peeked = Some(len);
        // SAFETY: 8 + len <= record(len) <= cap - pos: the payload is in the area.
        Some((unsafe { self.data.add(pos as usize + 8) }, len as usize))
    }

    /// `peek` in full: takes the role, skips padding, waits, reports errors.
    fn peek_wait(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        if self.rx.is_none() {
            self.rx = Some(self.claim_rx()?);
        }
        let wait = Wait::new(timeout);
        loop {
            let rx = self.rx.as_ref().expect("claimed above");
            let pos = rx.pos;
            // SAFETY: pos is a multiple of 8 below cap.
            let at = unsafe { self.data.add(pos as usize) };
            if let Some(len) = rx.peeked {
                // SAFETY: checked when it was peeked: the payload is in the area.
                return Ok((unsafe { at.add(8) }, len as usize));
            }
            if !self.rx_published() {
                self.block(Side::Rx, &wait, |r| Ok(r.rx_published()))?;
                continue;
            }
            // Read once, after head: a hostile sender may rewrite it, the
            // checks hold for this copy.
            match self.word(pos).load(Relaxed) {
                // The sender never pads at 0 (a record always fits there),
                // which also bounds this loop to one padding a call.
                0 => return Err(Errno(libc::EBADMSG)),
                PAD if pos == 0 => return Err(Errno(libc::EBADMSG)),
                PAD => self.publish_tail(self.cap - pos),
                w => {
                    let len = w - 1;
                    if len > self.cap - 16 || record(len) > self.cap - pos {
                        return Err(Errno(libc::EBADMSG));
                    }
                    self.rx.as_mut().expect("claimed above").peeked = Some(len);
                    // SAFETY: 8 + len <= record(len) <= cap - pos: the payload is in the area.
                    return Ok((unsafe { at.add(8) }, len as usize));
                }
            }
        }
    }

    /// `recv` of a message of up to `copy::SHORT` bytes into `buf` (`cap`
    /// writable bytes) when one is there, this handle has no descriptor
    /// and nothing is peeked: the busy receiver's path, a leaf as
    /// `send_now` is; anything else (no message, padding, a message too
    /// long for `buf` or for this path, a corrupt record) goes the long
    /// way, which says what it is.
    ///
    /// # Safety
    /// `buf` is writable for `cap` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn recv_now(&mut self, buf: *mut u8, cap: usize) -> Got {
        // One bound for both: fewer live registers, none saved.
        let most = self.short.min(cap as u64);
        let (h, data, area) = (self.hdr(), self.data, self.cap);
        let Some(rx) = self.rx.as_mut() else { return Got::No };
        if rx.peeked.is_some() {
            return Got::No;
        }
        if !rx.known_published(h, area) {
            return Got::Empty;
        }
        let pos = rx.pos;
        // SAFETY: pos is a multiple of 8 below the area's size: aligned and
        // in the area; any bits are a valid AtomicU64.
        let word = unsafe { &*data.add(pos as usize).cast::<AtomicU64>() };
        // 0 (corrupt) and PAD wrap to values above any length taken here.
        let len = word.load(Relaxed).wrapping_sub(1);
        if len > most {
            return Got::No;
        }
        // No overflow: len <= short; pos < area.
        let rec = (len.wrapping_add(7) & !7).wrapping_add(8);
        if rec > area.wrapping_sub(pos) {
            return Got::No;
        }
        // A descriptor that is readable, with a message after this one
        // known, stays so: nothing to bring in step (`bell_sync`). Looked
        // at last, so that nothing of it stays in a register before.
        if let Some(b) = self.bell.as_ref() {
            if !b.streaming() || !published(rx.tail.wrapping_add(rec), rx.seen, area) {
                return Got::No;
            }
            rx.quiet = 0;
        }
        // SAFETY: 8 + len <= rec <= area - pos: the payload is in the area;
        // len <= cap, buf's size.
        unsafe { copy::short(buf, data.add(pos as usize).add(8), len as usize) };
        rx.tail = rx.tail.wrapping_add(rec);
        let next = pos.wrapping_add(rec);
        rx.pos = if next == area { 0 } else { next };
        h.tail.0.store(rx.tail, Release);
        if self.hs.waiting(&h.tx_wait.0) {
            Got::Wake(len as usize)
        } else {
            Got::Msg(len as usize)
        }
    }

    /// How many times a receive that may wait polls `recv_now` before it
    /// goes the long way (`leaf::POLLS`): some after a wait short enough
    /// to count as none, none after a longer one.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub fn polls(&self) -> u32 {
        match self.rx.as_ref() {
            Some(rx) if rx.spin.busy() => leaf::POLLS,
            _ => 0,
        }
    }

    /// Wakes the sender waiting for room: after `recv_now` said so.
    #[cold]
    pub fn wake_tx(&self) {
        handshake::woken(&self.hdr().tx_wait.0);
    }

    /// Consumes the message `peek` returned, making its space free.
    /// EINVAL when no message is peeked.
    pub fn release(&mut self) -> Result<()> {
        let r = self.release_msg();
        self.after_rx(r)
    }

    #[inline]
    fn release_msg(&mut self) -> Result<()> {
        let rx = self.rx.as_mut().ok_or(Errno(libc::EINVAL))?;
        let len = rx.peeked.take().ok_or(Errno(libc::EINVAL))?;
        self.publish_tail(record(len));
        Ok(())
    }

    /// Copies the next message into `buf` and consumes it; returns its
    /// length. EMSGSIZE when `buf` is too small: the message stays for a
    /// retry. Other errors as `peek`.
    pub fn recv(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        let r = self.recv_msg(buf, timeout);
        self.after_rx(r)
    }

    #[inline]
    fn recv_msg(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        let (p, len) = self.peek_msg(timeout)?;
        if len > buf.len() {
            return Err(Errno(libc::EMSGSIZE));
        }
        // SAFETY: peek checked p..p + len lies in the region; buf is ours.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len) };
        self.release_msg()?;
        Ok(len)
    }

    // ---- the receiver's descriptor ----

    /// The receiver's descriptor for poll, epoll and select: readable
    /// exactly when the next `peek`/`recv` would not block (a message is
    /// there, or the sender closed or died). The handle becomes the
    /// receiver if it is not yet. The same descriptor every time; it
    /// belongs to the handle and closes with it. ENOTSUP off Linux; EBUSY,
    /// EPROTO as for becoming the receiver; EMFILE/ENFILE.
    pub fn rx_fd(&mut self) -> Result<std::os::fd::RawFd> {
        if self.rx.is_none() {
            self.rx = Some(self.claim_rx()?);
        }
        if self.bell.is_none() {
            self.bell = Some(Bell::new()?);
        }
        self.bell_sync();
        Ok(self.bell.as_ref().expect("made above").door.fd())
    }

    /// After each receiving call: the descriptor's readiness follows what
    /// the call left. A handle without a descriptor pays one branch.
    #[inline]
    fn after_rx<T>(&mut self, r: Result<T>) -> Result<T> {
        if self.bell.is_none() {
            return r;
        }
        self.bell_sync();
        // The descriptor sees a dead sender at once (its pidfd); the ring's
        // own check looks at most once a millisecond. Say EPIPE as soon as
        // the descriptor says readable for it, so a waiter woken by the
        // death does not find "nothing yet" and wait again.
        let Some(rx) = self.rx.as_mut() else { return r };
        if !matches!(r, Err(Errno(libc::EAGAIN))) {
            rx.quiet = 0;
            return r;
        }
        // Not on every EAGAIN in a row: a receiver polling with timeout 0
        // would pay a system call each. On the second (the first after a
        // wait) and every RECHECK_EVERY-th after.
        rx.quiet = rx.quiet.saturating_add(1);
        if doorbell::recheck(rx.quiet) && self.sender_exited() {
            return Err(Errno(libc::EPIPE));
        }
        r
    }

    /// With a descriptor: the ring is empty and its sender's process has
    /// exited, as the descriptor's pidfd shows.
    #[cold]
    fn sender_exited(&self) -> bool {
        let exited = self.bell.as_ref().is_some_and(|b| b.door.peer_exited());
        exited && self.rx.as_ref().is_some_and(|rx| rx.peeked.is_none()) && !self.rx_published()
    }

    /// Makes the descriptor readable if the next receive would not block,
    /// and not readable (its bell armed) otherwise. While messages stream
    /// and the descriptor is readable already, this costs no system call:
    /// only catching up with the sender (drain, arm) and finding a message
    /// the sender did not ring for (ring) do.
    #[cold]
    fn bell_sync(&mut self) {
        let Some(mut b) = self.bell.take() else { return };
        if self.rx.is_some() {
            self.bell_sync_with(&mut b);
        }
        self.bell = Some(b);
    }

    fn bell_sync_with(&mut self, b: &mut Bell) {
        let h = self.hdr();
        let word = &h.rx_wait.0.word;
        // A padding record is not a message: skip it, as peek would.
        let rx = self.rx.as_ref().expect("receiver");
        if rx.peeked.is_none() && rx.pos != 0 && self.rx_published() && self.word(rx.pos).load(Relaxed) == PAD {
            self.publish_tail(self.cap - rx.pos);
        }
        let sender = h.sender.0.load(Acquire);
        b.watch(if sender == peer::NOBODY || sender == peer::CLOSED { 0 } else { sender });
        let peeked = self.rx.as_ref().is_some_and(|rx| rx.peeked.is_some());
        // A sender gone before it could be watched: the receive says EPIPE.
        let ready = peeked || self.rx_published() || sender == peer::CLOSED || b.door.peer_gone();
        let hs = self.hs;
        let check = || Ok(self.rx_published() || h.sender.0.load(Acquire) == peer::CLOSED);
        b.sync(
            ready,
            || handshake::disarm(word),
            || handshake::armed(word),
            |token| hs.arm_fenced(word, &h.rx_wait.0.bell, token, &self.fenced, check),
        );
    }

    fn claim_rx(&self) -> Result<Rx> {
        let h = self.hdr();
        peer::claim(&h.receiver, self.me)?;
        // A previous receiver's published tail is where this one goes on.
        let tail = h.tail.0.load(SeqCst);
        let head = h.head.0.load(SeqCst);
        // Only tail is used; head is checked for a sign of corruption. It
        // may trail tail: the receiver takes a record as soon as its length
        // word is stored, before the sender publishes head.
        let apart = head.wrapping_sub(tail).min(tail.wrapping_sub(head));
        if head % 8 != 0 || tail % 8 != 0 || apart > self.cap {
            peer::give_up(&h.receiver, self.me);
            return Err(Errno(libc::EPROTO));
        }
        let pos = tail % self.cap;
        Ok(Rx { tail, pos, seen: tail, quiet: 0, peeked: None, watch: Watch::default(), spin: Spin::default() })
    }

    /// Whether the sender's `head` says a record waits at pos. What a
    /// caught-up receiver polls: `head` sits on a line of its own, where
    /// the length word at pos shares the line the sender is writing.
    /// Reads `head` only when the last one read is used up.
    fn rx_published(&self) -> bool {
        let rx = self.rx.as_ref().expect("receiver");
        published(rx.tail, rx.seen, self.cap) || published(rx.tail, self.hdr().head.0.load(Acquire), self.cap)
    }

    /// Frees the `n` bytes at pos, `n <= capacity - pos`.
    fn publish_tail(&mut self, n: u64) {
        let h = self.hdr();
        let rx = self.rx.as_mut().expect("receiver");
        rx.tail = rx.tail.wrapping_add(n);
        rx.pos += n;
        if rx.pos == self.cap {
            rx.pos = 0;
        }
        h.tail.0.store(rx.tail, Release);
        self.hs.wake(&h.tx_wait.0);
    }

    // ---- waiting ----

    /// Waits until `ready` holds: spins (for as long as `Spin` says), then
    /// sleeps on the side's wait word in slices, checking between them that
    /// the peer lives. EPIPE when the peer is gone and `ready` still fails;
    /// EAGAIN / ETIMEDOUT as `wait` runs out.
    fn block(&mut self, side: Side, wait: &Wait, mut ready: impl FnMut(&mut Ring) -> Result<bool>) -> Result<()> {
        if ready(self)? {
            return Ok(());
        }
        if wait.timeout == Timeout::Try || self.no_spin() {
            return self.sleep(side, wait, ready);
        }
        let limit = self.spin(side).limit();
        // The clock is first read after 64 rounds (a microsecond or two):
        // waits shorter than that, as in a busy stream, cost no clock reads
        // and count as no wait at all.
        let mut start = None;
        let mut i = 0u32;
        let done = loop {
            std::hint::spin_loop();
            if ready(self)? {
                break Ok(());
            }
            i += 1;
            if i % 64 == 0 {
                let now = Instant::now();
                if now.duration_since(*start.get_or_insert(now)) >= limit || wait.over(now) {
                    break self.sleep(side, wait, ready);
                }
            }
        };
        if done.is_ok() {
            self.spin(side).learn(start.map_or(Duration::ZERO, |s: Instant| s.elapsed()));
        }
        done
    }

    fn spin(&mut self, side: Side) -> &mut Spin {
        match side {
            Side::Tx => &mut self.tx.as_mut().expect("sender").spin,
            Side::Rx => &mut self.rx.as_mut().expect("receiver").spin,
        }
    }

    /// The sleeping half of `block`.
    fn sleep(&mut self, side: Side, wait: &Wait, mut ready: impl FnMut(&mut Ring) -> Result<bool>) -> Result<()> {
        let h = self.hdr();
        let (word, role) = match side {
            Side::Tx => (&h.tx_wait.0, &h.receiver),
            Side::Rx => (&h.rx_wait.0.word, &h.sender.0),
        };
        loop {
            let watch = match side {
                Side::Tx => &mut self.tx.as_mut().expect("sender").watch,
                Side::Rx => &mut self.rx.as_mut().expect("receiver").watch,
            };
            if watch.peer(role) == Peer::Gone {
                // What the peer published before it went still counts.
                return if ready(self)? { Ok(()) } else { Err(Errno(libc::EPIPE)) };
            }
            let left = wait.left()?;
            let slice = left.map_or(self.slice, |l| l.min(self.slice));
            // A peer that closes stores CLOSED and then wakes this word
            // (`close`): the check after the announcement sees CLOSED, or
            // the peer sees the announcement. Without it, a close between
            // the look at the loop's top and the announcement would leave
            // this side asleep for a whole slice.
            let hs = self.hs;
            let mut ready_now = false;
            hs.sleep(word, slice, || {
                ready_now = ready(self)?;
                Ok(ready_now || role.load(Acquire) == peer::CLOSED)
            })?;
            if ready_now || ready(self)? {
                return Ok(());
            }
        }
    }

    // ---- closing ----

    /// Gives up the roles this handle holds and wakes the peer, which then
    /// sees EPIPE once it has taken what is left. Messages already
    /// committed stay in the ring. The handle can take roles again.
    pub fn close(&mut self) {
        let h = self.hdr();
        if self.tx.take().is_some() {
            peer::give_up(&h.sender.0, self.me);
            self.hs.wake_ringing(&h.rx_wait.0.word, &h.rx_wait.0.bell);
        }
        if self.rx.take().is_some() {
            if self.bell.take().is_some_and(|b| b.armed()) {
                handshake::disarm(&h.rx_wait.0.word);
            }
            handshake::unfence(&h.rx_wait.0.word, &self.fenced);
            peer::give_up(&h.receiver, self.me);
            self.hs.wake(&h.tx_wait.0);
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod wait_tests {
    use super::*;

    #[test]
    fn a_bounded_wait_counts_from_the_start_of_the_call() {
        let w = Wait::new(Timeout::After(Duration::from_millis(1)));
        assert!(!w.over(Instant::now()));
        std::thread::sleep(Duration::from_millis(2));
        // No sleep began, yet the time is up: the spin counted.
        assert!(w.over(Instant::now()));
        assert_eq!(w.left(), Err(Errno(libc::ETIMEDOUT)));
    }

    #[test]
    fn unbounded_and_try_waits_never_run_out() {
        let far = Instant::now() + Duration::from_secs(3600);
        let forever = Wait::new(Timeout::Forever);
        assert!(!forever.over(far));
        assert_eq!(forever.left(), Ok(None));
        let try_once = Wait::new(Timeout::Try);
        assert!(!try_once.over(far));
        assert_eq!(try_once.left(), Err(Errno(libc::EAGAIN)));
    }
}
