//! `rshm_mutex` and `rshm_mutex_init/lock/unlock/consistent`.

use super::boundary::run;
use crate::errno::{Errno, Result};
use crate::sync::{mutex, mutex::Mutex, Timeout};
use libc::c_int;

/// A mutex that lives in shared memory and works across processes: 64
/// bytes, aligned as `uint64_t` (8 bytes; 4 on 32-bit x86), on every
/// platform. Put it inside a shared mapping, have one process call
/// `rshm_mutex_init` on it before any process uses it, then lock it from
/// any thread of any process that maps it, at any address. The fields are
/// private. Never copy or move an initialised mutex: a copy is not the
/// same lock. It needs no destroy; unmapping it is enough when no one
/// holds it.
///
/// It is robust on Linux: when its owner thread dies holding it, the next
/// locker gets it with EOWNERDEAD. macOS has no robust mutexes: there a
/// dead owner's lock stays held.
///
/// On Linux the bytes are rshm's own, not glibc's: a lock word holding the
/// owner's thread id and a tag of its start time, and plain flags; no
/// pointer. A process that may write the mutex can only change numbers
/// rshm checks: whatever it writes, the others get a lock that works or
/// an errno listed below, never a signal, never a write outside the 64
/// bytes, never a wait past their timeout. 32- and 64-bit processes may
/// share one. Processes in different PID namespaces (containers sharing
/// /dev/shm) may too, but a thread id means nothing outside its own: from
/// the first lock by a process outside the PID namespace of the one that
/// ran `rshm_mutex_init`, until the next init, no waiter judges an owner
/// dead, and a dead owner's lock stays held (as on macOS). A dead owner
/// is otherwise noticed by a waiter, when it has
/// waited 2 ms (then after each slice, doubling to 128 ms) and when its
/// timeout ends: a lock without limit on a dead owner's mutex returns
/// EOWNERDEAD within about 128 ms of the death. A mutex initialised by an
/// older library (the glibc-based layout) is refused with EPROTO, and an
/// older library answers EINVAL for this one: every process sharing a
/// mutex must use a library of this layout. On macOS the bytes are the platform's `pthread_mutex_t`.
///
/// A thread's id is learnt at its first call and kept; fork(2) makes the
/// child learn its own (a fork handler). A child made without fork
/// handlers (`_Fork`, a raw clone(2)) must not use an rshm_mutex before it
/// execs: it would pass for the thread that forked it.
///
/// Read-only memory: `rshm_mutex_lock`, `rshm_mutex_unlock` and
/// `rshm_mutex_consistent` store to the mutex, so on memory the process
/// may only read (a segment opened with `RSHM_O_RDONLY`) they raise
/// SIGSEGV like any store there: asking the kernel first would add a
/// system call to every lock, about 20 times an uncontended lock/unlock
/// (`make bench`). `rshm_mutex_init` asks (it is not hot) and answers
/// EFAULT.
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
    // with the same size and alignment as Mutex (checked above). Mutex
    // touches them only atomically (Linux) or through pthread calls made
    // for concurrent use (macOS).
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
/// - `EFAULT`: `m` is NULL, or (Linux) its memory is not writable by
///   this process (a read-only mapping).
/// - `EINVAL`: `m` is not aligned as `uint64_t`.
/// - `ENOMEM`, `EAGAIN`: (macOS) the system lacks resources for another
///   mutex.
///
/// Thread safety: no thread in any process may hold or wait on `*m` while
/// it is initialised. On Linux that costs no memory safety (the bytes are
/// numbers), but the holder loses its lock: its unlock is EPERM, and two
/// threads may both be inside. On macOS it is undefined, as with
/// pthread_mutex_init.
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
///   owner died holding it (Linux): it no longer runs, or its thread id
///   now names a thread that started at another time. Its death is seen
///   by a waiter: when the lock is found held with `timeout_ns` 0, after
///   2 ms of waiting (then at each slice, up to 128 ms apart), and when
///   the timeout ends. Each look reads `/proc/TID/stat` (microseconds: a
///   loop of tries on a held lock pays it every time). The data it guards may be half-updated:
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
///   no mark of `rshm_mutex_init`), or `timeout_ns` < -1.
/// - `EPROTO`: (Linux) `*m` was initialised by a library of the older,
///   glibc-based layout.
/// - `ENOMEM`: (Linux) the calling thread's first call, and the library
///   could not register the fork handler that keeps a child of fork from
///   passing for its parent's thread.
///
/// A mutex whose bytes another process overwrote answers one of the
/// above, or works: a lock word naming a thread that lives means held
/// (EBUSY, ETIMEDOUT), one naming no live thread EOWNERDEAD, other marks
/// EINVAL or EPROTO (Linux; on macOS overwritten bytes are undefined).
///
/// Read-only memory: SIGSEGV (see `rshm_mutex`).
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
/// - `EPROTO`: (Linux) `*m` has the older, glibc-based layout.
/// - `ENOMEM`: (Linux) as for `rshm_mutex_lock`.
///
/// Read-only memory: SIGSEGV when the lock word names the caller (see
/// `rshm_mutex`); EPERM otherwise.
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
/// - `EPROTO`: (Linux) `*m` has the older, glibc-based layout.
/// - `ENOMEM`: (Linux) as for `rshm_mutex_lock`.
/// - `ENOSYS`: macOS, which has no robust mutexes.
///
/// Read-only memory: SIGSEGV when the caller holds it so (see
/// `rshm_mutex`); EINVAL otherwise.
///
/// Thread safety: only the thread that got EOWNERDEAD may call it.
#[no_mangle]
pub unsafe extern "C" fn rshm_mutex_consistent(m: *mut rshm_mutex) -> c_int {
    run("rshm_mutex_consistent", -1, || get(m)?.consistent().map(|()| 0))
}
