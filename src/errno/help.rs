//! Advice on what usually causes an errno with shared memory, and what to do.
//!
//! One or two plain sentences per value, specific to the calls rshm wraps
//! (shm_open, shm_unlink, ftruncate, mmap, munmap, fstat, fchown, fchmod,
//! memfd_create, F_ADD_SEALS, SCM_RIGHTS, mlock, msync, madvise,
//! posix_fallocate, futex waits) and to rshm's own locks and channels. Values
//! without specific advice get [`GENERAL`]. Aliases that share a value on Linux
//! (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are not listed, so no arm is unreachable.

use std::ffi::CStr;

/// The advice for every value without a specific entry.
const GENERAL: &CStr = c"No advice specific to shared memory for this error; see the man page of the call that failed.";

/// Shared by EOPNOTSUPP and, on macOS where it is a distinct value, ENOTSUP.
const NOT_SUPPORTED: &CStr = c"The object, file system or platform does not support this operation, e.g. fallocate on a file system without it, or sealing and memfd features on macOS. Use a fallback (plain ftruncate instead of posix_fallocate) or a shm_open/memfd object on tmpfs.";

/// Advice for `errnum`; a general sentence for values without specific advice.
pub fn help(errnum: i32) -> &'static CStr {
    match errnum {
        libc::EACCES => c"The object's permission bits (ls -l /dev/shm/NAME) do not allow O_RDONLY/O_RDWR access, mmap asked for PROT_WRITE with MAP_SHARED on a descriptor opened read-only, or shm_unlink lacks write permission on /dev/shm. Set the mode at creation (the umask applies), fchmod as the owner, or open read-only.",
        libc::EEXIST => c"O_CREAT|O_EXCL was given and the name already exists: a previous run crashed before shm_unlink, or another process created it first. Open it without O_EXCL, or shm_unlink the stale object (ls /dev/shm); for rshm_mmap_fixed (MAP_FIXED_NOREPLACE) the range is already mapped.",
        libc::EINVAL => c"An argument is malformed: an empty name, only slashes or a slash after the leading ones; mmap with length 0, an unaligned offset or neither MAP_SHARED nor MAP_PRIVATE; munmap of an unaligned address; unknown flag bits; a memfd name over 249 bytes; or F_ADD_SEALS on a file that cannot be sealed.",
        libc::EMFILE => c"This process has reached its open descriptor limit (ulimit -n, RLIMIT_NOFILE). Close each descriptor once its mmap is done, since a mapping stays valid after close, or raise the limit. From rshm_recv_fd the descriptor sent is lost: the kernel drops what it cannot install.",
        libc::ENFILE => c"The system-wide limit on open files (fs.file-max, /proc/sys/fs/file-nr) is reached. Close descriptors after mapping them, since a mapping stays valid after close, find the process leaking descriptors, or raise fs.file-max.",
        libc::ENAMETOOLONG => c"The shared-memory name is too long: at most NAME_MAX (255) bytes on Linux and 31 bytes (PSHMNAMLEN) on macOS. Use a shorter name, for example a short prefix plus a hash.",
        libc::ENOENT => c"No object has this name and O_CREAT was not given: the creator has not run yet, already called shm_unlink, or uses a different name (on Linux \"/x\" and \"x\" are the same object). Check ls /dev/shm; systemd's RemoveIPC=yes also deletes a user's objects at logout.",
        libc::ENOMEM => c"Not enough memory or address space for the mapping: RLIMIT_AS, vm.max_map_count (too many mappings), overcommit limits, MAP_HUGETLB without reserved huge pages (vm.nr_hugepages), or mlock beyond RLIMIT_MEMLOCK. Map less, unmap what you no longer need, or raise the limit.",
        libc::ENOSPC => c"/dev/shm (tmpfs) is full or out of inodes: check df -h /dev/shm and remove stale objects; containers often get only 64 MB (docker run --shm-size). Without posix_fallocate, touching pages of a mapping on a full tmpfs raises SIGBUS instead of this error.",
        libc::EPERM => c"A seal forbids it (F_SEAL_WRITE: writes and writable shared mappings, F_SEAL_SHRINK/F_SEAL_GROW: ftruncate, F_SEAL_SEAL or no MFD_ALLOW_SEALING: adding seals; see rshm_get_seals), or fchown/fchmod by a non-owner without CAP_CHOWN/CAP_FOWNER. Also mlock with RLIMIT_MEMLOCK 0 or MFD_HUGETLB without CAP_IPC_LOCK.",
        libc::EBADF => c"The descriptor is not open: it was closed already, never opened, or closed twice elsewhere in the program (a double close can close someone else's descriptor). mmap without MAP_ANONYMOUS needs a valid descriptor, and ftruncate needs one open for writing.",
        libc::EFBIG => c"The requested size is beyond the file system's maximum file size or the process's RLIMIT_FSIZE (ulimit -f). rshm's creates and rshm_fallocate check the limit first; rshm_ftruncate, like ftruncate, also raises SIGXFSZ, which kills the process unless handled. Use a smaller size or raise the limit.",
        libc::EOVERFLOW => c"The size or offset plus length is too large to express: it does not fit in off_t or size_t (typically on 32-bit systems), or offset plus length overflows the address calculation in mmap. Use a smaller size or offset, or a 64-bit build.",
        libc::EAGAIN => c"A non-blocking attempt (timeout 0) found the channel full or empty or the lock taken: retry later or wait with a timeout. From mlock or mmap with MAP_LOCKED it means too much memory is locked: raise RLIMIT_MEMLOCK (ulimit -l) or lock less.",
        libc::EBUSY => c"The resource is in use: the lock is held, or the channel already has its one sender or receiver. F_ADD_SEALS with F_SEAL_WRITE also gives it while writable shared mappings of the object exist: munmap them (or map read-only) before sealing.",
        libc::ETXTBSY => c"The file is being executed (for example a memfd run with fexecve), so it cannot be written or truncated. This is rare with shared memory: use a separate object for data and for code.",
        libc::ENODEV => c"The file type does not support memory mapping: mmap on a pipe, socket or directory instead of a shared-memory object, or (rshm_segment_open, rshm_channel_open) a FIFO, directory, socket or device sitting under the name in /dev/shm, which another local user may have put there. Check which descriptor was passed or what ls -l /dev/shm/NAME shows, and that /dev/shm is a tmpfs.",
        libc::ENOSYS => c"The kernel or platform lacks the call: memfd_create needs Linux 3.17 or later, and sealing and memfd do not exist on macOS. A seccomp filter in a container or sandbox can also block the call; use shm_open instead.",
        libc::EFAULT => c"A NULL or invalid pointer was passed: the name, an out-parameter, a buffer or a futex address outside the process's mapped memory (for example inside a region already unmapped). Check every pointer argument.",
        libc::EINTR => c"A signal interrupted a blocking call (a wait, lock, ftruncate or fallocate). Retry the call; rshm already retries where POSIX allows it.",
        libc::ETIMEDOUT => c"A wait for the segment to appear, for a lock or for the channel ran out of time: the peer has not created or initialised it yet, or it is stuck. Check that the peer is running and uses the same name, or wait longer.",
        libc::EPIPE => c"The peer closed its end of the channel or died, so nothing more will arrive and nothing sent will be read. Close this end too, and reconnect if the peer restarts.",
        libc::EMSGSIZE => c"The message is larger than the channel can ever hold, or the receive buffer is too small for the next message (it stays queued so you can retry with a larger buffer). Split the message or create the channel with a larger capacity.",
        libc::EPROTO => c"The shared object has a different rshm layout version than this library expects, or does not match its own header: its size is not the one the header describes, or its pages were never reserved (resized after creation, or made by something that lies about its size). Both sides must use compatible rshm builds; recreate the object, and check who else writes to it. rshm_error_detail says which.",
        libc::EBADMSG => c"The shared structure is corrupt: its header or indices are inconsistent, usually because a peer wrote garbage into the region or something else uses the same name. Recreate the object and check that only rshm writes to it. From rshm_recv_fd: a message arrived without a descriptor (an empty one, or one sent with plain write or send), or with more than rshm accepts.",
        libc::EOWNERDEAD => c"A process died while holding this robust mutex, and you now hold it. Repair the data it protects, then call rshm_mutex_consistent before unlocking, or the mutex becomes unusable.",
        libc::ENOTRECOVERABLE => c"The mutex's previous owner died and it was unlocked without rshm_mutex_consistent, so it is permanently unusable: recreate the object. Otherwise this reports an internal rshm bug (a caught panic); please report it.",
        libc::ENOTSOCK => c"The descriptor used to pass a shared-memory descriptor (SCM_RIGHTS) is not a socket. Descriptors can only be passed over a Unix domain socket, e.g. one from socketpair(AF_UNIX) or a connected AF_UNIX socket.",
        libc::EOPNOTSUPP => NOT_SUPPORTED,
        #[cfg(target_os = "macos")]
        libc::ENOTSUP => NOT_SUPPORTED,
        libc::ESPIPE => c"The descriptor is a pipe, FIFO or socket, which cannot seek: lseek, pread or posix_fallocate do not work on it. Pass the shared-memory descriptor instead.",
        libc::EISDIR => c"The name resolves to a directory (\".\", \"..\" or a directory created in /dev/shm), or a directory descriptor was passed where a shared-memory descriptor was expected. Choose a plain name without such components.",
        libc::ELOOP => c"The name is a symbolic link in /dev/shm, and shm_open does not follow links (it uses O_NOFOLLOW against link attacks). Remove the link, or investigate who created it.",
        libc::EROFS => c"/dev/shm is mounted read-only, so objects cannot be created, opened for writing or unlinked. Remount it read-write or give the container a writable tmpfs at /dev/shm.",
        libc::EIO => c"A low-level I/O error: msync or close of a file-backed mapping reported a write-back error from the storage device. For tmpfs-backed shared memory it is rare and points to a kernel or hardware problem (check dmesg).",
        libc::ENXIO => c"The name in /dev/shm is a socket or device node rather than a shared-memory object, or a device mapping's offset is out of range. Remove the stray file and recreate the object.",
        _ => GENERAL,
    }
}

