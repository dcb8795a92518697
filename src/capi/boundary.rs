//! The one way a result crosses the ABI.

use crate::errno::{self, Errno, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// errno after a panic inside rshm: a bug of ours, and a value none of the
/// mirrored calls returns, so a caller can tell it apart and report it.
pub(crate) const PANIC_ERRNO: i32 = libc::ENOTRECOVERABLE;

/// Runs `f`; an error sets errno and yields `fallback`, and so does a panic,
/// which must never unwind into C.
pub fn run<T>(fallback: T, f: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(Errno(e))) => {
            errno::set(e);
            fallback
        }
        Err(_) => {
            errno::set(PANIC_ERRNO);
            fallback
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_set_errno_and_return_the_fallback() {
        assert_eq!(run(-1, || Err(Errno(libc::EBADF))), -1);
        assert_eq!(errno::get(), libc::EBADF);
        assert_eq!(run(-1, || Ok(7)), 7);
    }

    #[test]
    fn a_panic_is_caught() {
        let r = run(-1, || -> Result<i32> { panic!("test panic") });
        assert_eq!(r, -1);
        assert_eq!(errno::get(), PANIC_ERRNO);
    }
}
