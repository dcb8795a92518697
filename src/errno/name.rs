//! Symbolic names of errno values ("ENOENT").
//!
//! The table matches on the `libc` constants, never on numbers, so it is right
//! on every platform even where the values differ. Names POSIX defines on both
//! Linux and macOS are in one shared match; the rest live in cfg-gated
//! functions so that no arm is unreachable on either platform. Where two names
//! share a value only the conventional one is listed: EAGAIN (not
//! EWOULDBLOCK), EDEADLK (not EDEADLOCK, except on the architectures where
//! EDEADLOCK has a value of its own), and on Linux EOPNOTSUPP (not ENOTSUP).

use std::ffi::CStr;

/// The symbolic name of `errnum`, or `None` if the platform defines no such value.
pub fn name(errnum: i32) -> Option<&'static CStr> {
    common(errnum).or_else(|| platform(errnum))
}

/// Names defined on both Linux and macOS.
fn common(errnum: i32) -> Option<&'static CStr> {
    Some(match errnum {
        libc::EPERM => c"EPERM",
        libc::ENOENT => c"ENOENT",
        libc::ESRCH => c"ESRCH",
        libc::EINTR => c"EINTR",
        libc::EIO => c"EIO",
        libc::ENXIO => c"ENXIO",
        libc::E2BIG => c"E2BIG",
        libc::ENOEXEC => c"ENOEXEC",
        libc::EBADF => c"EBADF",
        libc::ECHILD => c"ECHILD",
        libc::EDEADLK => c"EDEADLK",
        libc::ENOMEM => c"ENOMEM",
        libc::EACCES => c"EACCES",
        libc::EFAULT => c"EFAULT",
        libc::ENOTBLK => c"ENOTBLK",
        libc::EBUSY => c"EBUSY",
        libc::EEXIST => c"EEXIST",
        libc::EXDEV => c"EXDEV",
        libc::ENODEV => c"ENODEV",
        libc::ENOTDIR => c"ENOTDIR",
        libc::EISDIR => c"EISDIR",
        libc::EINVAL => c"EINVAL",
        libc::ENFILE => c"ENFILE",
        libc::EMFILE => c"EMFILE",
        libc::ENOTTY => c"ENOTTY",
        libc::ETXTBSY => c"ETXTBSY",
        libc::EFBIG => c"EFBIG",
        libc::ENOSPC => c"ENOSPC",
        libc::ESPIPE => c"ESPIPE",
        libc::EROFS => c"EROFS",
        libc::EMLINK => c"EMLINK",
        libc::EPIPE => c"EPIPE",
        libc::EDOM => c"EDOM",
        libc::ERANGE => c"ERANGE",
        libc::EAGAIN => c"EAGAIN",
        libc::EINPROGRESS => c"EINPROGRESS",
        libc::EALREADY => c"EALREADY",
        libc::ENOTSOCK => c"ENOTSOCK",
        libc::EDESTADDRREQ => c"EDESTADDRREQ",
        libc::EMSGSIZE => c"EMSGSIZE",
        libc::EPROTOTYPE => c"EPROTOTYPE",
        libc::ENOPROTOOPT => c"ENOPROTOOPT",
        libc::EPROTONOSUPPORT => c"EPROTONOSUPPORT",
        libc::ESOCKTNOSUPPORT => c"ESOCKTNOSUPPORT",
        libc::EOPNOTSUPP => c"EOPNOTSUPP",
        libc::EPFNOSUPPORT => c"EPFNOSUPPORT",
        libc::EAFNOSUPPORT => c"EAFNOSUPPORT",
        libc::EADDRINUSE => c"EADDRINUSE",
        libc::EADDRNOTAVAIL => c"EADDRNOTAVAIL",
        libc::ENETDOWN => c"ENETDOWN",
        libc::ENETUNREACH => c"ENETUNREACH",
        libc::ENETRESET => c"ENETRESET",
        libc::ECONNABORTED => c"ECONNABORTED",
        libc::ECONNRESET => c"ECONNRESET",
        libc::ENOBUFS => c"ENOBUFS",
        libc::EISCONN => c"EISCONN",
        libc::ENOTCONN => c"ENOTCONN",
        libc::ESHUTDOWN => c"ESHUTDOWN",
        libc::ETOOMANYREFS => c"ETOOMANYREFS",
        libc::ETIMEDOUT => c"ETIMEDOUT",
        libc::ECONNREFUSED => c"ECONNREFUSED",
        libc::ELOOP => c"ELOOP",
        libc::ENAMETOOLONG => c"ENAMETOOLONG",
        libc::EHOSTDOWN => c"EHOSTDOWN",
        libc::EHOSTUNREACH => c"EHOSTUNREACH",
        libc::ENOTEMPTY => c"ENOTEMPTY",
        libc::EUSERS => c"EUSERS",
        libc::EDQUOT => c"EDQUOT",
        libc::ESTALE => c"ESTALE",
        libc::EREMOTE => c"EREMOTE",
        libc::ENOLCK => c"ENOLCK",
        libc::ENOSYS => c"ENOSYS",
        libc::EOVERFLOW => c"EOVERFLOW",
        libc::ECANCELED => c"ECANCELED",
        libc::EIDRM => c"EIDRM",
        libc::ENOMSG => c"ENOMSG",
        libc::EILSEQ => c"EILSEQ",
        libc::EBADMSG => c"EBADMSG",
        libc::EMULTIHOP => c"EMULTIHOP",
        libc::ENODATA => c"ENODATA",
        libc::ENOLINK => c"ENOLINK",
        libc::ENOSR => c"ENOSR",
        libc::ENOSTR => c"ENOSTR",
        libc::EPROTO => c"EPROTO",
        libc::ETIME => c"ETIME",
        libc::ENOTRECOVERABLE => c"ENOTRECOVERABLE",
        libc::EOWNERDEAD => c"EOWNERDEAD",
        _ => return None,
    })
}

