//! Sleeping on a 32-bit word in shared memory until another process changes
//! it and wakes us: futex(2) on Linux, __ulock_wait/__ulock_wake on macOS.
//!
//! The waits are the shared (not `_PRIVATE`) kind, so a waker in another
//! process that maps the same memory finds the sleeper: the kernel keys the
//! wait on the page and offset, not on the address.

use super::Timeout;
use crate::errno::{Errno, Result};
use std::sync::atomic::AtomicU32;

/// Sleeps while `*word == expected`, until woken, the timeout passes or a
/// signal arrives.
///
/// `Ok(())` when woken, or at once when `*word != expected` (the kernel
/// compares atomically with going to sleep, so a wake between the caller's
/// check and the sleep is never lost). Wake-ups may be spurious: the caller
/// re-checks its condition. Errors: `EAGAIN` for `Timeout::Try` with
/// `*word == expected`, `ETIMEDOUT`, `EINTR` (not retried: the caller sees
/// the signal), `EFAULT` for memory that is not mapped.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Timeout) -> Result<()> {
    imp::wait(word, expected, timeout)
}

/// Wakes at most `count` sleepers on `word`; `i32::MAX` wakes them all.
/// Returns how many were woken. A negative count is `EINVAL`.
pub fn wake(word: &AtomicU32, count: i32) -> Result<usize> {
    if count < 0 {
        return Err(Errno(libc::EINVAL));
    }
    if count == 0 {
        // FUTEX_WAKE with 0 wakes one waiter: answer without asking it.
        return Ok(0);
    }
    imp::wake(word, count)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::ptr;

    pub fn wait(word: &AtomicU32, expected: u32, timeout: Timeout) -> Result<()> {
        let ts = match timeout {
            Timeout::Forever => None,
            // A zero timeout makes the kernel only compare, and report a bad
            // address as EFAULT instead of us faulting on it.
            Timeout::Try => Some(libc::timespec { tv_sec: 0, tv_nsec: 0 }),
            Timeout::After(d) => Some(libc::timespec {
                tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: d.subsec_nanos() as _,
            }),
        };
        let tsp = ts.as_ref().map_or(ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: word is a live u32 for the call; FUTEX_WAIT reads it and
        // the relative timeout, and writes nothing.
        let r = unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, expected, tsp, ptr::null::<u32>(), 0)
        };
        if r == 0 {
            return Ok(());
        }
        match Errno::last() {
            // The word already differed: what the caller waits for happened.
            Errno(libc::EAGAIN) => Ok(()),
            Errno(libc::ETIMEDOUT) if timeout == Timeout::Try => Err(Errno(libc::EAGAIN)),
            e => Err(e),
        }
    }

    pub fn wake(word: &AtomicU32, count: i32) -> Result<usize> {
        // SAFETY: FUTEX_WAKE only uses the address as a key.
        let r = unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, count, 0, 0, 0) };
        if r < 0 {
            Err(Errno::last())
        } else {
            Ok(r as usize)
        }
    }
}

/// Darwin's private but stable ulock calls (what libc++ and Go use for
/// their waits). They cannot say how many sleepers a wake reached: a wake
/// answers 1 when it reached any, and a count above 1 wakes them all.
/// Reviewed, not compiled here.
#[cfg(target_os = "macos")]
mod imp {
    use super::*;
    use libc::{c_int, c_void};
    use std::sync::atomic::Ordering;

    const UL_COMPARE_AND_WAIT_SHARED: u32 = 3;
    const ULF_WAKE_ALL: u32 = 0x100;

    extern "C" {
        fn __ulock_wait(operation: u32, addr: *mut c_void, value: u64, timeout_us: u32) -> c_int;
        fn __ulock_wake(operation: u32, addr: *mut c_void, wake_value: u64) -> c_int;
    }

    pub fn wait(word: &AtomicU32, expected: u32, timeout: Timeout) -> Result<()> {
        // 0 means forever to ulock; longer than u32::MAX µs (71 minutes)
        // becomes a spurious wake-up at that point, which callers allow for.
        let (us, clamped) = match timeout {
            Timeout::Try => {
                return if word.load(Ordering::SeqCst) == expected { Err(Errno(libc::EAGAIN)) } else { Ok(()) };
            }
            Timeout::Forever => (0, false),
            Timeout::After(d) => {
                let us = d.as_nanos().div_ceil(1000).max(1);
                (u32::try_from(us).unwrap_or(u32::MAX), us > u128::from(u32::MAX))
            }
        };
        // SAFETY: the kernel reads the word and sleeps on its address.
        let r = unsafe { __ulock_wait(UL_COMPARE_AND_WAIT_SHARED, word.as_ptr().cast(), u64::from(expected), us) };
        if r >= 0 {
            return Ok(());
        }
        match Errno::last() {
            Errno(libc::ETIMEDOUT) if clamped => Ok(()),
            e => Err(e),
        }
    }

    pub fn wake(word: &AtomicU32, count: i32) -> Result<usize> {
        let op = UL_COMPARE_AND_WAIT_SHARED | if count > 1 { ULF_WAKE_ALL } else { 0 };
        // SAFETY: the address is only a key.
        let r = unsafe { __ulock_wake(op, word.as_ptr().cast(), 0) };
        if r >= 0 {
            return Ok(1);
        }
        match Errno::last() {
            Errno(libc::ENOENT) => Ok(0),
            e => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_differing_word_returns_at_once_and_try_is_eagain() {
        let w = AtomicU32::new(1);
        assert_eq!(wait(&w, 2, Timeout::Forever), Ok(()));
        assert_eq!(wait(&w, 2, Timeout::Try), Ok(()));
        assert_eq!(wait(&w, 1, Timeout::Try), Err(Errno(libc::EAGAIN)));
    }

    #[test]
    fn a_timed_wait_times_out() {
        let w = AtomicU32::new(0);
        assert_eq!(wait(&w, 0, Timeout::After(Duration::from_millis(1))), Err(Errno(libc::ETIMEDOUT)));
    }

    #[test]
    fn wake_counts_and_rejects_negative() {
        let w = AtomicU32::new(0);
        assert_eq!(wake(&w, 1), Ok(0));
        assert_eq!(wake(&w, 0), Ok(0));
        assert_eq!(wake(&w, -1), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn a_sleeper_is_woken_by_another_thread() {
        let w = Arc::new(AtomicU32::new(0));
        let w2 = Arc::clone(&w);
        let t = std::thread::spawn(move || {
            while w2.load(Ordering::SeqCst) == 0 {
                let _ = wait(&w2, 0, Timeout::Forever);
            }
        });
        w.store(1, Ordering::SeqCst);
        wake(&w, i32::MAX).unwrap();
        t.join().unwrap();
        assert_eq!(w.load(Ordering::SeqCst), 1);
    }
}
