//! `rshm_mutex` and `rshm_mutex_init/lock/unlock/consistent`.

use super::boundary::run;
use crate::errno::{Errno, Result};
use crate::sync::{mutex, mutex::Mutex, Timeout};
use libc::c_int;

/// A mutex that lives in shared memory and works across processes: 64
/// bytes, aligned as `uint64_t` (8 bytes; 4 on 32-bit x86), on every
/// platform (it holds the platform's
/// `pthread_mutex_t`). Put it inside a shared mapping, have one process
/// call `rshm_mutex_init` on it before any process uses it, then lock it
/// from any thread of any process that maps it, at any address. The fields
/// are private. Never copy or move an initialised mutex: a copy is not the
/// same lock. It needs no destroy; unmapping it is enough when no one
/// holds it.
///
/// It is robust on Linux: when its owner dies holding it, the next locker
/// gets it with EOWNERDEAD. macOS has no robust mutexes: there a dead
/// owner's lock stays held.
///
/// The bytes are the platform's mutex for the program's ABI: every
/// process sharing one must be built for the same platform, word size and
/// C library (a 32-bit and a 64-bit process cannot share a mutex).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct rshm_mutex {
    _opaque: [u64; 8],
}

const _: () = {
    assert!(std::mem::size_of::<rshm_mutex>() == mutex::SIZE);
    assert!(std::mem::align_of::<rshm_mutex>() == mutex::ALIGN);
};

/// The core mutex behind a C pointer: NULL is EFAULT, misaligned EINVAL.
fn get<'a>(m: *mut rshm_mutex) -> Result<&'a Mutex> {
    if m.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    if m as usize % mutex::ALIGN != 0 {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: non-NULL and aligned; the caller's promise of 64 valid bytes,
    // with the same layout as Mutex (checked above). Mutex only lends them
    // to pthread calls, which are made for concurrent use.
    Ok(unsafe { &*m.cast::<Mutex>() })
}

/// Makes `*m` an unlocked mutex that threads of any process mapping it can
/// share: process-shared, error-checking (a second lock by the owner is
/// EDEADLK, an unlock by another thread EPERM) and, on Linux, robust.
///
/// `m` points into memory the caller owns, usually a shared mapping; any
/// previous content is overwritten. Call it once, before any other process
/// uses the mutex, or again on a mutex nobody holds (as after
/// ENOTRECOVERABLE).
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EFAULT`: `m` is NULL.
/// - `EINVAL`: `m` is not aligned as `uint64_t`.
/// - `ENOMEM`, `EAGAIN`: the system lacks resources for another mutex.
///
/// Thread safety: no thread in any process may hold or wait on `*m` while
/// it is initialised. That is undefined, as with pthread_mutex_init, and
/// on Linux it breaks the owner's robust list: a crash at its unlock, or
/// no EOWNERDEAD for the mutexes it holds when it dies. (A check would not
/// be reliable: glibc's trylock of an unrecoverable mutex leaves the
/// caller's thread id in its lock word.)
#[no_mangle]
pub unsafe extern "C" fn rshm_mutex_init(m: *mut rshm_mutex) -> c_int {
    // SAFETY: the caller guarantees nobody uses the mutex meanwhile.
    run("rshm_mutex_init", -1, || unsafe { get(m)?.init() }.map(|()| 0))
}

/// Locks `*m`, waiting as `timeout_ns` allows: -1 waits without limit, 0
/// only tries, a positive value waits at most that many nanoseconds
/// (measured on the monotonic clock). The owner is the calling thread.
///
/// Returns 0 with the lock held. On failure returns -1 and sets errno:
/// - `EOWNERDEAD`: the lock is held now, by the caller, but its previous
///   owner died holding it (Linux). The data it guards may be half-updated:
///   repair it and call `rshm_mutex_consistent`, then use the mutex as
///   usual; or unlock without that, and every later lock fails with
///   ENOTRECOVERABLE.
/// - `ENOTRECOVERABLE`: a previous owner died and the next one unlocked
///   without `rshm_mutex_consistent`; only `rshm_mutex_init` revives it.
/// - `EBUSY`: `timeout_ns` is 0 and another thread holds it.
/// - `ETIMEDOUT`: the timeout passed first.
/// - `EDEADLK`: the calling thread holds it already. macOS answers EBUSY
///   when `timeout_ns` is 0, and ETIMEDOUT once a positive timeout has
///   passed: its timed lock polls, and cannot tell the owner from others.
/// - `EFAULT`: `m` is NULL.
/// - `EINVAL`: `m` is misaligned or was never initialised (its bytes carry
///   no mark of `rshm_mutex_init`), or `timeout_ns` < -1. A mutex whose
///   bytes were overwritten after init is not detected: that is undefined.
///
/// Thread safety: safe to call from any thread of any process.
#[no_mangle]
pub unsafe extern "C" fn rshm_mutex_lock(m: *mut rshm_mutex, timeout_ns: i64) -> c_int {
    run("rshm_mutex_lock", -1, || get(m)?.lock(Timeout::from_ns(timeout_ns)?).map(|()| 0))
}

/// Unlocks `*m`, held by the calling thread.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EPERM`: the calling thread does not hold it (another thread or
///   process does, or nobody).
/// - `EFAULT`: `m` is NULL.
/// - `EINVAL`: `m` is misaligned or not initialised.
///
/// Thread safety: safe to call from any thread; only the owner succeeds.
#[no_mangle]
pub unsafe extern "C" fn rshm_mutex_unlock(m: *mut rshm_mutex) -> c_int {
    run("rshm_mutex_unlock", -1, || get(m)?.unlock().map(|()| 0))
}

/// Declares the data guarded by `*m` repaired after `rshm_mutex_lock`
/// failed with EOWNERDEAD: the mutex goes back to normal use. The caller
/// still holds it and unlocks it as usual.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `*m` was not taken with EOWNERDEAD by the calling thread
///   (another thread's call is refused too, which glibc alone would let
///   through), or `m` is misaligned or not initialised.
/// - `EFAULT`: `m` is NULL.
/// - `ENOSYS`: macOS, which has no robust mutexes.
///
/// Thread safety: only the thread that got EOWNERDEAD may call it.
#[no_mangle]
pub unsafe extern "C" fn rshm_mutex_consistent(m: *mut rshm_mutex) -> c_int {
    run("rshm_mutex_consistent", -1, || get(m)?.consistent().map(|()| 0))
}
