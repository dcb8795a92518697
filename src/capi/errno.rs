//! `rshm_errno_name`, `rshm_errno_string`, `rshm_errno_help`, `rshm_errno`.

use super::boundary::run;
use crate::errno;
use libc::{c_char, c_int};

/// What `rshm_errno_name` returns for a value the platform does not define.
const UNKNOWN_NAME: &std::ffi::CStr = c"EUNKNOWN";

/// The symbolic name of the errno value `errnum`, e.g. "ENOENT" for ENOENT.
///
/// Every value the platform defines has its name (Linux: 1..133; where two
/// names share a value the usual one is given: "EAGAIN", "EDEADLK",
/// "EOPNOTSUPP"); any other value, 0 included, gives "EUNKNOWN".
///
/// Returns a static string: never NULL, never to be freed. Thread-safe.
#[no_mangle]
pub extern "C" fn rshm_errno_name(errnum: c_int) -> *const c_char {
    run(UNKNOWN_NAME.as_ptr(), || Ok(errno::name(errnum).unwrap_or(UNKNOWN_NAME).as_ptr()))
}

/// The platform's message for the errno value `errnum`, as strerror(3)
/// gives it ("No such file or directory"); "Unknown error" for values the
/// platform does not define.
///
/// Returns a static string: never NULL, never to be freed. Unlike
/// strerror(3) it is thread-safe and never overwritten.
#[no_mangle]
pub extern "C" fn rshm_errno_string(errnum: c_int) -> *const c_char {
    run(errno::text(-1).as_ptr(), || Ok(errno::text(errnum).as_ptr()))
}

/// One or two sentences on what usually causes the errno value `errnum`
/// with shared memory, and what to do about it; a general sentence for
/// values without specific advice.
///
/// Returns a static string: never NULL, never to be freed. Thread-safe.
#[no_mangle]
pub extern "C" fn rshm_errno_help(errnum: c_int) -> *const c_char {
    run(errno::help(-1).as_ptr(), || Ok(errno::help(errnum).as_ptr()))
}

/// The calling thread's errno: for callers (FFIs, scripting languages) that
/// cannot read the C variable directly. Call it right after the failing
/// `rshm_*` call, before anything else can change errno.
///
/// Never fails. Thread-safe: errno is per thread.
#[no_mangle]
pub extern "C" fn rshm_errno() -> c_int {
    errno::get()
}
