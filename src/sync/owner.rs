//! Who holds a mutex, as a number that can sit in shared memory: a
//! thread's id plus a tag of its start time, and whether the thread such a
//! number names still lives. Linux only.
//!
//! The number is `tid | tag << TAG_SHIFT`. The tid alone would name a new
//! thread once the kernel reuses it; the tag (9 bits of the thread's start
//! time, from /proc) tells that thread apart from the one that locked,
//! except with odds of 1 in 511. Tag 0 means the locker could not read
//! its start time (no /proc): such an owner is judged by its tid alone.
//!
//! Nothing here trusts the number: a peer may have written any value. The
//! tid is at most 22 bits (the kernel's PID_MAX_LIMIT) and never 0 when
//! passed to kill(2), so a forged one can name no group and no pid 0.

use crate::errno::{Errno, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Once;

/// Bits of the number that hold the tid: pids never reach 2^22.
pub const TID_MASK: u32 = (1 << 22) - 1;
/// Where the start-time tag begins.
pub const TAG_SHIFT: u32 = 22;
/// The tag's bits: 9, above the tid.
pub const TAG_MASK: u32 = 0x1ff << TAG_SHIFT;

/// Where the calling thread keeps its number: 0 until it is first needed
/// (and again in a child of fork, whose thread has a tid of its own).
///
/// Every lock and unlock reads it, so on x86-64 it is a thread-local in the
/// initial-exec model, reached with two instructions: the library's own
/// thread-locals are general-dynamic (a call to `__tls_get_addr`), which
/// cost 1.6 ns a read in `make bench`, a fifth of an uncontended
/// lock/unlock. The price is 4 bytes of the static TLS block glibc keeps
/// for libraries, whether loaded at start or by dlopen(3), as libc's own
/// errno does. Elsewhere it is an ordinary `thread_local!`.
#[cfg(target_arch = "x86_64")]
mod slot {
    std::arch::global_asm!(
        ".pushsection .tbss.rshm_owner_slot,\"awT\",@nobits",
        ".globl rshm_owner_slot",
        ".hidden rshm_owner_slot",
        ".type rshm_owner_slot,@object",
        ".size rshm_owner_slot,4",
        ".p2align 2",
        "rshm_owner_slot:",
        ".zero 4",
        ".popsection",
    );

    /// The calling thread's slot.
    #[inline(always)]
    pub fn get() -> *mut u32 {
        let p: *mut u32;
        // SAFETY: fs:0 holds the thread pointer's own value (the x86-64
        // TLS ABI), and the GOT entry the slot's offset from it, set by the
        // dynamic linker (or the static one, which rewrites the add); only
        // a register is written.
        unsafe {
            std::arch::asm!(
                "mov {p}, qword ptr fs:[0]",
                "add {p}, qword ptr [rip + rshm_owner_slot@GOTTPOFF]",
                p = out(reg) p,
                options(nostack, pure, readonly),
            );
        }
        p
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod slot {
    use std::cell::Cell;

    thread_local! {
        static ME: Cell<u32> = const { Cell::new(0) };
    }

    /// The calling thread's slot.
    #[inline(always)]
    pub fn get() -> *mut u32 {
        ME.with(Cell::as_ptr)
    }
}

static AT_FORK: Once = Once::new();
static AT_FORK_FAILED: AtomicBool = AtomicBool::new(false);

/// The calling thread's number: never 0, never a value with tid 0.
#[inline]
pub fn me() -> Result<u32> {
    // SAFETY: the slot is the calling thread's own, 4-byte aligned, and
    // no other thread reaches it.
    let id = unsafe { *slot::get() };
    if id != 0 {
        return Ok(id);
    }
    learn_me()
}

#[cold]
fn learn_me() -> Result<u32> {
    AT_FORK.call_once(|| {
        // SAFETY: forget_me is a plain function that only touches a
        // thread-local slot and an atomic; registration has no other
        // precondition.
        let r = unsafe { libc::pthread_atfork(None, None, Some(forget_me)) };
        AT_FORK_FAILED.store(r != 0, Relaxed);
    });
    // Without the handler a child of fork would pass for its parent's
    // thread.
    if AT_FORK_FAILED.load(Relaxed) {
        return Err(Errno(libc::ENOMEM));
    }
    pid_ns();
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let tid = u32::try_from(tid).ok().filter(|&t| t != 0 && t <= TID_MASK).ok_or(Errno(libc::EOVERFLOW))?;
    let tag = match stat(tid) {
        Ok(s) => tag_of(s.start),
        Err(_) => 0,
    };
    let id = tid | tag << TAG_SHIFT;
    // SAFETY: as in me.
    unsafe { *slot::get() = id };
    Ok(id)
}

/// Runs in the child of fork, in its one thread (which may be in another
/// PID namespace than its parent, after unshare(CLONE_NEWPID)).
extern "C" fn forget_me() {
    // SAFETY: as in me.
    unsafe { *slot::get() = 0 };
    MY_NS.store(0, Relaxed);
}

/// The PID namespace the calling process's tids belong to: the inode of
/// /proc/self/ns/pid, `UNKNOWN_NS` when it cannot be read. A tid means
/// something to a waiter only inside its own namespace.
pub fn pid_ns() -> u64 {
    match MY_NS.load(Relaxed) {
        0 => learn_ns(),
        ns => ns,
    }
}

/// What `pid_ns` answers without /proc.
pub const UNKNOWN_NS: u64 = u64::MAX;

/// The process's `pid_ns`, 0 until learnt.
static MY_NS: AtomicU64 = AtomicU64::new(0);

#[cold]
fn learn_ns() -> u64 {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the path is NUL-terminated; st is written on success only.
    let ns = if unsafe { libc::stat(c"/proc/self/ns/pid".as_ptr(), st.as_mut_ptr()) } == 0 {
        // SAFETY: stat succeeded, so st is initialised.
        let st = unsafe { st.assume_init() };
        // ino_t is 32 bits on some targets.
        #[allow(clippy::unnecessary_cast)]
        let ino = st.st_ino as u64;
        if ino == 0 {
            UNKNOWN_NS
        } else {
            ino
        }
    } else {
        UNKNOWN_NS
    };
    MY_NS.store(ns, Relaxed);
    ns
}

/// 1..=511 from a start time: 0 is kept for "unknown".
fn tag_of(start: u64) -> u32 {
    let h = start.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    1 + (h % 511) as u32
}

/// Whether the thread `id` names may still be running. False only when it
/// is certainly gone: no such tid, a zombie, or a tid whose thread started
/// at another time than the tag says. In doubt (/proc hides the tid but
/// kill(2) sees it), true: a live owner must never lose its lock.
pub fn alive(id: u32) -> bool {
    let tid = id & TID_MASK;
    let tag = (id & TAG_MASK) >> TAG_SHIFT;
    if tid == 0 {
        return false;
    }
    match stat(tid) {
        Ok(s) => !s.zombie && (tag == 0 || tag_of(s.start) == tag),
        // Hidden (hidepid), or /proc unreadable: ask the kernel whether the
        // tid exists at all. tid is in 1..2^22: one thread group, never a
        // process group or every process.
        Err(_) => {
            // SAFETY: signal 0 sends nothing; it only checks existence.
            let r = unsafe { libc::kill(tid as libc::pid_t, 0) };
            !(r == -1 && Errno::last() == Errno(libc::ESRCH))
        }
    }
}

/// What /proc/TID/stat says that matters here.
struct Stat {
    /// Field 22: clock ticks after boot when the thread started.
    start: u64,
    /// State Z or X: exited, not yet (or being) reaped.
    zombie: bool,
}

/// Reads /proc/TID/stat (any thread's tid works, listed or not).
fn stat(tid: u32) -> Result<Stat> {
    let mut path = [0u8; 32];
    let mut w = &mut path[..];
    use std::io::Write;
    write!(w, "/proc/{tid}/stat\0").map_err(|_| Errno(libc::ENAMETOOLONG))?;
    // SAFETY: path is NUL-terminated (written above, and the buffer is
    // long enough for any u32).
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let mut buf = [0u8; 1024];
    // SAFETY: buf is writable for its length; fd is ours.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    let err = Errno::last();
    // SAFETY: fd is ours, closed once.
    unsafe { libc::close(fd) };
    if n < 0 {
        return Err(err);
    }
    parse(&buf[..n as usize]).ok_or(Errno(libc::EPROTO))
}

/// The fields after the command name, which ends at the last ')' (the name
/// itself may hold spaces and parentheses).
fn parse(line: &[u8]) -> Option<Stat> {
    let close = line.iter().rposition(|&b| b == b')')?;
    let mut fields = line[close + 1..].split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?;
    // state is field 3; start time field 22.
    let start = fields.nth(22 - 4)?;
    let start = std::str::from_utf8(start).ok()?.parse().ok()?;
    Some(Stat { start, zombie: state == b'Z' || state == b'X' })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_number_names_a_live_thread_and_a_wrong_tag_a_dead_one() {
        let id = me().unwrap();
        assert_ne!(id & TID_MASK, 0);
        assert_ne!(id & TAG_MASK, 0, "/proc is readable here");
        assert!(alive(id));
        let other_tag = ((id >> TAG_SHIFT) % 511 + 1) << TAG_SHIFT;
        assert!(!alive(id & TID_MASK | other_tag));
        assert!(alive(id & TID_MASK));
        assert!(!alive(0));
        assert!(!alive(TAG_MASK));
    }

    #[test]
    fn a_finished_thread_is_dead() {
        let id = std::thread::spawn(|| me().unwrap()).join().unwrap();
        assert_ne!(id, me().unwrap());
        assert!(!alive(id));
    }

    #[test]
    fn names_with_spaces_and_parentheses() {
        let s = parse(b"12 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19 20").unwrap();
        assert_eq!(s.start, 777);
        assert!(!s.zombie);
        assert!(parse(b"12 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 5 6").unwrap().zombie);
        assert!(parse(b"12 (x) S 1 2").is_none());
        assert!(parse(b"no paren").is_none());
    }
}
