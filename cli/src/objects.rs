//! The objects in /dev/shm and what each one is.

use crate::holders::Holder;
use crate::Failure;
use rshm::errno::Errno;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::FromRawFd;
use std::os::unix::fs::{FileExt, MetadataExt};

/// Where Linux keeps POSIX shared-memory objects.
pub const DIR: &str = "/dev/shm";

/// One object, as `ls` and `stat` show it.
#[derive(Debug, Serialize)]
pub struct Object {
    pub name: String,
    pub size: u64,
    /// Bytes of memory the object really uses (allocated blocks).
    pub resident: u64,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    /// "[0600] rw-------".
    pub mode_string: String,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub mtime_utc: String,
    /// "plain", "rshm-segment", "rshm-channel", "rshm-unknown", or "unreadable".
    pub kind: String,
    /// The rshm layout version, for rshm objects.
    pub version: Option<u32>,
    /// "ready" or "building", for rshm objects.
    pub state: Option<String>,
    pub holders: Vec<Holder>,
}

/// "abc" for "/abc", "abc" or "//abc".
pub fn bare(name: &str) -> &str {
    name.trim_start_matches('/')
}

/// An object name as the core's calls take it, or EINVAL.
pub fn c_name(name: &str) -> Result<CString, Failure> {
    CString::new(format!("/{}", bare(name))).map_err(|_| Failure::new(format!("name {name:?}"), Errno(libc::EINVAL)))
}

/// Opens the object read-only or read-write as a `File`.
pub fn open(name: &str, oflag: libc::c_int, mode: u32) -> Result<File, Failure> {
    let fd = rshm::shm::open(&c_name(name)?, oflag, mode).map_err(|e| Failure::new(format!("open {name}"), e))?;
    // SAFETY: fd was just opened for us and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Every object name in /dev/shm (POSIX semaphores, "sem.*", left out).
pub fn names() -> Result<Vec<String>, Failure> {
    let dir = std::fs::read_dir(DIR).map_err(|e| Failure::new(format!("read {DIR}"), io_errno(&e)))?;
    let mut names: Vec<String> = dir
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with("sem."))
        .collect();
    names.sort();
    Ok(names)
}

pub fn io_errno(e: &std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

/// What the first bytes of an object say it is.
pub fn classify(head: &[u8]) -> (String, Option<u32>, Option<String>) {
    match rshm::object::header::parse(head) {
        Ok(h) => {
            let state = if h.is_ready() { "ready" } else { "building" };
            (h.kind_name().to_owned(), Some(h.version), Some(state.to_owned()))
        }
        Err(Errno(libc::EPROTO)) => ("rshm-unknown".to_owned(), None, None),
        Err(_) => ("plain".to_owned(), None, None),
    }
}

/// Describes the object `name`, taking its holders out of `held` (by inode).
pub fn describe(name: &str, held: &mut BTreeMap<u64, Vec<Holder>>) -> Result<Object, Failure> {
    let path = format!("{DIR}/{}", bare(name));
    let meta = std::fs::metadata(&path).map_err(|e| Failure::new(format!("stat {name}"), io_errno(&e)))?;
    let (kind, version, state) = match open(name, libc::O_RDONLY, 0) {
        Ok(file) => {
            let mut head = [0u8; 64];
            let n = file.read_at(&mut head, 0).unwrap_or(0);
            classify(&head[..n])
        }
        Err(_) => ("unreadable".to_owned(), None, None),
    };
    Ok(Object {
        name: bare(name).to_owned(),
        size: meta.size(),
        resident: meta.blocks() * 512,
        uid: meta.uid(),
        gid: meta.gid(),
        mode: meta.mode() & 0o7777,
        mode_string: String::from_utf8_lossy(&rshm::mode::format(meta.mode())).into_owned(),
        mtime: meta.mtime(),
        mtime_utc: crate::time::utc(meta.mtime()),
        kind,
        version,
        state,
        holders: held.remove(&meta.ino()).unwrap_or_default(),
    })
}
