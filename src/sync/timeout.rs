//! The one timeout convention of every blocking call: -1 waits forever, 0
//! only tries, a positive count waits that many nanoseconds.

use crate::errno::{Errno, Result};
use std::time::{Duration, Instant};

/// How long a blocking call may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Do not wait: succeed now or fail with EAGAIN / EBUSY.
    Try,
    /// Wait as long as it takes.
    Forever,
    /// Wait at most this long (never zero).
    After(Duration),
}

impl Timeout {
    /// The C convention: -1 forever, 0 try, > 0 nanoseconds; anything else is EINVAL.
    pub fn from_ns(ns: i64) -> Result<Timeout> {
        match ns {
            -1 => Ok(Timeout::Forever),
            0 => Ok(Timeout::Try),
            n if n > 0 => Ok(Timeout::After(Duration::from_nanos(n as u64))),
            _ => Err(Errno(libc::EINVAL)),
        }
    }

    /// The instant the wait ends, counted from now: None for Forever (and for
    /// a duration so long the clock cannot hold its end).
    pub fn deadline(self) -> Option<Instant> {
        match self {
            Timeout::Try => Some(Instant::now()),
            Timeout::Forever => None,
            Timeout::After(d) => Instant::now().checked_add(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_convention_maps_and_rejects_other_negatives() {
        assert_eq!(Timeout::from_ns(-1), Ok(Timeout::Forever));
        assert_eq!(Timeout::from_ns(0), Ok(Timeout::Try));
        assert_eq!(Timeout::from_ns(5), Ok(Timeout::After(Duration::from_nanos(5))));
        assert_eq!(Timeout::from_ns(-2), Err(Errno(libc::EINVAL)));
        assert_eq!(Timeout::from_ns(i64::MIN), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn deadlines() {
        assert!(Timeout::Forever.deadline().is_none());
        assert!(Timeout::Try.deadline().is_some());
        // i64::MAX ns is ~292 years: representable, and in the future.
        let far = Timeout::from_ns(i64::MAX).unwrap().deadline();
        assert!(far.map_or(true, |d| d > Instant::now()));
    }
}
