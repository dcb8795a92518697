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

/// Reserves the storage of `[offset, offset + len)` now, growing the object
/// if needed, so that a full file system is ENOSPC here rather than SIGBUS
/// on a later write through a mapping; see posix_fallocate(3).
///
/// A negative `offset` or a `len` that is not positive is EINVAL; an end
/// beyond the largest file offset is EFBIG. Retries on EINTR.
///
/// An end beyond the process's file size limit (RLIMIT_FSIZE, `ulimit -f`)
/// that would grow the object is EFBIG too, found before the call: the
/// kernel would raise SIGXFSZ first, whose default action kills the
/// process (tmpfs sends it before posix_fallocate can return EFBIG). The
/// limit is checked rather than the signal blocked around the call because
/// the check changes nothing the caller owns: no signal mask, no pending
/// SIGXFSZ of the caller's own to tell from the kernel's and consume, no
/// window in which another thread's SIGXFSZ is held back; and it costs one
/// getrlimit. What it leaves is a race with another thread or process
/// lowering the limit between the check and the call (setrlimit, prlimit):
/// then the kernel's SIGXFSZ, as for any write.
///
/// macOS has no posix_fallocate and its shm objects reserve nothing ahead:
/// there the call only grows the object to `offset + len` when it is
/// smaller (which macOS allows once per object) and reserves nothing.
pub fn allocate(fd: RawFd, offset: i64, len: i64) -> Result<()> {
    if offset < 0 || len <= 0 {
        return Err(crate::errno::Errno(libc::EINVAL));
    }
    let end = offset.checked_add(len).ok_or(crate::errno::Errno(libc::EFBIG))?;
    within_fsize_limit(fd, end)?;
    imp::allocate(fd, offset, len, end)
}

/// EFBIG when growing the object behind `fd` to `end` bytes exceeds
/// RLIMIT_FSIZE, as the kernel would decide (it checks only a growth).
fn within_fsize_limit(fd: RawFd, end: i64) -> Result<()> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: lim is writable.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) })?;
    // rlim_t is 32 bits wide on 32-bit Linux.
    #[allow(clippy::useless_conversion)]
    let cur = u64::from(lim.rlim_cur);
    if lim.rlim_cur == libc::RLIM_INFINITY || (end as u64) <= cur {
        return Ok(());
    }
    if crate::stat::fstat(fd)?.size >= end {
        return Ok(());
    }
    let what = format!(
        "{end} bytes exceed this process's file size limit (RLIMIT_FSIZE, ulimit -f) of {} bytes",
        lim.rlim_cur
    );
    Err(crate::errno::detail::note(crate::errno::Errno(libc::EFBIG), what))
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use crate::errno::Errno;

    pub fn allocate(fd: RawFd, offset: i64, len: i64, _end: i64) -> Result<()> {
        loop {
            // posix_fallocate returns the error number instead of setting errno.
            // SAFETY: reads no memory of ours; a bad fd is EBADF.
            match unsafe { sys::posix_fallocate(fd, offset, len) } {
                0 => return Ok(()),
                libc::EINTR => continue,
                libc::ENOSPC => {
                    let what = format!(
                        "no room for {len} bytes on the object's file system (for /dev/shm: its size limit or memory)"
                    );
                    return Err(crate::errno::detail::note(Errno(libc::ENOSPC), what));
                }
                e => return Err(Errno(e)),
            }
        }
    }
}

#[cfg(target_os = "macos")]
mod imp {
    use super::*;

    pub fn allocate(fd: RawFd, _offset: i64, _len: i64, end: i64) -> Result<()> {
        if crate::stat::fstat(fd)?.size < end {
            truncate(fd, end)?;
        }
        Ok(())
    }
}

/// fcntl(2) with an int argument, for the commands rshm has no call for.
///
/// Commands whose argument is a pointer (record locks, F_GETOWN_EX, the
/// write-life hints; on macOS everything outside a short list of int
/// commands) are EINVAL: an int cannot carry a pointer, and the kernel
/// would write through whatever address the int happened to make.
pub fn fcntl(fd: RawFd, cmd: libc::c_int, arg: libc::c_int) -> Result<libc::c_int> {
    if !int_command(cmd) {
        return Err(crate::errno::Errno(libc::EINVAL));
    }
    // SAFETY: cmd takes an int or nothing (checked above), so the kernel
    // reads and writes no memory of ours.
    cvt(unsafe { libc::fcntl(fd, cmd, arg) })
}

