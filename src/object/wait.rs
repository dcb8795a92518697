//! The waiting loop of a blocking call on a shared object: poll, spin a
//! little, then sleep on a wait word through the handshake in slices,
//! asking between slices whether the peer the call waits for is gone; the
//! call's timeout (-1 / 0 / a duration) bounds all of it.
//!
//! Slices bound how long a sleeper trusts a wake-up to come: a peer that
//! dies cannot wake it, so at the latest after one slice it looks again.
//! The topic waits here; the channel's ring has its own older loop, which
//! learns its spin from the same [`Spin`].

use crate::errno::{Errno, Result};
use crate::object::handshake::Handshake;
use crate::sync::Timeout;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

/// How a call waits: its spin before sleeping and its longest sleep.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pace {
    pub spin: Duration,
    pub slice: Duration,
}

/// How long a side spins before it sleeps, learnt from its last wait:
/// twice that wait, between `MIN` and `MAX`; but `MIN` after a wait far
/// past `MAX` (the margin is for the wake-up a slept wait includes): a
/// peer that pauses that long is better slept through, and a side that
/// spins through it only takes the CPU its peer may need. A peer that
/// comes every few tens of microseconds keeps this side spinning instead
/// of paying a wake-up each time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Spin {
    /// The last wait; zero when it was too short to read the clock.
    last: Duration,
}

impl Spin {
    const MIN: Duration = Duration::from_micros(5);
    const MAX: Duration = Duration::from_micros(100);

    pub fn limit(self) -> Duration {
        if self.last > 2 * Spin::MAX {
            Spin::MIN
        } else {
            (2 * self.last).clamp(Spin::MIN, Spin::MAX)
        }
    }

    /// Learns from a wait that ended well after `waited` (zero: a wait
    /// too short to time, as in a busy stream).
    pub fn learn(&mut self, waited: Duration) {
        self.last = waited;
    }

    /// Whether the last wait was too short to time: the side is busy.
    pub fn busy(self) -> bool {
        self.last.is_zero()
    }
}

/// A call's timeout and, for a bounded one, its end, counted from the
/// first time the call could not proceed.
struct Deadline {
    timeout: Timeout,
    end: Option<Instant>,
}

impl Deadline {
    fn new(timeout: Timeout) -> Deadline {
        let end = if let Timeout::After(_) = timeout { timeout.deadline() } else { None };
        Deadline { timeout, end }
    }

    /// How long one may still sleep (None: no limit), or the errno once
    /// the time is up: EAGAIN for a call that only tries, else ETIMEDOUT.
    fn left(&self, now: Instant) -> Result<Option<Duration>> {
        match (self.timeout, self.end) {
            (Timeout::Try, _) => Err(Errno(libc::EAGAIN)),
            (_, None) => Ok(None),
            (_, Some(end)) => match end.checked_duration_since(now) {
                Some(d) if !d.is_zero() => Ok(Some(d)),
                _ => Err(Errno(libc::ETIMEDOUT)),
            },
        }
    }
}

/// Waits until `poll(state)` gives a value. `gone(state)` says the peer
/// that would make progress has closed or died: then one last poll, and
/// EPIPE if it still gives nothing. `poll` runs again inside the
/// handshake's check, so it must read shared memory with Acquire loads.
/// On success `learn(state, waited)` hears how long the wait took (zero for
/// one within the first 64 spins, which reads no clock), for the caller's
/// [`Spin`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn until<S, T>(
    state: &mut S,
    hs: Handshake,
    word: &AtomicU32,
    pace: Pace,
    timeout: Timeout,
    mut poll: impl FnMut(&mut S) -> Result<Option<T>>,
    mut gone: impl FnMut(&mut S) -> bool,
    learn: impl FnOnce(&mut S, Duration),
) -> Result<T> {
    if let Some(v) = poll(state)? {
        return Ok(v);
    }
    let deadline = Deadline::new(timeout);
    let mut start: Option<Instant> = None;
    let done = |state: &mut S, v: T, start: Option<Instant>| {
        learn(state, start.map_or(Duration::ZERO, |s| s.elapsed()));
        Ok(v)
    };
    if timeout != Timeout::Try {
        loop {
            for _ in 0..64 {
                std::hint::spin_loop();
                if let Some(v) = poll(state)? {
                    return done(state, v, start);
                }
            }
            let now = Instant::now();
            if now.duration_since(*start.get_or_insert(now)) >= pace.spin || deadline.left(now).is_err() {
                break;
            }
        }
    }
    loop {
        if gone(state) {
            return poll(state)?.ok_or(Errno(libc::EPIPE));
        }
        let left = deadline.left(Instant::now())?;
        let slice = left.map_or(pace.slice, |l| l.min(pace.slice));
        let mut got = None;
        hs.sleep(word, slice, || {
            got = poll(state)?;
            Ok(got.is_some())
        })?;
        if let Some(v) = got {
            return done(state, v, start);
        }
        if let Some(v) = poll(state)? {
            return done(state, v, start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::handshake::{Protocol, Waiters};

    const PACE: Pace = Pace { spin: Duration::from_micros(5), slice: Duration::from_millis(2) };
    const HS: Handshake = Handshake::new(Protocol::SeqCst, Waiters::Many);

    #[test]
    fn the_spin_follows_short_waits_and_drops_after_long_ones() {
        let mut s = Spin::default();
        assert_eq!(s.limit(), Duration::from_micros(5));
        s.learn(Duration::from_micros(30));
        assert_eq!(s.limit(), Duration::from_micros(60));
        s.learn(Duration::from_micros(150));
        assert_eq!(s.limit(), Duration::from_micros(100));
        s.learn(Duration::from_millis(3));
        assert_eq!(s.limit(), Duration::from_micros(5));
    }

    #[test]
    fn times_out_tries_and_sees_the_peer_go() {
        let word = AtomicU32::new(0);
        let never = |_: &mut ()| Ok(None::<()>);
        let t = Timeout::After(Duration::from_millis(10));
        let start = Instant::now();
        assert_eq!(until(&mut (), HS, &word, PACE, t, never, |_| false, |_, _| ()), Err(Errno(libc::ETIMEDOUT)));
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert_eq!(
            until(&mut (), HS, &word, PACE, Timeout::Try, never, |_| false, |_, _| ()),
            Err(Errno(libc::EAGAIN))
        );
        assert_eq!(
            until(&mut (), HS, &word, PACE, Timeout::Forever, never, |_| true, |_, _| ()),
            Err(Errno(libc::EPIPE))
        );
        let mut n = 0;
        let soon = |n: &mut i32| {
            *n += 1;
            Ok((*n > 3).then_some(*n))
        };
        assert_eq!(until(&mut n, HS, &word, PACE, Timeout::Forever, soon, |_| false, |_, _| ()), Ok(4));
    }
}