/// Names only Linux defines.
#[cfg(target_os = "linux")]
fn platform(errnum: i32) -> Option<&'static CStr> {
    Some(match errnum {
        libc::ECHRNG => c"ECHRNG",
        libc::EL2NSYNC => c"EL2NSYNC",
        libc::EL3HLT => c"EL3HLT",
        libc::EL3RST => c"EL3RST",
        libc::ELNRNG => c"ELNRNG",
        libc::EUNATCH => c"EUNATCH",
        libc::ENOCSI => c"ENOCSI",
        libc::EL2HLT => c"EL2HLT",
        libc::EBADE => c"EBADE",
        libc::EBADR => c"EBADR",
        libc::EXFULL => c"EXFULL",
        libc::ENOANO => c"ENOANO",
        libc::EBADRQC => c"EBADRQC",
        libc::EBADSLT => c"EBADSLT",
        libc::EBFONT => c"EBFONT",
        libc::ENONET => c"ENONET",
        libc::ENOPKG => c"ENOPKG",
        libc::EADV => c"EADV",
        libc::ESRMNT => c"ESRMNT",
        libc::ECOMM => c"ECOMM",
        libc::EDOTDOT => c"EDOTDOT",
        libc::ENOTUNIQ => c"ENOTUNIQ",
        libc::EBADFD => c"EBADFD",
        libc::EREMCHG => c"EREMCHG",
        libc::ELIBACC => c"ELIBACC",
        libc::ELIBBAD => c"ELIBBAD",
        libc::ELIBSCN => c"ELIBSCN",
        libc::ELIBMAX => c"ELIBMAX",
        libc::ELIBEXEC => c"ELIBEXEC",
        libc::ERESTART => c"ERESTART",
        libc::ESTRPIPE => c"ESTRPIPE",
        libc::EUCLEAN => c"EUCLEAN",
        libc::ENOTNAM => c"ENOTNAM",
        libc::ENAVAIL => c"ENAVAIL",
        libc::EISNAM => c"EISNAM",
        libc::EREMOTEIO => c"EREMOTEIO",
        libc::ENOMEDIUM => c"ENOMEDIUM",
        libc::EMEDIUMTYPE => c"EMEDIUMTYPE",
        libc::ENOKEY => c"ENOKEY",
        libc::EKEYEXPIRED => c"EKEYEXPIRED",
        libc::EKEYREVOKED => c"EKEYREVOKED",
        libc::EKEYREJECTED => c"EKEYREJECTED",
        libc::ERFKILL => c"ERFKILL",
        libc::EHWPOISON => c"EHWPOISON",
        // EDEADLOCK is an alias of EDEADLK everywhere except on these
        // architectures, where it has a value of its own.
        #[cfg(any(
            target_arch = "mips",
            target_arch = "mips32r6",
            target_arch = "mips64",
            target_arch = "mips64r6",
            target_arch = "powerpc",
            target_arch = "powerpc64",
            target_arch = "sparc",
            target_arch = "sparc64"
        ))]
        libc::EDEADLOCK => c"EDEADLOCK",
        _ => return None,
    })
}

