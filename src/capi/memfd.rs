//! `rshm_memfd_create`.

use super::{
    args,
    boundary::{run_named, NameArg},
};
use crate::memfd;
use libc::{c_char, c_int, c_uint};

/// Creates an anonymous shared-memory file: the mirror of memfd_create(2)
/// (Linux 3.17+; emulated on macOS). It has no name in /dev/shm, so nothing
/// is left behind when the last descriptor and mapping go; share it with
/// another process by fork, or by `rshm_send_fd` over a unix socket.
///
/// `name` labels the file in /proc/PID/fd ("memfd:name"); it is borrowed
/// for the call only and need not be unique. `flags` or-s
/// `RSHM_MFD_CLOEXEC`, `RSHM_MFD_ALLOW_SEALING` (then seal it with
/// `rshm_add_seals`), `RSHM_MFD_HUGETLB` (optionally with an
/// `RSHM_MFD_HUGE_*` page size), and on Linux 6.3+ `RSHM_MFD_NOEXEC_SEAL`
/// or `RSHM_MFD_EXEC`.
///
/// Returns a new descriptor of size 0, owned by the caller (`rshm_close`).
///
/// On failure returns -1 and sets errno:
/// - `EFAULT`: `name` is NULL.
/// - `EINVAL`: unknown bits in `flags`, or `name` longer than 249 bytes.
/// - `EMFILE`, `ENFILE`: the process or system descriptor limit.
/// - `ENOMEM`: no memory for the file.
/// - `EPERM`: `RSHM_MFD_HUGETLB` without permission.
/// - `ENODEV`: `RSHM_MFD_HUGETLB` with a huge page size the kernel does not
///   offer (Linux; found by fuzzing).
/// - `ENOSYS`: the kernel has no memfd_create.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_memfd_create(name: *const c_char, flags: c_uint) -> c_int {
    // The kernel reads at most 249 bytes and a NUL; a longer name is EINVAL.
    // A NULL name goes to the core as None: the kernel checks the flags
    // before the name, so that unknown flags are EINVAL even then.
    // SAFETY: the export's contract: name is readable up to its NUL or
    // memfd::NAME_MAX + 1 bytes.
    let subject = unsafe { NameArg::new(name, memfd::NAME_MAX + 1) };
    run_named("rshm_memfd_create", subject, -1, || {
        let name = if name.is_null() {
            None
        } else {
            // SAFETY: name is a non-NULL C string from the caller (bounded).
            Some(unsafe { args::cstr(name, memfd::NAME_MAX + 1, libc::EINVAL) }?)
        };
        memfd::create(name, flags)
    })
}
