//! The topic's shared header at the start of its region, the subscriber
//! slots after it, then the record area.
//!
//! Every field is an atomic: other processes write it concurrently, and a
//! hostile one may write anything, so nothing here is trusted beyond the
//! single load that reads it; `attach` checks the fixed fields once and the
//! handles keep their own copies.

use crate::errno::{Errno, Result};
use crate::object::handshake::Protocol;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// "rshmtopc", little-endian.
const MAGIC: u64 = u64::from_le_bytes(*b"rshmtopc");
/// The layout this build reads and writes ("rshm-topic v1").
pub(crate) const VERSION: u32 = 1;
/// Where the slots begin: room for the header with space to spare.
const SLOTS_OFFSET: usize = 512;
/// Bytes of one subscriber slot: a cache line of its own.
const SLOT_LEN: usize = 64;
/// The smallest record area, in bytes.
pub(crate) const MIN_CAPACITY: u64 = 64;
/// The most subscribers a topic may have at once.
pub(crate) const MAX_SUBSCRIBERS: u32 = 1024;
/// The publisher waits for the slowest live subscriber (`RSHM_TOPIC_BLOCK`).
pub(crate) const FLAG_BLOCK: u32 = 1;
/// A slot's cursor while its subscriber joins: the publisher waits for the
/// real one before it overwrites anything (ring.rs, Joining).
pub(crate) const JOINING: u64 = u64::MAX;

/// A value alone on its cache line, so that one side's writes do not evict
/// what the other reads.
#[repr(C, align(64))]
pub(crate) struct Line<T>(pub T);

#[repr(C)]
pub(crate) struct Header {
    /// Written last by `init` (Release): a topic is usable once it reads MAGIC.
    pub magic: Line<AtomicU64>,
    pub version: AtomicU32,
    pub flags: AtomicU32,
    /// Bytes in the record area: a multiple of 16, fixed at `init`.
    pub capacity: AtomicU64,
    pub max_subscribers: AtomicU32,
    /// The sleep handshake's `Protocol::to_word`, fixed at `init`.
    pub handshake: AtomicU32,
    /// The publisher's role word (`object::peer`).
    pub publisher: Line<AtomicU32>,
    /// Bytes published in all (only the publisher writes it).
    pub head: Line<AtomicU64>,
    /// The oldest byte counter still intact: records from here to head are
    /// whole; below it the publisher may be overwriting.
    pub low: Line<AtomicU64>,
    /// Where subscribers sleep for data (`object::handshake`, many waiters).
    pub sub_wait: Line<AtomicU32>,
    /// Where a `RSHM_TOPIC_BLOCK` publisher sleeps for room.
    pub pub_wait: Line<AtomicU32>,
}

/// One subscriber's place. Only its holder writes it (a hostile one may
/// write anything: the publisher bounds what it reads here).
#[repr(C, align(64))]
pub(crate) struct Slot {
    /// The role word (`object::peer`): the subscriber's pid, or free.
    pub pid: AtomicU32,
    /// The byte counter of the next record it reads, or `JOINING`.
    pub cursor: AtomicU64,
    /// The number of the next message it reads.
    pub seq: AtomicU64,
    /// Messages it lost (for `describe` only; the handle keeps its own count).
    pub lost: AtomicU64,
    /// Its doorbell's token (`object::doorbell`), while `armed`.
    pub bell: AtomicU64,
    /// 1 while its doorbell is armed on `sub_wait`: the publisher's wake,
    /// seeing `BELL` there, takes it (swap to 0) and rings `bell`.
    pub armed: AtomicU32,
}

const _: () = assert!(std::mem::size_of::<Header>() <= SLOTS_OFFSET && std::mem::size_of::<Slot>() == SLOT_LEN);

/// The fixed facts of a topic, checked once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub capacity: u64,
    pub max_subscribers: u32,
    pub flags: u32,
    /// How every sharer sleeps and wakes (`object::handshake`).
    pub protocol: Protocol,
}

impl Shape {
    /// Where the record area begins, from the region's start (a multiple of 64).
    pub fn data_offset(&self) -> usize {
        SLOTS_OFFSET + SLOT_LEN * self.max_subscribers as usize
    }

