//! The value's shared block, at the start of its segment's data: what it
//! is, who writes it, the published version, the wait words, then the
//! slots. Every field is an atomic: other processes write them, a hostile
//! one anything, so nothing is trusted beyond the load that reads it, and
//! every size and index a handle uses comes from its own checked copy.
//!
//! | offset | field                                                       |
//! |--------|-------------------------------------------------------------|
//! | 0      | magic "rshmvalu", layout [`LAYOUT`], flags, capacity, slots, |
//! |        | the sleep handshake's protocol                              |
//! | 64     | the writer's role word (`object::peer`)                     |
//! | 128    | published version (u64), its low 32 bits as a futex word   |
//! | 192    | the sleepers' announcement word (`object::handshake`)       |
//! | 256    | the steady slot's head                                      |
//! | 320    | the [`FAST`] slots' heads (stamp, length), four a line      |
//! | 448    | [`SLOTS`] slots' bytes, `capacity` rounded up to 64 each    |
//!
//! A reader's fast path touches the version's line, its slot's head's,
//! then the value's bytes: one line more than a bare seqlock, the price
//! of eight fast slots. With two (layout 1, their heads beside the
//! version: two lines a read) a reader copying while a writer wrote flat
//! out on another CPU lost the race to the next write but one nearly every
//! time and fell back to the steady slot, stale by up to 64 versions:
//! benches/value.c measured 160-230 ns a read, 6-14% of reads seeing a
//! new version, against 47-48 ns and 80-85% with eight, when a line's
//! one-way transfer took 55-60 ns.

use crate::errno::{Errno, Result};
use crate::object::copy;
use crate::object::handshake::{Handshake, Protocol, Waiters};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// "rshmvalu", little-endian.
pub(super) const MAGIC: u64 = u64::from_le_bytes(*b"rshmvalu");
/// The shared block's layout; another is EPROTO. `rshm ls` shows it as
/// "rshm-value v2". 2: the block names the sleep handshake's protocol (1
/// was always `SeqCst`), and has eight fast slots with their heads on
/// lines of their own (1: two, beside the version).
pub const LAYOUT: u32 = 2;
/// The fast slots the writer takes in turn (a power of two), and one more,
/// the steady slot, rewritten only every [`STEADY_EVERY`] writes
/// (seqlock.rs says why). A reader's copy loses only to `FAST - 1` whole
/// writes (see the top for why eight).
pub(super) const FAST: u64 = 8;
pub(super) const SLOTS: usize = FAST as usize + 1;
pub(super) const STEADY_EVERY: u64 = 64;
/// The highest version: stamps are `2 * version + 1` at most.
pub(super) const MAX_VERSION: u64 = u64::MAX / 2 - 1;
/// Flag: the writer wakes the tick word after writes, for waiters that
/// cannot announce themselves (wait.rs). For tools: waiters do not rely on it.
pub(super) const WAKE_ALWAYS: u32 = 1;

const HEAD_LEN: usize = 448;

/// Each group of fields has a cache line to itself: readers poll
/// `published`, waiters write `sleepers`, and neither slows the other.
#[repr(C)]
pub(super) struct Shared {
    pub magic: AtomicU64,
    pub layout: AtomicU32,
    pub flags: AtomicU32,
    pub capacity: AtomicU64,
    pub slots: AtomicU32,
    /// The sleep handshake's `Protocol::to_word`, fixed at `init`.
    pub handshake: AtomicU32,
    _pad0: [u8; 32],
    pub writer: AtomicU32,
    _pad1: [u8; 60],
    /// The version readers look at first; only the writer stores it.
    pub published: AtomicU64,
    /// `published as u32`, stored after it: what waiters that cannot
    /// announce sleep on (a futex word is 32 bits).
    pub tick: AtomicU32,
    _pad2: [u8; 52],
    pub sleepers: AtomicU32,
    _pad4: [u8; 60],
    pub steady: SlotHead,
    _pad5: [u8; 48],
    pub heads: [SlotHead; FAST as usize],
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<Shared>() == HEAD_LEN && FAST.is_power_of_two());
    assert!(offset_of!(Shared, writer) == 64 && offset_of!(Shared, published) == 128);
    assert!(offset_of!(Shared, sleepers) == 192 && offset_of!(Shared, steady) == 256);
    assert!(offset_of!(Shared, heads) == 320 && HEAD_LEN % 64 == 0);
};

/// A slot's head: `stamp` is `2 * version` while the slot holds that
/// version whole, `2 * version + 1` while the writer fills it.
#[repr(C)]
pub(super) struct SlotHead {
    pub stamp: AtomicU64,
    pub len: AtomicU64,
}

/// One slot: its head and where its bytes start.
#[derive(Clone, Copy)]
pub(super) struct Slot<'a> {
    pub head: &'a SlotHead,
    pub data: *mut u8,
}

/// `capacity` rounded up to whole cache lines: one slot's bytes.
fn stride(capacity: u64) -> Option<u64> {
    Some(capacity.checked_add(63)? & !63)
}

