//! `rshm_wait`, `rshm_wake`.

use super::boundary::run;
use crate::errno::{Errno, Result};
use crate::sync::{futex, Timeout};
use libc::c_int;
use std::sync::atomic::AtomicU32;

/// The word behind a C pointer: NULL is EFAULT, a misaligned one EINVAL.
///
/// # Safety
/// A non-NULL `addr` must stay valid for the call (the kernel, not rshm,
/// reads it, and answers EFAULT for an unmapped one).
unsafe fn word<'a>(addr: *const u32) -> Result<&'a AtomicU32> {
    if addr.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    if addr as usize % std::mem::align_of::<u32>() != 0 {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: aligned and non-NULL; AtomicU32 has u32's layout, and other
    // processes change the word only with atomic operations of their own.
    Ok(unsafe { &*addr.cast::<AtomicU32>() })
}

/// Sleeps while `*addr == expected`: the calling thread waits until another
/// thread or process that maps the same memory changes the word and calls
/// `rshm_wake` on it (futex(2) on Linux, in its process-shared form).
///
/// `addr` points to a 4-byte-aligned word, usually in shared memory; it is
/// borrowed for the call. The comparison and the sleep are one atomic step,
/// so a wake-up between the caller's own check and the sleep is not lost.
/// `timeout_ns` is -1 to wait without limit, 0 only to compare, or a
/// relative time in nanoseconds (measured on the monotonic clock).
///
/// Returns 0 when woken, or at once when `*addr != expected`. Wake-ups may
/// be spurious: re-check the condition and wait again.
///
/// The word may be in memory the process can only read (a segment opened
/// with `RSHM_O_RDONLY`): the wait only reads it.
///
/// On failure returns -1 and sets errno:
/// - `EAGAIN`: `timeout_ns` is 0 and `*addr == expected`.
/// - `ETIMEDOUT`: the timeout passed with no wake-up.
/// - `EINTR`: a signal handler ran during a timed wait, or during one
///   without limit whose handler lacks `SA_RESTART` (Linux resumes a wait
///   without limit after an `SA_RESTART` handler, and the call goes on).
/// - `EFAULT`: `addr` is NULL or not mapped. On macOS a `timeout_ns` of 0
///   reads the word in the calling process, so an unmapped `addr` there is
///   SIGSEGV.
/// - `EINVAL`: `addr` is not 4-byte aligned, or `timeout_ns` is below -1.
///
/// Thread safety: safe to call from any thread, on any number of words.
#[no_mangle]
pub unsafe extern "C" fn rshm_wait(addr: *const u32, expected: u32, timeout_ns: i64) -> c_int {
    run("rshm_wait", -1, || {
        // SAFETY: the caller's pointer, checked for NULL and alignment.
        let w = unsafe { word(addr) }?;
        futex::wait(w, expected, Timeout::from_ns(timeout_ns)?).map(|()| 0)
    })
}

/// Wakes up to `count` threads sleeping in `rshm_wait` on `addr`, in this
/// or any other process; `INT_MAX` wakes them all. Change the word before
/// waking, or a sleeper may go back to sleep.
///
/// The word may be in memory the process can only read: a wake uses only
/// its address.
///
/// Returns how many sleepers were woken (0 when none waited). On macOS the
/// kernel does not tell: the result is 1 when any was woken, and a count
/// above 1 wakes every sleeper.
///
/// On failure returns -1 and sets errno:
/// - `EFAULT`: `addr` is NULL.
/// - `EINVAL`: `addr` is not 4-byte aligned, or `count` is negative.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_wake(addr: *const u32, count: c_int) -> c_int {
    run("rshm_wake", -1, || {
        // SAFETY: as in rshm_wait.
        let w = unsafe { word(addr) }?;
        // At most count (an int) were woken, so the result fits.
        futex::wake(w, count).map(|n| n as c_int)
    })
}
