//! The Linux mutex: one futex word, and plain data beside it. No pointer,
//! no glibc layout, no robust list: a peer that writes these bytes changes
//! numbers this code checks, and nothing else.
//!
//! Layout, in 32-bit words: 0 the lock word, 1 the flags, 2..4 the PID
//! namespace of the process that ran `init`, 4 the foreign mark, 5..14
//! zero (spare), 14..16 the mark of `init` and of this layout. Every
//! process reads the same fixed-width words, so 32- and 64-bit processes
//! may share one.
//!
//! A tid names a thread only inside one PID namespace: a waiter must not
//! judge an owner from another (containers sharing /dev/shm), or it would
//! take a live owner's lock. So a locker whose namespace is not `init`'s
//! sets the foreign mark before its first lock, and from then until the
//! next `init` no waiter judges any owner: the mutex is not robust (a dead
//! owner's lock stays held, as on macOS), and never unsafe.
//!
//! The lock word is 0 when free, `UNRECOVERABLE` after an owner died and
//! its successor unlocked without `consistent`, and otherwise the owner's
//! number (`owner::me`: tid and start-time tag) with bit 31 set when a
//! thread may sleep on it (`WAITERS`).
//!
//! # Ordering
//! - Lock is a compare-exchange 0 → me (Acquire); unlock a swap to 0 or
//!   `UNRECOVERABLE` (Release). Everything a holder wrote under the lock
//!   happens before what the next holder reads: the usual mutex argument,
//!   over one word.
//! - No lost wake-up: a waiter sets `WAITERS` with a compare-exchange on
//!   the value it saw, then sleeps with FUTEX_WAIT on that value with the
//!   bit set. The kernel compares and sleeps as one step. An unlock after
//!   the bit went in sees it in the swap's old value and wakes; an unlock
//!   before makes the compare-exchange or the sleep's compare fail, and the
//!   waiter looks again. A woken waiter takes the lock with `WAITERS` set,
//!   since it cannot know whether others sleep: at worst one wake too many.
//!   A waiter that has not slept yet (it spins a little first) takes a
//!   free lock without the bit: no sleeper's wake-up is its to pass on,
//!   and a sleeper woken meanwhile sets the bit again when it fails.
//! - A dead owner is taken over with a compare-exchange from the exact
//!   word judged dead (Acquire). The word names the thread and its start
//!   time, so it cannot be rewritten to the same value by another thread
//!   unless a reused tid also draws the same 9-bit tag; that thread would
//!   have to lock this mutex between our look and our exchange. The dead
//!   owner's writes are as complete as its death left them: hence
//!   EOWNERDEAD. Owner death is checked only by a waiter: after each slice
//!   it sleeps through without a wake-up (2 ms, doubling to 128 ms), and
//!   when its timeout ends, so the uncontended path never pays for it.
//! - The flags word is written and read only by the holder (`INCONSISTENT`
//!   set at a take-over, cleared by `consistent`, read by unlock), so the
//!   lock word's Acquire/Release orders it; Relaxed suffices.
//! - The mark is stored last by `init` (Release) and checked first by every
//!   call (Acquire), so a mutex seen marked was seen initialised.
//! - A foreign locker stores the foreign mark, then a Release fence, then
//!   takes the lock word; a waiter that read that locker's number in the
//!   word issues an Acquire fence before it reads the foreign mark. The
//!   fences synchronise (the waiter read the locker's exchange, or a later
//!   read-modify-write of it), so the waiter sees the mark and does not
//!   judge.
//!
//! # A hostile peer
//! Any value in any word is a value this code handles: a foreign owner
//! number means waiting (bounded by the caller's timeout, rechecked each
//! slice) or, when it names no live thread, EOWNERDEAD; a bad mark EINVAL
//! or EPROTO; flags only change which of EINVAL / ENOTRECOVERABLE a holder
//! sees. Each loop turn of a lock with a timeout reads the clock, so a
//! peer that changes the word faster than a compare-exchange can land
//! delays such a caller at most to its deadline; a lock without limit
//! waits, as it would for a holder that never unlocks. Only these 64 bytes
//! are ever written.

