//! A process's identity across pid reuse: its pid and its start time.
//!
//! A pid alone names a process only while it lives: once it is reaped the
//! kernel may give the number to a newcomer, and "is pid 4242 alive?" then
//! answers for the wrong process. The pair (pid, start time) does not
//! repeat: the newcomer started later. Objects record their creator this
//! way (the header's creator fields), so that cleanup can tell a dead
//! creator from a live one that happens to share its number.
//!
//! The start time is the kernel's own and opaque: on Linux field 22 of
//! /proc/PID/stat (clock ticks after boot), on macOS the microseconds of
//! `pbi_start_tvsec/usec`. It is compared for equality only, never read as
//! a date, and only between processes of one boot.
//!
//! Liveness answers fail closed: whatever cannot be decided is
//! [`Liveness::Unknown`], which callers that remove things treat as alive.

use crate::errno::{Errno, Result};

/// Who a process is: pid and start time (0 when it could not be read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Identity {
    pub pid: u32,
    pub start: u64,
}

/// What can be said of a recorded process now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// The same process (pid and start time) still runs.
    Alive,
    /// It exited: the pid is free, a zombie, or another process's now.
    Dead,
    /// The pid exists but its start time cannot be read (another user's
    /// process behind hidepid, a foreign pid namespace, a recorded start
    /// of 0): assume it is the same process.
    Unknown,
}

impl Identity {
    /// The calling process. Read once per process (and again after fork,
    /// when the pid changes).
    pub fn me() -> Identity {
        use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
        static PID: AtomicU32 = AtomicU32::new(0);
        static START: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        if PID.load(Relaxed) == pid {
            return Identity { pid, start: START.load(Relaxed) };
        }
        let start = start_time(pid).unwrap_or(0);
        // A race between two threads stores the same pair twice; a reader
        // that sees the new pid before the new start reads start 0 at worst
        // once, which only makes a later liveness answer Unknown.
        START.store(start, Relaxed);
        PID.store(pid, Relaxed);
        Identity { pid, start }
    }

    /// Whether this process still runs.
    pub fn liveness(&self) -> Liveness {
        let Ok(pid) = libc::pid_t::try_from(self.pid) else { return Liveness::Dead };
        if pid <= 0 {
            return Liveness::Dead;
        }
        // SAFETY: signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } != 0 && Errno::last() == Errno(libc::ESRCH) {
            return Liveness::Dead;
        }
        // A zombie is dead whatever start was recorded: if it is not the
        // process meant, that one's pid was freed and reused, so it is gone.
        match (start_time(self.pid), self.start) {
            (Ok(now), recorded) if recorded != 0 && now != recorded => Liveness::Dead,
            (Ok(_), _) if zombie(self.pid) => Liveness::Dead,
            (Ok(_), 0) | (Err(_), _) => Liveness::Unknown,
            (Ok(_), _) => Liveness::Alive,
        }
    }
}

/// The start time of `pid`, as the kernel keeps it.
#[cfg(target_os = "linux")]
pub fn start_time(pid: u32) -> Result<u64> {
    let stat = read_stat(pid)?;
    // The fields after the command name, which may itself hold ") ".
    let rest = stat.rsplit_once(')').map(|(_, r)| r).ok_or(Errno(libc::EPROTO))?;
    // Field 3 (state) is the first after ')'; starttime is field 22.
    rest.split_ascii_whitespace().nth(22 - 3).and_then(|s| s.parse().ok()).ok_or(Errno(libc::EPROTO))
}

#[cfg(target_os = "linux")]
fn read_stat(pid: u32) -> Result<String> {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))
}

/// A zombie has released its memory and descriptors: for cleanup it is dead.
#[cfg(target_os = "linux")]
fn zombie(pid: u32) -> bool {
    read_stat(pid)
        .ok()
        .and_then(|s| s.rsplit_once(')').and_then(|(_, r)| r.split_ascii_whitespace().next().map(|f| f == "Z")))
        .unwrap_or(false)
}

/// The start time of `pid` in microseconds, from proc_pidinfo.
#[cfg(target_os = "macos")]
pub fn start_time(pid: u32) -> Result<u64> {
    let p = libc::c_int::try_from(pid).map_err(|_| Errno(libc::ESRCH))?;
    // SAFETY: all-zero bytes are a valid proc_bsdinfo (integers and arrays).
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
    // SAFETY: info is writable for `size` bytes.
    let n = unsafe {
        libc::proc_pidinfo(p, libc::PROC_PIDTBSDINFO, 0, (&mut info as *mut libc::proc_bsdinfo).cast(), size)
    };
    if n != size {
        return Err(Errno::last());
    }
    Ok(info.pbi_start_tvsec.wrapping_mul(1_000_000).wrapping_add(info.pbi_start_tvusec))
}

/// macOS reports a zombie's status as SZOMB.
#[cfg(target_os = "macos")]
fn zombie(pid: u32) -> bool {
    let Ok(p) = libc::c_int::try_from(pid) else { return false };
    // SAFETY: as in start_time.
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
    // SAFETY: as in start_time.
    let n = unsafe {
        libc::proc_pidinfo(p, libc::PROC_PIDTBSDINFO, 0, (&mut info as *mut libc::proc_bsdinfo).cast(), size)
    };
    const SZOMB: u32 = 5;
    n == size && info.pbi_status == SZOMB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i_am_alive_and_my_start_is_known() {
        let me = Identity::me();
        assert_eq!(me.pid, std::process::id());
        assert_ne!(me.start, 0);
        assert_eq!(me, Identity::me());
        assert_eq!(me.liveness(), Liveness::Alive);
    }

    #[test]
    fn another_start_time_is_another_process() {
        let me = Identity::me();
        assert_eq!(Identity { start: me.start + 1, ..me }.liveness(), Liveness::Dead);
        assert_eq!(Identity { start: 0, ..me }.liveness(), Liveness::Unknown);
        assert_eq!(Identity { pid: 0, start: 1 }.liveness(), Liveness::Dead);
        assert_eq!(Identity { pid: u32::MAX, start: 1 }.liveness(), Liveness::Dead);
    }

    #[test]
    fn an_exited_child_is_dead_even_unreaped() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let id = Identity { pid: child.id(), start: start_time(child.id()).unwrap_or(1) };
        // Wait for the exit without reaping: the zombie must count as dead.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while id.liveness() != Liveness::Dead && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(id.liveness(), Liveness::Dead);
        assert_eq!(Identity { start: 0, ..id }.liveness(), Liveness::Dead, "with no start recorded too");
        child.wait().unwrap();
        assert_eq!(id.liveness(), Liveness::Dead);
    }
}
