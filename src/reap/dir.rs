//! /dev/shm as a directory of hostile entries: listed by raw name, looked at
//! without following links, opened only when a regular file, never blocking.
//!
//! Every call goes through one descriptor of the directory (the *at calls),
//! so a name is always looked up in the directory that was listed.

use crate::errno::{Errno, Result};
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::holders::FileId;

/// Where glibc keeps shared-memory objects.
pub const SHM_DIR: &CStr = c"/dev/shm";

/// What an entry of /dev/shm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

impl FileType {
    fn of(mode: u32) -> FileType {
        match mode & libc::S_IFMT {
            libc::S_IFDIR => FileType::Directory,
            libc::S_IFLNK => FileType::Symlink,
            libc::S_IFIFO => FileType::Fifo,
            libc::S_IFSOCK => FileType::Socket,
            libc::S_IFCHR => FileType::CharDevice,
            libc::S_IFBLK => FileType::BlockDevice,
            _ => FileType::Regular,
        }
    }

    /// "regular", "directory", "symlink", "fifo", "socket", "char-device", "block-device".
    pub fn name(self) -> &'static str {
        match self {
            FileType::Regular => "regular",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Fifo => "fifo",
            FileType::Socket => "socket",
            FileType::CharDevice => "char-device",
            FileType::BlockDevice => "block-device",
        }
    }

    /// The errno of opening an entry of this type as a shared-memory
    /// object: ELOOP for a link (as O_NOFOLLOW says), EISDIR for a
    /// directory, EINVAL for anything else that is not a regular file.
    pub fn open_errno(self) -> Option<Errno> {
        match self {
            FileType::Regular => None,
            FileType::Symlink => Some(Errno(libc::ELOOP)),
            FileType::Directory => Some(Errno(libc::EISDIR)),
            _ => Some(Errno(libc::EINVAL)),
        }
    }
}

/// An entry's metadata, from fstatat(AT_SYMLINK_NOFOLLOW).
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub id: FileId,
    pub kind: FileType,
    pub size: u64,
    /// Bytes of memory really used (allocated blocks).
    pub allocated: u64,
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (07777).
    pub mode: u32,
    pub mtime: i64,
    pub ctime: i64,
}

/// One name in /dev/shm, raw, with what it was when listed.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: CString,
    pub meta: Meta,
}

/// An open /dev/shm.
pub struct ShmDir {
    fd: OwnedFd,
}

/// The name as it lives in /dev/shm: leading slashes stripped, then
/// checked as glibc checks it (empty, an inner '/', "." or ".." are EINVAL;
/// over 255 bytes ENAMETOOLONG).
pub fn bare(name: &[u8]) -> Result<&[u8]> {
    let name = &name[name.iter().position(|&b| b != b'/').unwrap_or(name.len())..];
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) || name == b"." || name == b".." {
        return Err(Errno(libc::EINVAL));
    }
    if name.len() > 255 {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    Ok(name)
}

