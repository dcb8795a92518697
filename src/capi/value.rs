//! `rshm_value_create`, `rshm_value_open`, `rshm_value_write`,
//! `rshm_value_read`, `rshm_value_wait`, `rshm_value_size`,
//! `rshm_value_close`, `rshm_value_unlink`; and what a reader's cursor
//! (rshm.h's inline `rshm_value_reader_*`, src/value/inline.rs) calls:
//! `rshm_value_reader_lend`, `rshm_value_reader_slow`,
//! `rshm_value_reader_take_back`.

use super::{
    args,
    boundary::{run, run_named, NameArg},
};
use crate::errno::{Errno, Result};
use crate::sync::Timeout;
use crate::value::{self, Reader, Value, Written, RSHM_VALUE_READER_ABI, RSHM_VALUE_READER_CALLS};
use libc::{c_char, c_int, c_void};
use std::time::Duration;

/// Creates the named value `name`: one writer keeps a value of up to
/// `size` bytes up to date (a sensor reading, a configuration, a status
/// board), and any number of readers, in any processes, copy the latest
/// version. A reader never sees half an update, never waits for the
/// writer, and never writes to the object, so a reader that may only read
/// it (mode 0644, another user) reads at full speed; the writer never
/// waits for readers.
///
/// `name` is "/name" or "name" as for `rshm_shm_open`, borrowed for the
/// call. `size` is the longest value in bytes (at least 1); the object
/// holds nine copies of it and a few cache lines. `mode` gives the
/// permission bits (the umask applies): readers need read permission,
/// the writer read and write. With 0600 or 0660 a write makes no system
/// call unless a reader waits. When some class of users may read but not
/// write (0644, 0640, 0444), such a reader cannot announce that it waits,
/// so the writer also wakes the version's futex word after writes, backing
/// off while that finds nobody (then one futex_wake per 1024 writes; see
/// `rshm_value_wait`). The value is formatted before the name appears: an
/// opener never sees it half made.
///
/// The new value has length 0 and version 0. Returns the writer's handle,
/// owned by the caller, released with `rshm_value_close`. The name stays
/// until `rshm_value_unlink`.
///
/// On failure returns NULL, leaves nothing behind, and sets errno:
/// - `EEXIST`: `name` exists (a value or any other object); it is untouched.
/// - `EINVAL`: `size` is 0, or the name is empty, only slashes, or has an
///   inner '/'.
/// - `EOVERFLOW`: `size` is too large to map.
/// - `ENOSPC`: /dev/shm has no room for the object.
/// - `ENAMETOOLONG`: the name is longer than 255 bytes (31 on macOS).
/// - `EFAULT`: `name` is NULL.
/// - `EACCES`, `EMFILE`, `ENFILE`, `ENOMEM`: as for `rshm_segment_create`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_create(name: *const c_char, size: usize, mode: u32) -> *mut Value {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: name is a C string from the caller (checked for NULL and bounded).
    run_named("rshm_value_create", subject, std::ptr::null_mut(), || {
        Value::create(&unsafe { args::shm_name(name) }?, size, mode).map(into_handle)
    })
}

/// Opens the value `name` made by `rshm_value_create`, waiting up to
/// `timeout_ms` milliseconds for it to exist (0: look once). With `oflag`
/// `RSHM_O_RDONLY` the handle is a reader: the object is mapped read-only
/// and read permission suffices. With `RSHM_O_RDWR` it is the writer: it
/// takes over from a writer that died (its versions continue from the last
/// one published), and fails while another writer lives.
///
/// Returns a handle owned by the caller, released with `rshm_value_close`.
///
/// On failure returns NULL and sets errno:
/// - `EBUSY`: `oflag` is `RSHM_O_RDWR` and another live process (or
///   another handle of this one) is the writer.
/// - `ETIMEDOUT`: no value appeared within `timeout_ms`.
/// - `ENOENT`: `timeout_ms` is 0 and no object has that name.
/// - `EINVAL`: `oflag` is neither `RSHM_O_RDONLY` nor `RSHM_O_RDWR`; the
///   object is not an rshm value (a plain object, or an rshm object of
///   another kind); or the name is invalid.
/// - `EPROTO`: the value was made by an rshm with another layout, its
///   shared state is corrupt, or its pages were never reserved (an object
///   of the right size that `rshm_value_create` did not make).
/// - `ENOSPC`, `ENOMEM`: `oflag` is `RSHM_O_RDWR` and the writer could not
///   fault a page of the value in (one punched out or cut off after the
///   check above, or no memory); the writer faults its pages in when it
///   opens, as far as `timeout_ms` allows, the rest on first use.
/// - `EACCES`: the object's mode does not let the caller read it (or, for
///   `RSHM_O_RDWR`, write it).
/// - `ENAMETOOLONG`, `EFAULT`, `EMFILE`, `ENFILE`, `ENOMEM`: as for
///   `rshm_segment_open`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_open(name: *const c_char, oflag: c_int, timeout_ms: u32) -> *mut Value {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    run_named("rshm_value_open", subject, std::ptr::null_mut(), || {
        // SAFETY: as in rshm_value_create.
        let name = unsafe { args::shm_name(name) }?;
        Value::open(&name, oflag, Duration::from_millis(timeout_ms.into())).map(into_handle)
    })
}

