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
//! The word is 0 while nobody sleeps; any other value means a sleeper may
//! be there. Only this module writes it.
//!
//! # Ordering: no lost wake-up
//! The waker stores the condition (S) and then loads the word (L); the
//! sleeper stores its announcement (A) and then loads the condition (C).
//! A wake-up is lost only if L misses A and C misses S: the store-buffer
//! pattern, which a full barrier between each side's store and load
//! forbids. With the `SeqCst` protocol both sides have one (`fence(SeqCst)`
//! after S and after A); then of the two fences one comes first in their
//! single total order, and the other side's load sees the store before it.
//! When L sees A the waker clears the word and wakes: the sleeper either
//! is in futex(2) already or its futex_wait finds the word no longer 1 and
//! returns at once (the kernel compares and sleeps atomically).
//!
//! # Many waiters
//! With `Waiters::Many` a sleeper never clears the word on its way out
//! (it could erase another sleeper's announcement): only the waker does,
//! and it wakes all. A sleeper that leaves by its own timeout thus costs
//! the next waker one futex_wake that finds nobody. With `Waiters::One`
//! the sleeper clears the word itself, so a waker after it makes no call.

use crate::errno::Result;
use crate::sync::{futex, Timeout};
use std::sync::atomic::{fence, AtomicU32, Ordering::Relaxed, Ordering::SeqCst};
use std::time::Duration;

/// How the two halves order a publication against an announcement; every
/// sharer of a word uses the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A full barrier on both sides, on every wake as on every sleep.
    SeqCst,
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
}

impl Handshake {
    pub const fn new(protocol: Protocol, waiters: Waiters) -> Handshake {
        Handshake { protocol, waiters }
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
        }
        if word.load(Relaxed) != 0 {
            wake_all(word);
        }
    }

    /// The sleeper's half, one round: announce on `word`, `check`, sleep at
    /// most `slice` unless it held, withdraw. Errors are `check`'s.
    pub fn sleep(&self, word: &AtomicU32, slice: Duration, check: impl FnOnce() -> Result<bool>) -> Result<Round> {
        word.store(1, Relaxed);
        fence(SeqCst);
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
