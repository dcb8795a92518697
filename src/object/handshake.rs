//! The sleep handshake every rshm object with blocking calls shares: a side
//! that cannot proceed announces itself in a 32-bit wait word in shared
//! memory and sleeps on it (futex); the side that makes progress wakes it
//! only when the word says someone sleeps, so no system call is made while
//! nobody sleeps.
//!
//! # API
//! - [`Handshake::new`]`(protocol, waiters)`: a value (`Copy`) each handle
//!   keeps; `protocol` must be the one every sharer of the word uses
//!   (stored in the object's header), `waiters` says whether one thread at
//!   most (`Waiters::One`: a ring's receiver) or any number
//!   (`Waiters::Many`: a topic's subscribers) may sleep on the word.
//! - The waker: make the condition true with stores of `Release` (or
//!   stronger), then call [`Handshake::wake`]`(word)`. While nobody sleeps
//!   that is one load of the word.
//! - The sleeper, one round: [`Handshake::sleep`]`(word, slice, check)`
//!   announces, runs `check` (the caller's condition, read with `Acquire`
//!   loads: `true` means "do not sleep"), and if it still fails sleeps on
//!   the word for at most `slice`, then withdraws. It returns
//!   `Round::Ready` when `check` held, `Round::Slept` otherwise (woken,
//!   timed out, a signal, or a spurious wake-up): the caller checks again
//!   and decides, between rounds, about deadlines and dead peers. A
//!   sleeper's `check` may also answer `true` for "the peer closed".
//!
//! - The protocol of a new object: [`Protocol::for_new_object`] (the fast
//!   one where this process can run it, unless `RSHM_HANDSHAKE=seqcst`);
//!   stored in the object's header with [`Protocol::to_word`], read back by
//!   every opener with [`Protocol::from_word`] and checked with
//!   [`Protocol::join`] before the opener takes any role.
//!
//! The word is 0 while nobody sleeps; any other value means a sleeper may
//! be there. Only this module writes it.
//!
//! # Two protocols
//! `Asymmetric` (Linux, where membarrier(2) is allowed) keeps every
//! barrier off the waker: the sleeper pays for both sides, once per sleep,
//! next to the futex call it is about to make anyway. `SeqCst` is the
//! fallback that needs nothing from the kernel: a full barrier on each
//! side. They differ only in the barriers, so the one argument below
//! covers both. An object's creator picks one and records it in the
//! header, so the two ends never disagree; a process that cannot run the
//! object's protocol cannot open it (EPROTO).
//!
//! `RSHM_HANDSHAKE=seqcst` in the environment of the process that creates
//! an object makes it use the fallback: for tests and benchmarks, which
//! run both protocols on the same machine, and for a deployment whose
//! other processes are refused membarrier(2) (a seccomp filter) while the
//! creator is not.
//!
//! # Ordering: no lost wake-up
//! The waker stores the condition (S) and then loads the word (L); the
//! sleeper stores its announcement (A) and then loads the condition (C).
//! A wake-up is lost only if L misses A and C misses S: the store-buffer
//! pattern, which a full barrier between each side's store and load
//! forbids. When L sees A the waker clears the word and wakes: the sleeper
//! either is in futex(2) already or its futex_wait finds the word no
//! longer 1 and returns at once (the kernel compares and sleeps
//! atomically). So it remains to show that L sees A or C sees S.
//!
//! `SeqCst`: both sides have a `fence(SeqCst)` between store and load. Of
//! the two fences one comes first in their single total order; the load
//! after the later fence sees the store before the earlier one.
//!
//! `Asymmetric`: the waker has only a compiler barrier between S and L,
//! so its CPU may let L pass S (x86's store buffer; aarch64 the same and
//! more). The sleeper, between A (then its own `fence(SeqCst)`) and C,
//! calls membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED). The kernel
//! guarantees that when it returns, every thread of every process
//! registered for it (each opener registers before it takes a role) has
//! passed a full barrier since the call began: an interrupt for a thread
//! that was running, the context switch for one that was not. Call that
//! barrier B, in the waker's thread. L is before B or after it in the
//! waker's program order:
//! - L after B: membarrier began after A and the sleeper's full barrier,
//!   so A was visible to every CPU before B, and L, after B, sees it.
//! - L before B: S, before L in program order, is before B too, and B
//!   makes it visible before membarrier returns, so before C: C sees S.
//! The compiler barrier keeps the compiler from moving L above S, which
//! the hardware argument assumes; nothing on the waker's side is an
//! instruction.
//!
//! A process that cannot register, or a kernel without the command, gets
//! `SeqCst` objects (`for_new_object`) and refuses `Asymmetric` ones
//! (`join`). Should membarrier fail later all the same, the sleeper sleeps
//! in short slices (`BLIND_SLICE`): a wake-up may then be late, never lost.
//!
//! # Many waiters
//! With `Waiters::Many` a sleeper never clears the word on its way out
//! (it could erase another sleeper's announcement): only the waker does,
//! and it wakes all. A sleeper that leaves by its own timeout thus costs
//! the next waker one futex_wake that finds nobody. With `Waiters::One`
//! the sleeper clears the word itself, so a waker after it makes no call.