/// Names only macOS defines (BSD and Apple additions, and ENOTSUP, which is
/// distinct from EOPNOTSUPP there).
#[cfg(target_os = "macos")]
fn platform(errnum: i32) -> Option<&'static CStr> {
    Some(match errnum {
        libc::ENOTSUP => c"ENOTSUP",
        libc::EPROCLIM => c"EPROCLIM",
        libc::EBADRPC => c"EBADRPC",
        libc::ERPCMISMATCH => c"ERPCMISMATCH",
        libc::EPROGUNAVAIL => c"EPROGUNAVAIL",
        libc::EPROGMISMATCH => c"EPROGMISMATCH",
        libc::EPROCUNAVAIL => c"EPROCUNAVAIL",
        libc::EFTYPE => c"EFTYPE",
        libc::EAUTH => c"EAUTH",
        libc::ENEEDAUTH => c"ENEEDAUTH",
        libc::EPWROFF => c"EPWROFF",
        libc::EDEVERR => c"EDEVERR",
        libc::EBADEXEC => c"EBADEXEC",
        libc::EBADARCH => c"EBADARCH",
        libc::ESHLIBVERS => c"ESHLIBVERS",
        libc::EBADMACHO => c"EBADMACHO",
        libc::ENOATTR => c"ENOATTR",
        libc::ENOPOLICY => c"ENOPOLICY",
        libc::EQFULL => c"EQFULL",
        libc::ENOTCAPABLE => c"ENOTCAPABLE",
        _ => return None,
    })
}

/// Other platforms: only the shared POSIX names.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform(_errnum: i32) -> Option<&'static CStr> {
    None
}

#[cfg(test)]
mod tests {
    use super::name;
    use std::collections::HashSet;

    fn s(errnum: i32) -> Option<&'static str> {
        name(errnum).map(|n| n.to_str().unwrap())
    }

    /// Linux leaves 41 and 58 unassigned on the common architectures (41 was
    /// never used, 58 is EDEADLOCK only on powerpc); every other value up to
    /// EHWPOISON has a name.
    #[cfg(all(
        target_os = "linux",
        any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64",
            target_arch = "loongarch64",
            target_arch = "s390x"
        )
    ))]
    #[test]
    fn linux_values_all_named() {
        for e in 1..=133 {
            if e == 41 || e == 58 {
                assert_eq!(s(e), None, "{e}");
            } else {
                assert!(name(e).is_some(), "errno {e} has no name");
            }
        }
        assert_eq!(s(133), Some("EHWPOISON"));
        assert_eq!(s(libc::EDEADLK), Some("EDEADLK"));
        assert_eq!(s(libc::EOPNOTSUPP), Some("EOPNOTSUPP"));
        assert_eq!(s(libc::ENOTSUP), Some("EOPNOTSUPP"));
    }

    #[cfg(target_os = "macos")]
    #[test]
    fn macos_values_all_named() {
        for e in 1..=106 {
            assert!(name(e).is_some(), "errno {e} has no name");
        }
        assert_eq!(s(libc::ENOTSUP), Some("ENOTSUP"));
        assert_eq!(s(libc::EOPNOTSUPP), Some("EOPNOTSUPP"));
        assert_eq!(s(libc::EQFULL), Some("EQFULL"));
    }

    #[test]
    fn known_names() {
        assert_eq!(s(libc::ENOENT), Some("ENOENT"));
        assert_eq!(s(libc::EAGAIN), Some("EAGAIN"));
        assert_eq!(s(libc::EWOULDBLOCK), Some("EAGAIN"));
        assert_eq!(s(libc::EDEADLK), Some("EDEADLK"));
        assert_eq!(s(libc::EOPNOTSUPP), Some("EOPNOTSUPP"));
        assert_eq!(s(libc::EOWNERDEAD), Some("EOWNERDEAD"));
        #[cfg(target_os = "linux")]
        assert_eq!(s(libc::EHWPOISON), Some("EHWPOISON"));
    }

    #[test]
    fn undefined_values() {
        for e in [0, -1, 134, 1000, i32::MAX, i32::MIN] {
            assert_eq!(s(e), None, "{e}");
        }
    }

    #[test]
    fn names_well_formed_and_unique() {
        let mut seen = HashSet::new();
        for e in 1..=200 {
            if let Some(n) = s(e) {
                assert!(n.starts_with('E'), "{e}: {n}");
                assert!(n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{e}: {n}");
                assert!(seen.insert(n), "{n} names two values");
            }
        }
    }
}
