//! The topic under hostile sharers: a publisher and up to three subscriber
//! handles on one named topic run operations the input chooses, and between
//! them the input scribbles arbitrary bytes anywhere in the object, through
//! a mapping of its own as another process would (header, counters, wait
//! and role words, cursors, records). Every call must return a result or an
//! errno, never panic, hang (all timeouts are 0) or touch memory outside
//! the object (a stray access past its end is SIGBUS or SIGSEGV, which
//! libFuzzer reports).
//!
//! Memory: one topic of 1 KiB of records and three slots per input, made and
//! removed each time (three pages of /dev/shm); nothing is sized by input.
//!
//! Input: 1 byte of flags (bit 0: RSHM_TOPIC_BLOCK), then 1-byte ops: 0
//! publish, 1 receive, 2 reserve + commit, 3 peek + release, 4 subscribe,
//! 5 close a subscriber, 6 the publisher closes and a new one takes over,
//! 7 a scribble taking 3 more bytes (offset: 2, value: 1); the op's high
//! bits choose sizes and which subscriber.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rshm::sync::Timeout;
use rshm::topic::{self, Topic};
use std::time::Duration;

const CAPACITY: usize = 1024;
const SUBSCRIBERS: u32 = 3;
const TRY: Timeout = Timeout::Try;

fuzz_target!(|data: &[u8]| {
    rshm_fuzz::clean_at_exit();
    let Some((&flags, ops)) = data.split_first() else { return };
    let name = rshm_fuzz::name(b"topic");
    let _ = topic::unlink(&name);
    let Ok(publisher) = Topic::create(&name, CAPACITY, SUBSCRIBERS, u32::from(flags & 1), 0o600) else { return };
    let mut publisher = Some(publisher);
    // The whole object, mapped again as a hostile sharer maps it.
    let fd = rshm::shm::open(&name, libc::O_RDWR, 0).expect("open the topic raw");
    let len = rshm::stat::fstat(fd).expect("fstat").size as usize;
    // SAFETY: a new shared mapping of the object, replacing nothing.
    let raw = unsafe {
        rshm::mman::map(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0)
    }
    .expect("map the topic raw")
    .cast::<u8>();
    let mut subs: Vec<Topic> = Vec::new();
    let mut buf = [0u8; CAPACITY];
    let mut i = 0;
    while i < ops.len() {
        let op = ops[i];
        i += 1;
        let size = (op as usize * 37) % CAPACITY;
        let pick = (op >> 3) as usize % subs.len().max(1);
        match op % 8 {
            0 => {
                if let Some(p) = publisher.as_mut() {
                    let _ = p.publish(&ops[..size.min(ops.len())], TRY);
                }
            }
            1 => {
                if let Some(s) = subs.get_mut(pick) {
                    let _ = s.receive(&mut buf[..size], TRY);
                    let _ = s.lost();
                }
            }
            2 => {
                if let Some(p) = publisher.as_mut() {
                    if let Ok(at) = p.reserve(size, TRY) {
                        // SAFETY: reserve handed out `size` writable bytes in the object.
                        unsafe { std::ptr::write_bytes(at, op, size) };
                        let _ = p.commit(size / 2);
                    }
                }
            }
            3 => {
                if let Some(s) = subs.get_mut(pick) {
                    if let Ok((p, n)) = s.peek(TRY) {
                        // SAFETY: peek checked p..p + n lies in the object.
                        let bytes = unsafe { std::slice::from_raw_parts(p, n) };
                        std::hint::black_box(bytes.iter().map(|&b| b as u64).sum::<u64>());
                        let _ = s.release();
                    }
                }
            }
            4 => {
                if let Ok(s) = Topic::open(&name, libc::O_RDONLY, Duration::ZERO) {
                    subs.push(s);
                }
            }
            5 => {
                if !subs.is_empty() {
                    let _ = subs.swap_remove(pick).close();
                }
            }
            6 => {
                if let Some(p) = publisher.take() {
                    let _ = p.close();
                }
                publisher = Topic::open(&name, libc::O_RDWR, Duration::ZERO).ok();
                let _ = topic::describe(&name);
            }
            _ => {
                if i + 3 > ops.len() {
                    break;
                }
                let at = u16::from_le_bytes([ops[i], ops[i + 1]]) as usize % len;
                // SAFETY: at < len: inside the mapping. Between calls here; a
                // real hostile sharer writes concurrently.
                unsafe { raw.add(at).write_volatile(ops[i + 2]) };
                i += 3;
            }
        }
    }
    drop(subs);
    drop(publisher);
    // SAFETY: the mapping made above, no longer used.
    let _ = unsafe { rshm::mman::unmap(raw.cast(), len) };
    let _ = rshm::fd::close(fd);
    let _ = topic::unlink(&name);
});
