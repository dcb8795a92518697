//! `rshm_shm_open`, `rshm_shm_unlink`.

use super::{
    args,
    boundary::{run_named, NameArg},
};
use crate::shm;
use libc::{c_char, c_int};

/// Opens the shared-memory object `name`, creating it with `RSHM_O_CREAT`:
/// the mirror of shm_open(3), with the same arguments, result and errno.
///
/// `name` is "/name" or "name" (the same object on Linux and macOS); it is
/// borrowed for the call only. `oflag` is `RSHM_O_RDONLY` or `RSHM_O_RDWR`,
/// optionally or-ed with `RSHM_O_CREAT`, `RSHM_O_EXCL`, `RSHM_O_TRUNC`.
/// `mode` gives the permission bits of a new object (the umask applies),
/// e.g. 0600.
///
/// Returns a new descriptor, close-on-exec, owned by the caller: size a new
/// object with `rshm_ftruncate`, map it with `rshm_mmap`, then release it
/// with `rshm_close` (a mapping outlives its descriptor). The name stays in
/// /dev/shm until `rshm_shm_unlink`, even after every process has exited.
///
/// On failure returns -1 and sets errno:
/// - `EACCES`: the mode of an existing object forbids the access asked for,
///   or `RSHM_O_TRUNC` without write permission.
/// - `EEXIST`: `RSHM_O_CREAT | RSHM_O_EXCL` and the name exists.
/// - `EINVAL`: the name is empty, only slashes, or has a '/' after the
///   leading ones.
/// - `EMFILE`, `ENFILE`: the process or system descriptor limit.
/// - `ENAMETOOLONG`: the name is longer than 255 bytes (31 on macOS). Of a
///   much longer name libc may say `EINVAL` instead (glibc 2.36 does beyond
///   259 bytes); rshm gives libc's answer, reading at most 4096 bytes.
/// - `ENOENT`: no such object and no `RSHM_O_CREAT`.
/// - `EFAULT`: `name` is NULL.
/// - `ENOSPC`: no room to create it in /dev/shm.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_shm_open(name: *const c_char, oflag: c_int, mode: u32) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: name is a C string from the caller (checked for NULL and bounded).
    run_named("rshm_shm_open", subject, -1, || shm::open(&unsafe { args::shm_name(name) }?, oflag, mode))
}

/// Removes the name of a shared-memory object: the mirror of shm_unlink(3).
///
/// `name` is borrowed for the call only. The object itself lives on while
/// any process has it open or mapped; new `rshm_shm_open` calls without
/// `RSHM_O_CREAT` fail with ENOENT from now on.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EACCES`: no permission to remove the name.
/// - `EINVAL`: the name is empty, only slashes, or has an inner '/' (glibc
///   says `ENOENT` of such names, and of names it finds too long).
/// - `ENAMETOOLONG`: as for `rshm_shm_open`.
/// - `ENOENT`: no object has that name.
/// - `EFAULT`: `name` is NULL.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_shm_unlink(name: *const c_char) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: name is a C string from the caller (checked for NULL and bounded).
    run_named("rshm_shm_unlink", subject, -1, || shm::unlink(&unsafe { args::shm_name(name) }?).map(|()| 0))
}
