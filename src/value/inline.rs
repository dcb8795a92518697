//! A reader's cursor: the value's read short path, lent to the caller so
//! that `rshm_value_reader_read` (rshm.h, `static inline`) runs it inside
//! the caller's loop instead of behind a call.
//!
//! # Why
//! A 64-byte read through `rshm_value_read` took 1.36-1.91x a bare C
//! seqlock inlined in its loop (bench_value, 8 December 2026, every read
//! into the same buffer), though its path is leaf code: the call, the
//! handle's fields loaded each time and the registers saved around the
//! copy are what is left. The same steps inlined over a cursor in the
//! caller's locals: 0.72-1.13x (ten runs, each beside the call).
//!
//! # The contract between the two copies
//! The inline read (the C text is rshm.h's trailer, in `cbindgen.toml`)
//! takes exactly `seqlock::load_short`'s steps from `base`: `published`
//! (acquire) is `v`; the head of fast slot `v % 8` has stamp `2v`
//! (acquire) and `v` is below 2^63; its length (relaxed) is at most the
//! caller's `cap` and the cursor's `copy_max` (the capacity, at most 64);
//! the bytes are copied from the slot; an acquire fence; the stamp is
//! still `2v` (relaxed). Then it stores `v` in `seen` and `*version` and
//! returns the length. Anything else goes to `rshm_value_reader_slow`,
//! which reads through the handle (retries, the steady slot, a longer
//! value, EMSGSIZE, EBADMSG) and keeps `seen`. The cursor runs only while
//! `abi` is the constant it was compiled with: a library whose layout
//! differs sets another, and a program compiled against this one then
//! always takes the slow call, which still works; so does a handle with a
//! descriptor, whose watcher must hear of every read.
//!
//! # Trust
//! The cursor holds the handle's own pointer into its mapping and its own
//! checked stride and capacity, never anything read from shared memory.
//! The inline read indexes slots by `published % 8` and bounds the length
//! by `copy_max`, as the leaf path does: whatever a peer writes, it reads
//! inside the block. Taking a cursor back, the handle keeps its `seen`
//! only up to the published version.

use super::layout::{Shared, SlotHead, FAST};
use super::Value;
use std::mem::offset_of;

/// `rshm_value_reader::abi` of a cursor of this layout whose reads may run
/// inline, lent by `rshm_value_reader_begin` and not yet ended.
pub const RSHM_VALUE_READER_ABI: u32 = 0x7273_7601;
/// `rshm_value_reader::abi` of a lent cursor whose every read is the slow
/// call: its handle has a descriptor.
pub const RSHM_VALUE_READER_CALLS: u32 = 0x7273_7600;

// Where the inline read finds the shared words, from `base`: the value's
// layout 2, fixed for RSHM_VALUE_READER_ABI.

/// Offset of the published version (u64) from `rshm_value_reader::base`.
pub const RSHM_VALUE_PUBLISHED_AT: u32 = 128;
/// Offset of the fast slots' heads: eight of 16 bytes, a stamp (u64) and a
/// length (u64) each.
pub const RSHM_VALUE_HEADS_AT: u32 = 320;
/// Offset of the slots' bytes, `rshm_value_reader::stride` bytes each.
pub const RSHM_VALUE_DATA_AT: u32 = 448;

const _: () = {
    assert!(RSHM_VALUE_PUBLISHED_AT as usize == offset_of!(Shared, published));
    assert!(RSHM_VALUE_HEADS_AT as usize == offset_of!(Shared, heads));
    assert!(RSHM_VALUE_DATA_AT as usize == std::mem::size_of::<Shared>());
    assert!(std::mem::size_of::<SlotHead>() == 16 && offset_of!(SlotHead, len) == 8);
    assert!(FAST == 8, "the inline read takes published % 8");
    assert!(super::LAYOUT == 2, "a new layout needs a new RSHM_VALUE_READER_ABI");
    assert!(crate::object::copy::SHORT == 64, "the inline read copies up to 64 bytes");
};

/// A reader's cursor: what `rshm_value_reader_read` reads with, lent by
/// `rshm_value_reader_begin` and given back by `rshm_value_reader_end`.
/// The caller provides the memory (a local variable) and never writes its
/// members; rshm.h's inline function reads them only while `abi` is
/// `RSHM_VALUE_READER_ABI`.
#[repr(C)]
pub struct Reader {
    /// `RSHM_VALUE_READER_ABI` (or `RSHM_VALUE_READER_CALLS`) while lent;
    /// 0 once ended.
    pub abi: u32,
    /// 0.
    pub unused: u32,
    /// The version this cursor returned last: a handle's versions never go
    /// back.
    pub seen: u64,
    /// One slot's bytes.
    pub stride: u64,
    /// The longest value the inline read copies: the capacity, at most 64.
    pub copy_max: u64,
    /// The value's shared block; the `RSHM_VALUE_*_AT` offsets are from
    /// here.
    pub base: *const u8,
    /// The handle that lent it.
    pub v: *mut Value,
}