use crate::errno::{Errno, Result};
use crate::sync::{futex, Timeout};
use std::sync::atomic::{compiler_fence, fence, AtomicU32, Ordering::Relaxed, Ordering::SeqCst};
use std::time::Duration;

/// The longest sleep of a sleeper whose membarrier(2) failed after this
/// process registered (which the kernel does not do): its wake-up may be
/// missed, so it looks again this often.
const BLIND_SLICE: Duration = Duration::from_millis(1);

/// The environment variable that makes new objects use `Protocol::SeqCst`.
pub const ENV: &str = "RSHM_HANDSHAKE";

/// How the two halves order a publication against an announcement; every
/// sharer of a word uses the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A full barrier on both sides, on every wake as on every sleep.
    SeqCst,
    /// No barrier instruction for the waker; the sleeper issues
    /// membarrier(2) before it looks again.
    Asymmetric,
}

impl Protocol {
    /// The protocol for an object this process creates: `Asymmetric` where
    /// this process can run it, unless `RSHM_HANDSHAKE` says `seqcst`.
    pub fn for_new_object() -> Protocol {
        let forced = std::env::var_os(ENV).is_some_and(|v| v.eq_ignore_ascii_case("seqcst"));
        if !forced && asymmetric::ready() {
            Protocol::Asymmetric
        } else {
            Protocol::SeqCst
        }
    }

    /// Checks that this process can run an opened object's protocol
    /// (registering it for membarrier(2) if need be); EPROTO when it
    /// cannot.
    pub fn join(self) -> Result<Protocol> {
        match self {
            Protocol::Asymmetric if !asymmetric::ready() => Err(Errno(libc::EPROTO)),
            p => Ok(p),
        }
    }

    /// The protocol as a header stores it: never 0, so that a zeroed
    /// header holds none.
    pub const fn to_word(self) -> u32 {
        match self {
            Protocol::SeqCst => 1,
            Protocol::Asymmetric => 2,
        }
    }

    /// The protocol a header word names; None for any other value.
    pub const fn from_word(w: u32) -> Option<Protocol> {
        match w {
            1 => Some(Protocol::SeqCst),
            2 => Some(Protocol::Asymmetric),
            _ => None,
        }
    }
}

/// How many threads may sleep on one word at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiters {
    One,
    Many,
}

/// How a sleeping round ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// The check held once announced: nothing slept.
    Ready,
    /// Slept (woken, timed out, interrupted or spuriously woken): check again.
    Slept,
}

/// One handle's view of the handshake on its object's words.
#[derive(Clone, Copy, Debug)]
pub struct Handshake {
    protocol: Protocol,
    waiters: Waiters,
    /// Test-only: the sleeper skips its barriers, so that a stress test
    /// can show it catches the lost wake-up they prevent.
    #[cfg(test)]
    unfenced: bool,
}

impl Handshake {
    pub const fn new(protocol: Protocol, waiters: Waiters) -> Handshake {
        Handshake {
            protocol,
            waiters,
            #[cfg(test)]
            unfenced: false,
        }
    }

