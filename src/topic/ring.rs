//! The broadcast ring: one publisher writes variable-length records that
//! any number of subscribers read, each at its own pace, in a region that
//! processes share without trusting each other.
//!
//! # Layout
//! The region holds the `Header`, `max_subscribers` slots (a cache line
//! each: role word, cursor, next message number, lost count), then the
//! record area, `capacity` bytes, a multiple of 16. A record is a 16-byte
//! header, the commit word and the length word, and the payload padded to
//! 16. Message numbers (`seq`) count from 0 and never repeat. The commit
//! word says what the place holds: `2 * seq`, empty, the next message will
//! be `seq`; `2 * seq + 1`, a record committed with number `seq`. The
//! length word is the payload length, or `PAD` for a padding record that
//! fills the area's end (a record never wraps); a padding record carries
//! the number of the message after it and is no message itself.
//!
//! # Counters
//! `head` (bytes published) and `low` only grow; a record at counter `c`
//! sits at `c % capacity`. Records from `low` to `head` are whole; the word
//! at `head` is an empty header announcing the next number (read by a
//! subscriber joining there or resynchronising at `low == head`, and by
//! `rshm ls`). To write a
//! record of `n` bytes the publisher needs `n + 16` bytes past head (the
//! record and the next empty header), so it first moves `low` past every
//! record overlapping them, and more where it may (so that `low`, which
//! every subscriber reads after each record, changes once per many
//! messages): an eighth of the ring in the default policy, as far as every
//! live subscriber has read with RSHM_TOPIC_BLOCK. The largest message is
//! `capacity - 32`. The
//! publisher keeps head, low, its position and the next number in its own
//! memory, publishes them and never reads them back; the lengths it reads
//! at `low` to step over old records are checked, and a bad one makes it
//! drop every old record at once (`low = head`), so a scribbler costs
//! subscribers messages, never the publisher its progress.
//!
//! # Overwrite detection (the seqlock argument)
//! The publisher stores `low` (Release) and then issues a Release fence
//! before it writes any byte below the new value. A subscriber reads a
//! record at `c`, then issues an Acquire fence and loads `low`: if it reads
//! `low <= c`, no byte of the record was overwritten before its reads (had
//! it read an overwritten byte, the fences would make the store of a `low`
//! past `c` visible to that load). Otherwise it was lapped: it discards
//! what it read and resynchronises at `low`, reading the number in the
//! header there the same way (checked by a second load of `low`); the
//! difference of the numbers is added to `lost`. So received + lost counts
//! every number from the subscriber's first to its next, exactly. A
//! record under `head` at the subscriber's position that is not its
//! number committed is, with `low <= c`, corrupt (EBADMSG). Subscribers
//! read at `c` only under `head` (below), after the publisher wrote the
//! record there, so they never take a stale record of an earlier lap for a
//! new one. The commit and length
//! words are atomics; the payload is copied with plain loads that may race
//! with the publisher's overwrite, which, as in every seqlock (crossbeam's
//! `SeqLock` reads the same way), is harmless because the copy is used
//! only once the check after it passes; the memory is another process's
//! mapping, reached through raw pointers, which no compiler assumption
//! about this process's own objects covers.
//!
//! # Publishing, and reading under head
//! The payload, the length word, the next place's empty header and the
//! commit word are written before `head` (Release); then the wake of
//! sleeping subscribers. A subscriber reads a record only when `head`,
//! loaded with Acquire, says it is there (1 to `capacity` bytes past its
//! cursor); it keeps the head it read and loads `head` again only when the
//! records under it are taken, as the classic SPSC ring does. So a
//! subscriber that has caught up polls `head`, a line of its own that the
//! subscribers share for reading, and never the line the publisher is
//! writing a record into. (A head behind a subscriber's cursor, or more
//! than the ring ahead of it while `low` says it was not lapped, is
//! corrupt: EPROTO.) A publisher that dies before `head` leaves nothing
//! visible; one that dies after the commit word leaves a whole record
//! under no head, which the next publisher counts as published when it
//! takes over (the commit word is Release for that reader).
//!
//! # Stores on the busy path
//! A publisher streaming to another CPU is bound by the stores it has in
//! flight (`object::copy` explains why), so a short message's publish
//! (`Publisher::publish_now`, which `rshm_topic_publish` runs before its
//! panic boundary) makes as few as it can, with no call: its private
//! head, room and number (before the record, so that they are not queued
//! behind it), the payload in 16-byte moves, the length word, the next
//! empty header, the commit word and `head`. It runs while `room`, the
//! bytes known free at its position, holds the record: `low` moves only on
//! the long way (many records at a time), in both policies. A
//! subscriber's short path (`Subscriber::receive_now`, before
//! `rshm_topic_receive`'s boundary) likewise copies without a call.
//!
//! # RSHM_TOPIC_BLOCK
//! Subscribers store their cursor (Release) after reading a record; the
//! publisher loads it (Acquire) before overwriting, so reads come before
//! the overwrite. The publisher moves `low` past a record only when no
//! live subscriber's cursor lies below the record's end. A cursor is
//! trusted only between the publisher's own `low` and `head`: outside, it
//! is ignored; a subscriber whose pidfd says it died is ignored; a live
//! one that does not move blocks the publisher only up to its timeout.
//!
//! # Joining
//! A subscriber takes a slot (CAS of the role word), stores `JOINING` as
//! its cursor, a SeqCst fence, then reads `head` and stores it as its
//! cursor. A publisher about to overwrite stores head, a SeqCst fence, then
//! reads each slot's role word and cursor. (Both fences are this module's
//! own: the handshake's waker may have none.) Of the two fences one comes
//! first: either the publisher sees the slot taken and its cursor
//! `JOINING` or later (and waits for the real one), or the subscriber's
//! read of head sees the head the publisher stored, at or past every byte
//! that publisher's scan lets it overwrite. A subscriber thus receives
//! every message committed after its join, in both policies.
//!
//! # Waiting
//! Through `object::handshake` (its protocol, picked by the creator, is in
//! the header) and `object::wait`: subscribers sleep on
//! `sub_wait` (many waiters) for a change of `head` (or of `low`, when
//! lapped); a blocked publisher sleeps on `pub_wait`, which subscribers
//! wake after each cursor they store. Sleeps last a slice, after which a
//! subscriber checks the publisher lives (EPIPE once it is gone and
//! nothing is left) and a publisher whether its blockers still live.
//!
//! # Doorbells
//! A subscriber that waits in an event loop (`rshm_topic_fd`) arms a
//! doorbell (`object::doorbell`, `object::handshake`'s Doorbells) instead
//! of sleeping: it stores its bell's token in its slot, then 1 in the
//! slot's `armed` (Release), then ors `BELL` into the shared `sub_wait`
//! (`Handshake::arm_with`, SeqCst, beside any sleeper's `SLEEPER`), takes
//! the handshake's barriers and looks at `head` again. The publisher's
//! wake after each commit (and at close) is the handshake's: one load of
//! `sub_wait` while nobody waits; when it sees `BELL` it clears the word
//! and, in `Area::ring_armed`, swaps each slot's `armed` to 0 and rings
//! the token of every slot that held 1. The ordering is the handshake's
//! (announce, barrier, re-check against publish, barrier, look), with the
//! slot's flag and token published before the announcement: a publisher
//! whose swap of `sub_wait` reads a subscriber's `BELL` sees its flag and
//! token. A subscriber takes its bell back with the same swap of `armed`:
//! exactly one of it and a publisher gets the 1, so a subscriber that gets
//! 0 knows a ring is coming. A `BELL` left in `sub_wait` with no flag
//! beside it (the armer found a message and withdrew) costs the next wake
//! one pass over the slots, bounded by `max_subscribers`; publishers
//! whose subscribers do not poll never see `BELL` and pay nothing.
//! Trust: a hostile subscriber can set `BELL` and flags at will, which
//! costs the publisher that pass and a one-byte datagram per commit to
//! whatever address the token names (the bell's address space is random
//! and a ring only causes a spurious, harmless wake-up), as setting
//! `SLEEPER` already costs it a futex wake; it cannot stop another
//! subscriber's ring, other than by clearing its flag, which it could
//! already do to that slot's cursor.