/// Publishes the `len` bytes at `data` as the value's next version (one
/// more than the last). `data` is borrowed for the call; it may be NULL
/// when `len` is 0 (an empty value is a value). Readers see either the
/// previous value or this one, whole, whenever they read, even if the
/// writer is killed in the middle: the previous value stays readable.
///
/// Never waits. Makes no system call unless a reader waits in
/// `rshm_value_wait` (then one wake-up); when the mode lets a reader read
/// without writing, also one per 1024 writes while nobody waits (see
/// `rshm_value_create`).
///
/// Returns 0. On failure returns -1, publishes nothing, and sets errno:
/// - `EBADF`: `v` is a reader's handle (opened with `RSHM_O_RDONLY`), as
///   write(2) on a descriptor opened read-only.
/// - `EMSGSIZE`: `len` exceeds `rshm_value_size`.
/// - `EOVERFLOW`: 2^62 versions were published.
/// - `EFAULT`: `v` is NULL, or `data` is NULL and `len` is not 0.
///
/// Thread safety: a handle is used by one thread at a time; a handle
/// inherited through fork must not be used in the child.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_write(v: *mut Value, data: *const c_void, len: usize) -> c_int {
    // The writer's path for a short value, before the panic boundary:
    // leaf code that cannot panic (`Block::write_now`), so a writer flat
    // out makes the stores of the value and little else
    // (src/object/copy.rs says why that matters).
    // SAFETY: a non-NULL v is a live handle used by one thread at a time,
    // and a non-NULL data the caller's len readable bytes (the contract).
    if let Some(h) = unsafe { v.as_mut() } {
        if !data.is_null() {
            match unsafe { h.write_now(data.cast(), len) } {
                Written::Done => return 0,
                // SAFETY: v is the live handle above, data its len bytes.
                Written::More(due) => return unsafe { finish_write(v, data, len, due) },
                Written::No => {}
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { write_long(v, data, len) }
}

/// What `rshm_value_write`'s short path left to do (the steady slot's
/// copy, wake-ups); 0 (the write's result).
///
/// # Safety
/// `v` is a live handle, `data` the `len` bytes it just wrote.
#[cold]
#[inline(never)]
unsafe extern "C" fn finish_write(v: *mut Value, data: *const c_void, len: usize, due: bool) -> c_int {
    run("rshm_value_write", -1, || {
        // SAFETY: forwarded.
        unsafe { handle(v)?.finish_write(data.cast(), len, due) };
        Ok(0)
    })
}

/// `rshm_value_write` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_value_write`.
#[inline(never)]
unsafe extern "C" fn write_long(v: *mut Value, data: *const c_void, len: usize) -> c_int {
    run("rshm_value_write", -1, || {
        let v = handle(v)?;
        if data.is_null() && len != 0 {
            return Err(Errno(libc::EFAULT));
        }
        // No slice of the caller's bytes: a len beyond the value's size
        // (EMSGSIZE from the core) may exceed the caller's object.
        v.write_with(len, |dst| {
            if len != 0 {
                // SAFETY: data is the caller's len readable bytes (not NULL,
                // checked above); dst is len writable bytes in a slot.
                unsafe { std::ptr::copy_nonoverlapping(data.cast::<u8>(), dst, len) }
            }
        })
        .map(|_| 0)
    })
}

/// Copies the latest complete value into `buf` (`cap` bytes, borrowed for
/// the call) and stores its version in `*version` (NULL: not wanted).
/// Never waits for the writer and never writes to the object. A handle's
/// versions never go back. Against a writer that writes flat out a read
/// may copy a few times, and falls back to a copy the writer rewrites only
/// every 64 versions (docs/value.md): it finishes.
///
/// Returns the value's length (0 for an empty value, or none written yet).
/// On failure returns -1 and sets errno:
/// - `EMSGSIZE`: the value is longer than `cap`; nothing is stored in
///   `*version` and no byte of the value is returned (bytes of `buf` may
///   have been overwritten). A buffer of `rshm_value_size` bytes always
///   suffices.
/// - `EBADMSG`: the value's shared state is corrupt (a peer wrote over it):
///   a length beyond the size, or no consistent copy within 0.1 s.
/// - `EBUSY`: a reader's cursor of this handle is out
///   (`rshm_value_reader_begin`): read through it, or end it first.
/// - `EFAULT`: `v` is NULL, or `buf` is NULL and `cap` is not 0.
///
/// Thread safety: as for `rshm_value_write`.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_read(v: *mut Value, buf: *mut c_void, cap: usize, version: *mut u64) -> i64 {
    // A short value read at the first attempt, before the panic boundary:
    // leaf code that cannot panic (`Block::read_now`).
    // SAFETY: a non-NULL v is a live handle used by one thread at a time,
    // a non-NULL buf the caller's cap writable bytes and a non-NULL version
    // its writable u64 (the contract).
    if let Some(h) = unsafe { v.as_mut() } {
        if !buf.is_null() {
            if let Some((len, ver)) = unsafe { h.read_now(buf.cast(), cap) } {
                if let Some(out) = unsafe { version.as_mut() } {
                    *out = ver;
                }
                // len <= copy::SHORT.
                return len as i64;
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { read_long(v, buf, cap, version) }
}

/// `rshm_value_read` in full, inside the panic boundary.
///
/// # Safety
/// As for `rshm_value_read`.
#[inline(never)]
unsafe extern "C" fn read_long(v: *mut Value, buf: *mut c_void, cap: usize, version: *mut u64) -> i64 {
    run("rshm_value_read", -1, || {
        let v = handle(v)?;
        // No value is longer than the size: bytes of buf beyond it are
        // never written, and the slice does not claim them.
        // SAFETY: a non-NULL buf is the caller's cap writable bytes.
        let buf = unsafe { args::bytes_mut(buf.cast(), cap.min(v.size())) }?;
        let (len, ver) = v.read_slow(buf)?;
        // SAFETY: a non-NULL version is the caller's writable u64.
        if let Some(out) = unsafe { version.as_mut() } {
            *out = ver;
        }
        Ok(len as i64)
    })
}

/// Lends `v`'s reading to the cursor `*r` (what `rshm_value_reader_begin`
/// calls; rshm.h). Until `rshm_value_reader_take_back` the handle's own
/// `rshm_value_read` fails with EBUSY. A handle with a descriptor lends a
/// cursor whose every read is this library's call, which keeps the
/// descriptor in step.
///
/// Returns 0 and fills `*r`. On failure returns -1, leaves `*r` as it was,
/// and sets errno:
/// - `EBUSY`: a cursor of this handle is out already.
/// - `EFAULT`: `v` or `r` is NULL.
///
/// Thread safety: a cursor is used by one thread at a time, as its handle.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_reader_lend(v: *mut Value, r: *mut Reader) -> c_int {
    run("rshm_value_reader_lend", -1, || {
        let me = v;
        let v = handle(v)?;
        // SAFETY: a non-NULL r is the caller's writable cursor.
        let r = unsafe { r.as_mut() }.ok_or(Errno(libc::EFAULT))?;
        v.lend_reader(r, me)?;
        Ok(0)
    })
}

/// Reads through the handle that lent the cursor `*r`: what
/// `rshm_value_reader_read` does when its inline part cannot (a race with
/// the writer, a value longer than 64 bytes or than `cap`, a corrupt
/// block, a handle with a descriptor). As `rshm_value_read` on that
/// handle, from the version the cursor returned last, which it updates.
///
/// Returns the value's length. On failure returns -1 and sets errno as
/// `rshm_value_read` does, and:
/// - `EINVAL`: `*r` is not a cursor that `rshm_value_reader_begin` made,
///   or one `rshm_value_reader_end` ended.
/// - `EFAULT`: `r` is NULL.
///
/// Thread safety: as for `rshm_value_reader_lend`.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_reader_slow(
    r: *mut Reader,
    buf: *mut c_void,
    cap: usize,
    version: *mut u64,
) -> i64 {
    run("rshm_value_reader_slow", -1, || {
        // SAFETY: a non-NULL r is the caller's cursor.
        let r = unsafe { r.as_mut() }.ok_or(Errno(libc::EFAULT))?;
        if r.abi != RSHM_VALUE_READER_ABI && r.abi != RSHM_VALUE_READER_CALLS {
            return Err(Errno(libc::EINVAL));
        }
        let v = handle(r.v)?;
        // As in read_long: bytes beyond the size are never written.
        // SAFETY: a non-NULL buf is the caller's cap writable bytes.
        let buf = unsafe { args::bytes_mut(buf.cast(), cap.min(v.size())) }?;
        let (len, ver) = v.read_lent(&mut r.seen, buf)?;
        // SAFETY: a non-NULL version is the caller's writable u64.
        if let Some(out) = unsafe { version.as_mut() } {
            *out = ver;
        }
        Ok(len as i64)
    })
}

/// Takes back the reading `v` lent (`rshm_value_reader_lend`): what
/// `rshm_value_reader_end` calls. The handle goes on from `seen`, the
/// version the cursor returned last (never past the published version),
/// and its own `rshm_value_read` works again.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `v` lent no cursor, or took it back already.
/// - `EFAULT`: `v` is NULL.
///
/// Thread safety: as for `rshm_value_reader_lend`.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_reader_take_back(v: *mut Value, seen: u64) -> c_int {
    run("rshm_value_reader_take_back", -1, || {
        handle(v)?.take_back_reader(seen)?;
        Ok(0)
    })
}

/// Waits until the value's version differs from `version` (the one the
/// caller last read): returns at once if it already does, else as
/// `timeout_ns` allows (-1 without limit, 0 not at all, else nanoseconds).
/// Every write wakes every waiter. Signals do not end the wait.
///
/// A reader whose user may write the object announces itself: on its
/// first wait it maps the object a second time, read-write, only for that
/// (Linux; its value is never written), and is woken by the first write.
/// A reader that may only read it cannot announce: it sees a new version
/// within 1 ms (it looks again that often), and usually at once, as the
/// writer of such an object wakes it after writes (see `rshm_value_create`;
/// after a run of writes that found no such waiter asleep, the writer
/// skips the wake-ups of up to 1024 writes).
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EAGAIN`: the version is still `version` and `timeout_ns` is 0.
/// - `ETIMEDOUT`: still `version` when the timeout passed.
/// - `EINVAL`: `timeout_ns` is below -1.
/// - `EFAULT`: `v` is NULL.
///
/// Thread safety: as for `rshm_value_write`.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_wait(v: *mut Value, version: u64, timeout_ns: i64) -> c_int {
    run("rshm_value_wait", -1, || {
        let v = handle(v)?;
        v.wait(version, Timeout::from_ns(timeout_ns)?).map(|()| 0)
    })
}

/// The longest value in bytes: the `size` the creator asked for. A read
/// into a buffer this long never fails with `EMSGSIZE`.
///
/// Returns the size. On failure returns 0 and sets errno:
/// - `EFAULT`: `v` is NULL.
///
/// Thread safety: safe to call from any thread while no thread closes `v`.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_size(v: *const Value) -> usize {
    // SAFETY: a non-NULL v is a live handle (the caller's contract).
    run("rshm_value_size", 0, || unsafe { v.as_ref() }.map(Value::size).ok_or(Errno(libc::EFAULT)))
}

/// Closes the handle: the writer gives its role up (a later
/// `rshm_value_open` with `RSHM_O_RDWR` may take it), the object is
/// unmapped and the handle freed; it must not be used again. The value
/// stays readable, and the name stays until `rshm_value_unlink`. NULL is a
/// no-op.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBUSY`: a reader's cursor of the handle is out
///   (`rshm_value_reader_begin`), which holds the handle: end it first.
///   The handle stays open and usable.
/// - `EINVAL`, `EIO`: as munmap(2) or close(2) report them (the handle is
///   freed all the same).
///
/// Thread safety: no other thread may use `v` during or after the call.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_close(v: *mut Value) -> c_int {
    // SAFETY: a non-NULL v is a live handle (the caller's contract).
    match unsafe { v.as_ref() } {
        None => return 0,
        Some(h) if h.is_lent() => return run("rshm_value_close", -1, || Err(Errno(libc::EBUSY))),
        Some(_) => {}
    }
    // SAFETY: a non-NULL v came from into_handle and is given back once.
    let v = unsafe { Box::from_raw(v) };
    run("rshm_value_close", -1, || v.close().map(|()| 0))
}

/// Removes the name of a value, as `rshm_shm_unlink` does: handles already
/// open stay valid and keep working. Like `rshm_segment_unlink`, it removes
/// whatever object has the name, without checking that it is a value.
///
/// Returns 0. On failure returns -1 and sets errno as `rshm_shm_unlink` does:
/// - `ENOENT`: no object has that name.
/// - `EACCES`, `EINVAL`, `ENAMETOOLONG`, `EFAULT`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_value_unlink(name: *const c_char) -> c_int {
    // SAFETY: the export's contract: name is readable up to its NUL or
    // args::PATH_MAX bytes.
    let subject = unsafe { NameArg::new(name, args::PATH_MAX) };
    // SAFETY: as in rshm_value_create.
    run_named("rshm_value_unlink", subject, -1, || value::unlink(&unsafe { args::shm_name(name) }?).map(|()| 0))
}

fn into_handle(v: Value) -> *mut Value {
    Box::into_raw(Box::new(v))
}

pub(super) fn handle<'a>(v: *mut Value) -> Result<&'a mut Value> {
    // SAFETY: a non-NULL v is a live handle from into_handle, used by one
    // thread at a time (the caller's contract).
    unsafe { v.as_mut() }.ok_or(Errno(libc::EFAULT))
}
