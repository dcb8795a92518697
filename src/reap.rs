//! Cleanup of /dev/shm that never removes what is in use: `rshm_reap`,
//! and the CLI's `rm --unused` and `reap`, are one sweep with two rules.
//!
//! A sweep runs in this order, and the order is the safety argument:
//! 1. List the names (with device, inode, owner and mode, links not followed).
//! 2. Judge each by what needs no scan: its type, its age, its owner, its
//!    rshm header and whether that header's creator lives. Objects rshm's
//!    own header names are opened for that, and closed, before step 3.
//! 3. Scan every process once ([`holders::scan`]). A process that holds an
//!    object from before its name appeared is seen here, whatever the
//!    object's name: a name listed in step 1 cannot belong to an object
//!    created after step 3 began unless it was replaced, which step 4 sees.
//! 4. Re-check each remaining name right before unlinking it: the same
//!    device, inode, owner and mode as listed, or it is kept.
//!
//! Failing closed: an object is removed only when the scan saw every
//! process that could hold it and none did. A process that cannot be
//! inspected keeps every object it could have opened; a scan that cannot
//! run removes nothing. What no scan sees (a descriptor in flight over a
//! unix socket) is the one case left to an age guard (`older_than`).

pub mod dir;
pub mod holders;

use crate::errno::{Errno, Result};
use crate::object::{header, Identity, Liveness};
use dir::{Entry, FileType, Meta, ShmDir};
use holders::{Holder, Unseen};
use std::ffi::CStr;
use std::os::fd::AsRawFd;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which names a sweep removes (those no process holds, in both rules).
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// Every regular object (POSIX semaphores, "sem.*", excepted) whose
    /// modification and status-change times are both older than `older_than`.
    Unused { older_than: Option<Duration> },
    /// rshm objects whose header's creator is dead, and temporaries
    /// "rshm-tmp.PID.*" whose PID is dead ([`rshm_reap`'s rule](reap)).
    Reap,
}

/// Why a sweep left a name where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Not a regular file: not a shared-memory object.
    NotRegular(FileType),
    /// A POSIX semaphore (`Rule::Unused` leaves them alone).
    Semaphore,
    /// Changed more recently than `older_than`.
    TooRecent,
    /// Owned by this uid: the sticky /dev/shm lets only its owner remove it.
    NotYours(u32),
    /// Not an rshm object of this layout (`Rule::Reap`); the errno of the
    /// header's parse, or of the open that failed before it.
    NotRshm(Errno),
    /// An rshm header that cannot be judged: it names no creator, a kind
    /// this build does not know, or data past the object's end.
    Unjudged(&'static str),
    /// Its creator (or a temporary's pid) lives, or may.
    CreatorLives(Liveness),
    /// Processes hold it.
    Held(Vec<Holder>),
    /// Processes that could hold it went unseen.
    Unseen(Unseen),
    /// The name changed (another file, owner or mode) during the sweep.
    Changed,
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::NotRegular(t) => write!(f, "a {}, not a shared memory object", t.name()),
            Keep::Semaphore => f.write_str("a POSIX semaphore"),
            Keep::TooRecent => f.write_str("changed more recently than --older-than"),
            Keep::NotYours(uid) => write!(f, "owned by uid {uid}: only its owner may remove it"),
            Keep::NotRshm(e) => write!(f, "not an rshm object of layout {} (errno {})", header::VERSION, e.0),
            Keep::Unjudged(why) => write!(f, "its rshm header {why}"),
            Keep::CreatorLives(Liveness::Unknown) => f.write_str("its creator may be alive"),
            Keep::CreatorLives(_) => f.write_str("its creator is alive"),
            Keep::Held(hs) => {
                let pids: Vec<String> = hs.iter().map(|h| h.pid.to_string()).collect();
                write!(f, "held by pid {}", pids.join(","))
            }
            Keep::Unseen(u) => std::fmt::Display::fmt(u, f),
            Keep::Changed => f.write_str("it changed during the sweep"),
        }
    }
}

/// What a sweep did with one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Removed,
    /// A dry run's "would remove".
    WouldRemove,
    Kept(Keep),
    /// The unlink failed with this errno.
    Failed(Errno),
}

/// Sweeps the names of /dev/shm that start with `prefix` (a leading '/'
/// optional, empty for all) by `rule`, calling `each` once per name judged,
/// in name order. Returns how many names it removed (would remove, for a
/// `dry_run`).
///
/// Errors, with nothing removed: /dev/shm or /proc cannot be read (EACCES,
/// EMFILE, ENFILE, ENOMEM, ENOENT).
pub fn sweep(prefix: &[u8], rule: Rule, dry_run: bool, mut each: impl FnMut(&Entry, &Outcome)) -> Result<usize> {
    let prefix = &prefix[prefix.iter().position(|&b| b != b'/').unwrap_or(prefix.len())..];
    let dir = ShmDir::open()?;
    let me = Caller::new(&dir)?;
    let mut candidates = Vec::new();
    for entry in dir.list()? {
        let in_scope =
            entry.name.to_bytes().starts_with(prefix) || matches!(rule, Rule::Reap) && tmp_pid(&entry).is_some();
        if !in_scope {
            continue;
        }
        match judge(&dir, &me, &entry, rule) {
            Ok(()) => candidates.push(entry),
            Err(keep) => each(&entry, &Outcome::Kept(keep)),
        }
    }
    if candidates.is_empty() {
        return Ok(0);
    }
    let scan = holders::scan(dir.dev()?)?;
    let mut removed = 0;
    for entry in &candidates {
        let m = &entry.meta;
        let outcome = match scan.holders(m.id, m.uid, m.gid, m.mode) {
            Err(unseen) => Outcome::Kept(Keep::Unseen(unseen)),
            Ok(hs) if !hs.is_empty() => Outcome::Kept(Keep::Held(hs)),
            Ok(_) if dry_run => Outcome::WouldRemove,
            Ok(_) => match unlink_if_same(&dir, &entry.name, m) {
                Ok(()) => Outcome::Removed,
                Err(Errno(libc::ESTALE)) => Outcome::Kept(Keep::Changed),
                Err(e) => Outcome::Failed(e),
            },
        };
        if matches!(outcome, Outcome::Removed | Outcome::WouldRemove) {
            removed += 1;
        }
        if outcome != Outcome::Failed(Errno(libc::ENOENT)) {
            each(entry, &outcome);
        }
    }
    Ok(removed)
}

