//! Who holds each role of an object (a ring's two ends, a value's writer,
//! a topic's publisher and subscribers), and whether that process still lives.
//!
//! A role word holds the pid of its holder, `NOBODY` before anyone took
//! it, or `CLOSED` once its holder let go. A role is taken with a CAS from
//! a free value (`NOBODY`, `CLOSED`, or the pid of a dead process), so
//! there is one sender and one receiver at a time.
//!
//! Liveness: on Linux a pidfd, which reports a process as gone as soon as
//! it exits (a zombie that its parent has not reaped counts as gone, which
//! kill(pid, 0) would miss), else kill(pid, 0). Pids are those of the
//! caller's pid namespace: processes in different namespaces cannot tell
//! each other's death, and a pid reused before the check misleads it.

use crate::errno::{Errno, Result};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

pub(crate) const NOBODY: u32 = 0;
pub(crate) const CLOSED: u32 = u32::MAX;

/// How often a waiting side asks the kernel whether its peer still lives.
const CHECK_EVERY: Duration = Duration::from_millis(1);

/// The calling process's id, as role words hold it.
pub(crate) fn me() -> u32 {
    std::process::id()
}

/// Takes the role for `me`: EBUSY while another live process (or another
/// handle of this one) holds it.
pub(crate) fn claim(word: &AtomicU32, me: u32) -> Result<()> {
    loop {
        let v = word.load(SeqCst);
        if v != NOBODY && v != CLOSED && (v == me || alive(v, None)) {
            return Err(Errno(libc::EBUSY));
        }
        if word.compare_exchange(v, me, SeqCst, SeqCst).is_ok() {
            return Ok(());
        }
    }
}

/// Lets the role go, if `me` still holds it.
pub(crate) fn give_up(word: &AtomicU32, me: u32) {
    let _ = word.compare_exchange(me, CLOSED, SeqCst, SeqCst);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// Nobody has taken the role yet: one may still come.
    Absent,
    Alive,
    /// Closed, or its process died.
    Gone,
}

/// One side's view of the other: the peer's pidfd, kept while the same pid
/// holds the role, and the answer of the last check.
#[derive(Default)]
pub(crate) struct Watch {
    pid: u32,
    fd: Option<OwnedFd>,
    dead: bool,
    last: Option<Instant>,
}

impl Watch {
    /// The state of whoever holds `word`, asking the kernel at most once
    /// per CHECK_EVERY.
    pub fn peer(&mut self, word: &AtomicU32) -> Peer {
        let pid = match word.load(SeqCst) {
            NOBODY => return Peer::Absent,
            CLOSED => return Peer::Gone,
            pid => pid,
        };
        if pid != self.pid {
            *self = Watch { pid, ..Watch::default() };
            match pidfd(pid) {
                Probe::Fd(fd) => self.fd = Some(fd),
                Probe::Dead => self.dead = true,
                Probe::Unsupported => {}
            }
        }
        if !self.dead {
            let now = Instant::now();
            if self.last.map_or(true, |t| now.duration_since(t) >= CHECK_EVERY) {
                self.last = Some(now);
                self.dead = !alive(pid, self.fd.as_ref());
            }
        }
        if self.dead {
            Peer::Gone
        } else {
            Peer::Alive
        }
    }
}

#[cfg_attr(target_os = "macos", allow(dead_code))] // no pidfd there
enum Probe {
    Fd(OwnedFd),
    Dead,
    Unsupported,
}

/// Whether process `pid` lives: its pidfd (the watch's, or one opened for
/// the question) has not become readable, or without one kill(pid, 0)
/// finds it.
fn alive(pid: u32, fd: Option<&OwnedFd>) -> bool {
    if let Some(fd) = fd {
        return !exited(fd);
    }
    match pidfd(pid) {
        Probe::Fd(fd) => !exited(&fd),
        Probe::Dead => false,
        Probe::Unsupported => {
            let Ok(p) = libc::pid_t::try_from(pid) else { return false };
            // SAFETY: signal 0 only checks that the process exists.
            let r = unsafe { libc::kill(p, 0) };
            r == 0 || Errno::last() != Errno(libc::ESRCH)
        }
    }
}

/// A pidfd turns readable when its process has exited.
fn exited(fd: &OwnedFd) -> bool {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, and no waiting.
    let r = unsafe { libc::poll(&mut pfd, 1, 0) };
    r == 1 && pfd.revents & libc::POLLIN != 0
}

#[cfg(target_os = "linux")]
fn pidfd(pid: u32) -> Probe {
    use std::os::fd::FromRawFd;
    let Ok(p) = libc::pid_t::try_from(pid) else { return Probe::Dead };
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, p, 0) };
    if fd >= 0 {
        // SAFETY: the descriptor is new and ours alone.
        return Probe::Fd(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    }
    match Errno::last() {
        Errno(libc::ESRCH) => Probe::Dead,
        _ => Probe::Unsupported, // ENOSYS before Linux 5.3, EMFILE, ...
    }
}

/// macOS: kill(pid, 0), which counts an unreaped zombie as alive.
#[cfg(target_os = "macos")]
fn pidfd(_: u32) -> Probe {
    Probe::Unsupported
}
