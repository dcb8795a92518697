//! The value's block under a hostile peer: a writer and a reader handle on
//! one region run operations the input chooses, and between them the input
//! scribbles arbitrary bytes anywhere in the region (the identity, the
//! version, the wait words, slot stamps and lengths, the bytes). Every call
//! must return a value within bounds or an errno, never panic, hang or read
//! outside the region (ASan watches the region's bounds: it is a heap
//! buffer of exactly its length).
//!
//! Input: a sequence of 1-byte ops; op 0..=6 are block calls (5: a fresh
//! reader attaches to the scribbled region, parsing its block, and reads;
//! 6: a fresh writer attaches and writes), 7 a scribble taking 3 more bytes
//! (offset: 2, value: 1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rshm::sync::Timeout;
use rshm::value::Block;

/// A small value, so that scribbles often hit the control words.
const CAPACITY: usize = 200;

fuzz_target!(|data: &[u8]| {
    let len = Block::region_len(CAPACITY).expect("a small region");
    let layout = std::alloc::Layout::from_size_align(len, 64).expect("a valid layout");
    // SAFETY: layout has a non-zero size.
    let base = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!base.is_null());
    // SAFETY: base..base + len is ours until dealloc, after every handle.
    let Ok(mut w) = (unsafe { Block::init(base, len, CAPACITY) }) else { return };
    // SAFETY: as above.
    let Ok(mut r) = (unsafe { Block::attach(base, len, false) }) else { return };
    let mut out = [0u8; CAPACITY];
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        let size = (op as usize * 37) % (CAPACITY + 8);
        match op % 8 {
            0 => {
                let msg = [op; CAPACITY + 8];
                let _ = w.write(&msg[..size]);
            }
            1 => check(r.read(&mut out)),
            2 => check(r.read(&mut out[..size % 16])),
            3 => {
                let _ = r.wait(None, r.version(), Timeout::Try);
                let _ = w.wait(w.sleepers(), op as u64, Timeout::Try);
            }
            4 => check(w.read(&mut out)),
            5 => {
                // SAFETY: as for r: the region outlives the handle.
                if let Ok(mut late) = unsafe { Block::attach(base, len, false) } {
                    check(late.read(&mut out));
                }
            }
            6 => {
                // SAFETY: as above.
                if let Ok(mut late) = unsafe { Block::attach(base, len, true) } {
                    let _ = late.write(&[op; 3]);
                }
            }
            _ => {
                if i + 3 > data.len() {
                    break;
                }
                let at = u16::from_le_bytes([data[i], data[i + 1]]) as usize % len;
                // SAFETY: at < len: inside the region. The handles read it
                // concurrently only in other processes; here the write
                // happens between calls.
                unsafe { base.add(at).write_volatile(data[i + 2]) };
                i += 3;
            }
        }
    }
    drop((w, r));
    // SAFETY: allocated above with this layout; the handles are gone.
    unsafe { std::alloc::dealloc(base, layout) };
});

/// A read returns a length within the capacity or a documented errno.
fn check(r: rshm::errno::Result<(usize, u64)>) {
    match r {
        Ok((n, _)) => assert!(n <= CAPACITY),
        Err(e) => assert!([libc::EMSGSIZE, libc::EBADMSG].contains(&e.0), "errno {e:?}"),
    }
}
