//! `rshm_fallocate`.

use super::boundary::run;
use crate::fd;
use libc::c_int;

/// Reserves the storage of bytes `[offset, offset + len)` of the object
/// `fd` now, growing it if it is smaller: posix_fallocate(3), made to fail
/// the POSIX way (-1 and errno rather than a returned error number). On
/// /dev/shm and memfds this commits the memory, so that a full /dev/shm is
/// ENOSPC here instead of SIGBUS on a later write through a mapping. A
/// signal during the call is retried.
///
/// macOS has no posix_fallocate and reserves nothing ahead: there the call
/// only grows the object to `offset + len` when it is smaller (which macOS
/// allows once per object, like `rshm_ftruncate`).
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor, or not open for writing.
/// - `EINVAL`: `offset` is negative or `len` is not positive.
/// - `EFBIG`: `offset + len` is beyond the largest file size, or grows the
///   object beyond the process's RLIMIT_FSIZE (`ulimit -f`). Unlike
///   posix_fallocate(3), the call checks the limit first, so no SIGXFSZ is
///   raised (its default action kills the process) and nothing is grown;
///   only another thread lowering the limit during the call can still
///   bring the kernel's signal.
/// - `ENOSPC`: not enough room (for /dev/shm: its size limit or memory).
/// - `ENODEV`, `ESPIPE`: `fd` is not a regular file or shm object.
/// - `EPERM`: a seal forbids growing (`RSHM_F_SEAL_GROW`).
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_fallocate(fd: c_int, offset: i64, len: i64) -> c_int {
    run("rshm_fallocate", -1, || fd::allocate(fd, offset, len).map(|()| 0))
}
