//! The value's protocol: one writer, any number of readers, never torn,
//! never blocking, readers never writing.
//!
//! # Slots and versions
//! Version `v` is written into fast slot `v % FAST`, then published:
//! `published = v`. A reader loads `published`, copies slot `published %
//! FAST`, and keeps the copy if the slot's stamp read `2 * published`
//! before and after it. The writer next touches that slot for version
//! `published + FAST`, after `FAST - 1` further writes: a reader loses the
//! race only if its copy lasts as long as `FAST - 1` whole writes. The
//! writer never looks at readers, and readers map the object read-only.
//!
//! # A reader that keeps losing still finishes
//! Against a writer flat out, a reader whose copies are slow (a cold cache,
//! a preemption, a sanitizer) may lose every fast attempt. After
//! `FAST_TRIES` it copies the steady slot instead, which the writer
//! rewrites (after publishing) only for versions that are multiples of
//! `STEADY_EVERY`: to lose there, its copy has to last `STEADY_EVERY`
//! writes. The steady slot's value is some published version, never the
//! newest only when writes race the reader; it is taken only if it is not
//! older than what this handle last returned, so a handle's versions never
//! go back (a flat-out writer makes it new enough within `STEADY_EVERY`
//! writes). A reader that still loses for `GIVE_UP` of its time returns
//! EBADMSG: that takes a writer scribbling over the slots (or one writing
//! a whole value in less than a 64th of the reader's copy, every time).
//! So does one whose fast attempts fail `STUCK` times in a row on the same
//! `published` and stamp: an honest writer makes an attempt fail only by
//! storing a new stamp (a write into that slot) after a new `published`,
//! and the reader sees both within a few attempts; only a peer that wrote
//! garbage and then stopped leaves them still.
//!
//! # Ordering (per slot, a seqlock)
//! Writer of version v: `stamp = 2v+1` (Relaxed); `fence(Release)`; the
//! bytes and `len` (plain / Relaxed); `stamp = 2v` (Release); then for a
//! fast slot `published = v` (Release) and `tick = v` (Release).
//!
//! Reader: `s1 = stamp` (Acquire); `len` and the bytes (Relaxed / plain);
//! `fence(Acquire)`; `s2 = stamp` (Relaxed); keep the copy iff
//! `s1 == s2`, even (and `== 2 * published` for a fast slot).
//!
//! - A kept copy is whole: if any byte or `len` loaded came from a later
//!   write w', it follows w's `fence(Release)` in the writer's order, which
//!   follows w's odd stamp store; reading it before the reader's
//!   `fence(Acquire)` makes that odd store happen before the `s2` load, so
//!   `s2 >= 2v'+1 != s1`. Stamps only grow (one writer), so `s2` cannot
//!   return to `s1` (the ABA case needs 2^63 writes).
//! - A kept copy is the version claimed: `s1 == 2v` was stored (Release)
//!   after v's bytes, and the Acquire load of it makes them visible.
//! - `published = v` is stored (Release) after slot v's even stamp, so a
//!   reader that loads it (Acquire) finds the stamp at `2v` or, if the
//!   writer went on `FAST` versions, a later one: a retry.
//! - A writer killed anywhere leaves `published` on a slot it had
//!   finished: the slot it was filling is another one (an odd stamp or a
//!   version never published); a new writer continues from `published`
//!   and overwrites it.
//!
//! The bytes are copied with plain loads racing the writer's stores, as
//! every seqlock does; they live in memory another process maps, reached
//! through raw pointers, and a torn copy is discarded, never interpreted.
//!
//! `store_short` and `load_short` are `store` and `load`'s first attempt
//! for values of up to `copy::SHORT` bytes, with the same stores and loads
//! in the same order: leaf code for the C exports' short paths (the steady
//! slot's copy, a wake-up and every retry are out of line). The writer's
//! look at the sleepers word after publishing is the handshake's waker
//! half (`object::handshake`, its protocol recorded in the block).
//!
//! # Hostile peer
//! A peer that can write the object can make `published`, a stamp or a
//! length anything. A reader indexes slots by `published % FAST` and
//! bounds every length by its own checked capacity: garbage yields a
//! value within bounds, EBADMSG (a length beyond the capacity, or no
//! consistent copy within `GIVE_UP`), never a read outside the object.

