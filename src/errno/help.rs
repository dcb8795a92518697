//! Advice on what usually causes an errno with shared memory, and what to do.

use std::ffi::CStr;

/// Advice for `errnum`; a general sentence for values without specific advice.
pub fn help(errnum: i32) -> &'static CStr {
    match errnum {
        _ => c"No advice specific to shared memory for this error: see the man page of the call that failed.",
    }
}
