//! Memory control on mapped ranges: protection, write-back, advice, locking.

use crate::errno::{cvt, Result};
use libc::{c_int, c_void};

/// Changes the protection of `[addr, addr + len)`; see mprotect(2).
///
/// # Safety
/// Removing access from memory that Rust code still reads or writes through
/// references is undefined behaviour; the caller owns the range.
pub unsafe fn protect(addr: *mut c_void, len: usize, prot: c_int) -> Result<()> {
    // SAFETY: the caller owns the range; the kernel checks it is mapped.
    cvt(unsafe { libc::mprotect(addr, len, prot) }).map(drop)
}

/// Writes changes in the range back to the object; see msync(2). The kernel
/// only reads the page tables, so no memory of ours can be harmed.
// The pointer goes to the kernel, which checks it; nothing dereferences it here.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn sync(addr: *mut c_void, len: usize, flags: c_int) -> Result<()> {
    // SAFETY: msync changes no memory contents; a bad range is ENOMEM/EINVAL.
    cvt(unsafe { libc::msync(addr, len, flags) }).map(drop)
}

/// Gives the kernel advice about the range; see madvise(2).
///
/// # Safety
/// Some advice changes contents (`MADV_DONTNEED` on private memory,
/// `MADV_REMOVE`, `MADV_FREE` read back as zeros): the caller owns the range.
pub unsafe fn advise(addr: *mut c_void, len: usize, advice: c_int) -> Result<()> {
    // SAFETY: the caller owns the range and accepts what the advice does to it.
    cvt(unsafe { libc::madvise(addr, len, advice) }).map(drop)
}

/// Locks the pages of the range in memory; see mlock(2).
// The pointer goes to the kernel, which checks it; nothing dereferences it here.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn lock(addr: *const c_void, len: usize) -> Result<()> {
    // SAFETY: locking changes residency, never contents.
    cvt(unsafe { libc::mlock(addr, len) }).map(drop)
}

/// Unlocks the pages of the range; see munlock(2).
// The pointer goes to the kernel, which checks it; nothing dereferences it here.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn unlock(addr: *const c_void, len: usize) -> Result<()> {
    // SAFETY: as for lock.
    cvt(unsafe { libc::munlock(addr, len) }).map(drop)
}

/// Locks every page of the process; see mlockall(2).
pub fn lock_all(flags: c_int) -> Result<()> {
    // SAFETY: as for lock.
    cvt(unsafe { libc::mlockall(flags) }).map(drop)
}

/// Unlocks every page of the process; see munlockall(2).
pub fn unlock_all() -> Result<()> {
    // SAFETY: as for lock.
    cvt(unsafe { libc::munlockall() }).map(drop)
}
