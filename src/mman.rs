//! mmap and munmap.

use crate::errno::{cvt, Errno, Result};
use libc::{c_int, c_void};
use std::os::fd::RawFd;

/// Maps `len` bytes of `fd` at `offset`; see mmap(2).
///
/// `addr` is a hint unless `flags` holds MAP_FIXED or MAP_FIXED_NOREPLACE:
/// the kernel places the mapping there when the range is free and nearby
/// otherwise, as the seed's Go package relies on.
///
/// # Safety
/// With MAP_FIXED the mapping replaces whatever was at `addr`; the caller
/// must own that range.
pub unsafe fn map(
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: RawFd,
    offset: i64,
) -> Result<*mut c_void> {
    // SAFETY: the caller upholds the MAP_FIXED contract; otherwise mmap
    // touches no memory of ours.
    let p = unsafe { sys::mmap(addr, len, prot, flags, fd, offset) };
    if p == libc::MAP_FAILED {
        Err(Errno::last())
    } else {
        Ok(p)
    }
}

/// Removes the mappings in `[addr, addr + len)`; see munmap(2).
///
/// # Safety
/// Nothing may use the range afterwards.
pub unsafe fn unmap(addr: *mut c_void, len: usize) -> Result<()> {
    // SAFETY: the caller gives up the range.
    cvt(unsafe { libc::munmap(addr, len) }).map(drop)
}

/// Maps `len` bytes of `fd` at `offset` exactly at `addr`, or fails with
/// EEXIST when anything is mapped in the way; never replaces a mapping.
///
/// `addr` must be non-NULL and page-aligned (EINVAL otherwise). MAP_FIXED
/// and MAP_FIXED_NOREPLACE in `flags` are dropped: placement is this
/// call's job. Linux uses MAP_FIXED_NOREPLACE; kernels before 4.17 take it
/// as a hint, so the address is checked and a mapping that landed
/// elsewhere is removed (EEXIST). macOS has no such flag: it maps with the
/// hint and checks the same way.
// addr is a placement request checked by the kernel, never dereferenced.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn map_fixed(
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: RawFd,
    offset: i64,
) -> Result<*mut c_void> {
    place(NOREPLACE, addr, len, prot, flags, fd, offset)
}

/// `map_fixed` with `noreplace` as the flag the kernel is given: the tests
/// pass 0 to see the call as a kernel before 4.17, or macOS, sees it.
fn place(
    noreplace: c_int,
    addr: *mut c_void,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: RawFd,
    offset: i64,
) -> Result<*mut c_void> {
    if addr.is_null() || (addr as usize) % crate::page::size() != 0 {
        return Err(Errno(libc::EINVAL));
    }
    let flags = (flags & !(libc::MAP_FIXED | NOREPLACE)) | noreplace;
    // SAFETY: without MAP_FIXED the kernel never replaces a mapping, so no
    // memory of anyone's is touched.
    let p = unsafe { map(addr, len, prot, flags, fd, offset) }?;
    if p != addr {
        // SAFETY: p is the mapping just made, of len bytes, handed to no one.
        let _ = unsafe { unmap(p, len) };
        return Err(Errno(libc::EEXIST));
    }
    Ok(p)
}

#[cfg(target_os = "linux")]
const NOREPLACE: c_int = libc::MAP_FIXED_NOREPLACE;
#[cfg(target_os = "macos")]
const NOREPLACE: c_int = 0;

/// The 64-bit file-offset calls under one name per platform.
pub(crate) mod sys {
    #[cfg(all(target_os = "linux", not(target_env = "gnu")))]
    pub use libc::posix_fallocate;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub use libc::posix_fallocate64 as posix_fallocate;
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub use libc::{fstat, ftruncate, mmap, stat};
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub use libc::{fstat64 as fstat, ftruncate64 as ftruncate, mmap64 as mmap, stat64 as stat};
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANON: c_int = libc::MAP_PRIVATE | libc::MAP_ANON;
    const RW: c_int = libc::PROT_READ | libc::PROT_WRITE;

    /// Three pages reserved with the middle one freed: (start, middle).
    /// The caller unmaps all three.
    fn hole(page: usize) -> (*mut c_void, *mut c_void) {
        // SAFETY: a fresh anonymous mapping touches nothing of ours.
        let base = unsafe { map(std::ptr::null_mut(), 3 * page, RW, ANON, -1, 0) }.unwrap();
        let mid = base.wrapping_byte_add(page);
        // SAFETY: the middle page is ours.
        unsafe { unmap(mid, page) }.unwrap();
        (base, mid)
    }

    #[test]
    fn map_fixed_places_exactly_or_says_eexist() {
        let page = crate::page::size();
        let (base, mid) = hole(page);
        assert_eq!(map_fixed(mid, page, RW, ANON | libc::MAP_FIXED, -1, 0), Ok(mid));
        assert_eq!(map_fixed(base, page, RW, ANON, -1, 0), Err(Errno(libc::EEXIST)));
        assert_eq!(map_fixed(mid.wrapping_byte_add(1), page, RW, ANON, -1, 0), Err(Errno(libc::EINVAL)));
        assert_eq!(map_fixed(std::ptr::null_mut(), page, RW, ANON, -1, 0), Err(Errno(libc::EINVAL)));
        // SAFETY: the three pages are ours.
        unsafe { unmap(base, 3 * page) }.unwrap();
    }

    /// Where MAP_FIXED_NOREPLACE is only a hint (Linux before 4.17, macOS),
    /// the address check alone keeps the promise.
    #[test]
    fn map_fixed_without_the_flag_checks_the_address() {
        let page = crate::page::size();
        let (base, mid) = hole(page);
        // A free range: the hint is taken as it is.
        assert_eq!(place(0, mid, page, RW, ANON | libc::MAP_FIXED, -1, 0), Ok(mid));
        // Marks in the two pages in the way, to see that nothing replaces them.
        // SAFETY: both pages are ours, mapped and writable.
        unsafe {
            base.cast::<u8>().write(0xA5);
            mid.cast::<u8>().write(0x5A);
        }
        // A range in use: the kernel maps elsewhere, and the call takes that back.
        assert_eq!(place(0, base, 2 * page, RW, ANON, -1, 0), Err(Errno(libc::EEXIST)));
        assert_eq!(place(0, mid, page, RW, ANON, -1, 0), Err(Errno(libc::EEXIST)));
        // SAFETY: as above; a page mapped over them would read 0.
        assert_eq!(unsafe { (*base.cast::<u8>(), *mid.cast::<u8>()) }, (0xA5, 0x5A));
        // SAFETY: the three pages are ours.
        unsafe { unmap(base, 3 * page) }.unwrap();
    }
}
