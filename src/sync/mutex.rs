//! A mutex that lives in shared memory: process-shared, error-checking and,
//! on Linux, robust. It wraps the platform's `pthread_mutex_t` because the
//! kernel's robust-futex list (which marks a mutex whose owner died) only
//! knows glibc's mutex layout.
//!
//! macOS has no robust mutexes: an owner's death goes unnoticed there (a
//! waiter blocks until its timeout), and `consistent` answers ENOSYS.

use super::Timeout;
use crate::errno::{Errno, Result};
use libc::c_int;
use std::cell::UnsafeCell;
#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicU32, Ordering};

/// Bytes a `Mutex` occupies in shared memory, on every platform.
pub const SIZE: usize = 64;
/// Its alignment: that of a `uint64_t` (8, but 4 on 32-bit x86).
pub const ALIGN: usize = std::mem::align_of::<u64>();

/// 64 bytes, aligned as `u64`, holding a `pthread_mutex_t`. Placed in
/// shared memory, initialised once with `init`, then used by every process
/// that maps it. It must not be moved or copied once initialised.
#[repr(C)]
pub struct Mutex {
    raw: UnsafeCell<[u64; SIZE / 8]>,
}

const _: () = {
    assert!(std::mem::size_of::<Mutex>() == SIZE && std::mem::align_of::<Mutex>() == ALIGN);
    assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= SIZE);
    assert!(std::mem::align_of::<libc::pthread_mutex_t>() <= ALIGN);
};

/// glibc takes a zeroed `pthread_mutex_t` for a valid, private, non-robust
/// mutex, so a forgotten `init` would go unnoticed; the last 8 bytes of the
/// 64 mark an `init`ed mutex. They are two 32-bit words, not one 64-bit
/// one: on 32-bit x86 the mutex is only 4-byte aligned, and an `AtomicU64`
/// needs 8. (macOS's mutex checks its own signature.)
#[cfg(target_os = "linux")]
const MARK: [u32; 2] = [u32::from_ne_bytes(*b"rshm"), u32::from_ne_bytes(*b"-mtx")];
/// Index of the mark's first word, in 32-bit words.
#[cfg(target_os = "linux")]
const MARK_AT: usize = SIZE / 4 - 2;
#[cfg(target_os = "linux")]
const _: () = assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= MARK_AT * 4);

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
    /// All-zero bytes: still to be `init`ed (for a mutex outside shared memory).
    pub const fn zeroed() -> Mutex {
        Mutex { raw: UnsafeCell::new([0; SIZE / 8]) }
    }

    fn raw(&self) -> *mut libc::pthread_mutex_t {
        self.raw.get().cast()
    }

    /// The `init` mark's two words, read and written atomically: other
    /// processes look.
    #[cfg(target_os = "linux")]
    fn mark(&self) -> &[AtomicU32; 2] {
        // SAFETY: words MARK_AT and MARK_AT + 1 are inside the array and
        // 4-byte aligned (the array is at least that), and they are only
        // ever accessed atomically.
        unsafe { &*self.raw.get().cast::<AtomicU32>().add(MARK_AT).cast::<[AtomicU32; 2]>() }
    }

    /// Whether `init` ran on these bytes (always on macOS, whose own
    /// signature check answers EINVAL instead).
    fn marked(&self) -> bool {
        #[cfg(target_os = "linux")]
        return self.mark().iter().zip(MARK).all(|(w, m)| w.load(Ordering::Acquire) == m);
        #[cfg(not(target_os = "linux"))]
        true
    }

    /// The raw mutex, or EINVAL when `init` never ran on these bytes.
    fn ready(&self) -> Result<*mut libc::pthread_mutex_t> {
        if !self.marked() {
            return Err(Errno(libc::EINVAL));
        }
        Ok(self.raw())
    }

    /// Makes the bytes an unlocked process-shared, error-checking, robust
    /// (Linux) mutex.
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
                .and_then(|()| imp::set_robust(a))
                .and_then(|()| pt(libc::pthread_mutex_init(self.raw(), a)));
            libc::pthread_mutexattr_destroy(a);
            #[cfg(target_os = "linux")]
            if r.is_ok() {
                for (w, m) in self.mark().iter().zip(MARK) {
                    w.store(m, Ordering::Release);
                }
            }
            r
        }
    }

    /// Locks, waiting as `timeout` allows.
    ///
    /// `Err(EOWNERDEAD)` means the lock is held now, but its previous owner
    /// died holding it: repair the data it guards and call `consistent`, or
    /// unlock and every later lock fails with ENOTRECOVERABLE. Other errors:
    /// EBUSY (`Try`), ETIMEDOUT, EDEADLK (this thread holds it already).
    pub fn lock(&self, timeout: Timeout) -> Result<()> {
        let m = self.ready()?;
        // SAFETY: m points at an initialised mutex for the call; pthread
        // checks its state.
        pt(unsafe {
            match timeout {
                Timeout::Forever => libc::pthread_mutex_lock(m),
                Timeout::Try => libc::pthread_mutex_trylock(m),
                Timeout::After(d) => imp::timed_lock(m, d),
            }
        })
    }

    /// Unlocks. EPERM when the calling thread does not hold it.
    pub fn unlock(&self) -> Result<()> {
        let m = self.ready()?;
        // SAFETY: as in lock; error-checking makes a non-owner's unlock EPERM.
        pt(unsafe { libc::pthread_mutex_unlock(m) })
    }

    /// Marks the state guarded by a mutex taken with EOWNERDEAD as repaired;
    /// EINVAL when it was not taken so. ENOSYS on macOS.
    pub fn consistent(&self) -> Result<()> {
        imp::consistent(self.ready()?)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::time::Duration;

    extern "C" {
        // glibc 2.30+; the libc crate does not declare it.
        fn pthread_mutex_clocklock(
            m: *mut libc::pthread_mutex_t,
            clock: libc::clockid_t,
            abstime: *const libc::timespec,
        ) -> c_int;
    }

    pub unsafe fn set_robust(a: *mut libc::pthread_mutexattr_t) -> Result<()> {
        // SAFETY: a is an initialised attribute object (caller).
        pt(unsafe { libc::pthread_mutexattr_setrobust(a, libc::PTHREAD_MUTEX_ROBUST) })
    }

    /// Waits until now + d on the monotonic clock, so that setting the wall
    /// clock neither shortens nor stretches the wait.
    pub unsafe fn timed_lock(m: *mut libc::pthread_mutex_t, d: Duration) -> c_int {
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: now is writable; CLOCK_MONOTONIC always exists.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        let secs = libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX);
        let mut nsec = now.tv_nsec + d.subsec_nanos() as libc::c_long;
        let mut sec = now.tv_sec.saturating_add(secs);
        if nsec >= 1_000_000_000 {
            nsec -= 1_000_000_000;
            sec = sec.saturating_add(1);
        }
        let abs = libc::timespec { tv_sec: sec, tv_nsec: nsec };
        // SAFETY: m is the caller's mutex; abs lives across the call.
        unsafe { pthread_mutex_clocklock(m, libc::CLOCK_MONOTONIC, &abs) }
    }

    /// The bits of a robust mutex's lock word that hold its owner's thread
    /// id (the kernel's robust-futex protocol: the word glibc keeps first
    /// in `pthread_mutex_t`, the one its robust list points the kernel at).
    const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

    /// Whether the calling thread holds the robust mutex at `m`.
    fn held_by_me(m: *mut libc::pthread_mutex_t) -> bool {
        // SAFETY: the lock word is the first 4 bytes of an initialised
        // glibc mutex, aligned, and changed by others only atomically.
        let word = unsafe { &*m.cast::<AtomicU32>() }.load(Ordering::Relaxed);
        // SAFETY: gettid has no preconditions.
        word & FUTEX_TID_MASK == unsafe { libc::gettid() } as u32
    }

    pub fn consistent(m: *mut libc::pthread_mutex_t) -> Result<()> {
        // glibc checks that the mutex is robust and inconsistent, not that
        // the caller is the thread that took it with EOWNERDEAD: another
        // thread's call would make it the owner on paper while the lock
        // stays with the first.
        if !held_by_me(m) {
            return Err(Errno(libc::EINVAL));
        }
        // SAFETY: m points at the mutex; glibc checks it is robust and inconsistent.
        pt(unsafe { libc::pthread_mutex_consistent(m) })
    }
}