/// Removes, with [`Rule::Reap`], what crashed programs left: see `rshm_reap`.
pub fn reap(prefix: &[u8]) -> Result<usize> {
    sweep(prefix, Rule::Reap, false, |_, _| {})
}

/// Who is sweeping: may this process remove another user's names?
struct Caller {
    euid: u32,
    /// CAP_FOWNER, or the caller owns /dev/shm.
    any_owner: bool,
}

impl Caller {
    fn new(dir: &ShmDir) -> Result<Caller> {
        // SAFETY: geteuid has no failure and reads no memory of ours.
        let euid = unsafe { libc::geteuid() };
        let dir_owner = crate::stat::fstat(dir.raw())?.uid;
        Ok(Caller { euid, any_owner: dir_owner == euid || holders::has_fowner() })
    }
}

/// Whether `entry` may go if no process holds it; why not otherwise.
fn judge(dir: &ShmDir, me: &Caller, entry: &Entry, rule: Rule) -> std::result::Result<(), Keep> {
    let m = &entry.meta;
    if m.kind != FileType::Regular {
        return Err(Keep::NotRegular(m.kind));
    }
    if m.uid != me.euid && !me.any_owner {
        return Err(Keep::NotYours(m.uid));
    }
    match rule {
        Rule::Unused { older_than } => {
            if entry.name.to_bytes().starts_with(b"sem.") {
                return Err(Keep::Semaphore);
            }
            let changed = m.mtime.max(m.ctime);
            let recent = older_than.is_some_and(|d| {
                let changed = UNIX_EPOCH + Duration::from_secs(changed.max(0) as u64);
                SystemTime::now().duration_since(changed).map_or(true, |age| age < d)
            });
            if recent {
                return Err(Keep::TooRecent);
            }
            Ok(())
        }
        Rule::Reap => {
            let creator = match tmp_pid(entry) {
                Some(pid) => Identity { pid, start: 0 },
                None => rshm_creator(dir, entry)?,
            };
            match creator.liveness() {
                Liveness::Dead => Ok(()),
                l => Err(Keep::CreatorLives(l)),
            }
        }
    }
}

/// The PID of a temporary "rshm-tmp.PID.*" a creator builds under.
/// With no start time recorded, only a pid no process has counts as dead.
fn tmp_pid(entry: &Entry) -> Option<u32> {
    let rest = entry.name.to_bytes().strip_prefix(b"rshm-tmp.")?;
    let pid = &rest[..rest.iter().position(|&b| b == b'.')?];
    std::str::from_utf8(pid).ok()?.parse().ok().filter(|&p| p > 0)
}

/// The creator an object's rshm header records, if the header is one
/// rshm could have written: a kind it knows, data inside the object, a
/// creator named (pid 0 is none: garbage, or a hand-made header).
fn rshm_creator(dir: &ShmDir, entry: &Entry) -> std::result::Result<Identity, Keep> {
    let fd = dir.open_regular(&entry.name, libc::O_RDONLY, 0).map_err(Keep::NotRshm)?;
    let mut head = [0u8; header::HEADER_LEN];
    // SAFETY: head is writable for its length.
    let n = unsafe { libc::pread(fd.as_raw_fd(), head.as_mut_ptr().cast(), head.len(), 0) };
    if n < 0 {
        return Err(Keep::NotRshm(Errno::last()));
    }
    let h = header::parse(&head[..n as usize]).map_err(Keep::NotRshm)?;
    if h.kind_name() == "rshm-unknown" {
        return Err(Keep::Unjudged("is of an unknown kind"));
    }
    if h.matches(entry.meta.size, crate::page::size() as u64).is_err() {
        return Err(Keep::Unjudged("is not the size its header says"));
    }
    if h.creator.pid == 0 {
        return Err(Keep::Unjudged("names no creator"));
    }
    Ok(h.creator)
}

/// Removes `name` if it is still the file listed: same device, inode,
/// owner and mode (ESTALE otherwise).
fn unlink_if_same(dir: &ShmDir, name: &CStr, listed: &Meta) -> Result<()> {
    let now = dir.stat(name)?;
    if (now.uid, now.gid, now.mode) != (listed.uid, listed.gid, listed.mode) {
        return Err(Errno(libc::ESTALE));
    }
    dir.unlink_if_same(name, listed.id)
}

#[cfg(test)]
mod tests;