    /// The region length this shape needs; None when it overflows.
    pub fn region_len(&self) -> Option<usize> {
        self.data_offset().checked_add(usize::try_from(self.capacity).ok()?)
    }

    /// The shape of a new topic: the capacity rounded up to 16 and to at
    /// least `MIN_CAPACITY`, the handshake this process picks for new
    /// objects. EINVAL for a capacity or subscriber count of 0, too many
    /// subscribers or unknown flags; EOVERFLOW past what maps.
    pub fn new(capacity: usize, max_subscribers: u32, flags: u32) -> Result<Shape> {
        if capacity == 0 || max_subscribers == 0 || max_subscribers > MAX_SUBSCRIBERS || flags & !FLAG_BLOCK != 0 {
            return Err(Errno(libc::EINVAL));
        }
        let cap = capacity.max(MIN_CAPACITY as usize).checked_add(15).ok_or(Errno(libc::EOVERFLOW))? & !15;
        let shape = Shape { capacity: cap as u64, max_subscribers, flags, protocol: Protocol::for_new_object() };
        shape.region_len().filter(|&l| l <= isize::MAX as usize / 2).ok_or(Errno(libc::EOVERFLOW))?;
        Ok(shape)
    }
}

/// Formats `base..base + len` as an empty topic of `shape`, its publisher
/// role held by `publisher`; returns the header.
///
/// # Safety
/// `base` is 64-byte aligned and `base..base + shape.region_len()` is
/// writable memory that nobody else uses meanwhile.
pub(crate) unsafe fn init<'a>(base: *mut u8, shape: Shape, publisher: u32) -> &'a Header {
    let off = shape.data_offset();
    // SAFETY: the caller owns the region, which holds the header, the slots
    // and the area (region_len); zero bytes are a valid Header and Slots
    // (all atomics). The area's first record header is zeroed too: an empty
    // slot announcing message 0, where the publisher starts.
    let h = unsafe {
        std::ptr::write_bytes(base, 0, off + 16);
        &*base.cast::<Header>()
    };
    h.version.store(VERSION, Ordering::Relaxed);
    h.flags.store(shape.flags, Ordering::Relaxed);
    h.capacity.store(shape.capacity, Ordering::Relaxed);
    h.max_subscribers.store(shape.max_subscribers, Ordering::Relaxed);
    h.handshake.store(shape.protocol.to_word(), Ordering::Relaxed);
    h.publisher.0.store(publisher, Ordering::Relaxed);
    h.magic.0.store(MAGIC, Ordering::Release);
    h
}

/// Checks a region formatted by `init`, perhaps in another process, that
/// is `len` bytes long; returns the header and its shape. EPROTO for a
/// wrong magic, version, flags or handshake, or a shape that does not fit
/// `len`. The handshake is not checked against what this process can run:
/// a handle's opener does that (`Protocol::join`).
///
/// # Safety
/// `base` is 64-byte aligned and `base..base + len` stays mapped while the
/// header is used.
pub(crate) unsafe fn attach<'a>(base: *const u8, len: usize) -> Result<(&'a Header, Shape)> {
    if base.is_null() || base as usize % 64 != 0 || len < SLOTS_OFFSET {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: the region is mapped and holds a Header; every field is an
    // atomic, so any bytes another process left there can be read.
    let h = unsafe { &*base.cast::<Header>() };
    if h.magic.0.load(Ordering::Acquire) != MAGIC || h.version.load(Ordering::Relaxed) != VERSION {
        return Err(Errno(libc::EPROTO));
    }
    let protocol = Protocol::from_word(h.handshake.load(Ordering::Relaxed)).ok_or(Errno(libc::EPROTO))?;
    let shape = Shape {
        capacity: h.capacity.load(Ordering::Relaxed),
        max_subscribers: h.max_subscribers.load(Ordering::Relaxed),
        flags: h.flags.load(Ordering::Relaxed),
        protocol,
    };
    let fits = shape.region_len().is_some_and(|l| l <= len);
    if shape.capacity % 16 != 0
        || shape.capacity < MIN_CAPACITY
        || shape.max_subscribers == 0
        || shape.max_subscribers > MAX_SUBSCRIBERS
        || shape.flags & !FLAG_BLOCK != 0
        || !fits
    {
        return Err(Errno(libc::EPROTO));
    }
    Ok((h, shape))
}
