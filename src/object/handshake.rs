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
//! - The word: a 32-bit word in the shared object, 0 when the object is
//!   made, alone on its cache line (every publication loads it), one per
//!   direction that can wait (a ring has one for data and one for room).
//!   `wake` wakes every sleeper on it.
//! - The protocol of a new object: [`Protocol::for_new_object`] (the fast
//!   one where this process can run it, unless `RSHM_HANDSHAKE=seqcst`);
//!   stored in the object's header with [`Protocol::to_word`], read back by
//!   every opener with [`Protocol::from_word`] and checked with
//!   [`Protocol::join`] before the opener takes any role.
//!
//! The word is 0 (or `FENCED`, below) while nobody sleeps; any other
//! value means a sleeper may be there. Only this module writes it.
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
//! # Doorbells
//! A waiter that sits in an event loop cannot sleep in futex(2): it arms a
//! doorbell instead ([`Handshake::arm`], `object::doorbell`), announcing
//! itself with the `BELL` bit in the same word and publishing the bell's
//! token in a 64-bit slot beside the word, then returns to its loop. A
//! waker that may have such waiters calls [`Handshake::wake_ringing`]
//! with that slot: its fast path is `wake`'s (one load while nobody waits);
//! when the word is not 0 it clears it, futex-wakes for `SLEEPER` and rings
//! the bell for `BELL`. Arming is ordered against publication exactly as
//! sleeping is (announce, barrier, check), so the argument below covers it:
//! either the waker sees `BELL` and rings, or the armer's check sees the
//! publication and does not stay armed.
//!
//! With `Waiters::Many` (a topic's subscribers) sleepers and armers share
//! the word: each ors its bit in (`SLEEPER`, `BELL`) instead of storing
//! it, so no announcement erases another, and a sleeper's futex waits on
//! the whole word it saw (a later announcement ends its round early,
//! never makes it miss one). Each armer keeps its token in a place of its
//! own ([`Handshake::arm_with`]); a waker that sees `BELL` rings all of
//! them ([`Handshake::wake_ringing_with`]).
//!
//! # A waker told to fence
//! In `Asymmetric`, each arm pays membarrier(2), which interrupts every
//! CPU running a registered process: several microseconds when the peer
//! is busy, and an event loop's receiver arms at every catch-up. Such a
//! waiter arms with [`Handshake::arm_fenced`] instead: the first time, it
//! sets `FENCED` in the word and pays one membarrier for it; from then on
//! every waker's load of the word sees `FENCED` (the membarrier put a full
//! barrier into each waker's run after the store, and only the waiter
//! clears the bit, with [`unfence`]), so every waker takes the slow half
//! ([`woken_ringing`]), which issues `fence(SeqCst)` before it reads the
//! word again; and each later arm pays a plain `fence(SeqCst)`. The pair
//! is then the `SeqCst` protocol's, so the argument below covers it. The
//! cost moves to the waker, a fence per publication, and only while a
//! waiter that arms has its bell (a descriptor) open. The slow halves keep
//! `FENCED` when they clear the word.
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
//!
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
use crate::object::doorbell;
use crate::sync::{futex, Timeout};
use std::sync::atomic::{compiler_fence, fence, AtomicU32, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
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

/// A thread may be in futex(2) on the word.
const SLEEPER: u32 = 1;
/// A doorbell is armed; its token is in the word's bell slot.
const BELL: u32 = 2;
/// Every waker fences before it reads the word again ("A waker told to fence").
const FENCED: u32 = 4;

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
        if self.waiting(word) {
            woken(word);
        }
    }

    /// The waker's barrier between its publication and its look at the word.
    #[inline]
    fn waker_fence(&self) {
        match self.protocol {
            Protocol::SeqCst => fence(SeqCst),
            // See the top comment: the sleeper's membarrier stands in.
            Protocol::Asymmetric => compiler_fence(SeqCst),
        }
    }

    /// As [`wake`](Self::wake), for a word whose waiters may arm a doorbell
    /// whose token is in `bell`: the same single load while nobody waits.
    #[inline]
    pub fn wake_ringing(&self, word: &AtomicU32, bell: &AtomicU64) {
        if self.waiting(word) {
            woken_ringing(word, bell);
        }
    }

    /// The first half of [`wake`](Self::wake) and of
    /// [`wake_ringing`](Self::wake_ringing), for a caller that wants no
    /// call on its path: the waker's fence, then whether anybody waits on
    /// `word`; if so, the caller goes on with [`woken`] or
    /// [`woken_ringing`].
    #[inline(always)]
    pub fn waiting(&self, word: &AtomicU32) -> bool {
        self.waker_fence();
        word.load(Relaxed) != 0
    }

    /// As [`wake_ringing`](Self::wake_ringing), for a word with many
    /// waiters that keep their tokens elsewhere: `ring` rings every bell
    /// armed on `word`, and runs only when the word says `BELL`.
    #[inline]
    pub fn wake_ringing_with(&self, word: &AtomicU32, ring: impl FnOnce()) {
        self.waker_fence();
        if word.load(Relaxed) != 0 {
            wake_and_ring(word, ring);
        }
    }

    /// The event-loop waiter's half (one waiter per word): publish `token`
    /// in `bell`, announce `BELL` on `word`, then `check`. When it holds the
    /// announcement is withdrawn and `Round::Ready` returned: the caller
    /// makes its descriptor readable itself. Otherwise the bell stays armed
    /// (`Round::Slept`) and the next waker rings it. Errors are `check`'s.
    pub fn arm(
        &self,
        word: &AtomicU32,
        bell: &AtomicU64,
        token: u64,
        check: impl FnOnce() -> Result<bool>,
    ) -> Result<Round> {
        self.arm_with(word, || bell.store(token, Relaxed), check)
    }

    /// As [`arm`](Self::arm), with the token published by `publish` (which
    /// stores it where the waker's `ring` of
    /// [`wake_ringing_with`](Self::wake_ringing_with) finds it, Release or
    /// stronger). With `Waiters::Many` the announcement is or-ed into the
    /// word beside the others' and is not withdrawn here when `check`
    /// holds: the caller withdraws its own token, and the next waker clears
    /// the word.
    pub fn arm_with(
        &self,
        word: &AtomicU32,
        publish: impl FnOnce(),
        check: impl FnOnce() -> Result<bool>,
    ) -> Result<Round> {
        self.arm_ordered(word, publish, || self.barrier(), check)
    }

    /// [`arm`](Self::arm) for a waiter that arms often (an event loop's
    /// receiver, which arms whenever it catches up): see "A waker told to
    /// fence". `fenced` is the waiter's own record that it set `FENCED`
    /// and paid the barrier for it; [`unfence`] ends that.
    pub fn arm_fenced(
        &self,
        word: &AtomicU32,
        bell: &AtomicU64,
        token: u64,
        fenced: &std::cell::Cell<bool>,
        check: impl FnOnce() -> Result<bool>,
    ) -> Result<Round> {
        if self.protocol == Protocol::Asymmetric && !fenced.get() {
            word.fetch_or(FENCED, SeqCst);
            fenced.set(self.barrier());
        }
        let barrier = || {
            if fenced.get() {
                fence(SeqCst);
                true
            } else {
                self.barrier()
            }
        };
        self.arm_ordered(word, || bell.store(token, Relaxed), barrier, check)
    }

    fn arm_ordered(
        &self,
        word: &AtomicU32,
        publish: impl FnOnce(),
        barrier: impl FnOnce() -> bool,
        check: impl FnOnce() -> Result<bool>,
    ) -> Result<Round> {
        publish();
        // The waker reads the token after seeing BELL; SeqCst keeps this
        // store before the announcement in every observer's view. An or,
        // not a store: the word may carry FENCED.
        word.fetch_or(BELL, SeqCst);
        // A failed barrier (membarrier refused after registration, which
        // the kernel does not do) leaves the waker unordered: answer ready,
        // so the caller's descriptor is readable and its owner looks again,
        // rather than risk a ring that never comes.
        let ordered = barrier();
        let ready = if ordered { check() } else { Ok(true) };
        if !matches!(ready, Ok(false)) {
            if self.waiters == Waiters::One {
                disarm(word);
            }
            return ready.map(|_| Round::Ready);
        }
        Ok(Round::Slept)
    }

    /// The sleeper's half, one round: announce on `word`, `check`, sleep at
    /// most `slice` unless it held, withdraw. Errors are `check`'s.
    pub fn sleep(&self, word: &AtomicU32, slice: Duration, check: impl FnOnce() -> Result<bool>) -> Result<Round> {
        // Many waiters share the word, some perhaps with a bell armed: the
        // announcement keeps theirs, and the futex waits on the whole word.
        // An or for one waiter too: the word may carry FENCED.
        let announced = word.fetch_or(SLEEPER, Relaxed) | SLEEPER;
        let slice = if self.barrier() { slice } else { slice.min(BLIND_SLICE) };
        let ready = check();
        if !matches!(ready, Ok(false)) {
            self.withdraw(word);
            return ready.map(|_| Round::Ready);
        }
        // Timeouts, signals and spurious wake-ups alike end the round.
        let _ = futex::wait(word, announced, Timeout::After(slice));
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
            word.fetch_and(FENCED, Relaxed);
        }
    }
}

