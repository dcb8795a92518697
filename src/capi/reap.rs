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
/// Never removed: objects not made by rshm (no rshm header, or the header
/// of an older layout, whose creator cannot be known); objects whose
/// creator lives, or may (its start time unreadable: another user's
/// process behind hidepid); objects a process holds by descriptor or
/// mapping; objects a process could hold that the caller cannot inspect
/// (another user's process that the object's mode lets open it, when the
/// caller is not root, unless that process's mount namespace has no mount
/// of /dev/shm's file system; every object when the caller runs in a child
/// pid namespace or /proc is mounted hidepid); FIFOs, links, directories;
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
    run(-1, || {
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