use super::layout::{Slot, View, FAST, SLOTS, STEADY_EVERY};
use crate::errno::{Errno, Result};
use crate::object::copy;
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

/// Fast attempts before a round tries the steady slot.
const FAST_TRIES: u32 = 8;
/// How long a reader keeps trying once rounds begin to fail.
const GIVE_UP: Duration = Duration::from_millis(100);
/// Failed fast attempts in a row that saw the same version and stamp:
/// an honest writer that makes an attempt fail has moved one of them, and
/// a reader sees that within far fewer attempts (seqlock.rs, top).
const STUCK: u32 = 4096;

/// Writes a value of `len` bytes (within the capacity, checked by the
/// caller) as version `v`, `fill` storing its bytes at the pointer it is
/// given, and publishes it. With a `fill` that makes no call, no call.
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub(super) fn store(view: &View, v: u64, len: usize, fill: impl Fn(*mut u8)) {
    put(view.slot(fast(v)), v, len, &fill);
    publish(view, v);
    if v & (STEADY_EVERY - 1) == 0 {
        put(view.slot(SLOTS - 1), v, len, &fill);
    }
}

/// Makes version `v`, whole in its fast slot, the one readers take.
#[inline(always)]
fn publish(view: &View, v: u64) {
    view.shared.published.store(v, Ordering::Release);
    view.shared.tick.store(v as u32, Ordering::Release);
}

/// The fast slot of version `v`.
#[inline(always)]
fn fast(v: u64) -> usize {
    (v & (FAST - 1)) as usize
}

#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
fn put(slot: Slot, v: u64, len: usize, fill: &impl Fn(*mut u8)) {
    // v <= MAX_VERSION (the caller checks): no stamp wraps.
    let even = v.wrapping_mul(2);
    slot.head.stamp.store(even | 1, Ordering::Relaxed);
    fence(Ordering::Release);
    // The slot holds `capacity` >= len bytes; only the writer stores there.
    fill(slot.data);
    slot.head.len.store(len as u64, Ordering::Relaxed);
    slot.head.stamp.store(even, Ordering::Release);
}

/// `store` of `len <= copy::SHORT` bytes at `src` into the fast slot, and
/// its publication, without a call: the bytes copied by `copy::short`.
/// True when the steady slot is due too (`store_steady`), which the caller
/// does out of line: its copy would make this path need saved registers.
///
/// # Safety
/// `src` is readable for `len` bytes; `len` is within the capacity.
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub(super) unsafe fn store_short(view: &View, v: u64, src: *const u8, len: usize) -> bool {
    debug_assert!(len <= copy::SHORT && len <= view.capacity);
    // SAFETY: dst is a slot's bytes, capacity >= len of them; src the
    // caller's len bytes.
    put(view.slot(fast(v)), v, len, &|dst| unsafe { copy::short(dst, src, len) });
    publish(view, v);
    v & (STEADY_EVERY - 1) == 0
}

/// The steady slot's copy of version `v` after `store_short` said so.
///
/// # Safety
/// As for `store_short`.
pub(super) unsafe fn store_steady(view: &View, v: u64, src: *const u8, len: usize) {
    // SAFETY: as in store_short.
    put(view.slot(SLOTS - 1), v, len, &|dst| unsafe { std::ptr::copy_nonoverlapping(src, dst, len) });
}

/// `load`'s first attempt for a value of up to `copy::SHORT` bytes into
/// `buf` (`cap` bytes): its length and version, or None when the value is
/// longer, or the attempt raced a write or found the block corrupt (the
/// caller then runs `load`, which says which). Leaf code, nothing that
/// can panic: a reader's whole path, before the C boundary's.
///
/// # Safety
/// `buf` is writable for `cap` bytes.
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub(super) unsafe fn load_short(view: &View, buf: *mut u8, cap: usize) -> Option<(usize, u64)> {
    let v = view.shared.published.load(Ordering::Acquire);
    let slot = view.slot(fast(v));
    let s1 = slot.head.stamp.load(Ordering::Acquire);
    // s1 == 2v, exactly: no v of 2^63 or more, whose double wraps.
    if s1 != v.wrapping_mul(2) || (v as i64) < 0 {
        return None;
    }
    let len = slot.head.len.load(Ordering::Relaxed);
    // short <= capacity and copy::SHORT.
    if len > cap.min(view.short) as u64 {
        return None;
    }
    // SAFETY: len <= capacity, the slot's room, and <= cap, buf's; the
    // writer may be storing into the slot meanwhile (see the top).
    unsafe { copy::short(buf, slot.data, len as usize) };
    fence(Ordering::Acquire);
    if slot.head.stamp.load(Ordering::Relaxed) != s1 {
        return None;
    }
    Some((len as usize, v))
}