use super::header::{Header, Shape, Slot};
use crate::object::doorbell;
use std::sync::atomic::{AtomicU64, Ordering::AcqRel, Ordering::Relaxed};

/// The length word of a padding record.
pub(super) const PAD: u64 = u64::MAX;
/// Bytes of a record's header: the commit word and the length word.
pub(super) const HDR: u64 = 16;

/// Bytes a record with `len` payload bytes takes; `len <= capacity - 32`.
pub(super) fn record(len: u64) -> u64 {
    HDR + ((len + 15) & !15)
}

/// The commit word of an empty place announcing message `seq`.
pub(super) fn empty(seq: u64) -> u64 {
    seq.wrapping_mul(2)
}

/// The commit word of a committed record numbered `seq`.
pub(super) fn committed(seq: u64) -> u64 {
    seq.wrapping_mul(2) | 1
}

/// Whether `head`, read by a subscriber at `cursor`, says a record waits
/// there: 1..=cap bytes ahead. No panic: the short paths use it.
#[inline(always)]
pub(super) fn published(cursor: u64, head: u64, cap: u64) -> bool {
    let ahead = head.wrapping_sub(cursor);
    ahead != 0 && ahead <= cap
}

/// A handle's view of the shared region: pointers checked once at attach.
pub(super) struct Area {
    hdr: *const Header,
    slots: *const Slot,
    data: *mut u8,
    pub shape: Shape,
}

