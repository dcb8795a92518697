//! memfd_create: an anonymous shared-memory file with no name to clean up.

use crate::errno::Result;
use std::ffi::CStr;
use std::os::fd::RawFd;

/// The longest memfd name Linux takes, without the NUL (MFD_NAME_MAX_LEN).
pub(crate) const NAME_MAX: usize = 249;

/// Creates an anonymous file; see memfd_create(2). `name` only labels it in
/// /proc/PID/fd; `None` (NULL from C) fails with EFAULT, but only after the
/// flags are checked, as the kernel orders its checks.
pub fn create(name: Option<&CStr>, flags: libc::c_uint) -> Result<RawFd> {
    imp::create(name, flags)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use crate::errno::cvt;

    pub fn create(name: Option<&CStr>, flags: libc::c_uint) -> Result<RawFd> {
        let name = name.map_or(std::ptr::null(), CStr::as_ptr);
        // SAFETY: name is NUL-terminated or NULL, which the kernel reads with
        // copy_from_user and answers with EFAULT; it validates the flags first.
        cvt(unsafe { libc::memfd_create(name, flags) })
    }
}

/// macOS has no memfd: a shm object under a name nobody can guess is made
/// with O_EXCL and unlinked at once, which leaves a nameless descriptor.
/// Sealing is not available there (MFD_ALLOW_SEALING is accepted and the
/// seal calls answer ENOSYS), nor are huge pages.
#[cfg(target_os = "macos")]
mod imp {
    use super::*;
    use crate::consts::{RSHM_MFD_ALLOW_SEALING, RSHM_MFD_CLOEXEC};
    use crate::errno::{cvt, Errno};
    use std::sync::atomic::{AtomicU32, Ordering};

    static COUNTER: AtomicU32 = AtomicU32::new(0);

    pub fn create(name: Option<&CStr>, flags: libc::c_uint) -> Result<RawFd> {
        if flags & !(RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING) != 0 {
            return Err(Errno(libc::EINVAL));
        }
        let name = name.ok_or(Errno(libc::EFAULT))?;
        if name.to_bytes().len() > NAME_MAX {
            return Err(Errno(libc::EINVAL));
        }
        loop {
            // 31 bytes at most: "/rshm.mfd." + pid + counter + clock, hex.
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: ts is writable.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
            let path = format!(
                "/rshm.mfd.{:x}.{:x}.{:x}\0",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                ts.tv_nsec as u32 & 0xfffff
            );
            let oflag = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL;
            // SAFETY: path is NUL-terminated; mode passed as the promoted int.
            let fd = unsafe { libc::shm_open(path.as_ptr().cast(), oflag, 0o600 as libc::c_uint) };
            if fd == -1 && Errno::last() == Errno(libc::EEXIST) {
                continue;
            }
            let fd = cvt(fd)?;
            // SAFETY: path is NUL-terminated; the descriptor outlives the name.
            unsafe { libc::shm_unlink(path.as_ptr().cast()) };
            if flags & RSHM_MFD_CLOEXEC != 0 {
                // SAFETY: fd is ours.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
            return Ok(fd);
        }
    }
}
