//! Fuzzed flags, lengths and offsets through rshm_mmap, rshm_mprotect,
//! rshm_madvise and rshm_msync on a private mapping of this process's own:
//! a result or an errno, never a panic. Fixed placements are kept inside
//! that mapping, and the two madvise values that damage physical memory
//! (MADV_HWPOISON, MADV_SOFT_OFFLINE: root only) are left out, so the
//! fuzzer cannot wreck its own process or the machine.
//!
//! Memory: a mapping longer than the region only takes address space:
//! MAP_POPULATE and MAP_LOCKED are cleared on it, and MAP_HUGETLB always
//! (a huge page may be a gigabyte, taken from the pool or the overcommit).
//! Every range given to mprotect/madvise/msync lies inside the 4-page
//! region or wraps around the address space (refused before anything).
//!
//! Input: 1 byte choosing the call, 4 bytes of flags, 4 of prot/advice,
//! 8 of length, 8 of offset.
#![no_main]

use libc::{c_int, c_void};
use libfuzzer_sys::fuzz_target;

extern "C" {
    fn rshm_mmap(addr: *mut c_void, length: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
    fn rshm_munmap(addr: *mut c_void, length: usize) -> c_int;
    fn rshm_mprotect(addr: *mut c_void, len: usize, prot: c_int) -> c_int;
    fn rshm_madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    fn rshm_msync(addr: *mut c_void, len: usize, flags: c_int) -> c_int;
}

const PAGES: usize = 4;
const MADV_HWPOISON: c_int = 100;
const MADV_SOFT_OFFLINE: c_int = 101;

/// A memfd of PAGES pages, made once.
fn memfd() -> c_int {
    static FD: std::sync::OnceLock<c_int> = std::sync::OnceLock::new();
    *FD.get_or_init(|| {
        let fd = rshm::memfd::create(Some(c"rshm-fuzz-flags"), 0).unwrap();
        rshm::fd::truncate(fd, (PAGES * rshm::page::size()) as i64).unwrap();
        fd
    })
}

/// A length from 8 fuzzed bytes: mostly one that ends inside the region
/// (from `at`), sometimes one whose end wraps around the address space,
/// which the kernel refuses before touching anything. Nothing longer: a
/// call on a range running past the region would change the fuzzer's own
/// neighbouring mappings before failing on a hole.
fn length(raw: u64, region_len: usize, at: usize) -> usize {
    if raw >> 60 == 0 {
        usize::MAX - (raw & 0xffff) as usize
    } else {
        (raw % (region_len - at + 1) as u64) as usize
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 25 {
        return;
    }
    let flags = c_int::from_le_bytes(data[1..5].try_into().unwrap());
    let arg = c_int::from_le_bytes(data[5..9].try_into().unwrap());
    let raw_len = u64::from_le_bytes(data[9..17].try_into().unwrap());
    let raw_off = u64::from_le_bytes(data[17..25].try_into().unwrap());
    let region_len = PAGES * rshm::page::size();
    // SAFETY (all calls): every address given is inside `region`, our own
    // fresh mapping, or the kernel chooses it; what succeeds is unmapped.
    unsafe {
        let region = libc::mmap(
            std::ptr::null_mut(),
            region_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(region, libc::MAP_FAILED);
        let at = (raw_off as usize) % region_len;
        let addr = region.cast::<u8>().add(at).cast::<c_void>();
        let r = match data[0] % 4 {
            0 => {
                // A new mapping may be huge (it only takes address space)
                // but not populated or locked, which would take memory;
                // a MAP_FIXED one stays inside the region, or it would
                // replace someone else's memory.
                let mut flags = flags;
                let mut len = if raw_len >> 59 == 1 {
                    (raw_len & ((1 << 47) - 1)) as usize
                } else {
                    length(raw_len, region_len, at)
                };
                flags &= !libc::MAP_HUGETLB;
                if len > region_len {
                    flags &= !(libc::MAP_POPULATE | libc::MAP_LOCKED);
                }
                let hint = if flags & libc::MAP_FIXED != 0 {
                    len = len.min(region_len - at);
                    addr
                } else if data[0] & 0x80 != 0 {
                    addr
                } else {
                    std::ptr::null_mut()
                };
                let fd = if data[0] & 0x40 != 0 { memfd() } else { -1 };
                let off = raw_off as i64 >> (raw_off & 63);
                let p = rshm_mmap(hint, len, arg, flags, fd, off);
                if p == libc::MAP_FAILED {
                    -1
                } else {
                    let in_region = (p as usize) >= region as usize && (p as usize) < region as usize + region_len;
                    if !in_region {
                        assert_eq!(rshm_munmap(p, len), 0);
                    }
                    0
                }
            }
            1 => rshm_mprotect(addr, length(raw_len, region_len, at), arg),
            2 if arg == MADV_HWPOISON || arg == MADV_SOFT_OFFLINE => 0,
            2 => rshm_madvise(addr, length(raw_len, region_len, at), arg),
            _ => rshm_msync(addr, length(raw_len, region_len, at), flags),
        };
        if r == -1 {
            let e = rshm_fuzz::errno();
            assert!(e != rshm_fuzz::PANIC_ERRNO && e != 0, "errno {e}");
        }
        libc::munmap(region, region_len);
    }
});
