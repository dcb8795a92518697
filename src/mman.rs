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

/// The 64-bit file-offset calls under one name per platform.
pub(crate) mod sys {
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub use libc::{fstat, ftruncate, mmap, stat};
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub use libc::{fstat64 as fstat, ftruncate64 as ftruncate, mmap64 as mmap, stat64 as stat};
}