/// Withdraws an armed bell, if no waker took it meanwhile: true when this
/// call withdrew it (nobody will ring), false when a waker cleared the word
/// first (and rang, or is about to).
pub fn disarm(word: &AtomicU32) -> bool {
    word.fetch_and(!BELL, SeqCst) & BELL != 0
}

/// Ends what [`Handshake::arm_fenced`] began: wakers stop fencing. For a
/// waiter whose bell is gone (its descriptor closed), not armed.
pub fn unfence(word: &AtomicU32, fenced: &std::cell::Cell<bool>) {
    if fenced.replace(false) {
        word.fetch_and(!FENCED, SeqCst);
    }
}

/// Whether the bell announced on `word` is still armed: false once a waker
/// has taken it (and rung).
pub fn armed(word: &AtomicU32) -> bool {
    word.load(SeqCst) & BELL != 0
}

/// The second half of [`Handshake::wake_ringing`], once
/// [`Handshake::waiting`] said yes.
#[cold]
#[inline(never)]
pub fn woken_ringing(word: &AtomicU32, bell: &AtomicU64) {
    wake_and_ring(word, || doorbell::ring(bell.load(Relaxed)));
}

/// Clears the word, wakes its sleepers and rings its bell (`ring`); out of
/// line, as it is rare. The second half of
/// [`Handshake::wake_ringing_with`], once [`Handshake::waiting`] said yes.
#[cold]
#[inline(never)]
pub fn wake_and_ring(word: &AtomicU32, ring: impl FnOnce()) {
    // The fence a waiter with FENCED relies on (the RMW alone does not
    // order the caller's earlier Release stores on every architecture).
    fence(SeqCst);
    // FENCED alone (a streaming peer with a descriptor): nobody to wake,
    // and the line stays where it is.
    if word.load(Relaxed) & !FENCED == 0 {
        return;
    }
    let v = word.fetch_and(FENCED, SeqCst);
    if v & SLEEPER != 0 {
        let _ = futex::wake(word, i32::MAX);
    }
    if v & BELL != 0 {
        ring();
    }
}

