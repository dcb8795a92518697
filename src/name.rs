//! Shared-memory object names, read and checked the way glibc does.
//!
//! glibc strips every leading '/', then rejects an empty name or one with a
//! further '/' (EINVAL) and a name longer than NAME_MAX (ENAMETOOLONG). "."
//! and ".." are EINVAL too, as musl, bionic and LLVM's libc say (glibc 2.36
//! opens /dev/shm itself, or /dev, as a directory): neither can name an
//! object, and "/.." would otherwise reach past /dev/shm. The mirrored calls
//! hand names to libc unchanged on Linux, so libc's rules apply there by
//! construction; these functions serve the platforms whose libc differs
//! (macOS) and every place where rshm itself opens or makes names.

use crate::errno::detail::note;
use crate::errno::{Errno, Result};
use std::ffi::CStr;

/// The longest name Linux accepts after the leading slashes go.
pub(crate) const NAME_MAX: usize = 255;

/// The name as glibc sees it: leading slashes stripped, then checked.
pub fn normalize(name: &CStr) -> Result<&[u8]> {
    let bytes = name.to_bytes();
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let name = &bytes[start..];
    let why = if name.is_empty() {
        "the name is empty or only slashes"
    } else if name.contains(&b'/') {
        "the name has a '/' after its leading ones"
    } else if name == b"." || name == b".." {
        "\".\" and \"..\" name no object"
    } else if name.len() > NAME_MAX {
        let what = format!("the name is {} bytes after its leading slashes; at most {NAME_MAX}", name.len());
        return Err(note(Errno(libc::ENAMETOOLONG), what));
    } else {
        return Ok(name);
    };
    Err(note(Errno(libc::EINVAL), why.into()))
}

/// A name small enough to build on the stack: "/" + name + NUL.
pub struct ShmPath {
    buf: [u8; NAME_MAX + 2],
    len: usize,
}

impl ShmPath {
    /// "/name" for a normalized `name`; `limit` is the platform's longest
    /// accepted name including the slash (macOS: 31).
    pub fn new(name: &[u8], limit: usize) -> Result<ShmPath> {
        if name.len() + 1 > limit.min(NAME_MAX + 1) {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        let mut buf = [0u8; NAME_MAX + 2];
        buf[0] = b'/';
        buf[1..=name.len()].copy_from_slice(name);
        Ok(ShmPath { buf, len: name.len() + 1 })
    }

    /// The path as a C string.
    pub fn as_cstr(&self) -> &CStr {
        // normalize() let no NUL in and buf ends with one past len.
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).expect("no inner NUL in a checked name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<Vec<u8>> {
        let c = std::ffi::CString::new(s).unwrap();
        normalize(&c).map(<[u8]>::to_vec)
    }

    #[test]
    fn leading_slashes_are_optional() {
        assert_eq!(n("/x").unwrap(), b"x");
        assert_eq!(n("x").unwrap(), b"x");
        assert_eq!(n("///x").unwrap(), b"x");
        assert_eq!(n("/...").unwrap(), b"...");
        assert_eq!(n("/..x").unwrap(), b"..x");
    }

    #[test]
    fn empty_slash_only_inner_slash_and_dots_are_einval() {
        for bad in ["", "/", "//", "/a/b", "a/", "/..", "..", "/.", ".", "//.."] {
            assert_eq!(n(bad), Err(Errno(libc::EINVAL)), "{bad:?}");
        }
    }

    #[test]
    fn name_max_is_the_limit() {
        assert!(n(&"a".repeat(NAME_MAX)).is_ok());
        assert_eq!(n(&"a".repeat(NAME_MAX + 1)), Err(Errno(libc::ENAMETOOLONG)));
        // glibc checks the slash before the length.
        assert_eq!(n(&format!("{}/b", "a".repeat(300))), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn shm_path_adds_one_slash_and_honours_the_limit() {
        let p = ShmPath::new(b"abc", 31).unwrap();
        assert_eq!(p.as_cstr().to_bytes(), b"/abc");
        assert!(ShmPath::new(&[b'a'; 30], 31).is_ok());
        assert_eq!(ShmPath::new(&[b'a'; 31], 31).err(), Some(Errno(libc::ENAMETOOLONG)));
        assert!(ShmPath::new(&[b'a'; NAME_MAX], usize::MAX).is_ok());
    }
}
