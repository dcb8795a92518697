//! A real segment whose header another process scribbled over (and whose
//! object it may have truncated): opening it gives an errno, or a segment
//! whose whole data range lies inside the object (read here end to end: a
//! range past the object's end would raise SIGBUS, which libFuzzer reports
//! as a crash). Opened both through the Rust API and the C ABI.
//!
//! Memory: the segment is made once with one page of data (two pages of
//! /dev/shm); the fuzzer changes only the 64 header bytes and the object's
//! length, which stays within four pages. Nothing else is sized by input.
//!
//! Input: 1 byte of mode (bit 0: the bytes replace the header rather than
//! being XORed into the good one, so an empty input is a good segment; bit
//! 1: truncate), 4 bytes of object length (taken modulo 4 pages + 1), then
//! up to 64 bytes for the header.
#![no_main]

use libc::{c_char, c_int, c_void};
use libfuzzer_sys::fuzz_target;
use rshm::segment::Segment;
use std::ffi::CString;
use std::os::fd::RawFd;
use std::sync::OnceLock;
use std::time::Duration;

extern "C" {
    fn rshm_segment_open(name: *const c_char, oflag: c_int, timeout_ms: u32) -> *mut c_void;
    fn rshm_segment_data(seg: *const c_void) -> *mut c_void;
    fn rshm_segment_size(seg: *const c_void) -> usize;
    fn rshm_segment_close(seg: *mut c_void) -> c_int;
}

const HEADER_LEN: usize = 64;

struct Fixture {
    name: CString,
    fd: RawFd,
    page: usize,
    /// The header as the creator wrote it.
    good: [u8; HEADER_LEN],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        rshm_fuzz::clean_at_exit();
        let name = rshm_fuzz::name(b"segment");
        let page = rshm::page::size();
        Segment::create(&name, page, 0o600).expect("create the segment").close().unwrap();
        let fd = rshm::shm::open(&name, libc::O_RDWR, 0).expect("open it raw");
        let mut good = [0u8; HEADER_LEN];
        // SAFETY: good is writable for its length.
        let got = unsafe { libc::pread(fd, good.as_mut_ptr().cast(), HEADER_LEN, 0) };
        assert_eq!(got, HEADER_LEN as isize);
        Fixture { name, fd, page, good }
    })
}

/// Reads every 64th byte of the data and its last one.
fn touch(data: *const u8, size: usize) {
    let mut sum = 0u8;
    for i in (0..size).step_by(64).chain([size - 1]) {
        // SAFETY: the segment promises size readable bytes at data.
        sum = sum.wrapping_add(unsafe { data.add(i).read_volatile() });
    }
    std::hint::black_box(sum);
}

fn check_open(size: usize, object_len: usize) {
    assert!(size > 0);
    assert!(size + HEADER_LEN <= object_len, "size {size} in an object of {object_len}");
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if data.len() < 5 {
        return;
    }
    let replace = data[0] & 1 != 0;
    let len = if data[0] & 2 != 0 {
        u32::from_le_bytes([data[1], data[2], data[3], data[4]]) as usize % (4 * f.page + 1)
    } else {
        2 * f.page
    };
    let fuzzed = &data[5..data.len().min(5 + HEADER_LEN)];
    let mut header = f.good;
    for (h, b) in header.iter_mut().zip(fuzzed) {
        *h = if replace { *b } else { *h ^ *b };
    }
    rshm::fd::truncate(f.fd, len as i64).unwrap();
    // SAFETY: header is readable for its length. Past the end of a
    // truncated object this extends it again, by at most the header.
    let wrote = unsafe { libc::pwrite(f.fd, header.as_ptr().cast(), HEADER_LEN, 0) };
    assert_eq!(wrote, HEADER_LEN as isize);
    let object_len = rshm::stat::fstat(f.fd).unwrap().size as usize;
    let expected = [libc::EINVAL, libc::EPROTO, libc::EAGAIN];

    match Segment::open(&f.name, libc::O_RDONLY, Duration::ZERO) {
        Ok(seg) => {
            check_open(seg.size(), object_len);
            touch(seg.data(), seg.size());
            seg.close().unwrap();
        }
        Err(e) => assert!(expected.contains(&e.0), "open: {e}"),
    }
    // SAFETY: the name is NUL-terminated; the handle is closed here.
    unsafe {
        let seg = rshm_segment_open(f.name.as_ptr(), libc::O_RDWR, 0);
        if seg.is_null() {
            rshm_fuzz::expect_errno("rshm_segment_open", &expected);
        } else {
            let size = rshm_segment_size(seg);
            check_open(size, object_len);
            touch(rshm_segment_data(seg).cast(), size);
            assert_eq!(rshm_segment_close(seg), 0);
        }
    }
});
