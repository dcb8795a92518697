//! Checks of raw C arguments, turned into core types or an errno.

use crate::errno::{Errno, Result};
use libc::{c_char, c_int};
use std::borrow::Cow;
use std::ffi::{CStr, CString};

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

/// A shared-memory object name: NULL is EFAULT; the rest is libc's.
///
/// rshm reads no more than PATH_MAX bytes of a name. A longer one (or one
/// not NUL-terminated there) becomes its first PATH_MAX - 1 bytes, already
/// too long a name, so that libc gives its own errno for a name that long:
/// glibc 2.36 says EINVAL (ENOENT from shm_unlink), later glibc and musl
/// ENAMETOOLONG. Only a prefix that libc might take for a valid name
/// (thousands of leading slashes) is refused here, with ENAMETOOLONG, as it
/// would name another object.
///
/// # Safety
/// As for `cstr`.
pub unsafe fn shm_name<'a>(p: *const c_char) -> Result<Cow<'a, CStr>> {
    // SAFETY: forwarded.
    match unsafe { cstr(p, PATH_MAX, libc::ENAMETOOLONG) } {
        Err(Errno(libc::ENAMETOOLONG)) => {}
        other => return other.map(Cow::Borrowed),
    }
    // SAFETY: cstr found no NUL in the first PATH_MAX bytes, so they are readable.
    let prefix = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), PATH_MAX - 1) };
    let rest = &prefix[prefix.iter().position(|&b| b != b'/').unwrap_or(prefix.len())..];
    if rest.len() <= crate::name::NAME_MAX && !rest.contains(&b'/') {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    Ok(Cow::Owned(CString::new(prefix).expect("strnlen found no NUL in the prefix")))
}

/// A writable out-parameter: NULL is EFAULT, as the kernel says of a bad buffer.
pub fn out<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: a non-NULL out-pointer is the caller's promise of a valid,
    // writable T; NULL is turned away.
    unsafe { p.as_mut() }.ok_or(Errno(libc::EFAULT))
}

/// The caller's buffer of `len` bytes: NULL is EFAULT unless it is empty.
///
/// # Safety
/// A non-NULL `p` points to `len` writable bytes, not used elsewhere,
/// for the call.
pub unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> Result<&'a mut [u8]> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the caller's promise; an object cannot exceed isize::MAX bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
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

    #[test]
    fn a_name_past_path_max_is_cut_to_a_prefix_libc_rejects() {
        let long = std::ffi::CString::new("a".repeat(PATH_MAX + 4)).unwrap();
        // SAFETY: long is NUL-terminated.
        let name = unsafe { shm_name(long.as_ptr()) }.unwrap();
        assert_eq!(name.to_bytes(), "a".repeat(PATH_MAX - 1).as_bytes());
        let short = c"/x";
        // SAFETY: short is NUL-terminated.
        assert!(matches!(unsafe { shm_name(short.as_ptr()) }.unwrap(), Cow::Borrowed(n) if n == short));
    }

    #[test]
    fn a_prefix_that_could_name_an_object_is_refused() {
        let mut s = "/".repeat(PATH_MAX - 10);
        s.push_str(&"a".repeat(20));
        let slashes = std::ffi::CString::new(s).unwrap();
        // SAFETY: slashes is NUL-terminated.
        assert_eq!(unsafe { shm_name(slashes.as_ptr()) }.err(), Some(Errno(libc::ENAMETOOLONG)));
    }
}
