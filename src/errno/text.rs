//! The platform's message for each errno, as static strings.
//!
//! `strerror` is not thread-safe and builds "Unknown error N" in a shared
//! buffer, so the messages are read once with `strerror_r` into a table that
//! lives for the rest of the process.

use std::ffi::CStr;
use std::sync::OnceLock;

/// Errno values below this get the platform's own text; Linux ends at 133,
/// macOS at 106.
const TABLE_LEN: usize = 256;

/// What every value the platform does not know maps to.
pub(crate) const UNKNOWN: &CStr = c"Unknown error";

/// The platform's message for `errnum`, or "Unknown error".
pub fn text(errnum: i32) -> &'static CStr {
    let table = TABLE.get_or_init(build);
    usize::try_from(errnum).ok().and_then(|i| table.get(i).copied()).unwrap_or(UNKNOWN)
}

static TABLE: OnceLock<Vec<&'static CStr>> = OnceLock::new();

fn build() -> Vec<&'static CStr> {
    (0..TABLE_LEN as i32)
        .map(|e| {
            if e != 0 && super::name(e).is_none() {
                return UNKNOWN;
            }
            let mut buf = [0 as libc::c_char; 256];
            // SAFETY: buf is writable for buf.len() bytes; the XSI
            // strerror_r writes a NUL-terminated string into it.
            let rc = unsafe { libc::strerror_r(e, buf.as_mut_ptr(), buf.len()) };
            if rc != 0 {
                return UNKNOWN;
            }
            // SAFETY: strerror_r succeeded, so buf holds a NUL-terminated string.
            let msg = unsafe { CStr::from_ptr(buf.as_ptr()) };
            &*Box::leak(msg.to_owned().into_boxed_c_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_have_the_platform_text() {
        assert_eq!(text(libc::ENOENT).to_str().unwrap(), "No such file or directory");
        #[cfg(target_os = "linux")]
        assert_eq!(text(0).to_str().unwrap(), "Success");
    }

    #[test]
    fn unknown_values_have_a_defined_text() {
        for e in [-1, 999, i32::MIN, i32::MAX, 200] {
            assert_eq!(text(e), UNKNOWN, "{e}");
        }
    }

    #[test]
    fn the_table_is_built_once_across_threads() {
        let ptrs: Vec<usize> = (0..8)
            .map(|_| std::thread::spawn(|| text(libc::EEXIST).as_ptr() as usize))
            .map(|t| t.join().unwrap())
            .collect();
        assert!(ptrs.windows(2).all(|w| w[0] == w[1]));
    }
}
