//! `rshm_version`: which release of the library is loaded.

use libc::c_char;

/// The version of the library loaded at run time, "MAJOR.MINOR.PATCH" as
/// in its Cargo.toml (e.g. "0.1.0"). Compare it with `RSHM_VERSION`, the
/// header's compile-time version, to tell which library a program runs
/// against: the same MAJOR (the soname's) is compatible.
///
/// Returns a static string: never NULL, never to be freed. Never fails.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn rshm_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The crate's version, NUL-terminated for C.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_crates() {
        // SAFETY: rshm_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(rshm_version()) };
        assert_eq!(v.to_str(), Ok(env!("CARGO_PKG_VERSION")));
        assert_eq!(v.to_str().unwrap().split('.').count(), 3);
    }
}
