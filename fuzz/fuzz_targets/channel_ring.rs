//! The channel's ring under a hostile peer: a sender and a receiver handle
//! on one region run operations the input chooses, and between them the
//! input scribbles arbitrary bytes anywhere in the region (header, counters,
//! wait words, role words, records). Every call must return a result or an
//! errno, never panic, hang or read outside the region (ASan watches the
//! region's bounds: it is a heap buffer of exactly its length).
//!
//! Input: a sequence of 1-byte ops; op 0..=6 are ring calls (6: a third
//! handle attaches to the scribbled region, parsing its header, and
//! receives), 7 a scribble taking 3 more bytes (offset: 2, value: 1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rshm::channel::{Got, Ring, Sent};
use rshm::sync::Timeout;

/// A small region, so that scribbles often hit the control words and the
/// ring wraps within a short input.
const CAPACITY: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let len = rshm::channel::Ring::header_size() + CAPACITY;
    // Exactly `len` bytes, 64-byte aligned, so that ASan's redzone starts
    // where the region ends and any stray access past it is caught.
    let layout = std::alloc::Layout::from_size_align(len, 64).expect("a valid layout");
    // SAFETY: layout has a non-zero size.
    let base = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!base.is_null());
    // SAFETY: base..base + len is ours until dealloc, after both handles.
    let Ok(mut tx) = (unsafe { Ring::init(base, len) }) else { return };
    // SAFETY: as above.
    let Ok(mut rx) = (unsafe { Ring::attach(base, len) }) else { return };
    let mut out = [0u8; CAPACITY];
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        let size = (op as usize * 37) % (CAPACITY / 2);
        match op % 8 {
            // Short messages go the C layer's way first (send_now,
            // recv_now), then the long way, as rshm_channel_send does.
            0 => {
                let msg = &data[..size.min(data.len())];
                // SAFETY: msg is msg.len() readable bytes.
                match unsafe { tx.send_now(msg.as_ptr(), msg.len()) } {
                    Sent::Done => {}
                    Sent::Wake => tx.wake_rx(),
                    Sent::No => {
                        let _ = tx.send(msg, Timeout::Try);
                    }
                }
            }
            1 => {
                // SAFETY: out is out.len() writable bytes.
                match unsafe { rx.recv_now(out.as_mut_ptr(), out.len()) } {
                    Got::Msg(n) => assert!(n <= out.len()),
                    Got::Wake(n) => {
                        assert!(n <= out.len());
                        rx.wake_tx();
                    }
                    Got::Empty | Got::No => {
                        let _ = rx.recv(&mut out, Timeout::Try);
                    }
                }
            }
            2 => {
                if let Ok(p) = tx.reserve(size, Timeout::Try) {
                    // SAFETY: reserve handed out `size` writable bytes in the region.
                    unsafe { std::ptr::write_bytes(p, op, size) };
                    let _ = tx.commit(size / 2);
                }
            }
            3 => {
                if let Ok((p, n)) = rx.peek(Timeout::Try) {
                    // SAFETY: peek checked p..p + n lies in the region.
                    let bytes = unsafe { std::slice::from_raw_parts(p, n) };
                    std::hint::black_box(bytes.iter().map(|&b| b as u64).sum::<u64>());
                    let _ = rx.release();
                }
            }
            4 => {
                let _ = rx.recv(&mut out[..size % 16], Timeout::Try);
            }
            5 => {
                // Roles given up and taken again: the take-over paths.
                if op & 0x80 != 0 {
                    tx.close();
                } else {
                    rx.close();
                }
            }
            6 => {
                // SAFETY: as for rx: the region outlives the handle.
                if let Ok(mut late) = unsafe { Ring::attach(base, len) } {
                    let _ = late.recv(&mut out, Timeout::Try);
                }
            }
            _ => {
                if i + 3 > data.len() {
                    break;
                }
                let at = u16::from_le_bytes([data[i], data[i + 1]]) as usize % len;
                // SAFETY: at < len: inside the region. The handles read the
                // region concurrently only in other processes; here the
                // write happens between calls.
                unsafe { base.add(at).write_volatile(data[i + 2]) };
                i += 3;
            }
        }
    }
    drop(tx);
    drop(rx);
    // SAFETY: allocated above with this layout; the handles are gone.
    unsafe { std::alloc::dealloc(base, layout) };
});
