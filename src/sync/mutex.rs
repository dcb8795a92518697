//! A mutex that lives in shared memory: process-shared, error-checking and,
//! on Linux, robust (a dead owner's lock goes to the next locker with
//! EOWNERDEAD).
//!
//! On Linux it is rshm's own (`linux.rs`): a futex word naming its owner
//! and plain data, nothing a peer writing the bytes can turn against the
//! holder. glibc's robust mutex, used before, kept the holder's robust-list
//! pointers in these bytes, for any peer to read or rewrite. On macOS it is
//! the platform's pthread mutex, without robustness (`macos.rs`).

#[cfg(target_os = "linux")]
#[path = "mutex/linux.rs"]
mod imp;
#[cfg(target_os = "macos")]
#[path = "mutex/macos.rs"]
mod imp;

pub use imp::Mutex;

/// Bytes a `Mutex` occupies in shared memory, on every platform.
pub const SIZE: usize = 64;
/// Its alignment: that of a `uint64_t` (8, but 4 on 32-bit x86).
pub const ALIGN: usize = std::mem::align_of::<u64>();

const _: () = assert!(std::mem::size_of::<Mutex>() == SIZE && std::mem::align_of::<Mutex>() == ALIGN);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::Errno;
    use crate::sync::Timeout;
    use std::sync::Arc;
    use std::time::Duration;

    fn new() -> Arc<Mutex> {
        let m = Arc::new(Mutex::zeroed());
        // SAFETY: nobody else has it yet.
        unsafe { m.init() }.unwrap();
        m
    }

    /// A mutex whose owner, a thread, has exited holding it.
    fn left_by_a_dead_thread() -> Arc<Mutex> {
        let m = new();
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
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
            assert_eq!(m2.lock(Timeout::After(Duration::from_millis(10))), Err(Errno(libc::ETIMEDOUT)));
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
    fn a_waiter_gets_the_lock_when_it_is_unlocked() {
        let m = new();
        m.lock(Timeout::Forever).unwrap();
        let m2 = Arc::clone(&m);
        let t = std::thread::spawn(move || {
            m2.lock(Timeout::Forever).unwrap();
            m2.unlock().unwrap();
        });
        std::thread::sleep(Duration::from_millis(5));
        m.unlock().unwrap();
        t.join().unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }

    #[test]
    fn a_thread_that_exits_holding_it_leaves_eownerdead() {
        for timeout in [Timeout::After(Duration::from_secs(10)), Timeout::Forever] {
            let m = left_by_a_dead_thread();
            assert_eq!(m.lock(timeout), Err(Errno(libc::EOWNERDEAD)));
            m.consistent().unwrap();
            m.unlock().unwrap();
            m.lock(Timeout::Try).unwrap();
            m.unlock().unwrap();
        }
    }

    #[test]
    fn only_the_thread_that_got_eownerdead_makes_it_consistent() {
        let m = left_by_a_dead_thread();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
        let m2 = Arc::clone(&m);
        std::thread::spawn(move || assert_eq!(m2.consistent(), Err(Errno(libc::EINVAL)))).join().unwrap();
        m.consistent().unwrap();
        assert_eq!(m.consistent(), Err(Errno(libc::EINVAL)));
        m.unlock().unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }

    #[test]
    fn unlocking_without_consistent_makes_it_unrecoverable() {
        let m = left_by_a_dead_thread();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
        m.unlock().unwrap();
        assert_eq!(m.lock(Timeout::Forever), Err(Errno(libc::ENOTRECOVERABLE)));
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::ENOTRECOVERABLE)));
        // SAFETY: nobody holds or waits on it.
        unsafe { m.init() }.unwrap();
        m.lock(Timeout::Try).unwrap();
        m.unlock().unwrap();
    }
}

/// What only the Linux mutex promises: words a peer wrote.
#[cfg(all(test, target_os = "linux"))]
mod peer_tests {
    use super::*;
    use crate::errno::Errno;
    use crate::sync::{owner, Timeout};
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::time::{Duration, Instant};

    fn new() -> Mutex {
        let m = Mutex::zeroed();
        // SAFETY: nobody else has it yet.
        unsafe { m.init() }.unwrap();
        m
    }

    /// The mutex's 16 words, as a peer writes them.
    fn words(m: &Mutex) -> &[AtomicU32; 16] {
        // SAFETY: Mutex is 64 bytes of 32-bit words, 4-byte aligned, and
        // touched only atomically.
        unsafe { &*(m as *const Mutex).cast::<[AtomicU32; 16]>() }
    }

    #[test]
    fn a_locker_from_another_pid_namespace_turns_owner_checks_off() {
        let m = std::sync::Arc::new(new());
        // As if init ran in another namespace: this process is foreign.
        words(&m)[2].fetch_xor(1, SeqCst);
        let m2 = std::sync::Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
        assert_ne!(words(&m)[4].load(SeqCst), 0, "the foreign mark");
        // Its tid means nothing here: nobody takes the lock from it.
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EBUSY)));
        assert_eq!(m.lock(Timeout::After(Duration::from_millis(10))), Err(Errno(libc::ETIMEDOUT)));
        // init makes it this namespace's again, and robust.
        // SAFETY: nobody else uses it.
        unsafe { m.init() }.unwrap();
        let m2 = std::sync::Arc::clone(&m);
        std::thread::spawn(move || m2.lock(Timeout::Forever).unwrap()).join().unwrap();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
    }

    #[test]
    fn never_initialised_is_einval() {
        let m = Mutex::zeroed();
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EINVAL)));
        assert_eq!(m.unlock(), Err(Errno(libc::EINVAL)));
        assert_eq!(m.consistent(), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn my_tid_with_another_start_time_is_a_dead_owner() {
        let m = new();
        let me = owner::me().unwrap();
        let other_tag = ((me >> owner::TAG_SHIFT) % 511 + 1) << owner::TAG_SHIFT;
        words(&m)[0].store(me & owner::TID_MASK | other_tag, SeqCst);
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EOWNERDEAD)));
        m.consistent().unwrap();
        m.unlock().unwrap();
    }

    #[test]
    fn any_word_a_peer_writes_ends_within_the_timeout() {
        let m = new();
        let me = owner::me().unwrap();
        let live_other = 1; // init: alive, never us, tag 0 (judged by tid)
        for w in [0, 1 << 31, u32::MAX, owner::TAG_MASK, owner::TAG_MASK | 1 << 31, 0x7fff_ffff, live_other, me] {
            words(&m)[0].store(w, SeqCst);
            let t0 = Instant::now();
            let r = m.lock(Timeout::After(Duration::from_millis(20)));
            assert!(t0.elapsed() < Duration::from_secs(2), "word {w:#x}");
            match r {
                Ok(()) | Err(Errno(libc::EOWNERDEAD)) => {
                    let _ = m.consistent();
                    m.unlock().unwrap();
                }
                Err(Errno(libc::ETIMEDOUT | libc::EDEADLK | libc::ENOTRECOVERABLE)) => {}
                Err(e) => panic!("word {w:#x}: {e}"),
            }
            // SAFETY: nobody else uses it.
            unsafe { m.init() }.unwrap();
        }
    }

    #[test]
    fn the_old_layout_is_eproto() {
        let m = new();
        words(&m)[15].store(u32::from_ne_bytes(*b"-mtx"), SeqCst);
        assert_eq!(m.lock(Timeout::Try), Err(Errno(libc::EPROTO)));
        assert_eq!(m.unlock(), Err(Errno(libc::EPROTO)));
    }
}
