//! The one way a result crosses the ABI, and the one place a failure is
//! recorded for `rshm_error_detail`.

use crate::errno::{self, detail, Errno, Result};
use libc::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// errno after a panic inside rshm: a bug of ours, and a value none of the
/// mirrored calls returns, so a caller can tell it apart and report it.
pub(crate) const PANIC_ERRNO: i32 = libc::ENOTRECOVERABLE;

/// Runs `f` for the export `call`; an error sets errno, records the failure
/// (`rshm_error_detail`) and yields `fallback`, and so does a panic, which
/// must never unwind into C. Success touches neither.
pub fn run<T>(call: &'static str, fallback: T, f: impl FnOnce() -> Result<T>) -> T {
    run_on(call, || None, fallback, f)
}

/// The C string an export names its object by, read for a failure's
/// detail only.
pub struct NameArg {
    p: *const c_char,
    max: usize,
}

impl NameArg {
    /// # Safety
    /// A non-NULL `p` is readable up to its NUL or `max` bytes for the
    /// export's call, as the export's own argument check requires.
    pub unsafe fn new(p: *const c_char, max: usize) -> NameArg {
        NameArg { p, max }
    }
}

/// As [`run`] for an export whose subject is an object name: a failure's
/// detail quotes it.
pub fn run_named<T>(call: &'static str, name: NameArg, fallback: T, f: impl FnOnce() -> Result<T>) -> T {
    // SAFETY: NameArg::new's contract; the string lives for the call.
    run_on(call, || Some(unsafe { detail::subject(name.p, name.max) }), fallback, f)
}

fn run_on<T>(
    call: &'static str,
    subject: impl FnOnce() -> Option<String>,
    fallback: T,
    f: impl FnOnce() -> Result<T>,
) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(Errno(e))) => {
            detail::failed(call, subject(), e, None);
            errno::set(e);
            fallback
        }
        Err(payload) => {
            let said = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let what = format!("internal error (a bug in rshm, please report it): {said}");
            // Recording must not panic again: the subject is read under
            // the same guard.
            let subject = catch_unwind(AssertUnwindSafe(subject)).ok().flatten();
            detail::failed(call, subject, PANIC_ERRNO, Some(what));
            errno::set(PANIC_ERRNO);
            fallback
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn said() -> String {
        // SAFETY: render returns a NUL-terminated string valid until the next failure.
        unsafe { CStr::from_ptr(detail::render()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn errors_set_errno_and_return_the_fallback() {
        assert_eq!(run("rshm_t", -1, || Err(Errno(libc::EBADF))), -1);
        assert_eq!(errno::get(), libc::EBADF);
        assert_eq!(said(), "rshm_t: Bad file descriptor");
        assert_eq!(run("rshm_u", -1, || Ok(7)), 7);
        // Success leaves the detail about the last failure.
        assert_eq!(said(), "rshm_t: Bad file descriptor");
    }

    #[test]
    fn a_panic_is_caught() {
        let r = run("rshm_p", -1, || -> Result<i32> { panic!("test panic") });
        assert_eq!(r, -1);
        assert_eq!(errno::get(), PANIC_ERRNO);
        assert!(said().starts_with("rshm_p: internal error"), "{}", said());
        assert!(said().ends_with("test panic"), "{}", said());
    }

    #[test]
    fn a_named_call_quotes_its_name() {
        // SAFETY: the name is NUL-terminated.
        let name = unsafe { NameArg::new(c"/x\n".as_ptr(), 4096) };
        let r = run_named("rshm_n", name, -1, || Err(Errno(libc::ENOENT)));
        assert_eq!(r, -1);
        assert_eq!(said(), "rshm_n(\"/x\\x0a\"): No such file or directory");
    }
}
