//! `rshm_fstat`.

use super::{args, boundary::run};
use crate::stat::{self, Stat};
use libc::c_int;

/// Describes the object `fd` in `*out`: the mirror of fstat(2), into rshm's
/// own `rshm_stat` (size, allocated blocks, mode, owner, times) so that the
/// layout does not depend on the platform's `struct stat`.
///
/// `out` is owned by the caller and written only on success.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EFAULT`: `out` is NULL (checked after `fd`, as the kernel does).
/// - `EOVERFLOW`: a value does not fit the platform's struct stat.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_fstat(fd: c_int, out: *mut Stat) -> c_int {
    run("rshm_fstat", -1, || {
        let st = stat::fstat(fd)?;
        *args::out(out)? = st;
        Ok(0)
    })
}
