//! fstat, into rshm's own fixed-layout struct.

use crate::errno::{cvt, Result};
use crate::mman::sys;
use std::os::fd::RawFd;

/// What `rshm_fstat` reports about a shared-memory object: the fields of
/// `struct stat` that matter for shared memory, in fixed-width types so the
/// layout is the same for every compiler and platform.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Size in bytes, as set by ftruncate.
    pub size: i64,
    /// 512-byte blocks allocated: on tmpfs, the memory the object really uses.
    /// A 4 GB object with one page touched shows 8 blocks, not 8 million.
    pub blocks: i64,
    /// Inode number: with `dev`, identifies the object across descriptors.
    pub ino: u64,
    /// Device of the file system holding the object.
    pub dev: u64,
    /// Number of names: 1 while linked in /dev/shm, 0 once unlinked (and for memfds).
    pub nlink: u64,
    /// File type and permission bits, as `st_mode` (0100600 for a 0600 object).
    pub mode: u32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Preferred I/O block size.
    pub blksize: u32,
    /// Last access, seconds since the epoch.
    pub atime_sec: i64,
    /// Last access, nanoseconds within the second.
    pub atime_nsec: i64,
    /// Last modification of the contents, seconds since the epoch.
    pub mtime_sec: i64,
    /// Last modification, nanoseconds within the second.
    pub mtime_nsec: i64,
    /// Last status change (size, mode, owner), seconds since the epoch.
    pub ctime_sec: i64,
    /// Last status change, nanoseconds within the second.
    pub ctime_nsec: i64,
}

/// Describes the object behind `fd`; see fstat(2).
pub fn fstat(fd: RawFd) -> Result<Stat> {
    let mut st = std::mem::MaybeUninit::<sys::stat>::zeroed();
    // SAFETY: st is writable and large enough for the platform's struct.
    cvt(unsafe { sys::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled st.
    Ok(from_sys(unsafe { &st.assume_init() }))
}

#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn from_sys(s: &sys::stat) -> Stat {
    Stat {
        size: s.st_size as i64,
        blocks: s.st_blocks as i64,
        ino: s.st_ino as u64,
        dev: s.st_dev as u64,
        nlink: s.st_nlink as u64,
        mode: s.st_mode as u32,
        uid: s.st_uid,
        gid: s.st_gid,
        blksize: s.st_blksize as u32,
        atime_sec: s.st_atime as i64,
        atime_nsec: s.st_atime_nsec as i64,
        mtime_sec: s.st_mtime as i64,
        mtime_nsec: s.st_mtime_nsec as i64,
        ctime_sec: s.st_ctime as i64,
        ctime_nsec: s.st_ctime_nsec as i64,
    }
}