#[cfg(test)]
mod tests {
    use super::{help, GENERAL};
    use std::collections::HashSet;

    const REQUIRED: &[i32] = &[
        libc::EACCES,
        libc::EEXIST,
        libc::EINVAL,
        libc::EMFILE,
        libc::ENFILE,
        libc::ENAMETOOLONG,
        libc::ENOENT,
        libc::ENOMEM,
        libc::ENOSPC,
        libc::EPERM,
        libc::EBADF,
        libc::EFBIG,
        libc::EOVERFLOW,
        libc::EAGAIN,
        libc::EBUSY,
        libc::ETXTBSY,
        libc::ENODEV,
        libc::ENOSYS,
        libc::EFAULT,
        libc::EINTR,
        libc::ETIMEDOUT,
        libc::EPIPE,
        libc::EMSGSIZE,
        libc::EPROTO,
        libc::EBADMSG,
        libc::EOWNERDEAD,
        libc::ENOTRECOVERABLE,
        libc::ENOTSOCK,
        libc::EOPNOTSUPP,
        libc::ESPIPE,
        libc::EISDIR,
        libc::ELOOP,
        libc::EROFS,
        libc::EIO,
        libc::ENXIO,
    ];

    #[test]
    fn required_entries_specific_and_distinct() {
        let mut seen = HashSet::new();
        for &e in REQUIRED {
            let h = help(e);
            assert_ne!(h, GENERAL, "errno {e} has no specific advice");
            assert!(seen.insert(h), "errno {e} shares its advice with another");
        }
    }

    #[test]
    fn aliases_get_the_same_advice() {
        assert_eq!(help(libc::EWOULDBLOCK), help(libc::EAGAIN));
        assert_eq!(help(libc::ENOTSUP), help(libc::EOPNOTSUPP));
    }

    #[test]
    fn unknown_values_get_general_advice() {
        for e in [0, -1, 134, 1000, i32::MAX, i32::MIN, libc::ECHILD, libc::EDOM] {
            assert_eq!(help(e), GENERAL, "{e}");
        }
    }

    #[test]
    fn entries_well_formed() {
        for e in -5..=300 {
            let h = help(e).to_str().unwrap();
            assert!(!h.is_empty(), "{e}");
            assert!(h.len() <= 400, "{e}: {} bytes", h.len());
            assert!(h.is_ascii(), "{e}");
            assert!(!h.ends_with('\n') && h.ends_with('.'), "{e}");
            assert!(!h.contains('`') && !h.contains("**"), "{e}");
        }
    }
}
