//! The core's error type, the calling thread's `errno`, the three
//! static-string tables behind `rshm_errno_name/string/help`, and the
//! per-thread sentence behind `rshm_error_detail`.

pub mod detail;
mod help;
mod name;
mod text;

pub use help::help;
pub use name::name;
pub use text::text;

use libc::c_int;

/// An errno value: the only error the core reports, so that the C layer can
/// hand it on unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub c_int);

/// What every core function returns.
pub type Result<T> = core::result::Result<T, Errno>;

impl Errno {
    /// The calling thread's errno, read right after a failed libc call.
    pub fn last() -> Errno {
        Errno(get())
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = name(self.0).map_or("E?", |n| n.to_str().unwrap_or("E?"));
        write!(f, "{}({}): {}", name, self.0, text(self.0).to_string_lossy())
    }
}

impl std::error::Error for Errno {}

/// Turns libc's "-1 and errno" into a `Result`.
pub(crate) fn cvt(ret: c_int) -> Result<c_int> {
    if ret == -1 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// The calling thread's errno.
pub fn get() -> c_int {
    // SAFETY: the errno location is valid, thread-local storage for the
    // lifetime of the calling thread.
    unsafe { *location() }
}

/// Sets the calling thread's errno.
pub fn set(errnum: c_int) {
    // SAFETY: as in `get`.
    unsafe { *location() = errnum }
}

#[cfg(target_os = "linux")]
fn location() -> *mut c_int {
    // SAFETY: __errno_location has no preconditions and never fails.
    unsafe { libc::__errno_location() }
}

#[cfg(target_os = "macos")]
fn location() -> *mut c_int {
    // SAFETY: __error has no preconditions and never fails.
    unsafe { libc::__error() }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("rshm supports Linux and macOS");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_then_get_round_trips() {
        set(libc::ENOENT);
        assert_eq!(get(), libc::ENOENT);
        assert_eq!(Errno::last(), Errno(libc::ENOENT));
    }

    #[test]
    fn cvt_maps_minus_one_to_errno() {
        set(libc::EBADF);
        assert_eq!(cvt(-1), Err(Errno(libc::EBADF)));
        assert_eq!(cvt(3), Ok(3));
    }
}