#[cfg(target_os = "linux")]
fn int_command(cmd: libc::c_int) -> bool {
    // F_SETOWN_EX, F_GETOWN_EX, then F_GET/SET_RW_HINT and F_GET/SET_FILE_RW_HINT
    // (F_LINUX_SPECIFIC_BASE + 11..14): generic values, not in the libc crate.
    const POINTER_LITERALS: [libc::c_int; 6] = [15, 16, 1035, 1036, 1037, 1038];
    let pointer =
        [libc::F_GETLK, libc::F_SETLK, libc::F_SETLKW, libc::F_OFD_GETLK, libc::F_OFD_SETLK, libc::F_OFD_SETLKW];
    !pointer.contains(&cmd) && !POINTER_LITERALS.contains(&cmd)
}

#[cfg(target_os = "macos")]
fn int_command(cmd: libc::c_int) -> bool {
    [
        libc::F_DUPFD,
        libc::F_DUPFD_CLOEXEC,
        libc::F_GETFD,
        libc::F_SETFD,
        libc::F_GETFL,
        libc::F_SETFL,
        libc::F_GETOWN,
        libc::F_SETOWN,
        libc::F_RDAHEAD,
        libc::F_NOCACHE,
        libc::F_FULLFSYNC,
        libc::F_BARRIERFSYNC,
        libc::F_SETNOSIGPIPE,
        libc::F_GETNOSIGPIPE,
    ]
    .contains(&cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::Errno;

    #[test]
    fn allocate_checks_its_range_and_grows_the_object() {
        let fd = crate::memfd::create(Some(c"alloc"), 0).unwrap();
        assert_eq!(allocate(fd, -1, 10), Err(Errno(libc::EINVAL)));
        assert_eq!(allocate(fd, 0, 0), Err(Errno(libc::EINVAL)));
        assert_eq!(allocate(fd, i64::MAX, 1), Err(Errno(libc::EFBIG)));
        allocate(fd, 4096, 8192).unwrap();
        let st = crate::stat::fstat(fd).unwrap();
        assert_eq!(st.size, 12288);
        assert!(st.blocks * 512 >= 8192);
        close(fd).unwrap();
        assert_eq!(allocate(fd, 0, 1), Err(Errno(libc::EBADF)));
    }

    /// Under RLIMIT_FSIZE, growing past the limit is EFBIG, never the
    /// SIGXFSZ that would kill the process; a forked child sets the limit.
    #[test]
    fn allocate_past_the_file_size_limit_is_efbig_not_sigxfsz() {
        // SAFETY: the child only makes system calls and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let lim = libc::rlimit { rlim_cur: 8192, rlim_max: libc::RLIM_INFINITY };
            let fd = crate::memfd::create(Some(c"fsize"), 0).unwrap_or(-1);
            // SAFETY: lim is readable.
            let ok = unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) } == 0
                && allocate(fd, 0, 8192).is_ok()
                && allocate(fd, 0, 8193) == Err(Errno(libc::EFBIG))
                && allocate(fd, 4096, 1 << 20) == Err(Errno(libc::EFBIG))
                // Within the object's size: no growth, no limit.
                && allocate(fd, 0, 4096).is_ok();
            // SAFETY: _exit is always safe.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: status is writable; pid is our child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "child killed by signal {}", libc::WTERMSIG(status));
        assert_eq!(libc::WEXITSTATUS(status), 0);
    }

    #[test]
    fn fcntl_passes_int_commands_and_refuses_pointer_ones() {
        let fd = crate::memfd::create(Some(c"fcntl"), 0).unwrap();
        assert_eq!(fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC), Ok(0));
        assert_eq!(fcntl(fd, libc::F_GETFD, 0), Ok(libc::FD_CLOEXEC));
        assert_eq!(fcntl(fd, libc::F_GETLK, 0), Err(Errno(libc::EINVAL)));
        close(fd).unwrap();
    }
}
