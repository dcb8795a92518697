//! shm_open and shm_unlink.

use crate::errno::{cvt, Result};
use std::ffi::CStr;
use std::os::fd::RawFd;

/// Opens or creates the object `name`; see shm_open(3).
///
/// On Linux the call is libc's own, so names, flags and errors are glibc's
/// by construction. The descriptor is close-on-exec, as POSIX requires.
pub fn open(name: &CStr, oflag: libc::c_int, mode: u32) -> Result<RawFd> {
    imp::open(name, oflag, mode)
}

/// Removes the name `name`; mappings and descriptors stay valid. See shm_unlink(3).
pub fn unlink(name: &CStr) -> Result<()> {
    imp::unlink(name)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;

    pub fn open(name: &CStr, oflag: libc::c_int, mode: u32) -> Result<RawFd> {
        // SAFETY: name is a valid NUL-terminated string for the call.
        cvt(unsafe { libc::shm_open(name.as_ptr(), oflag, mode as libc::mode_t) })
    }

    pub fn unlink(name: &CStr) -> Result<()> {
        // SAFETY: name is a valid NUL-terminated string for the call.
        cvt(unsafe { libc::shm_unlink(name.as_ptr()) }).map(drop)
    }
}

/// macOS takes "x" and "/x" as two objects and allows 31 bytes: names are
/// normalized the glibc way first so that one program means one object on
/// both platforms.
#[cfg(target_os = "macos")]
mod imp {
    use super::*;
    use crate::errno::Errno;
    use crate::name::{normalize, ShmPath};

    /// PSHMNAMLEN, with the leading slash.
    const LIMIT: usize = 31;

    pub fn open(name: &CStr, oflag: libc::c_int, mode: u32) -> Result<RawFd> {
        let path = ShmPath::new(normalize(name)?, LIMIT)?;
        // SAFETY: path is NUL-terminated; the variadic mode is passed as an
        // unsigned int, as the C default promotion of mode_t would be.
        let fd = cvt(unsafe { libc::shm_open(path.as_cstr().as_ptr(), oflag, mode as libc::c_uint) })?;
        // POSIX wants FD_CLOEXEC on a shm descriptor; do not rely on the
        // kernel version to have set it.
        // SAFETY: fd was just returned open to us.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
            let e = Errno::last();
            // SAFETY: fd is ours and not yet handed out.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        Ok(fd)
    }

    pub fn unlink(name: &CStr) -> Result<()> {
        let path = ShmPath::new(normalize(name)?, LIMIT)?;
        // SAFETY: path is NUL-terminated.
        cvt(unsafe { libc::shm_unlink(path.as_cstr().as_ptr()) }).map(drop)
    }
}
