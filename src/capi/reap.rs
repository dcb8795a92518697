//! `rshm_reap`.

use super::{args, boundary::run};
use libc::c_char;

/// Removes what crashed programs left in /dev/shm: the rshm objects
/// (segments, channels, and every other kind rshm makes) whose names start
/// with `prefix`, whose creator is dead and which no live process holds
/// open or mapped; and the temporaries "rshm-tmp.PID.*" that creators
/// build under (whatever `prefix` says) whose PID is dead and which no
/// process holds. A program restarting after a crash calls
/// `rshm_reap("/myapp-")` before it creates its objects.
///
/// `prefix` is borrowed for the call; NULL or "" means every name, and a
/// leading "/" is optional, as for names.
///
/// Never removed: objects not made by rshm (no rshm header, the header of
/// an older layout, whose creator cannot be known, or a header rshm could
/// not have written: no creator, an unknown kind, data past the object's
/// end); objects whose
/// creator lives, or may (its start time unreadable: another user's
/// process behind hidepid); objects a process holds by descriptor or
/// mapping; objects that a process the caller cannot inspect could hold
/// (one whose descriptors or mappings /proc will not show: another user's,
/// when the caller is not root, or one a sandbox hides even from root; it
/// counts when its credentials and the object's mode let it open the
/// object and its mount namespace has /dev/shm's file system; every object
/// when the caller runs in a child pid namespace, as in most containers,
/// or its /proc is another pid namespace's or mounted hidepid); FIFOs,
/// links, directories;
/// names that change while the call runs; names the caller may not remove
/// (another user's, in the sticky /dev/shm). The one holder no scan sees
/// is a descriptor in flight over a unix socket: an object whose creator
/// died right after sending it, before the peer received it, can be
/// removed (the peer still gets a working descriptor; only the name goes).
///
/// The names are listed before the processes are scanned, and each name
/// is looked at again (same inode, owner and mode) right before it is
/// unlinked, so an object created or replaced during the call is kept.
///
/// Returns how many names it removed (0 when there was nothing to do).
/// On failure returns -1, removes nothing, and sets errno:
/// - `ENOENT`: /dev/shm or /proc does not exist.
/// - `EACCES`: /dev/shm or /proc cannot be read.
/// - `ELOOP`: /dev/shm is a symbolic link.
/// - `EMFILE`, `ENFILE`, `ENOMEM`: no descriptor or memory for the scan.
/// - `ENAMETOOLONG`: `prefix` has no NUL within PATH_MAX bytes.
/// - `ENOSYS`: not Linux (macOS keeps shm objects out of any file system).
///
/// Thread safety: safe to call from any thread. It reads all of /proc:
/// its cost grows with the number of processes and their descriptors.
#[no_mangle]
pub unsafe extern "C" fn rshm_reap(prefix: *const c_char) -> i32 {
    run("rshm_reap", -1, || {
        let prefix = if prefix.is_null() {
            &[][..]
        } else {
            // SAFETY: a non-NULL prefix is the caller's C string (bounded).
            unsafe { args::cstr(prefix, args::PATH_MAX, libc::ENAMETOOLONG) }?.to_bytes()
        };
        reap(prefix).map(|n| i32::try_from(n).unwrap_or(i32::MAX))
    })
}

#[cfg(target_os = "linux")]
fn reap(prefix: &[u8]) -> crate::errno::Result<usize> {
    crate::reap::reap(prefix)
}

#[cfg(not(target_os = "linux"))]
fn reap(_prefix: &[u8]) -> crate::errno::Result<usize> {
    Err(crate::errno::Errno(libc::ENOSYS))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::errno;
    use std::ffi::CString;

    #[test]
    fn a_leading_slash_is_optional() {
        let name = crate::test_names::name("capi-reap");
        let fd = crate::shm::open(&name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
        crate::fd::close(fd).unwrap();
        let bare = CString::new(&name.to_bytes()[1..]).unwrap();
        // SAFETY: NUL-terminated strings, as the call takes.
        let counts = unsafe { [rshm_reap(name.as_ptr()), rshm_reap(bare.as_ptr())] };
        let left = crate::shm::unlink(&name);
        assert_eq!(counts, [0, 0]);
        assert_eq!(left, Ok(()), "a plain object is never reaped");
    }

    /// NULL and "" mean every name: tried in a child with a /dev/shm of its
    /// own (a private mount namespace), so that no other test's objects
    /// are swept. Root only.
    #[test]
    fn null_and_empty_mean_every_name() {
        // SAFETY: geteuid has no failure.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIP: rshm_reap(NULL) needs root for a private /dev/shm (run as root)");
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "skipped under CI");
            return;
        }
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        // SAFETY: the child only makes syscalls and calls rshm_reap, then _exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let code = (|| -> i32 {
                // SAFETY: plain syscalls on constant, NUL-terminated strings.
                unsafe {
                    if libc::unshare(libc::CLONE_NEWNS) != 0
                        || libc::mount(
                            c"none".as_ptr(),
                            c"/".as_ptr(),
                            std::ptr::null(),
                            libc::MS_REC | libc::MS_PRIVATE,
                            std::ptr::null(),
                        ) != 0
                        || libc::mount(c"tmpfs".as_ptr(), c"/dev/shm".as_ptr(), c"tmpfs".as_ptr(), 0, std::ptr::null())
                            != 0
                    {
                        return 10;
                    }
                }
                for (i, prefix) in [std::ptr::null(), c"".as_ptr()].into_iter().enumerate() {
                    let tmp = CString::new(format!("/rshm-tmp.{dead_pid}.{i}.0")).unwrap();
                    let Ok(fd) = crate::shm::open(&tmp, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600) else {
                        return 11;
                    };
                    let _ = crate::fd::close(fd);
                    // SAFETY: NULL or a NUL-terminated string.
                    if unsafe { rshm_reap(prefix) } != 1 {
                        return 12 + i as i32;
                    }
                }
                0
            })();
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: pid is our child; status is writable.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status));
        assert_eq!(
            libc::WEXITSTATUS(status),
            0,
            "10: no private /dev/shm, 11: no object made, 12/13: NULL/\"\" reaped no temporary"
        );
    }

    #[test]
    fn an_unterminated_prefix_is_enametoolong() {
        let long = vec![b'x'; args::PATH_MAX + 10];
        // SAFETY: the buffer is readable for more than PATH_MAX bytes.
        assert_eq!(unsafe { rshm_reap(long.as_ptr().cast()) }, -1);
        assert_eq!(errno::get(), libc::ENAMETOOLONG);
    }
}
