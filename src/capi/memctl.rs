//! `rshm_mprotect`, `rshm_msync`, `rshm_madvise`, `rshm_mlock`,
//! `rshm_munlock`, `rshm_mlockall`, `rshm_munlockall`.

use super::boundary::run;
use crate::memctl;
use libc::{c_int, c_void};

/// Changes the access allowed to the pages of `[addr, addr + len)` to
/// `prot` (`RSHM_PROT_*`): the mirror of mprotect(2). A shared mapping of a
/// descriptor opened read-only cannot gain `RSHM_PROT_WRITE`.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `addr` is not page-aligned, or `prot` has unknown bits.
/// - `ENOMEM`: part of the range is not mapped.
/// - `EACCES`: `prot` asks for more than the file's open mode allows.
///
/// Thread safety: safe to call from any thread; a thread touching a page
/// that loses its access gets SIGSEGV.
#[no_mangle]
pub unsafe extern "C" fn rshm_mprotect(addr: *mut c_void, len: usize, prot: c_int) -> c_int {
    // SAFETY: the caller owns the range, as with libc's mprotect.
    run("rshm_mprotect", -1, || unsafe { memctl::protect(addr, len, prot) }.map(|()| 0))
}

/// Writes the changes made through the mapping `[addr, addr + len)` back
/// to the object: the mirror of msync(2). `flags` is `RSHM_MS_SYNC` (wait)
/// or `RSHM_MS_ASYNC` (start), optionally with `RSHM_MS_INVALIDATE`. On
/// tmpfs (/dev/shm) and memfds every mapping already shares the same pages,
/// so the call matters only for files on disk.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `addr` is not page-aligned, unknown bits in `flags`, or both
///   `RSHM_MS_SYNC` and `RSHM_MS_ASYNC`.
/// - `ENOMEM`: part of the range is not mapped.
/// - `EBUSY`: `RSHM_MS_INVALIDATE` on locked pages.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_msync(addr: *mut c_void, len: usize, flags: c_int) -> c_int {
    run("rshm_msync", -1, || memctl::sync(addr, len, flags).map(|()| 0))
}

/// Tells the kernel how `[addr, addr + len)` will be used: the mirror of
/// madvise(2). `advice` is an `RSHM_MADV_*` value the platform has.
/// `RSHM_MADV_DONTNEED` on a shared mapping drops only this process's
/// pages (the object keeps its contents); `RSHM_MADV_REMOVE` (Linux) frees
/// the object's pages, which then read as zeros everywhere.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `addr` is not page-aligned, `advice` is unknown, or the
///   advice does not apply to this kind of mapping (e.g. `RSHM_MADV_REMOVE`
///   on a private mapping).
/// - `ENOMEM`: part of the range is not mapped.
/// - `EACCES`: `RSHM_MADV_REMOVE` on a mapping that is not writable.
/// - `EAGAIN`: the kernel is short of resources; retry.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int {
    // SAFETY: the caller owns the range and asks for what the advice does to it.
    run("rshm_madvise", -1, || unsafe { memctl::advise(addr, len, advice) }.map(|()| 0))
}

/// Locks the pages of `[addr, addr + len)` in memory, faulting them in: the
/// mirror of mlock(2). Locked pages are never swapped out. `addr` is
/// rounded down to a page.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `ENOMEM`: part of the range is not mapped, or the lock would exceed
///   RLIMIT_MEMLOCK (unprivileged).
/// - `EPERM`: unprivileged and RLIMIT_MEMLOCK is 0.
/// - `EAGAIN`: some pages could not be locked.
/// - `EINVAL`: `addr + len` overflows.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_mlock(addr: *const c_void, len: usize) -> c_int {
    run("rshm_mlock", -1, || memctl::lock(addr, len).map(|()| 0))
}

/// Unlocks the pages of `[addr, addr + len)`: the mirror of munlock(2).
/// Locks do not nest: one unlock releases any number of locks.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `ENOMEM`: part of the range is not mapped.
/// - `EINVAL`: `addr + len` overflows.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_munlock(addr: *const c_void, len: usize) -> c_int {
    run("rshm_munlock", -1, || memctl::unlock(addr, len).map(|()| 0))
}

/// Locks every page of the process in memory: the mirror of mlockall(2).
/// `flags` or-s `RSHM_MCL_CURRENT` (pages mapped now), `RSHM_MCL_FUTURE`
/// (pages mapped later) and, on Linux, `RSHM_MCL_ONFAULT`.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `flags` is 0, has unknown bits, or is `RSHM_MCL_ONFAULT` alone.
/// - `ENOMEM`: the lock would exceed RLIMIT_MEMLOCK (unprivileged).
/// - `EPERM`: unprivileged and RLIMIT_MEMLOCK is 0.
///
/// Thread safety: safe to call from any thread; it affects the whole process.
#[no_mangle]
pub extern "C" fn rshm_mlockall(flags: c_int) -> c_int {
    run("rshm_mlockall", -1, || memctl::lock_all(flags).map(|()| 0))
}

/// Unlocks every page of the process and cancels `RSHM_MCL_FUTURE`: the
/// mirror of munlockall(2).
///
/// Returns 0. On failure returns -1 and sets errno (the platform reports
/// none in practice).
///
/// Thread safety: safe to call from any thread; it affects the whole process.
#[no_mangle]
pub extern "C" fn rshm_munlockall() -> c_int {
    run("rshm_munlockall", -1, || memctl::unlock_all().map(|()| 0))
}
