//! `rshm_mode_string`.

use super::boundary::run;
use crate::errno::Errno;
use crate::mode;
use libc::c_char;

/// Writes the permission bits of `mode` as `ls -l` shows them, after their
/// octal value: "[0600] rw-------", "[4755] rwsr-xr-x", "[1777] rwxrwxrwt"
/// (setuid/setgid/sticky show as s/t over an execute bit, S/T without one).
/// File-type bits (as in `rshm_stat.mode`) are ignored. Handy in error
/// messages about EACCES.
///
/// `buf` is owned by the caller and must hold `len` >= 17 bytes (16
/// characters and the NUL); nothing is written on failure.
///
/// Returns `buf`. On failure returns NULL and sets errno:
/// - `EFAULT`: `buf` is NULL.
/// - `ERANGE`: `len` is less than 17.
///
/// Thread safety: safe to call from any thread with distinct buffers.
#[no_mangle]
pub unsafe extern "C" fn rshm_mode_string(mode: u32, buf: *mut c_char, len: usize) -> *const c_char {
    run("rshm_mode_string", std::ptr::null(), || {
        if buf.is_null() {
            return Err(Errno(libc::EFAULT));
        }
        if len < mode::LEN + 1 {
            return Err(Errno(libc::ERANGE));
        }
        let text = mode::format(mode);
        // SAFETY: the caller promises `len` >= LEN + 1 writable bytes at buf.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), buf, mode::LEN);
            *buf.add(mode::LEN) = 0;
        }
        Ok(buf.cast_const())
    })
}
