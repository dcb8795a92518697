//! Which processes hold an object open or mapped, read from /proc.
//!
//! A process shows up when /proc/PID/fd or /proc/PID/maps names
//! "/dev/shm/NAME"; processes the caller may not inspect are skipped, so
//! an unprivileged user sees their own holders.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;

/// One process holding one object.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    pub command: String,
    /// Descriptors open on the object.
    pub fds: u32,
    /// Mappings of the object.
    pub maps: u32,
}

const PREFIX: &str = "/dev/shm/";

/// Whether a /proc path points into /dev/shm. A path can be stale (an object
/// made under one name and linked under another shows its first name as
/// "(deleted)"), so objects are matched by inode, not by this path.
fn in_shm(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// The inode of a /proc/PID/maps line's file, if the file is in /dev/shm.
fn maps_inode(line: &str) -> Option<u64> {
    let at = line.find(PREFIX)?;
    // address perms offset dev inode path: the path may hold spaces.
    line[..at].split_whitespace().nth(4)?.parse().ok()
}

/// Every holder of every object in /dev/shm, by inode.
pub fn scan() -> BTreeMap<u64, Vec<Holder>> {
    let mut by_inode: BTreeMap<u64, BTreeMap<i32, Holder>> = BTreeMap::new();
    let Ok(procs) = fs::read_dir("/proc") else { return BTreeMap::new() };
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let dir = entry.path();
        let mut hold = |ino: u64, fd: bool| {
            let h = by_inode.entry(ino).or_default().entry(pid).or_insert_with(|| Holder {
                pid,
                command: fs::read_to_string(dir.join("comm")).map(|c| c.trim_end().to_owned()).unwrap_or_default(),
                ..Holder::default()
            });
            if fd {
                h.fds += 1
            } else {
                h.maps += 1
            }
        };
        if let Ok(fds) = fs::read_dir(dir.join("fd")) {
            for fd in fds.flatten() {
                let target = fs::read_link(fd.path()).ok();
                if target.as_ref().and_then(|t| t.to_str()).is_some_and(in_shm) {
                    // stat follows the magic link to the object itself.
                    if let Ok(meta) = fs::metadata(fd.path()) {
                        hold(meta.ino(), true);
                    }
                }
            }
        }
        if let Ok(maps) = fs::read_to_string(dir.join("maps")) {
            maps.lines().filter_map(maps_inode).for_each(|ino| hold(ino, false));
        }
    }
    by_inode.into_iter().map(|(k, v)| (k, v.into_values().collect())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_give_the_inode_of_shm_files_only() {
        let shm = "7f00-7f01 rw-s 00000000 00:1a 4242 /dev/shm/rshm-tmp.1.2.3 (deleted)";
        assert_eq!(maps_inode(shm), Some(4242));
        assert_eq!(maps_inode("7f00-7f01 rw-s 00000000 00:01 77 /memfd:x (deleted)"), None);
        assert_eq!(maps_inode("7f00-7f01 r-xp 00000000 fd:00 12 /usr/lib/libc.so.6"), None);
    }

    #[test]
    fn this_process_is_seen_holding_an_object() {
        let path = std::ffi::CString::new(format!("/rshm-test-{}-holders", std::process::id())).unwrap();
        let fd = rshm::shm::open(&path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
        let ino = rshm::stat::fstat(fd).unwrap().ino;
        let held = scan();
        rshm::fd::close(fd).unwrap();
        rshm::shm::unlink(&path).unwrap();
        let me = held.get(&ino).and_then(|hs| hs.iter().find(|h| h.pid == std::process::id() as i32));
        assert_eq!(me.map(|h| h.fds), Some(1), "{held:?}");
    }
}