use crate::errno::{Errno, Result};
use crate::sync::{futex, owner, Timeout};
use std::sync::atomic::{fence, AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

/// A thread may sleep on the lock word: the unlock must wake one.
const WAITERS: u32 = 1 << 31;
/// The bits of the lock word that name its owner.
const OWNER: u32 = !WAITERS;
/// Tid 0 with every tag bit: no thread's number.
const UNRECOVERABLE: u32 = owner::TAG_MASK;
/// In the flags: the holder took the lock from a dead owner and has not
/// called `consistent`.
const INCONSISTENT: u32 = 1;

/// "rshm" "mtx2": this layout. The glibc-based layout before it was marked
/// "rshm" "-mtx" in the same place.
const MARK: [u32; 2] = [u32::from_ne_bytes(*b"rshm"), u32::from_ne_bytes(*b"mtx2")];
const OLD_MARK: [u32; 2] = [u32::from_ne_bytes(*b"rshm"), u32::from_ne_bytes(*b"-mtx")];

/// A waiter's first sleep before it checks the owner, and the longest.
const FIRST_SLICE: Duration = Duration::from_millis(2);
const LAST_SLICE: Duration = Duration::from_millis(128);
/// Looks at the lock word before a waiter's first sleep (as many as Rust's
/// own futex mutex makes).
const SPINS: u32 = 100;

/// 64 bytes of 32-bit words, aligned as `u64`.
#[repr(C)]
pub struct Mutex {
    word: AtomicU32,
    flags: AtomicU32,
    ns: [AtomicU32; 2],
    foreign: AtomicU32,
    _spare: [AtomicU32; 9],
    mark: [AtomicU32; 2],
    _align: [u64; 0],
}

impl Default for Mutex {
    fn default() -> Self {
        Mutex::zeroed()
    }
}

impl Mutex {
    /// All-zero bytes: still to be `init`ed.
    pub const fn zeroed() -> Mutex {
        #[allow(clippy::declare_interior_mutable_const)]
        const Z: AtomicU32 = AtomicU32::new(0);
        Mutex { word: Z, flags: Z, ns: [Z; 2], foreign: Z, _spare: [Z; 9], mark: [Z; 2], _align: [] }
    }

    /// Ok when `init` ran on these bytes; EPROTO for the old layout's
    /// mark, EINVAL for anything else.
    #[inline]
    fn ready(&self) -> Result<()> {
        let m = [self.mark[0].load(Acquire), self.mark[1].load(Acquire)];
        if m == MARK {
            Ok(())
        } else if m == OLD_MARK {
            Err(Errno(libc::EPROTO))
        } else {
            Err(Errno(libc::EINVAL))
        }
    }

    /// Makes the bytes an unlocked mutex. EFAULT when the memory is not
    /// writable (asked of the kernel first, so a read-only mapping is an
    /// error, not SIGSEGV).
    ///
    /// # Safety
    /// No thread in any process may hold or wait on the mutex meanwhile.
    pub unsafe fn init(&self) -> Result<()> {
        writable(&self.word)?;
        writable(&self.mark[1])?;
        for w in [&self.word, &self.flags, &self.foreign].into_iter().chain(&self._spare) {
            w.store(0, Relaxed);
        }
        let ns = owner::pid_ns();
        self.ns[0].store(ns as u32, Relaxed);
        self.ns[1].store((ns >> 32) as u32, Relaxed);
        self.mark[0].store(MARK[0], Release);
        self.mark[1].store(MARK[1], Release);
        Ok(())
    }

    /// Locks, waiting as `timeout` allows. Err(EOWNERDEAD) holds the lock.
    #[inline]
    pub fn lock(&self, timeout: Timeout) -> Result<()> {
        self.ready()?;
        let me = owner::me()?;
        if !self.in_init_ns() {
            self.mark_foreign();
        }
        if self.word.compare_exchange(0, me, Acquire, Relaxed).is_ok() {
            return Ok(());
        }
        self.lock_slow(me, timeout)
    }

    /// Whether the caller's PID namespace is the one `init` ran in.
    #[inline]
    fn in_init_ns(&self) -> bool {
        let ns = owner::pid_ns();
        self.ns[0].load(Relaxed) == ns as u32 && self.ns[1].load(Relaxed) == (ns >> 32) as u32
    }

    #[cold]
    fn mark_foreign(&self) {
        if self.foreign.load(Relaxed) == 0 {
            self.foreign.store(1, Relaxed);
        }
        fence(Release);
    }

    /// Whether this waiter may judge the owner whose number it read in the
    /// lock word: both in `init`'s namespace, and no foreign locker since.
    fn may_judge(&self) -> bool {
        fence(Acquire);
        self.foreign.load(Relaxed) == 0 && self.in_init_ns()
    }

    #[cold]
    fn lock_slow(&self, me: u32, timeout: Timeout) -> Result<()> {
        // A lock without limit never reads the clock: its slices are the
        // sleeps' own timeouts.
        let deadline = timeout.deadline();
        let expired_err = Errno(if timeout == Timeout::Try { libc::EBUSY } else { libc::ETIMEDOUT });
        let mut slice = FIRST_SLICE;
        let mut slept_a_slice = false;
        // A holder often lets go within a few hundred nanoseconds: watch
        // for that before paying for a sleep with a timer (a timed futex
        // wait costs about 0.6 us more than an untimed one on the machine
        // `make bench` ran on). A try does not wait at all.
        let spins = if timeout == Timeout::Try { 0 } else { SPINS };
        for _ in 0..spins {
            std::hint::spin_loop();
            if self.word.load(Relaxed) == 0 && self.word.compare_exchange(0, me, Acquire, Relaxed).is_ok() {
                return Ok(());
            }
        }
        loop {
            let v = self.word.load(Relaxed);
            let now = deadline.map(|_| Instant::now());
            let expired = deadline.zip(now).is_some_and(|(d, n)| n >= d);
            let held_by = v & OWNER;
            if held_by == 0 {
                // Free (a stray WAITERS bit is a peer's doing: keep it set).
                if self.word.compare_exchange(v, me | WAITERS, Acquire, Relaxed).is_ok() {
                    return Ok(());
                }
                if expired {
                    return Err(expired_err);
                }
                continue;
            }
            if held_by == UNRECOVERABLE {
                return Err(Errno(libc::ENOTRECOVERABLE));
            }
            if held_by == me {
                return Err(Errno(libc::EDEADLK));
            }
            if expired || slept_a_slice {
                if self.may_judge() && !owner::alive(held_by) {
                    if self.word.compare_exchange(v, me | WAITERS, Acquire, Relaxed).is_ok() {
                        self.flags.store(INCONSISTENT, Relaxed);
                        return Err(Errno(libc::EOWNERDEAD));
                    }
                    if expired {
                        return Err(expired_err);
                    }
                    continue;
                }
                if expired {
                    return Err(expired_err);
                }
                slept_a_slice = false;
                slice = (slice * 2).min(LAST_SLICE);
            }
            if v & WAITERS == 0 && self.word.compare_exchange(v, v | WAITERS, Relaxed, Relaxed).is_err() {
                continue;
            }
            let nap = deadline.zip(now).map_or(slice, |(d, n)| slice.min(d.saturating_duration_since(n)));
            if nap.is_zero() {
                continue;
            }
            match futex::wait(&self.word, v | WAITERS, Timeout::After(nap)) {
                Err(Errno(libc::ETIMEDOUT)) => slept_a_slice = nap == slice,
                Ok(()) | Err(Errno(libc::EINTR)) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Unlocks. EPERM when the calling thread does not hold it. An owner
    /// that took it with EOWNERDEAD and did not call `consistent` leaves it
    /// unrecoverable, and wakes every waiter to say so.
    #[inline]
    pub fn unlock(&self) -> Result<()> {
        self.ready()?;
        let me = owner::me()?;
        if self.word.load(Relaxed) & OWNER != me {
            return Err(Errno(libc::EPERM));
        }
        if self.flags.load(Relaxed) & INCONSISTENT != 0 {
            self.word.swap(UNRECOVERABLE, Release);
            // The swap is done: a failed wake (it cannot fail on a word we
            // just wrote) would not undo it.
            let _ = futex::wake(&self.word, i32::MAX);
            return Ok(());
        }
        if self.word.swap(0, Release) & WAITERS != 0 {
            let _ = futex::wake(&self.word, 1);
        }
        Ok(())
    }

    /// Marks the state a mutex taken with EOWNERDEAD guards as repaired;
    /// EINVAL when the calling thread does not hold it so.
    pub fn consistent(&self) -> Result<()> {
        self.ready()?;
        let me = owner::me()?;
        if self.word.load(Relaxed) & OWNER != me || self.flags.load(Relaxed) & INCONSISTENT == 0 {
            return Err(Errno(libc::EINVAL));
        }
        self.flags.store(0, Relaxed);
        Ok(())
    }
}

/// EFAULT unless the calling process may write `w`: the kernel stores
/// the current CPU's number there (getcpu(2) as a system call, not through
/// the vDSO, which would store in user space and fault), or reports a
/// fault instead of raising it. The word is overwritten next anyway.
fn writable(w: &AtomicU32) -> Result<()> {
    // SAFETY: the kernel writes 4 bytes at w, which is a live, aligned
    // u32, or fails with EFAULT; the other two pointers may be NULL.
    let r = unsafe { libc::syscall(libc::SYS_getcpu, w.as_ptr(), std::ptr::null_mut::<u32>(), 0usize) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}
