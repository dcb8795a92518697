//! Symbolic names of errno values ("ENOENT").

use std::ffi::CStr;

/// The symbolic name of `errnum`, or `None` if the platform defines no such value.
pub fn name(errnum: i32) -> Option<&'static CStr> {
    match errnum {
        libc::ENOENT => Some(c"ENOENT"),
        _ => None,
    }
}