/// Clears the word and wakes its sleepers; out of line, as it is rare.
/// The second half of [`Handshake::wake`], once [`Handshake::waiting`]
/// said yes.
#[cold]
#[inline(never)]
pub fn woken(word: &AtomicU32) {
    if word.fetch_and(FENCED, Relaxed) & !FENCED != 0 {
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
    /// or a missing command all answer no). The answer holds in a child of
    /// fork(2), whose memory the kernel copies with its registration, and
    /// is asked again after exec, which drops both.
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

/// Test-only: the protocols this process can run, the fallback first.
#[cfg(test)]
pub(crate) fn runnable() -> Vec<Protocol> {
    let mut all = vec![Protocol::SeqCst];
    if Protocol::Asymmetric.join().is_ok() {
        all.push(Protocol::Asymmetric);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::{Acquire, Release};
    use std::sync::Arc;
    use std::time::Instant;

    use super::runnable as protocols;

    #[test]
    fn header_words_round_trip_and_zero_names_none() {
        for p in [Protocol::SeqCst, Protocol::Asymmetric] {
            assert_eq!(Protocol::from_word(p.to_word()), Some(p));
        }
        assert_eq!(Protocol::from_word(0), None);
        assert_eq!(Protocol::from_word(3), None);
    }

    #[test]
    fn a_round_whose_check_holds_does_not_sleep() {
        for p in protocols() {
            let word = AtomicU32::new(0);
            let hs = Handshake::new(p, Waiters::One);
            assert_eq!(hs.sleep(&word, Duration::from_secs(5), || Ok(true)), Ok(Round::Ready));
            // One waiter withdraws its own announcement: a waker makes no call.
            assert_eq!(word.load(Relaxed), 0);
            let many = Handshake::new(p, Waiters::Many);
            assert_eq!(many.sleep(&word, Duration::from_secs(5), || Ok(true)), Ok(Round::Ready));
            // Many leave theirs for the waker to clear.
            assert_eq!(word.load(Relaxed), 1);
            many.wake(&word);
            assert_eq!(word.load(Relaxed), 0);
        }
    }

    /// Many waiters: an armer's BELL and a sleeper's SLEEPER share the word,
    /// neither erases the other, and one wake both wakes and rings.
    #[test]
    fn a_bell_and_a_sleeper_share_a_word() {
        for p in protocols() {
            let word = Arc::new(AtomicU32::new(0));
            let flag = Arc::new(AtomicU32::new(0));
            let hs = Handshake::new(p, Waiters::Many);
            let token = AtomicU64::new(0);
            let round = hs.arm_with(&word, || token.store(7, Relaxed), || Ok(flag.load(Acquire) != 0));
            assert_eq!(round, Ok(Round::Slept));
            let sleeper = {
                let (word, flag) = (Arc::clone(&word), Arc::clone(&flag));
                std::thread::spawn(move || {
                    let t = Instant::now();
                    while flag.load(Acquire) == 0 {
                        hs.sleep(&word, Duration::from_secs(30), || Ok(flag.load(Acquire) != 0)).unwrap();
                    }
                    t.elapsed()
                })
            };
            while word.load(Relaxed) != SLEEPER | BELL {
                std::thread::yield_now();
            }
            flag.store(1, Release);
            let mut rung = 0;
            hs.wake_ringing_with(&word, || rung = token.load(Relaxed));
            assert_eq!(rung, 7, "{p:?}: the armed bell was not rung");
            assert_eq!(word.load(Relaxed), 0);
            assert!(sleeper.join().unwrap() < Duration::from_secs(10), "{p:?}: the sleeper slept its slice out");
            // A check that holds leaves the announcement for the next waker.
            assert_eq!(hs.arm_with(&word, || {}, || Ok(true)), Ok(Round::Ready));
            assert_eq!(word.load(Relaxed), BELL);
        }
    }

    /// Every sleeper on a word is woken by one wake, long before its slice.
    #[test]
    fn one_wake_reaches_every_sleeper() {
        for p in protocols() {
            let word = Arc::new(AtomicU32::new(0));
            let flag = Arc::new(AtomicU32::new(0));
            let sleepers: Vec<_> = (0..4)
                .map(|_| {
                    let (word, flag) = (Arc::clone(&word), Arc::clone(&flag));
                    std::thread::spawn(move || {
                        let hs = Handshake::new(p, Waiters::Many);
                        let t = Instant::now();
                        while flag.load(Acquire) == 0 {
                            hs.sleep(&word, Duration::from_secs(30), || Ok(flag.load(Acquire) != 0)).unwrap();
                        }
                        t.elapsed()
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(20));
            flag.store(1, Release);
            Handshake::new(p, Waiters::Many).wake(&word);
            for s in sleepers {
                assert!(s.join().unwrap() < Duration::from_secs(10), "{p:?}: a sleeper slept its slice out");
            }
        }
    }
}