/// Reviewed, not compiled here: macOS has neither robust mutexes nor a
/// timed lock, so a timed lock polls with trylock and a growing sleep.
#[cfg(target_os = "macos")]
mod imp {
    use super::*;
    use std::time::{Duration, Instant};

    pub unsafe fn set_robust(_: *mut libc::pthread_mutexattr_t) -> Result<()> {
        Ok(())
    }

    pub unsafe fn timed_lock(m: *mut libc::pthread_mutex_t, d: Duration) -> c_int {
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

    pub fn consistent(_: *mut libc::pthread_mutex_t) -> Result<()> {
        Err(Errno(libc::ENOSYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn new() -> Arc<Mutex> {
        let m = Arc::new(Mutex::zeroed());
        // SAFETY: nobody else has it yet.
        unsafe { m.init() }.unwrap();
        m
    }

    #[test]
    fn try_timed_and_non_owner_unlock_from_another_thread() {
        let m = new();
        m.lock(Timeout::Forever).unwrap();
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || {
            assert_eq!(m2.lock(Timeout::Try), Err(Errno(libc::EBUSY)));
            assert_eq!(m2.lock(Timeout::After(Duration::from_millis(1))), Err(Errno(libc::ETIMEDOUT)));
            assert_eq!(m2.unlock(), Err(Errno(libc::EPERM)));
        })
        .join()
        .unwrap();
        assert_eq!(m.lock(Timeout::Forever), Err(Errno(libc::EDEADLK)));
        m.unlock().unwrap();
        assert_eq!(m.unlock(), Err(Errno(libc::EPERM)));
        assert_eq!(m.consistent(), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn a_thread_that_exits_holding_it_leaves_eownerdead() {
        let m = new();
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
        assert_eq!(m.lock(Timeout::After(Duration::from_secs(10))), Err(Errno(libc::EOWNERDEAD)));
        m.consistent().unwrap();
        m.unlock().unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn only_the_thread_that_got_eownerdead_makes_it_consistent() {
        let m = new();
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || assert_eq!(m2.consistent(), Err(Errno(libc::EINVAL)))).join().unwrap();
        m.consistent().unwrap();
        m.unlock().unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }

    #[test]
    fn unlocking_without_consistent_makes_it_unrecoverable() {
        let m = new();
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
        m.unlock().unwrap();
        assert_eq!(m.lock(Timeout::Forever), Err(Errno(libc::ENOTRECOVERABLE)));
        // SAFETY: nobody holds or waits on it.
        unsafe { m.init() }.unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }
}