/// Bytes of the shared block for values of up to `capacity` bytes.
pub fn region_len(capacity: u64) -> Option<u64> {
    stride(capacity)?.checked_mul(SLOTS as u64)?.checked_add(HEAD_LEN as u64)
}

/// A checked view of a region: the shared block, the capacity that
/// bounds every access, and the handshake its waiters and writer share.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub shared: &'a Shared,
    pub base: *mut u8,
    pub capacity: usize,
    /// One slot's bytes: `capacity` rounded up to whole cache lines.
    pub stride: usize,
    /// The longest value the leaf paths copy: `capacity`, at most
    /// `copy::SHORT`.
    pub short: usize,
    pub hs: Handshake,
}

impl<'a> View<'a> {
    /// Slot `i` (`i < SLOTS`, else the last: the steady slot).
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub fn slot(&self, i: usize) -> Slot<'a> {
        use std::mem::{offset_of, size_of};
        // Both from `base`, the block's start (the leaf paths then keep one
        // pointer for both in a register).
        let head = match i < FAST as usize {
            true => offset_of!(Shared, heads).wrapping_add(i.wrapping_mul(size_of::<SlotHead>())),
            false => offset_of!(Shared, steady),
        };
        // SAFETY: a SlotHead of the Shared at base, which the view holds
        // (init and attach check the region's length); atomics accept any
        // bytes.
        let head = unsafe { &*self.base.wrapping_add(head).cast::<SlotHead>() };
        // region_len(capacity) <= the region's length (init and attach
        // check it), so every slot's bytes lie inside: nothing wraps.
        let at = self.stride.wrapping_mul(i.min(SLOTS - 1)).wrapping_add(HEAD_LEN);
        Slot { head, data: self.base.wrapping_add(at) }
    }
}

fn check_region(base: *mut u8, len: usize) -> Result<()> {
    if base.is_null() || base as usize % 64 != 0 || len < HEAD_LEN {
        return Err(Errno(libc::EINVAL));
    }
    Ok(())
}

/// Formats `base..base + len` as an empty value (length 0, version 0) for
/// values of up to `capacity` bytes whose waiters sleep with `protocol`.
/// EINVAL when the region is too small or misaligned, or `capacity` is 0.
///
/// # Safety
/// The region is writable and nobody else uses it meanwhile.
pub(super) unsafe fn init<'a>(base: *mut u8, len: usize, capacity: usize, protocol: Protocol) -> Result<View<'a>> {
    check_region(base, len)?;
    let need = region_len(capacity as u64).ok_or(Errno(libc::EINVAL))?;
    if capacity == 0 || need > len as u64 {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: the caller owns the region, which holds the block (checked);
    // zero bytes are a valid Shared (atomics and padding only), and a
    // zero stamp and length are version 0, empty, in every slot.
    let shared = unsafe {
        std::ptr::write_bytes(base, 0, HEAD_LEN);
        &*base.cast::<Shared>()
    };
    let view = View {
        shared,
        base,
        capacity,
        stride: capacity.next_multiple_of(64),
        short: capacity.min(copy::SHORT),
        hs: Handshake::new(protocol, Waiters::Many),
    };
    shared.layout.store(LAYOUT, Ordering::Relaxed);
    shared.handshake.store(protocol.to_word(), Ordering::Relaxed);
    shared.capacity.store(capacity as u64, Ordering::Relaxed);
    shared.slots.store(SLOTS as u32, Ordering::Relaxed);
    shared.magic.store(MAGIC, Ordering::Release);
    Ok(view)
}

/// Checks a region formatted by `init`, perhaps by another process.
/// EPROTO for a wrong magic, layout, slot count, handshake or a capacity
/// the region cannot hold; EINVAL for a region too small or misaligned.
/// Whether this process can run the handshake is not checked: a handle's
/// opener does that (`Protocol::join`).
///
/// # Safety
/// The region stays mapped (readable at least) while the view is used.
pub(super) unsafe fn attach<'a>(base: *mut u8, len: usize) -> Result<View<'a>> {
    check_region(base, len)?;
    // SAFETY: the region is mapped and holds a Shared; atomics accept any bytes.
    let shared = unsafe { &*base.cast::<Shared>() };
    let capacity = shared.capacity.load(Ordering::Relaxed);
    let protocol = Protocol::from_word(shared.handshake.load(Ordering::Relaxed));
    if shared.magic.load(Ordering::Acquire) != MAGIC
        || shared.layout.load(Ordering::Relaxed) != LAYOUT
        || shared.slots.load(Ordering::Relaxed) != SLOTS as u32
        || capacity == 0
        || region_len(capacity).map_or(true, |n| n > len as u64)
    {
        return Err(Errno(libc::EPROTO));
    }
    let protocol = protocol.ok_or(Errno(libc::EPROTO))?;
    // region_len bounded it (rounded up) by len, a usize.
    let (capacity, stride) = (capacity as usize, capacity.next_multiple_of(64) as usize);
    let short = capacity.min(copy::SHORT);
    Ok(View { shared, base, capacity, stride, short, hs: Handshake::new(protocol, Waiters::Many) })
}
