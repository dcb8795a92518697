//! `rshm_mmap`, `rshm_munmap`.

use super::boundary::run;
use crate::mman;
use libc::{c_int, c_void};

/// Maps `length` bytes of the object `fd`, from `offset`, into memory: the
/// mirror of mmap(2), with the same arguments, result and errno.
///
/// `addr` is honoured: NULL lets the kernel choose; any other address is a
/// hint the kernel follows when the range is free and places the mapping
/// nearby otherwise. With `RSHM_MAP_FIXED` the mapping goes exactly at
/// `addr` and replaces whatever was mapped there; `RSHM_MAP_FIXED_NOREPLACE`
/// fails with EEXIST instead. `prot` is `RSHM_PROT_*`; `flags` holds
/// `RSHM_MAP_SHARED` (changes seen by every process) or `RSHM_MAP_PRIVATE`,
/// plus optional `RSHM_MAP_*` flags. `offset` must be a multiple of
/// `rshm_getpagesize()`.
///
/// Returns the mapping's address; the caller owns the mapping and releases
/// it with `rshm_munmap` (closing `fd` does not unmap). Touching it beyond
/// the object's size raises SIGBUS. Only touched pages use memory.
///
/// On failure returns `RSHM_MAP_FAILED` and sets errno:
/// - `EACCES`: `fd` is not open for reading, or `RSHM_MAP_SHARED` with
///   `RSHM_PROT_WRITE` on a descriptor not open for writing.
/// - `EBADF`: `fd` is not an open descriptor (and no `RSHM_MAP_ANONYMOUS`).
/// - `EEXIST`: `RSHM_MAP_FIXED_NOREPLACE` and the range is in use.
/// - `EINVAL`: `length` is 0, `offset` or a fixed `addr` is not page-aligned,
///   or neither `RSHM_MAP_SHARED` nor `RSHM_MAP_PRIVATE` is given.
/// - `ENODEV`: the file behind `fd` cannot be mapped (a pipe, a socket).
/// - `ENOMEM`: no room in the address space, or too many mappings.
/// - `EOVERFLOW`: `offset + length` does not fit in a file offset.
/// - `EPERM`: a seal forbids the mapping (`RSHM_F_SEAL_WRITE`), or
///   `RSHM_PROT_EXEC` on a noexec file system.
///
/// Thread safety: safe to call from any thread; with `RSHM_MAP_FIXED` the
/// caller must own the range being replaced.
#[no_mangle]
pub unsafe extern "C" fn rshm_mmap(
    addr: *mut c_void,
    length: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: i64,
) -> *mut c_void {
    // SAFETY: a MAP_FIXED range is the caller's, as with libc's mmap.
    run("rshm_mmap", libc::MAP_FAILED, || unsafe { mman::map(addr, length, prot, flags, fd, offset) })
}

/// Removes every mapping in `[addr, addr + length)`: the mirror of munmap(2).
///
/// The range must not be used afterwards. The object stays alive while any
/// descriptor or other mapping refers to it. Unmapping a range with nothing
/// mapped in it succeeds.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EINVAL`: `addr` is not page-aligned, `length` is 0, or the range is
///   outside the address space.
///
/// Thread safety: safe to call from any thread; no thread may still use
/// the range.
#[no_mangle]
pub unsafe extern "C" fn rshm_munmap(addr: *mut c_void, length: usize) -> c_int {
    // SAFETY: the caller gives the range up, as with libc's munmap.
    run("rshm_munmap", -1, || unsafe { mman::unmap(addr, length) }.map(|()| 0))
}

/// Maps `length` bytes of `fd` from `offset` exactly at `addr`, or fails
/// with EEXIST: unlike `RSHM_MAP_FIXED` it never replaces an existing
/// mapping, so it cannot silently clobber memory a library or another
/// thread placed there. Use it to map a segment at the same address in
/// several processes (pointers inside then stay valid) after reserving the
/// address range.
///
/// `prot` and `flags` are as for `rshm_mmap`; `RSHM_MAP_FIXED` and
/// `RSHM_MAP_FIXED_NOREPLACE` in `flags` are ignored (placement is this
/// call's job). Linux uses MAP_FIXED_NOREPLACE; kernels before 4.17 take
/// it as a hint, so the result is checked and a mapping that landed
/// elsewhere is removed. macOS has no such flag: the call maps with `addr`
/// as a hint and checks the same way.
///
/// Returns `addr`; the caller owns the mapping (`rshm_munmap`).
///
/// On failure returns `RSHM_MAP_FAILED` and sets errno:
/// - `EEXIST`: something is already mapped in `[addr, addr + length)`.
/// - `EINVAL`: `addr` is NULL or not page-aligned, `length` is 0, `offset`
///   is not page-aligned, or neither `RSHM_MAP_SHARED` nor `RSHM_MAP_PRIVATE`.
/// - `ENOMEM`: the range is outside the address space.
/// - `EACCES`, `EBADF`, `ENODEV`, `EOVERFLOW`, `EPERM`: as for `rshm_mmap`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub unsafe extern "C" fn rshm_mmap_fixed(
    addr: *mut c_void,
    length: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    offset: i64,
) -> *mut c_void {
    run("rshm_mmap_fixed", libc::MAP_FAILED, || mman::map_fixed(addr, length, prot, flags, fd, offset))
}