impl ShmDir {
    /// Opens /dev/shm (O_DIRECTORY, O_NOFOLLOW: a /dev/shm that is a link is ELOOP).
    pub fn open() -> Result<ShmDir> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: SHM_DIR is NUL-terminated.
        let fd = unsafe { libc::open(SHM_DIR.as_ptr(), flags) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: fd was just opened and is owned by nobody else.
        Ok(ShmDir { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// The device the directory's objects are on.
    pub fn dev(&self) -> Result<u64> {
        Ok(crate::stat::fstat(self.fd.as_raw_fd())?.dev)
    }

    /// Every entry, sorted by name (`.` and `..` left out). An entry
    /// removed between the listing and its stat is left out too.
    pub fn list(&self) -> Result<Vec<Entry>> {
        // A second descriptor: readdir consumes the one it reads.
        // SAFETY: "." is NUL-terminated; openat reads no other memory.
        let fd = unsafe {
            libc::openat(self.fd.as_raw_fd(), c".".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)
        };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: fd is ours; fdopendir takes it over (closedir closes it).
        let dir = unsafe { libc::fdopendir(fd) };
        if dir.is_null() {
            let e = Errno::last();
            // SAFETY: fdopendir failed, so fd is still ours.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        let mut names = Vec::new();
        let result = loop {
            crate::errno::set(0);
            // SAFETY: dir is an open DIR*.
            let ent = unsafe { libc::readdir(dir) };
            if ent.is_null() {
                let e = crate::errno::get();
                break if e == 0 { Ok(()) } else { Err(Errno(e)) };
            }
            // SAFETY: d_name is NUL-terminated within the dirent readdir returned.
            let name = unsafe { CStr::from_ptr((*ent).d_name.as_ptr()) };
            if name.to_bytes() != b"." && name.to_bytes() != b".." {
                names.push(name.to_owned());
            }
        };
        // SAFETY: dir is open and closed once.
        unsafe { libc::closedir(dir) };
        result?;
        names.sort();
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            match self.stat(&name) {
                Ok(meta) => entries.push(Entry { name, meta }),
                Err(Errno(libc::ENOENT)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(entries)
    }

    /// The entry `name` (bare, see [`bare`]) itself, never a link's target.
    pub fn stat(&self, name: &CStr) -> Result<Meta> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: name is NUL-terminated and st writable.
        let rc =
            unsafe { libc::fstatat(self.fd.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
        if rc != 0 {
            return Err(Errno::last());
        }
        // SAFETY: fstatat succeeded and filled st.
        let st = unsafe { st.assume_init() };
        Ok(Meta {
            id: FileId { dev: st.st_dev, ino: st.st_ino },
            kind: FileType::of(st.st_mode),
            size: st.st_size as u64,
            allocated: st.st_blocks as u64 * 512,
            uid: st.st_uid,
            gid: st.st_gid,
            mode: st.st_mode & 0o7777,
            mtime: st.st_mtime,
            ctime: st.st_ctime,
        })
    }

    /// The target of the symlink `name`, raw.
    pub fn read_link(&self, name: &CStr) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; 4096];
        // SAFETY: name is NUL-terminated and buf writable for its length.
        let n = unsafe { libc::readlinkat(self.fd.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(Errno::last());
        }
        buf.truncate(n as usize);
        Ok(buf)
    }

    /// Opens `name` with `oflag` (and `mode` for O_CREAT) only if it is a
    /// regular file: O_NOFOLLOW and O_NONBLOCK (cleared once open) mean a
    /// link is ELOOP and a FIFO never blocks; what is open is fstat'ed and
    /// anything but a regular file is closed again, with the errno of
    /// [`FileType::open_errno`].
    pub fn open_regular(&self, name: &CStr, oflag: libc::c_int, mode: u32) -> Result<OwnedFd> {
        let flags = oflag | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: name is NUL-terminated; the mode is promoted as C would.
        let fd = unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: fd was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let st = crate::stat::fstat(fd.as_raw_fd())?;
        if let Some(e) = FileType::of(st.mode).open_errno() {
            return Err(e);
        }
        // Off again: O_NONBLOCK was for the open alone.
        // SAFETY: F_SETFL with an int on our own descriptor.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, oflag & libc::O_APPEND) } != 0 {
            return Err(Errno::last());
        }
        Ok(fd)
    }

    /// Removes `name` if it is still the file `id` (a regular file);
    /// ESTALE if the name now holds another file, ENOENT if it is gone.
    ///
    /// The look and the unlink are two calls: a name replaced in between
    /// is removed. What this closes is the long window of a sweep (list,
    /// scan every process, decide); the short one stays.
    pub fn unlink_if_same(&self, name: &CStr, id: FileId) -> Result<()> {
        let now = self.stat(name)?;
        if now.id != id || now.kind != FileType::Regular {
            return Err(Errno(libc::ESTALE));
        }
        self.unlink(name)
    }

    /// Removes the name `name`, whatever it is (a link itself, not its target).
    pub fn unlink(&self, name: &CStr) -> Result<()> {
        // SAFETY: name is NUL-terminated.
        if unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) } != 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_glibc_does() {
        assert_eq!(bare(b"/x"), Ok(&b"x"[..]));
        assert_eq!(bare(b"x"), Ok(&b"x"[..]));
        assert_eq!(bare(b"//x\x1b]0;t\x07"), Ok(&b"x\x1b]0;t\x07"[..]));
        for bad in [&b""[..], b"/", b"..", b"/..", b".", b"../../etc/shadow", b"a/b", b"a\0b"] {
            assert_eq!(bare(bad), Err(Errno(libc::EINVAL)), "{bad:?}");
        }
        assert_eq!(bare(&[b'a'; 256]), Err(Errno(libc::ENAMETOOLONG)));
    }

    #[test]
    fn only_regular_files_open_and_nothing_blocks() {
        let dir = ShmDir::open().unwrap();
        let base = format!("rshm-test-{}-dir", std::process::id());
        let c = |s: &str| CString::new(format!("{base}-{s}")).unwrap();
        let path = |s: &str| format!("/dev/shm/{base}-{s}");
        let fifo = CString::new(path("fifo")).unwrap();
        // SAFETY: fifo is NUL-terminated.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink("/etc/passwd", path("link")).unwrap();
        std::fs::create_dir(path("dir")).unwrap();
        let reg = dir.open_regular(&c("reg"), libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600);
        let results = [
            dir.open_regular(&c("fifo"), libc::O_RDONLY, 0).err(),
            dir.open_regular(&c("fifo"), libc::O_RDWR, 0).err(),
            dir.open_regular(&c("link"), libc::O_RDONLY, 0).err(),
            dir.open_regular(&c("dir"), libc::O_RDONLY, 0).err(),
        ];
        let link = dir.stat(&c("link")).map(|m| m.kind);
        let target = dir.read_link(&c("link"));
        let same = reg.as_ref().map(|_| dir.unlink_if_same(&c("reg"), dir.stat(&c("reg")).unwrap().id));
        for s in ["fifo", "link", "reg"] {
            let _ = dir.unlink(&c(s));
        }
        let _ = std::fs::remove_dir(path("dir"));
        let e = |n| Some(Errno(n));
        assert_eq!(results, [e(libc::EINVAL), e(libc::EINVAL), e(libc::ELOOP), e(libc::EISDIR)]);
        assert_eq!(link, Ok(FileType::Symlink));
        assert_eq!(target.as_deref(), Ok(&b"/etc/passwd"[..]));
        assert_eq!(same, Ok(Ok(())));
    }
}
