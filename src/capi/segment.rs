//! `rshm_segment_create`, `rshm_segment_create_init`, `rshm_segment_open`,
//! `rshm_segment_data`, `rshm_segment_size`, `rshm_segment_close`,
//! `rshm_segment_unlink`.

use super::{
    args,
    boundary::{run, run_named, NameArg},
};
use crate::errno::Errno;
use crate::segment::{self, Segment};
use libc::{c_char, c_int, c_void};
use std::time::Duration;

/// Creates the named segment `name` with `size` bytes of zeroed data, and
/// maps it read-write. A segment is a shared-memory object with a header
/// (magic, layout version, size) in its first page; unlike a bare
/// `rshm_shm_open` + `rshm_ftruncate`, no opener ever sees it half made:
/// `rshm_segment_open` finds it complete, with its size and header in
/// place, or not at all.
///
/// `name` is "/name" or "name" as for `rshm_shm_open`, borrowed for the
/// call. `mode` gives the permission bits, used as given (the umask
/// applies): pass 0600 unless other users must open it. The pages are
/// reserved at creation (`rshm_fallocate`), so a full /dev/shm is ENOSPC
/// here, never SIGBUS later (macOS reserves nothing ahead). The call never
/// truncates or removes an object it did not create.
///
/// Linux builds the object under a temporary name ("rshm-tmp.PID.N.T") and
/// links it into place only when complete; a creator killed midway can
/// leave that temporary name in /dev/shm, never a broken segment under
/// `name`. macOS has no links: the creator makes `name` itself and openers
/// wait for the header's ready mark.
///
/// Returns a handle owned by the caller, released with
/// `rshm_segment_close`. The name stays until `rshm_segment_unlink`.
///
/// On failure returns NULL, leaves nothing behind, and sets errno:
/// - `EEXIST`: `name` exists (a segment or any other object, a symbolic
///   link included, even a dangling one); it is untouched.
/// - `EINVAL`: `size` is 0, or the name is empty, only slashes, "." or
///   "..", or has an inner '/'.
/// - `EOVERFLOW`: `size` plus the header page does not fit in a file size.
/// - `ENOSPC`: /dev/shm has no room for `size` bytes.
/// - `EFBIG`: the object would exceed the process's RLIMIT_FSIZE (`ulimit
///   -f`); checked before the object grows, so no SIGXFSZ is raised and
///   nothing is left behind.
/// - `ENAMETOOLONG`: the name is longer than 255 bytes (31 on macOS).
/// - `EFAULT`: `name` is NULL.
/// - `EACCES`, `EMFILE`, `ENFILE`, `ENOMEM`: as for `rshm_shm_open` and `rshm_mmap`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_create(name: *const c_char, size: usize, mode: u32) -> *mut Segment {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_segment_create", subject, std::ptr::null_mut(), || {
        // SAFETY: name is a C string from the caller (checked for NULL and bounded).
        Segment::create(&unsafe { args::shm_name(name) }?, size, mode).map(into_handle)
    })
}

/// As `rshm_segment_create`, then runs `init(data, size, ctx)` on the new
/// segment's data before any opener can see it: every opener finds the
/// data as `init` left it. `init` returns 0 for success, anything else to
/// abandon the creation. `init` runs once, in the calling thread, and
/// must not keep `data` (use the returned handle's `rshm_segment_data`).
/// A NULL `init` makes this `rshm_segment_create`. `ctx` is passed through
/// untouched.
///
/// Returns a handle as `rshm_segment_create` does. On failure returns NULL
/// and sets errno as `rshm_segment_create` does, or:
/// - `ECANCELED`: `init` returned non-zero. Nothing is left behind: the
///   name never existed for openers. `init`'s value is not kept; pass
///   details back through `ctx`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_create_init(
    name: *const c_char,
    size: usize,
    mode: u32,
    init: Option<unsafe extern "C" fn(data: *mut c_void, size: usize, ctx: *mut c_void) -> c_int>,
    ctx: *mut c_void,
) -> *mut Segment {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_segment_create_init", subject, std::ptr::null_mut(), || {
        // SAFETY: as in rshm_segment_create.
        let name = unsafe { args::shm_name(name) }?;
        Segment::create_init(&name, size, mode, |data, len| match init {
            // SAFETY: init is the caller's function, called as documented
            // with the data range it may write.
            Some(f) => unsafe { f(data.cast(), len, ctx) == 0 },
            None => true,
        })
        .map(into_handle)
    })
}