/// Why an attempt failed.
enum Miss {
    /// A write overlapped the copy, which saw this stamp first: try again.
    Raced(u64),
    Fail(Errno),
}

/// Copies the latest value into `buf`; returns its length and version.
/// `last` is the version this handle last returned (0 at first).
/// EMSGSIZE when the value is longer than `buf` (nothing of it is kept);
/// EBADMSG for a corrupt slot.
#[inline]
pub(super) fn load(view: &View, buf: &mut [u8], last: u64) -> Result<(usize, u64)> {
    // One attempt inline: it succeeds unless a write overlapped it.
    let v = view.shared.published.load(Ordering::Acquire);
    match copy(view, view.slot(fast(v)), Some(v), buf) {
        Ok(r) => Ok(r),
        Err(Miss::Fail(e)) => Err(e),
        Err(Miss::Raced(_)) => load_raced(view, buf, last),
    }
}

/// `load` after an attempt lost the race: the retries, the steady slot,
/// and giving up.
#[cold]
#[inline(never)]
fn load_raced(view: &View, buf: &mut [u8], last: u64) -> Result<(usize, u64)> {
    let mut since: Option<Instant> = None;
    let (mut seen, mut stuck) = ((u64::MAX, u64::MAX), 0);
    loop {
        for _ in 0..FAST_TRIES {
            let v = view.shared.published.load(Ordering::Acquire);
            match copy(view, view.slot(fast(v)), Some(v), buf) {
                Ok(r) => return Ok(r),
                Err(Miss::Raced(s)) if (v, s) == seen => {
                    stuck += 1;
                    if stuck == STUCK {
                        return Err(Errno(libc::EBADMSG));
                    }
                }
                Err(Miss::Raced(s)) => (seen, stuck) = ((v, s), 0),
                Err(Miss::Fail(e)) => return Err(e),
            }
            std::hint::spin_loop();
        }
        match copy(view, view.slot(SLOTS - 1), None, buf) {
            Ok((len, v)) if v >= last => return Ok((len, v)),
            Ok(_) | Err(Miss::Raced(_)) => {}
            Err(Miss::Fail(e)) => return Err(e),
        }
        // Rare: rounds only fail against a writer flat out, so the clock
        // is read only here.
        let now = Instant::now();
        if now.duration_since(*since.get_or_insert(now)) >= GIVE_UP {
            return Err(Errno(libc::EBADMSG));
        }
    }
}

/// One attempt at `slot`: its bytes into `buf` and the version they are,
/// which must be `expect` if given.
#[inline(always)]
fn copy(view: &View, slot: Slot, expect: Option<u64>, buf: &mut [u8]) -> std::result::Result<(usize, u64), Miss> {
    let s1 = slot.head.stamp.load(Ordering::Acquire);
    if s1 & 1 != 0 || expect.is_some_and(|v| v.checked_mul(2) != Some(s1)) {
        return Err(Miss::Raced(s1));
    }
    let len = slot.head.len.load(Ordering::Relaxed);
    let fits = len <= view.capacity as u64 && len <= buf.len() as u64;
    if fits {
        // SAFETY: len <= capacity, the slot's room, and <= buf.len(); the
        // writer may be storing into the slot meanwhile (see the top).
        unsafe { std::ptr::copy_nonoverlapping(slot.data, buf.as_mut_ptr(), len as usize) };
    }
    fence(Ordering::Acquire);
    if slot.head.stamp.load(Ordering::Relaxed) != s1 {
        return Err(Miss::Raced(s1));
    }
    match fits {
        true => Ok((len as usize, s1 / 2)),
        false if len > view.capacity as u64 => Err(Miss::Fail(Errno(libc::EBADMSG))),
        false => Err(Miss::Fail(Errno(libc::EMSGSIZE))),
    }
}
