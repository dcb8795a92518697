//! The ring's header at the start of its region: identity, capacity, the
//! two counters and the words each side sleeps and claims its role on.
//!
//! Every field is an atomic: other processes write it concurrently, and a
//! hostile one may write anything, so nothing here is trusted beyond the
//! single load that reads it.

use crate::errno::{Errno, Result};
use crate::object::handshake::Protocol;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// "rshmring", little-endian.
pub(super) const MAGIC: u64 = u64::from_le_bytes(*b"rshmring");
/// 4: records are read only under `head`, which the receiver polls, and
/// no slot is zeroed ahead (3 read the length word at the receiver's
/// position for whether a record was there); 3: the header names the sleep
/// handshake's protocol (2 was always
/// `SeqCst`); 2: length words are `len + 1`, 0 marks an empty slot, and
/// the receiver polls the slot instead of `head` (1 framed lengths as they
/// are).
pub(super) const VERSION: u32 = 4;
/// Where the record area begins, from the region's start: room for the
/// header with space to spare, and a 64-byte boundary for the payloads.
pub(crate) const DATA_OFFSET: usize = 512;
/// The smallest record area a ring accepts, in bytes.
pub(crate) const MIN_CAPACITY: u64 = 64;

/// A value alone on its cache line, so that one side's writes do not evict
/// what the other side reads.
#[repr(C, align(64))]
pub(super) struct Line<T>(pub T);

#[repr(C)]
pub(super) struct Header {
    /// Written last by `init` (Release): a ring is usable once it reads MAGIC.
    pub magic: Line<AtomicU64>,
    pub version: AtomicU32,
    /// Bytes in the record area: a multiple of 8, fixed at `init`.
    pub capacity: AtomicU64,
    /// The sleep handshake's `Protocol::to_word`, fixed at `init`.
    pub handshake: AtomicU32,
    /// Bytes the sender has published in all (only the sender writes it).
    pub head: Line<AtomicU64>,
    /// Bytes the receiver has consumed in all (only the receiver writes it).
    pub tail: Line<AtomicU64>,
    /// The word the receiver waits on for data (`object::handshake`), and
    /// beside it, in what was the line's padding, the token of its doorbell
    /// while it waits in an event loop.
    pub rx_wait: Line<WaitBell>,
    /// 1 while the sender sleeps for space, else 0.
    pub tx_wait: Line<AtomicU32>,
    /// Pid of the process holding each role, or `peer::NOBODY` / `peer::CLOSED`.
    pub sender: Line<AtomicU32>,
    pub receiver: AtomicU32,
}

/// A wait word and its doorbell's token.
#[repr(C)]
pub(super) struct WaitBell {
    pub word: AtomicU32,
    pub bell: AtomicU64,
}

const _: () = assert!(std::mem::size_of::<Header>() <= DATA_OFFSET && DATA_OFFSET % 64 == 0);

/// Checks a region's address and length before anything touches it.
fn check_region(base: *mut u8, len: usize) -> Result<u64> {
    if base.is_null() || base as usize % 64 != 0 || len < DATA_OFFSET + MIN_CAPACITY as usize {
        return Err(Errno(libc::EINVAL));
    }
    Ok(((len - DATA_OFFSET) & !7) as u64)
}

/// Formats the region as an empty ring using all of it, whose sides sleep
/// and wake by `protocol`; returns the header and the capacity.
///
/// # Safety
/// `base..base + len` is writable memory that nobody else uses meanwhile.
pub(super) unsafe fn init<'a>(base: *mut u8, len: usize, protocol: Protocol) -> Result<(&'a Header, u64)> {
    let cap = check_region(base, len)?;
    // SAFETY: the caller owns the region, which holds a Header and at least
    // MIN_CAPACITY bytes after it (checked above); zero bytes are a valid
    // Header (all atomics). The record area is left as it is: records are
    // read only under head.
    let h = unsafe {
        std::ptr::write_bytes(base, 0, DATA_OFFSET);
        &*base.cast::<Header>()
    };
    h.version.store(VERSION, Ordering::Relaxed);
    h.capacity.store(cap, Ordering::Relaxed);
    h.handshake.store(protocol.to_word(), Ordering::Relaxed);
    h.magic.0.store(MAGIC, Ordering::Release);
    Ok((h, cap))
}

/// Checks a region formatted by `init`, perhaps in another process;
/// returns the header, the capacity and the handshake's protocol. EAGAIN
/// while not yet formatted (the magic reads 0); EPROTO for a wrong magic,
/// version, capacity or protocol.
///
/// # Safety
/// `base..base + len` stays mapped and writable while the header is used.
pub(super) unsafe fn attach<'a>(base: *mut u8, len: usize) -> Result<(&'a Header, u64, Protocol)> {
    let room = check_region(base, len)?;
    // SAFETY: the region is mapped and large enough; every field is an
    // atomic, so any bytes another process left there can be read.
    let h = unsafe { &*base.cast::<Header>() };
    match h.magic.0.load(Ordering::Acquire) {
        0 => return Err(Errno(libc::EAGAIN)),
        MAGIC => {}
        _ => return Err(Errno(libc::EPROTO)),
    }
    let cap = h.capacity.load(Ordering::Relaxed);
    if h.version.load(Ordering::Relaxed) != VERSION || cap % 8 != 0 || cap < MIN_CAPACITY || cap > room {
        return Err(Errno(libc::EPROTO));
    }
    let protocol = Protocol::from_word(h.handshake.load(Ordering::Relaxed)).ok_or(Errno(libc::EPROTO))?;
    Ok((h, cap, protocol))
}