/// Opens the segment `name` made by `rshm_segment_create`, waiting up to
/// `timeout_ms` milliseconds for it to exist and be complete, and maps it.
/// Start the opener first if convenient: it waits for the creator.
///
/// `oflag` is `RSHM_O_RDONLY` (needs only read permission; the data is
/// mapped read-only and writing to it raises SIGSEGV) or `RSHM_O_RDWR`.
/// With `timeout_ms` 0 the call looks once. In a read-only segment,
/// `rshm_wait` and `rshm_wake` work, `rshm_mutex_init` is EFAULT, and
/// `rshm_mutex_lock` (and the unlock or consistent of a mutex the lock word
/// says the caller holds) raises SIGSEGV, as any write: a lock is a write.
///
/// Returns a handle owned by the caller, released with `rshm_segment_close`.
///
/// Whatever another local user put under the name is checked before it is
/// trusted: the name is opened without following a link and without
/// blocking (a FIFO squatting it cannot hang the call), and only a regular
/// object whose length is the one its header describes is mapped, and only
/// that length. `rshm_error_detail` says what was found.
///
/// On failure returns NULL and sets errno:
/// - `ETIMEDOUT`: no complete segment appeared within `timeout_ms`.
/// - `ENOENT`: `timeout_ms` is 0 and no object has that name.
/// - `EAGAIN`: `timeout_ms` is 0 and the segment is still being made (macOS),
///   or its header is not marked ready (a damaged segment).
/// - `EINVAL`: the object is not an rshm segment (too small for a header, no
///   header, a damaged one, or a segment of another kind such as a
///   channel), or `oflag` is not exactly `RSHM_O_RDONLY` or `RSHM_O_RDWR`,
///   or the name is invalid (including "." and "..").
/// - `ENODEV`: the name is not a shared-memory object at all: a FIFO, a
///   directory, a socket or a device (Linux). Returned at once, whatever
///   `timeout_ms`.
/// - `ELOOP`: the name is a symbolic link (Linux); rshm never follows one.
/// - `EPROTO`: the segment was made by an rshm with another layout version,
///   or the object's length is not the one its header describes (it was
///   resized after its creation: shrunk, or grown by a peer to charge its
///   openers memory they never asked for).
/// - `EACCES`: the object's mode forbids the access `oflag` asks for.
/// - `ENAMETOOLONG`, `EFAULT`, `EMFILE`, `ENFILE`, `ENOMEM`: as for
///   `rshm_shm_open` and `rshm_mmap`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_open(name: *const c_char, oflag: c_int, timeout_ms: u32) -> *mut Segment {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_segment_open", subject, std::ptr::null_mut(), || {
        // SAFETY: as in rshm_segment_create.
        let name = unsafe { args::shm_name(name) }?;
        Segment::open(&name, oflag, Duration::from_millis(timeout_ms.into())).map(into_handle)
    })
}

/// The first byte of the segment's data: page-aligned (at least 64-byte
/// aligned if creator and opener have different page sizes), valid for
/// `rshm_segment_size(seg)` bytes until `rshm_segment_close(seg)`. Other
/// processes see writes to it at once; synchronising access is the
/// caller's business.
///
/// Returns the address, owned by the segment. On failure returns NULL and
/// sets errno:
/// - `EFAULT`: `seg` is NULL.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_data(seg: *const Segment) -> *mut c_void {
    // SAFETY: a non-NULL seg is a live handle from rshm_segment_create/open.
    run("rshm_segment_data", std::ptr::null_mut(), || handle(seg).map(|s| s.data().cast()))
}

/// The size of the segment's data: what the creator asked for, the same
/// in every process (the header page is not counted).
///
/// Returns the size (never 0 for a valid handle). On failure returns 0 and
/// sets errno:
/// - `EFAULT`: `seg` is NULL.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_size(seg: *const Segment) -> usize {
    run("rshm_segment_size", 0, || handle(seg).map(Segment::size))
}

/// Unmaps the segment and closes its descriptor; the handle is freed and
/// must not be used again. The name and the data stay for other processes
/// until `rshm_segment_unlink`. NULL is a no-op.
///
/// Returns 0. On failure returns -1 and sets errno (the handle is freed
/// all the same):
/// - `EINVAL`, `EIO`: as munmap(2) or close(2) report them.
///
/// Thread safety: no other thread may use `seg` during or after the call.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_close(seg: *mut Segment) -> c_int {
    if seg.is_null() {
        return 0;
    }
    // SAFETY: a non-NULL seg came from into_handle and is given back once.
    let seg = unsafe { Box::from_raw(seg) };
    run("rshm_segment_close", -1, || seg.close().map(|()| 0))
}

/// Removes the name of a segment, as `rshm_shm_unlink` does: handles
/// already open stay valid, new `rshm_segment_open` calls wait for a new
/// segment (or fail ENOENT/ETIMEDOUT). It removes whatever object has the
/// name, without checking that it is a segment.
///
/// Returns 0. On failure returns -1 and sets errno as `rshm_shm_unlink` does:
/// - `ENOENT`: no object has that name.
/// - `EACCES`, `EINVAL`, `ENAMETOOLONG`, `EFAULT`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_segment_unlink(name: *const c_char) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: name is a C string from the caller (checked for NULL and bounded).
    run_named("rshm_segment_unlink", subject, -1, || segment::unlink(&unsafe { args::shm_name(name) }?).map(|()| 0))
}

fn into_handle(seg: Segment) -> *mut Segment {
    Box::into_raw(Box::new(seg))
}

fn handle<'a>(seg: *const Segment) -> crate::errno::Result<&'a Segment> {
    // SAFETY: a non-NULL seg is a live handle from into_handle (the caller's contract).
    unsafe { seg.as_ref() }.ok_or(Errno(libc::EFAULT))
}