    /// Test-only: the same handshake with the sleeper's barriers removed
    /// (wrong on purpose).
    #[cfg(test)]
    pub(crate) fn without_sleeper_fence(self) -> Handshake {
        Handshake { unfenced: true, ..self }
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The waker's half, after the stores that make the sleeper's condition
    /// true: wakes every sleeper announced on `word`, and makes no system
    /// call when none is.
    #[inline]
    pub fn wake(&self, word: &AtomicU32) {
        match self.protocol {
            Protocol::SeqCst => fence(SeqCst),
            // See the top comment: the sleeper's membarrier stands in.
            Protocol::Asymmetric => compiler_fence(SeqCst),
        }
        if word.load(Relaxed) != 0 {
            wake_all(word);
        }
    }

    /// The sleeper's half, one round: announce on `word`, `check`, sleep at
    /// most `slice` unless it held, withdraw. Errors are `check`'s.
    pub fn sleep(&self, word: &AtomicU32, slice: Duration, check: impl FnOnce() -> Result<bool>) -> Result<Round> {
        word.store(1, Relaxed);
        let slice = if self.barrier() { slice } else { slice.min(BLIND_SLICE) };
        let ready = check();
        if !matches!(ready, Ok(false)) {
            self.withdraw(word);
            return ready.map(|_| Round::Ready);
        }
        // Timeouts, signals and spurious wake-ups alike end the round.
        let _ = futex::wait(word, 1, Timeout::After(slice));
        self.withdraw(word);
        Ok(Round::Slept)
    }

    /// The sleeper's barriers between its announcement and its check;
    /// false when the waker may not have been ordered (membarrier failed).
    fn barrier(&self) -> bool {
        #[cfg(test)]
        if self.unfenced {
            return true;
        }
        fence(SeqCst);
        match self.protocol {
            Protocol::SeqCst => true,
            Protocol::Asymmetric => asymmetric::barrier(),
        }
    }

    fn withdraw(&self, word: &AtomicU32) {
        if self.waiters == Waiters::One {
            word.store(0, Relaxed);
        }
    }
}

/// Clears the word and wakes its sleepers; out of line, as it is rare.
#[cold]
#[inline(never)]
fn wake_all(word: &AtomicU32) {
    if word.swap(0, Relaxed) != 0 {
        // Nothing to do on failure: a sleeper's slice ends anyway.
        let _ = futex::wake(word, i32::MAX);
    }
}

/// membarrier(2): the process's registration, once, and the barrier.
#[cfg(target_os = "linux")]
mod asymmetric {
    use std::sync::OnceLock;

    const QUERY: libc::c_int = 0;
    const GLOBAL_EXPEDITED: libc::c_int = 1 << 1;
    const REGISTER_GLOBAL_EXPEDITED: libc::c_int = 1 << 2;

    fn membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: membarrier takes a command and flags, and touches no memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) }
    }

    /// Whether this process is registered for global expedited barriers
    /// and may issue them (asked once; ENOSYS, EPERM from a seccomp filter
    /// or a missing command all answer no).
    pub fn ready() -> bool {
        static READY: OnceLock<bool> = OnceLock::new();
        *READY.get_or_init(|| {
            let cmds = membarrier(QUERY);
            let need = (GLOBAL_EXPEDITED | REGISTER_GLOBAL_EXPEDITED) as libc::c_long;
            cmds >= 0 && cmds & need == need && membarrier(REGISTER_GLOBAL_EXPEDITED) == 0
        })
    }

    /// A full barrier in every thread of every registered process.
    pub fn barrier() -> bool {
        membarrier(GLOBAL_EXPEDITED) == 0
    }
}

/// No membarrier(2): objects made here use `SeqCst`, and `Asymmetric` ones
/// (made on Linux, not shared with this system anyway) are refused.
#[cfg(not(target_os = "linux"))]
mod asymmetric {
    pub fn ready() -> bool {
        false
    }

    pub fn barrier() -> bool {
        false
    }
}
