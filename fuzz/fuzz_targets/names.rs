//! Arbitrary names, flags and modes through the C ABI's name-taking calls:
//! a result or a documented errno, never a panic or a crash. Object names
//! are always "/rshm-fuzz-PID-" + the fuzzed bytes, so the fuzzer can only
//! reach this process's own objects; whatever a call creates is removed at
//! once.
//!
//! Memory: no fuzzed size reaches the kernel. shm_open makes empty objects;
//! a segment that is meant to be made has one page of data (two pages of
//! /dev/shm, removed at once), and the other sizes a target tries are the
//! ones rshm must refuse before any system call (0, and ends past i64::MAX).
//!
//! Input: 1 byte choosing the call, 4 bytes of oflag/flags, 4 bytes of
//! mode/size class, then the name's bytes.
#![no_main]

use libc::{c_char, c_int, c_uint, c_void};
use libfuzzer_sys::fuzz_target;
use rshm_fuzz::expect_errno;

extern "C" {
    fn rshm_shm_open(name: *const c_char, oflag: c_int, mode: u32) -> c_int;
    fn rshm_shm_unlink(name: *const c_char) -> c_int;
    fn rshm_memfd_create(name: *const c_char, flags: c_uint) -> c_int;
    fn rshm_segment_create(name: *const c_char, size: usize, mode: u32) -> *mut c_void;
    fn rshm_segment_open(name: *const c_char, oflag: c_int, timeout_ms: u32) -> *mut c_void;
    fn rshm_segment_close(seg: *mut c_void) -> c_int;
    fn rshm_segment_unlink(name: *const c_char) -> c_int;
}

use libc::{EEXIST, EINVAL, ENAMETOOLONG, ENOENT, EOVERFLOW};

/// The data size for rshm_segment_create, from a fuzzed class: never one
/// that would reserve more than a page of /dev/shm.
fn segment_size(class: u32) -> (usize, Option<i32>) {
    let page = rshm::page::size();
    match class % 4 {
        0 => (0, Some(EINVAL)),
        1 => (page, None),
        // Header page + size overflows usize.
        2 => (usize::MAX - (class as usize >> 2) % page, Some(EOVERFLOW)),
        // Header page + size passes i64::MAX (an object's largest size).
        _ => (i64::MAX as usize - page + 1 + (class as usize >> 2) % page, Some(EOVERFLOW)),
    }
}

fuzz_target!(|data: &[u8]| {
    rshm_fuzz::clean_at_exit();
    if data.len() < 9 {
        return;
    }
    let flags = c_int::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let mode = u32::from_le_bytes([data[5], data[6], data[7], data[8]]);
    let tail = &data[9..];
    let name = rshm_fuzz::name(tail);
    let n = name.as_ptr();
    // Whether rshm accepts the name: the errno any call on a bad one must give.
    let name_errno = rshm::name::normalize(&name).err().map(|e| e.0);
    // SAFETY (every call below): n and raw are NUL-terminated strings alive
    // for the call; what a call returns is released here and nowhere else.
    unsafe {
        match data[0] % 6 {
            0 => {
                let fd = rshm_shm_open(n, flags, mode);
                if fd >= 0 {
                    libc::close(fd);
                    assert_eq!(rshm_shm_unlink(n), 0, "made by this call");
                } else {
                    // The flags go to open(2) as given: its answers to odd
                    // combinations (O_TMPFILE, O_DIRECTORY, O_PATH...) too.
                    expect_errno(
                        "shm_open",
                        &[EINVAL, ENAMETOOLONG, ENOENT, EEXIST, libc::ENOTDIR, libc::EISDIR, libc::EOPNOTSUPP],
                    );
                }
            }
            1 => {
                assert_eq!(rshm_shm_unlink(n), -1, "nothing of ours exists");
                expect_errno("shm_unlink", &[ENOENT, ENAMETOOLONG, EINVAL]);
            }
            2 => {
                // The memfd name is the raw bytes: it reaches no file system.
                let raw =
                    std::ffi::CString::new(&tail[..tail.iter().position(|&b| b == 0).unwrap_or(tail.len())]).unwrap();
                let fd = rshm_memfd_create(raw.as_ptr(), flags as c_uint);
                if fd >= 0 {
                    libc::close(fd);
                } else {
                    expect_errno("memfd_create", &[EINVAL, libc::EPERM, libc::ENODEV]);
                }
            }
            3 => {
                let (size, refused) = segment_size(mode);
                let seg = rshm_segment_create(n, size, 0o600);
                if seg.is_null() {
                    let want = name_errno.or(refused);
                    assert!(
                        want.is_some(),
                        "segment_create of a good name and one page failed: {}",
                        rshm_fuzz::errno()
                    );
                    expect_errno("segment_create", &[want.unwrap()]);
                } else {
                    assert!(name_errno.is_none() && refused.is_none(), "size {size} accepted");
                    assert_eq!(rshm_segment_close(seg), 0);
                    assert_eq!(rshm_segment_unlink(n), 0);
                }
            }
            4 => {
                let seg = rshm_segment_open(n, flags, 0);
                assert!(seg.is_null(), "nothing of ours exists");
                expect_errno("segment_open", &[EINVAL, ENAMETOOLONG, ENOENT]);
            }
            _ => {
                assert_eq!(rshm_segment_unlink(n), -1, "nothing of ours exists");
                expect_errno("segment_unlink", &[ENOENT, ENAMETOOLONG, EINVAL]);
            }
        }
    }
});
