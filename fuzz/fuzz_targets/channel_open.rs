//! A real channel whose creator lies about its size: the input scribbles
//! over the object header (its data size), the ring header (its version
//! and capacity) and the object's length, grown up to 1 GiB past what the
//! header says, with or without its pages reserved. Opening it gives an
//! errno, or a channel whose whole ring lies inside the object: a message
//! of the longest length is sent and received through it (a ring past the
//! object's end would raise SIGBUS, which libFuzzer reports as a crash),
//! and the open never faults in more than the small ring (libFuzzer's RSS
//! limit, and the private 64 MiB /dev/shm of `make fuzz`, would end a run
//! that did). Opened both through the Rust API and the C ABI.
//!
//! Memory: the channel is made once, with a 1 KiB ring in one page; a
//! reserved object stays within four pages, and a larger one is sparse
//! (its pages never reserved, which the open must refuse before touching).
//!
//! Input: 1 byte of mode (bit 0: the bytes replace the headers rather than
//! being XORed into the good ones; bit 1: resize the object; bit 2: leave
//! its pages unreserved; bit 3: grow it by up to 1 GiB), 4 bytes of length,
//! then up to 64 bytes for the object header and 16 for the ring header's
//! version and capacity words.
#![no_main]

use libc::{c_char, c_void};
use libfuzzer_sys::fuzz_target;
use rshm::channel::Channel;
use rshm::sync::Timeout;
use std::ffi::CString;
use std::os::fd::RawFd;
use std::sync::OnceLock;
use std::time::Duration;

extern "C" {
    fn rshm_channel_open(name: *const c_char, timeout_ms: u32) -> *mut c_void;
    fn rshm_channel_max_message(ch: *const c_void) -> usize;
    fn rshm_channel_send(ch: *mut c_void, msg: *const c_void, len: usize, timeout_ns: i64) -> libc::c_int;
    fn rshm_channel_close(ch: *mut c_void) -> libc::c_int;
}

const HEADER_LEN: usize = 64;
/// The ring header's words the input reaches: version (4), padding (4),
/// capacity (8), at 64 bytes into the ring (after the magic's line).
const RING_WORDS_AT: usize = 64;
const RING_WORDS: usize = 16;
/// What the ring's header and its first record hold: restored every run.
const RING_HEAD: usize = 1024;
const GIB: usize = 1 << 30;

struct Fixture {
    name: CString,
    fd: RawFd,
    page: usize,
    len: usize,
    good: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        rshm_fuzz::clean_at_exit();
        let name = rshm_fuzz::name(b"channel");
        let page = rshm::page::size();
        Channel::create(&name, 1024, 0o600).expect("create the channel").close().unwrap();
        let fd = rshm::shm::open(&name, libc::O_RDWR, 0).expect("open it raw");
        let len = rshm::stat::fstat(fd).unwrap().size as usize;
        let mut good = vec![0u8; page + RING_HEAD];
        // SAFETY: good is writable for its length.
        let got = unsafe { libc::pread(fd, good.as_mut_ptr().cast(), good.len(), 0) };
        assert_eq!(got, good.len() as isize);
        Fixture { name, fd, page, len, good }
    })
}

/// Sends and receives the longest message: every byte of the ring written
/// and read, so a ring reaching past the object is SIGBUS here.
fn exercise(tx: &mut Channel, rx: &mut Channel) {
    let max = tx.max_message();
    let msg = vec![0x5a; max];
    let mut buf = vec![0u8; max];
    if tx.send(&msg, Timeout::Try).is_ok() {
        assert_eq!(rx.recv(&mut buf, Timeout::Try), Ok(max));
        assert_eq!(buf, msg);
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if data.len() < 5 {
        return;
    }
    let mode = data[0];
    let raw = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) as usize;
    let len = match (mode & 2 != 0, mode & 8 != 0) {
        (false, _) => f.len,
        (true, false) => raw % (4 * f.page + 1),
        (true, true) => f.len + raw % GIB,
    };
    let fuzzed = &data[5..];
    let mut bytes = f.good.clone();
    let targets = (0..HEADER_LEN).chain(f.page + RING_WORDS_AT..f.page + RING_WORDS_AT + RING_WORDS);
    for (at, b) in targets.zip(fuzzed) {
        bytes[at] = if mode & 1 != 0 { *b } else { bytes[at] ^ *b };
    }
    rshm::fd::truncate(f.fd, 0).unwrap();
    rshm::fd::truncate(f.fd, len as i64).unwrap();
    if mode & 4 == 0 && len > 0 && len <= 4 * f.page {
        rshm::fd::allocate(f.fd, 0, len as i64).unwrap();
    }
    // Only what the object still holds; past its end this would grow it.
    let keep = bytes.len().min(len);
    // SAFETY: bytes is readable for keep bytes.
    let wrote = unsafe { libc::pwrite(f.fd, bytes.as_ptr().cast(), keep, 0) };
    assert_eq!(wrote, keep as isize);
    let expected = [libc::EINVAL, libc::EPROTO, libc::EAGAIN];
    // Whether every byte of the object has its page: only then may it open.
    let st = rshm::stat::fstat(f.fd).unwrap();
    let reserved = st.blocks as usize * 512 >= len && len <= 4 * f.page;

    match Channel::open(&f.name, Duration::ZERO) {
        Ok(mut tx) => {
            // The ring lies inside the reserved object: never the sparse one.
            assert!(reserved, "opened a channel of {len} bytes, {} blocks", st.blocks);
            let mut rx = Channel::open(&f.name, Duration::ZERO).expect("a second handle on an open channel");
            exercise(&mut tx, &mut rx);
        }
        Err(e) => assert!(expected.contains(&e.0), "open: {e}"),
    }
    // SAFETY: the name is NUL-terminated; the handle is closed here.
    unsafe {
        let ch = rshm_channel_open(f.name.as_ptr(), 0);
        if ch.is_null() {
            rshm_fuzz::expect_errno("rshm_channel_open", &expected);
        } else {
            assert!(reserved, "opened a channel of {len} bytes, {} blocks", st.blocks);
            // The longest message written through the ring; it stays there.
            let max = rshm_channel_max_message(ch);
            let msg = vec![0xa5u8; max];
            let _ = rshm_channel_send(ch, msg.as_ptr().cast(), max, 0);
            assert_eq!(rshm_channel_close(ch), 0);
        }
    }
});
