//! Checks of raw C arguments, turned into core types or an errno.

use crate::errno::{Errno, Result};
use libc::{c_char, c_int};
use std::ffi::CStr;

/// Longest string rshm reads looking for the NUL: a path can be no longer.
pub(crate) const PATH_MAX: usize = 4096;

/// A C string of at most `max - 1` bytes. NULL is EFAULT; no NUL within
/// `max` bytes is `too_long`, so an unterminated buffer is never read to
/// its end.
///
/// # Safety
/// A non-NULL `p` must point to memory readable up to its NUL or `max` bytes.
pub unsafe fn cstr<'a>(p: *const c_char, max: usize, too_long: c_int) -> Result<&'a CStr> {
    if p.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the caller guarantees p is readable up to its NUL or max bytes.
    let len = unsafe { libc::strnlen(p, max) };
    if len >= max {
        return Err(Errno(too_long));
    }
    // SAFETY: bytes 0..=len are readable and byte len is the NUL.
    Ok(unsafe { CStr::from_bytes_with_nul_unchecked(std::slice::from_raw_parts(p.cast(), len + 1)) })
}

/// A shared-memory object name: NULL is EFAULT, no NUL within PATH_MAX is
/// ENAMETOOLONG (what glibc says of a name that long); the rest is libc's.
///
/// # Safety
/// As for `cstr`.
pub unsafe fn shm_name<'a>(p: *const c_char) -> Result<&'a CStr> {
    // SAFETY: forwarded.
    unsafe { cstr(p, PATH_MAX, libc::ENAMETOOLONG) }
}

/// A writable out-parameter: NULL is EFAULT, as the kernel says of a bad buffer.
pub fn out<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: a non-NULL out-pointer is the caller's promise of a valid,
    // writable T; NULL is turned away.
    unsafe { p.as_mut() }.ok_or(Errno(libc::EFAULT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_efault() {
        // SAFETY: NULL is the case under test.
        assert_eq!(unsafe { shm_name(std::ptr::null()) }.err(), Some(Errno(libc::EFAULT)));
        assert_eq!(out::<i32>(std::ptr::null_mut()).err(), Some(Errno(libc::EFAULT)));
    }

    #[test]
    fn unterminated_within_the_limit_is_the_given_errno() {
        let buf = [b'a' as c_char; 8];
        // SAFETY: buf is readable for 8 bytes and max is 8.
        assert_eq!(unsafe { cstr(buf.as_ptr(), 8, libc::EINVAL) }.err(), Some(Errno(libc::EINVAL)));
        let ok = c"abcdefg";
        // SAFETY: ok is NUL-terminated within 8 bytes.
        assert_eq!(unsafe { cstr(ok.as_ptr(), 8, libc::EINVAL) }.unwrap(), ok);
    }
}
