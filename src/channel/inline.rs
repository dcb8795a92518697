//! A sender's cursor: the channel's send short path, lent to the caller so
//! that `rshm_channel_sender_send` (rshm.h, `static inline`) runs it inside
//! the caller's loop, with its state in the caller's registers.
//!
//! # Why
//! A streaming sender is bound by the stores it has in flight (`copy`).
//! Measured on this machine (`benches/experiments/oneway_calls.c`, 64-byte
//! messages, 1 MiB rings, medians of per-round ratios to the classic ring
//! inlined in its loop):
//! - the classic ring's send made an out-of-line call: 0.80-0.87x;
//! - the channel through `rshm_channel_send`: 0.68-0.76x;
//! - the channel's short path inlined but its state in the handle (memory
//!   the compiler must load and store every message): 0.70-0.77x;
//! - the same short path over a cursor in the caller's locals: 0.88-1.1x.
//!
//! A store to private memory per message alone costs 4-14%; a receive's
//! call, or seven more stores per receive, nothing measurable (the
//! receiver is not the side that waits). So the handle lends its sender
//! state to a cursor the caller keeps (`Ring::lend`), the inline send
//! works on that copy alone, and the handle takes it back (`take_back`)
//! from what the cursor published, never from the cursor itself.
//!
//! # The contract between the two copies
//! The inline send (the C text is rshm.h's trailer, in `cbindgen.toml`)
//! takes exactly `Ring::send_now`'s steps, on the cursor: a message of at
//! most 64 bytes whose record fits in `limit - head` (when it does
//! not: tail read afresh, acquire, and kept only when at most `cap` behind
//! `head` and a multiple of 8; the lap starts again at 0 when the position
//! is `cap`; `limit` set from the room up to tail, up to the area's end,
//! and at most `cap - 8`, the longest record, as `Tx::wrap` sets it), to
//! a receiver whose role word is not `RSHM_CHANNEL_ROLE_CLOSED`: note the
//! position `head - lap`, move `head` past the record, copy the
//! payload after the length word, store the length word (`len + 1`,
//! relaxed), then the shared head (release); then the waker's fence (full
//! when `fence` is 1, a compiler barrier otherwise) and a relaxed load of
//! the wait word, calling `rshm_channel_wake_receiver` when it is not 0.
//! Anything else goes to `rshm_channel_sender_slow`, which takes the
//! state back, sends through the handle and lends it again. The cursor
//! runs only while `abi` is the constant it was compiled with: a library
//! whose cursor differs sets another, and a program compiled against this
//! one then always takes the slow call, which still works.
//!
//! # Trust
//! Every pointer in a cursor is the handle's own (into its mapping). The
//! inline send reads three words of shared memory: the receiver's role and
//! wait words, which only decide whether to take the slow call or call the
//! wake-up, and tail, checked as `tx_free` checks it. Writes stay within
//! the area: `limit - lap` never exceeds `cap`. The handle trusts nothing
//! of the cursor when it takes it back: it reads the head the cursor
//! published and checks it as a new sender does.

use super::header::{Header, DATA_OFFSET};
use super::Channel;
use std::mem::offset_of;

/// `rshm_channel_sender::abi` of a cursor of this layout, lent by
/// `rshm_channel_sender_begin` and not yet ended.
pub const RSHM_CHANNEL_SENDER_ABI: u32 = 0x7273_6801;

/// The receiver's role word once it closed: `rshm_channel_sender_send`
/// leaves such a channel to the slow call (EPIPE).
pub const RSHM_CHANNEL_ROLE_CLOSED: u32 = 0xffff_ffff;

const _: () = assert!(RSHM_CHANNEL_ROLE_CLOSED == crate::object::peer::CLOSED);

// Where the inline send finds the shared words, from `base`: the channel's
// header layout (version 4), fixed for RSHM_CHANNEL_SENDER_ABI. Offsets,
// not pointers in the cursor, so that a loop holds one register for them
// all, not five (a cursor's members that a compiler cannot keep in
// registers are spilled to the stack: stores per message, which cost what
// a call does).

/// Offset of the shared head (u64) from `rshm_channel_sender::base`.
pub const RSHM_CHANNEL_HEAD_AT: u32 = 128;
/// Offset of the shared tail (u64).
pub const RSHM_CHANNEL_TAIL_AT: u32 = 192;
/// Offset of the receiver's wait word (u32).
pub const RSHM_CHANNEL_RX_WAIT_AT: u32 = 256;
/// Offset of the receiver's role word (u32).
pub const RSHM_CHANNEL_RECEIVER_AT: u32 = 448;
/// Offset of the record area.
pub const RSHM_CHANNEL_DATA_AT: u32 = 512;

const _: () = {
    assert!(RSHM_CHANNEL_HEAD_AT as usize == offset_of!(Header, head));
    assert!(RSHM_CHANNEL_TAIL_AT as usize == offset_of!(Header, tail));
    assert!(
        RSHM_CHANNEL_RX_WAIT_AT as usize == offset_of!(Header, rx_wait) + offset_of!(super::header::WaitBell, word)
    );
    assert!(RSHM_CHANNEL_RECEIVER_AT as usize == offset_of!(Header, receiver));
    assert!(RSHM_CHANNEL_DATA_AT as usize == DATA_OFFSET);
    assert!(crate::object::copy::SHORT == 64, "the inline send copies up to 64 bytes");
};

/// A sender's cursor: the state `rshm_channel_sender_send` sends with,
/// lent by `rshm_channel_sender_begin` and given back by
/// `rshm_channel_sender_end`. The caller provides the memory (a local
/// variable, so that the compiler keeps its members in registers) and
/// never writes its members; rshm.h's inline function reads them only
/// while `abi` is `RSHM_CHANNEL_SENDER_ABI`.
#[repr(C)]
pub struct Sender {
    /// `RSHM_CHANNEL_SENDER_ABI` while lent; 0 once ended.
    pub abi: u32,
    /// 1: the waker's full fence between the head's store and the wait
    /// word's load (the SeqCst handshake); 0: a compiler barrier only.
    pub fence: u32,
    /// What `rshm_channel_sender_slow` returned: 0, or -1 with errno set.
    pub status: i32,
    /// 0.
    pub unused: u32,
    /// Bytes published so far.
    pub head: u64,
    /// The head at which the sender last started at offset 0: its position
    /// is `head - lap`, which reaches `cap` (not 0) when a record ends the
    /// area, until the next lap starts.
    pub lap: u64,
    /// The head up to which records fit without reading tail again or
    /// reaching the area's end: the room is `limit - head`.
    pub limit: u64,
    /// The last sound tail read.
    pub tail_seen: u64,
    /// Bytes in the record area.
    pub cap: u64,
    /// The channel's shared header; the `RSHM_CHANNEL_*_AT` offsets are
    /// from here.
    pub base: *mut u8,
    /// The handle that lent it.
    pub ch: *mut Channel,
}
