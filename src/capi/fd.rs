//! `rshm_ftruncate`, `rshm_fchown`, `rshm_fchmod`, `rshm_close`.

use super::boundary::run;
use crate::fd;
use libc::c_int;

/// Sets the size of the object `fd` to `length` bytes: the mirror of
/// ftruncate(2). A new object has size 0; growing it adds zero-filled pages
/// that use no memory until touched; shrinking it discards the tail (a
/// mapping of the lost range then raises SIGBUS when touched).
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EINVAL`: `length` is negative, or `fd` is not open for writing or not
///   a regular file or shared-memory object.
/// - `EFBIG`: `length` is beyond the largest size the file system allows,
///   or grows the object beyond the process's RLIMIT_FSIZE (`ulimit -f`).
///   As with ftruncate(2), the kernel then first raises SIGXFSZ, whose
///   default action kills the process: a mirror keeps libc's behaviour.
///   `rshm_fallocate`, `rshm_segment_create` and `rshm_channel_create`
///   check the limit first and return EFBIG without the signal.
/// - `EPERM`: a seal forbids the change (`RSHM_F_SEAL_SHRINK`, `RSHM_F_SEAL_GROW`).
/// - `EINTR`: a signal interrupted the call.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_ftruncate(fd: c_int, length: i64) -> c_int {
    run("rshm_ftruncate", -1, || fd::truncate(fd, length).map(|()| 0))
}

/// Changes the owner and group of the object `fd`: the mirror of fchown(2).
/// Pass `(uint32_t)-1` for an id to leave it as it is.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EINVAL`: an id is not valid in the caller's user namespace.
/// - `EPERM`: the caller is not privileged (CAP_CHOWN) and not the owner
///   changing the group to one of its own.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_fchown(fd: c_int, owner: u32, group: u32) -> c_int {
    run("rshm_fchown", -1, || fd::chown(fd, owner, group).map(|()| 0))
}

/// Changes the permission bits of the object `fd` to `mode` (e.g. 0640):
/// the mirror of fchmod(2). Descriptors already open keep their access.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EPERM`: the caller neither owns the object nor is privileged (CAP_FOWNER).
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_fchmod(fd: c_int, mode: u32) -> c_int {
    run("rshm_fchmod", -1, || fd::chmod(fd, mode).map(|()| 0))
}

/// Closes the descriptor `fd`: the mirror of close(2). Mappings made from it
/// stay valid. Do not retry on EINTR: on Linux the descriptor is already
/// closed then.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor (never opened or closed twice).
/// - `EINTR`, `EIO`: as close(2) reports them; the descriptor is released.
///
/// Thread safety: safe to call from any thread; closing a descriptor that
/// another thread is using is a bug in the caller, as with close(2).
#[no_mangle]
pub extern "C" fn rshm_close(fd: c_int) -> c_int {
    run("rshm_close", -1, || fd::close(fd).map(|()| 0))
}
