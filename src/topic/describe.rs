//! What a topic looks like from outside, for tools that list objects
//! (`rshm ls`): its layout, the publisher, and each subscriber's lag.
//! Everything comes from shared memory that any sharer may have written:
//! numbers are clamped, never used to index, and printing them is the
//! tool's to escape.

use super::header::{self, JOINING};
use super::ring::Area;
use crate::errno::Result;
use crate::object::peer::{CLOSED, NOBODY};
use crate::object::KIND_TOPIC;
use crate::segment::Segment;
use std::ffi::CStr;
use std::sync::atomic::Ordering::Acquire;
use std::time::Duration;

/// A topic as `describe` saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// The topic layout's version ("rshm-topic v1").
    pub version: u32,
    /// Bytes in the record area.
    pub capacity: u64,
    /// Subscriber places.
    pub max_subscribers: u32,
    /// Created with `RSHM_TOPIC_BLOCK`.
    pub block: bool,
    /// The pid in the publisher's role word, None when nobody holds it
    /// (whether that process still lives is not checked).
    pub publisher: Option<u32>,
    /// Bytes published in all.
    pub head: u64,
    /// Messages published in all (the number of the next one).
    pub published: u64,
    /// The subscribers' slots that are held (live or not: not checked).
    pub subscribers: Vec<SubscriberInfo>,
}

/// One held subscriber slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriberInfo {
    /// Its place, 0 to `max_subscribers - 1`.
    pub slot: u32,
    /// The pid in its role word.
    pub pid: u32,
    /// Bytes published that it has not read yet (0 while it joins).
    pub lag_bytes: u64,
    /// The number of its next message.
    pub next_message: u64,
    /// Messages published that it has not read yet (nor lost).
    pub lag_messages: u64,
    /// Messages it has lost so far.
    pub lost: u64,
}

/// Describes the topic `name` without joining it: a read-only look that
/// takes no role. Errors as `Segment::open` (EINVAL for another kind),
/// EPROTO for another layout.
pub fn describe(name: &CStr) -> Result<Description> {
    let seg = Segment::open_kind(name, libc::O_RDONLY, Duration::ZERO, KIND_TOPIC)?;
    // SAFETY: the segment maps its data while seg lives, which outlives the call.
    unsafe { describe_region(seg.data(), seg.size()) }
}

/// Describes a topic from its bytes (the whole object, header first, as
/// read from it, say with pread: a copy that may be torn or hostile, which
/// no other process can shrink under the reader, as it can a mapping).
/// EINVAL when it is not a topic; EPROTO for another layout or a shape
/// the bytes cannot hold.
pub fn describe_bytes(object: &[u8]) -> Result<Description> {
    let data = crate::object::header::data_of(object, KIND_TOPIC)?;
    // The region's atomics want it 64-byte aligned: a copy into lines.
    #[derive(Clone, Copy)]
    #[repr(C, align(64))]
    struct Line([u8; 64]);
    let mut lines = vec![Line([0; 64]); data.len().div_ceil(64)];
    for (l, c) in lines.iter_mut().zip(data.chunks(64)) {
        l.0[..c.len()].copy_from_slice(c);
    }
    // SAFETY: the lines are ours, 64-byte aligned, data.len() bytes and
    // more, and live across the call.
    unsafe { describe_region(lines.as_mut_ptr().cast(), data.len()) }
}

/// # Safety
/// `base` is 64-byte aligned and `base..base + len` stays readable and
/// writable (loads only are made) for the call.
unsafe fn describe_region(base: *mut u8, len: usize) -> Result<Description> {
    // SAFETY: forwarded.
    let (h, shape) = unsafe { header::attach(base, len) }?;
    // SAFETY: as above; the area is used for loads only, within the call.
    let area = unsafe { Area::new(base, shape) };
    let head = h.head.0.load(Acquire);
    // Aligned down: a scribbled head still names a header in the area.
    let published = area.commit_word((head % shape.capacity) & !15).load(Acquire) / 2;
    let publisher = match h.publisher.0.load(Acquire) {
        NOBODY | CLOSED => None,
        pid => Some(pid),
    };
    let subscribers = (0..shape.max_subscribers)
        .filter_map(|i| {
            let s = area.slot(i);
            let pid = s.pid.load(Acquire);
            if pid == NOBODY || pid == CLOSED {
                return None;
            }
            let cursor = s.cursor.load(Acquire);
            let lag_bytes = if cursor == JOINING { 0 } else { head.saturating_sub(cursor) };
            let next_message = s.seq.load(Acquire);
            let lag_messages = published.saturating_sub(next_message);
            Some(SubscriberInfo { slot: i, pid, lag_bytes, next_message, lag_messages, lost: s.lost.load(Acquire) })
        })
        .collect();
    Ok(Description {
        version: header::VERSION,
        capacity: shape.capacity,
        max_subscribers: shape.max_subscribers,
        block: shape.flags & header::FLAG_BLOCK != 0,
        publisher,
        head,
        published,
        subscribers,
    })
}
