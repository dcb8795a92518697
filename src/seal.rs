//! File seals: a memfd's owner forbids later writes, shrinking or growing,
//! so that a receiver can map it without fearing SIGBUS or changes.

use crate::errno::Result;
use libc::c_uint;
use std::os::fd::RawFd;

/// Adds `seals` (`RSHM_F_SEAL_*`) to the file; see fcntl(2) F_ADD_SEALS.
/// Seals can only be added, never removed.
pub fn add(fd: RawFd, seals: c_uint) -> Result<()> {
    imp::add(fd, seals)
}

/// The seals the file carries now.
pub fn get(fd: RawFd) -> Result<c_uint> {
    imp::get(fd)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use crate::errno::cvt;

    pub fn add(fd: RawFd, seals: c_uint) -> Result<()> {
        // The kernel takes the seals as an int and rejects unknown bits
        // itself (EINVAL), so a newer seal works without a new rshm.
        // SAFETY: F_ADD_SEALS takes an int argument and touches no memory of ours.
        cvt(unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals as libc::c_int) }).map(drop)
    }

    pub fn get(fd: RawFd) -> Result<c_uint> {
        // SAFETY: F_GET_SEALS takes no argument.
        cvt(unsafe { libc::fcntl(fd, libc::F_GET_SEALS) }).map(|s| s as c_uint)
    }
}

/// macOS has no seals. A bad descriptor is still EBADF, so that callers see
/// the same error order as on Linux; every other call is ENOSYS.
#[cfg(target_os = "macos")]
mod imp {
    use super::*;
    use crate::errno::{cvt, Errno};

    fn check_open(fd: RawFd) -> Result<()> {
        // SAFETY: F_GETFD takes no argument.
        cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) }).map(drop)
    }

    pub fn add(fd: RawFd, _seals: c_uint) -> Result<()> {
        check_open(fd)?;
        Err(Errno(libc::ENOSYS))
    }

    pub fn get(fd: RawFd) -> Result<c_uint> {
        check_open(fd)?;
        Err(Errno(libc::ENOSYS))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::consts::*;
    use crate::errno::Errno;

    #[test]
    fn seals_accumulate_and_unsealable_is_eperm() {
        let fd = crate::memfd::create(Some(c"seal-test"), RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING).unwrap();
        assert_eq!(get(fd), Ok(0));
        add(fd, RSHM_F_SEAL_SHRINK).unwrap();
        add(fd, RSHM_F_SEAL_GROW).unwrap();
        assert_eq!(get(fd), Ok(RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW));
        crate::fd::close(fd).unwrap();

        let fd = crate::memfd::create(Some(c"seal-test"), RSHM_MFD_CLOEXEC).unwrap();
        assert_eq!(add(fd, RSHM_F_SEAL_WRITE), Err(Errno(libc::EPERM)));
        crate::fd::close(fd).unwrap();
        assert_eq!(get(-1), Err(Errno(libc::EBADF)));
    }
}
