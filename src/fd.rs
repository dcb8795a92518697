//! Calls on an open shared-memory descriptor: size, owner, mode, close.

use crate::errno::{cvt, Result};
use crate::mman::sys;
use std::os::fd::RawFd;

/// Sets the object's size; see ftruncate(2). A new object has size 0.
pub fn truncate(fd: RawFd, len: i64) -> Result<()> {
    // SAFETY: ftruncate reads no memory of ours; a bad fd is EBADF.
    cvt(unsafe { sys::ftruncate(fd, len) }).map(drop)
}

/// Changes the owner; `u32::MAX` leaves that id as it is. See fchown(2).
pub fn chown(fd: RawFd, owner: u32, group: u32) -> Result<()> {
    // SAFETY: as for truncate.
    cvt(unsafe { libc::fchown(fd, owner as libc::uid_t, group as libc::gid_t) }).map(drop)
}

/// Changes the permission bits; see fchmod(2).
pub fn chmod(fd: RawFd, mode: u32) -> Result<()> {
    // macOS has a 16-bit mode_t; the kernel keeps only the low 12 bits anyway.
    // SAFETY: as for truncate.
    cvt(unsafe { libc::fchmod(fd, mode as libc::mode_t) }).map(drop)
}

/// Closes the descriptor; see close(2). Never retried: on Linux the
/// descriptor is gone even when close reports EINTR.
pub fn close(fd: RawFd) -> Result<()> {
    // SAFETY: closing a number we do not own is the caller's contract (the
    // C API mirrors close); a bad fd is EBADF.
    cvt(unsafe { libc::close(fd) }).map(drop)
}