// SAFETY: the region is shared memory made for concurrent use (the header
// and slots are atomics, records are checked after reading); the handle's
// private state moves with it.
unsafe impl Send for Area {}

impl Area {
    /// # Safety
    /// `base` holds a header `attach` accepted as `shape`, mapped writable
    /// for as long as the area is used.
    pub unsafe fn new(base: *mut u8, shape: Shape) -> Area {
        // SAFETY: the slots follow the header at 512 and the area follows
        // the slots; attach checked the region holds them.
        let (slots, data) = unsafe { (base.add(512).cast::<Slot>(), base.add(shape.data_offset())) };
        Area { hdr: base.cast::<Header>(), slots, data, shape }
    }

    /// The shared header, borrowed apart from the handle's private state.
    pub fn hdr<'a>(&self) -> &'a Header {
        // SAFETY: the region outlives the handle (constructor contract); the
        // reference is used only within a method call.
        unsafe { &*self.hdr }
    }

    /// Subscriber slot `i < max_subscribers`.
    pub fn slot<'a>(&self, i: u32) -> &'a Slot {
        assert!(i < self.shape.max_subscribers);
        // SAFETY: i is below the slot count the region was checked to hold.
        unsafe { self.slot_at(i) }
    }

    /// `slot` without the check, for the short paths, which cannot panic.
    ///
    /// # Safety
    /// `i < max_subscribers`.
    #[inline(always)]
    pub unsafe fn slot_at<'a>(&self, i: u32) -> &'a Slot {
        // SAFETY: the region holds max_subscribers slots (attach checked),
        // and the caller vouches for i.
        unsafe { &*self.slots.add(i as usize) }
    }

    pub fn cap(&self) -> u64 {
        self.shape.capacity
    }

    pub fn max_message(&self) -> u64 {
        self.shape.capacity - 2 * HDR
    }

    pub fn block(&self) -> bool {
        self.shape.flags & super::header::FLAG_BLOCK != 0
    }

    /// The waker's `ring` for `sub_wait` (ring.rs, Doorbells): takes and
    /// rings every armed subscriber bell. One pass over the slots, so a
    /// scribbled flag or token costs the publisher at most that pass and a
    /// one-byte datagram to some address.
    pub fn ring_armed(&self) {
        for i in 0..self.shape.max_subscribers {
            let s = self.slot(i);
            if s.armed.load(Relaxed) != 0 && s.armed.swap(0, AcqRel) != 0 {
                doorbell::ring(s.bell.load(Relaxed));
            }
        }
    }

    /// The commit word of the record at `off`.
    pub fn commit_word<'a>(&self, off: u64) -> &'a AtomicU64 {
        self.word(off)
    }

    /// The length word of the record at `off`.
    pub fn len_word<'a>(&self, off: u64) -> &'a AtomicU64 {
        self.word(off + 8)
    }

    fn word<'a>(&self, off: u64) -> &'a AtomicU64 {
        assert!(off % 8 == 0 && off < self.cap());
        // SAFETY: checked just above.
        unsafe { self.word_at(off) }
    }

    /// The word at `off` without the check, for the short paths, which
    /// cannot panic.
    ///
    /// # Safety
    /// `off` is a multiple of 8 below the capacity.
    #[inline(always)]
    pub unsafe fn word_at<'a>(&self, off: u64) -> &'a AtomicU64 {
        // SAFETY: off is a multiple of 8 below the capacity (the caller's
        // contract): 8 aligned bytes in the area (which starts 64-byte
        // aligned); any bits are a valid AtomicU64, and the region outlives
        // the call.
        unsafe { &*self.data.add(off as usize).cast::<AtomicU64>() }
    }

    /// Asks for the line holding the byte at `off` of the area, which
    /// may lie past its end: a hint, never a fault.
    #[inline(always)]
    pub fn prefetch(&self, off: u64) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch reads nothing the program sees and cannot
        // fault, whatever the address.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.data.wrapping_add(off as usize).cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
    }

    /// The payload of the record at `off`.
    #[inline(always)]
    pub fn payload(&self, off: u64) -> *mut u8 {
        debug_assert!(off + HDR <= self.cap());
        self.data.wrapping_add((off + HDR) as usize)
    }
}
