//! The macOS mutex: the platform's `pthread_mutex_t` (process-shared,
//! error-checking) in the 64 bytes. macOS has no robust mutexes: an
//! owner's death goes unnoticed (a waiter blocks until its timeout), and
//! `consistent` answers ENOSYS. Its own signature check answers EINVAL
//! for bytes `init` never ran on. Reviewed, not compiled here.

use crate::errno::{Errno, Result};
use crate::sync::Timeout;
use libc::c_int;
use std::cell::UnsafeCell;
use std::time::{Duration, Instant};

/// 64 bytes, aligned as `u64`, holding a `pthread_mutex_t`.
#[repr(C)]
pub struct Mutex {
    raw: UnsafeCell<[u64; super::SIZE / 8]>,
}

const _: () = {
    assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= super::SIZE);
    assert!(std::mem::align_of::<libc::pthread_mutex_t>() <= super::ALIGN);
};

// SAFETY: the bytes are only touched through pthread calls, which are made
// for concurrent use from any thread (and process).
unsafe impl Sync for Mutex {}
// SAFETY: as above; a pthread mutex is not tied to the thread that made it.
unsafe impl Send for Mutex {}

impl Default for Mutex {
    fn default() -> Self {
        Mutex::zeroed()
    }
}

/// A pthread call's result (an errno value, not -1) as a `Result`.
fn pt(r: c_int) -> Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(Errno(r))
    }
}

impl Mutex {
    /// All-zero bytes: still to be `init`ed.
    pub const fn zeroed() -> Mutex {
        Mutex { raw: UnsafeCell::new([0; super::SIZE / 8]) }
    }

    fn raw(&self) -> *mut libc::pthread_mutex_t {
        self.raw.get().cast()
    }

    /// Makes the bytes an unlocked process-shared, error-checking mutex.
    ///
    /// # Safety
    /// No thread in any process may hold or wait on the mutex meanwhile.
    pub unsafe fn init(&self) -> Result<()> {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: attr is initialised by the first call before any other
        // uses it, and destroyed once; the caller owns the mutex bytes.
        unsafe {
            pt(libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let a = attr.as_mut_ptr();
            let r = pt(libc::pthread_mutexattr_settype(a, libc::PTHREAD_MUTEX_ERRORCHECK))
                .and_then(|()| pt(libc::pthread_mutexattr_setpshared(a, libc::PTHREAD_PROCESS_SHARED)))
                .and_then(|()| pt(libc::pthread_mutex_init(self.raw(), a)));
            libc::pthread_mutexattr_destroy(a);
            r
        }
    }

    /// Locks, waiting as `timeout` allows. macOS has no timed lock: a timed
    /// lock polls with trylock and a growing sleep.
    pub fn lock(&self, timeout: Timeout) -> Result<()> {
        let m = self.raw();
        // SAFETY: m points at the caller's mutex; pthread checks its state.
        pt(unsafe {
            match timeout {
                Timeout::Forever => libc::pthread_mutex_lock(m),
                Timeout::Try => libc::pthread_mutex_trylock(m),
                Timeout::After(d) => timed_lock(m, d),
            }
        })
    }

    /// Unlocks. EPERM when the calling thread does not hold it.
    pub fn unlock(&self) -> Result<()> {
        // SAFETY: as in lock; error-checking makes a non-owner's unlock EPERM.
        pt(unsafe { libc::pthread_mutex_unlock(self.raw()) })
    }

    /// ENOSYS: no robust mutexes on macOS.
    pub fn consistent(&self) -> Result<()> {
        Err(Errno(libc::ENOSYS))
    }
}

unsafe fn timed_lock(m: *mut libc::pthread_mutex_t, d: Duration) -> c_int {
    let deadline = Instant::now().checked_add(d);
    let mut nap = Duration::from_micros(1);
    loop {
        // SAFETY: m is the caller's mutex.
        match unsafe { libc::pthread_mutex_trylock(m) } {
            libc::EBUSY => {}
            r => return r,
        }
        let left = deadline.map_or(nap, |t| t.saturating_duration_since(Instant::now()));
        if left.is_zero() {
            return libc::ETIMEDOUT;
        }
        std::thread::sleep(nap.min(left));
        nap = (nap * 2).min(Duration::from_millis(1));
    }
}
