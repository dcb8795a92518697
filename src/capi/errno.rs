//! `rshm_errno_name`, `rshm_errno_string`, `rshm_errno_help`, `rshm_errno`,
//! `rshm_error_detail`.

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
    run("rshm_errno_name", UNKNOWN_NAME.as_ptr(), || Ok(errno::name(errnum).unwrap_or(UNKNOWN_NAME).as_ptr()))
}

/// The platform's message for the errno value `errnum`, as strerror(3)
/// gives it ("No such file or directory"); "Unknown error" for values the
/// platform does not define.
///
/// Returns a static string: never NULL, never to be freed. Unlike
/// strerror(3) it is thread-safe and never overwritten.
#[no_mangle]
pub extern "C" fn rshm_errno_string(errnum: c_int) -> *const c_char {
    run("rshm_errno_string", errno::text(-1).as_ptr(), || Ok(errno::text(errnum).as_ptr()))
}

/// One or two sentences on what usually causes the errno value `errnum`
/// with shared memory, and what to do about it; a general sentence for
/// values without specific advice.
///
/// Returns a static string: never NULL, never to be freed. Thread-safe.
#[no_mangle]
pub extern "C" fn rshm_errno_help(errnum: c_int) -> *const c_char {
    run("rshm_errno_help", errno::help(-1).as_ptr(), || Ok(errno::help(errnum).as_ptr()))
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

/// A sentence about the last failed rshm call of the calling thread: which
/// call, which argument or object, and what was found, e.g.
/// `rshm_segment_open("/x"): /dev/shm/x is a FIFO, not a shared memory
/// object`. Where the library has nothing specific to say it names the
/// call and its name argument, if any, and gives the errno's text
/// (`rshm_shm_open("/x"): No such file or directory`). Names are quoted
/// with control bytes, invalid UTF-8 and bidirectional overrides escaped
/// as `\xNN`, so the sentence is safe to print to a terminal. Like
/// dlerror(3), it is for people; errno stays the one signal of failure and
/// what a program tests.
///
/// Every exported call that fails sets it, the mirrored calls included
/// (with the errno's text); a call that succeeds leaves it as it was, as
/// it leaves errno. This call changes neither errno nor the detail.
///
/// Returns a NUL-terminated string, never NULL: the empty string if no rshm
/// call of this thread has failed. It belongs to the thread and stays valid
/// until the thread's next rshm call (or its exit); copy it to keep it.
///
/// Thread safety: each thread has its own detail; safe from any thread.
#[no_mangle]
pub extern "C" fn rshm_error_detail() -> *const c_char {
    let saved = errno::get();
    let p = std::panic::catch_unwind(errno::detail::render).unwrap_or(c"".as_ptr());
    errno::set(saved);
    p
}
