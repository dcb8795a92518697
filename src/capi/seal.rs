//! `rshm_add_seals`, `rshm_get_seals`.

use super::boundary::run;
use crate::seal;
use libc::{c_int, c_uint};

/// Adds the seals `seals` (or-ed `RSHM_F_SEAL_*`) to the file `fd`: fcntl(2)
/// F_ADD_SEALS. Seals are never removed; they let the owner of a memfd hand
/// it to another process with the promise that it will not shrink (no
/// SIGBUS in the receiver), grow, or change.
///
/// After `RSHM_F_SEAL_WRITE`, writes and new writable shared mappings fail
/// with EPERM; after `RSHM_F_SEAL_SHRINK`, `rshm_ftruncate` to a smaller
/// size fails with EPERM; `RSHM_F_SEAL_GROW` likewise for growing;
/// `RSHM_F_SEAL_SEAL` forbids adding more seals.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EINVAL`: `fd` is not a memfd or shm file that supports seals, or
///   `seals` has unknown bits (`RSHM_F_SEAL_EXEC` needs Linux 6.3).
/// - `EPERM`: the file forbids sealing: made without
///   `RSHM_MFD_ALLOW_SEALING`, or already sealed with `RSHM_F_SEAL_SEAL`;
///   or `fd` is not open for writing.
/// - `EBUSY`: `RSHM_F_SEAL_WRITE` while a writable shared mapping of the
///   file exists: unmap it first.
/// - `ENOSYS`: macOS, which has no seals.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_add_seals(fd: c_int, seals: c_uint) -> c_int {
    run("rshm_add_seals", -1, || seal::add(fd, seals).map(|()| 0))
}

/// The seals on the file `fd` (or-ed `RSHM_F_SEAL_*`): fcntl(2) F_GET_SEALS.
///
/// Returns the seals, 0 for none; a memfd made without
/// `RSHM_MFD_ALLOW_SEALING` reports `RSHM_F_SEAL_SEAL`. On failure returns
/// -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EINVAL`: the file does not support seals (not a memfd or shm file).
/// - `ENOSYS`: macOS, which has no seals.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_get_seals(fd: c_int) -> c_int {
    run("rshm_get_seals", -1, || seal::get(fd).map(|s| s as c_int))
}
