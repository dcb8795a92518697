package rshm

// #include <rshm.h>
import "C"

import (
	"syscall"
	"unsafe"
)

// The calls here act on the pages under b: usually a slice Mmap,
// MmapFixed or Segment.Data returned, or a page-aligned part of one. They
// work on any memory, the Go heap included, where they can break the
// runtime: keep to memory you mapped.

// span is the address and length of b's pages; an empty slice has none.
func span(b []byte) (unsafe.Pointer, C.size_t, error) {
	if len(b) == 0 {
		return nil, 0, syscall.EINVAL
	}
	return unsafe.Pointer(&b[0]), C.size_t(len(b)), nil
}

// spanCall runs call, one of the C calls taking (addr, len, int), on b's
// pages and the int v, after checking both can travel to C.
func spanCall(b []byte, v int, call func(unsafe.Pointer, C.size_t, C.int) (C.int, error)) error {
	addr, n, err := span(b)
	if err != nil {
		return err
	}
	cv, err := cint(v)
	if err != nil {
		return err
	}
	if r, err := call(addr, n, cv); r != 0 {
		return failed(err)
	}
	return nil
}

// Mprotect changes the access allowed to the pages of b to prot (PROT_*):
// mprotect(2). Touching a page it does not allow raises SIGSEGV, which
// kills a Go program unless debug.SetPanicOnFault turns it into a panic.
// A shared mapping of a descriptor opened read-only cannot gain
// PROT_WRITE. Errors: EINVAL (b empty or not starting on a page boundary,
// unknown prot bits), ENOMEM (part of b is not mapped), EACCES (prot asks
// more than the file's open mode allows).
func Mprotect(b []byte, prot int) error {
	return spanCall(b, prot, func(addr unsafe.Pointer, n C.size_t, v C.int) (C.int, error) {
		r, err := C.rshm_mprotect(addr, n, v) // the two-value form: errno as err
		return r, err
	})
}

// Msync writes changes made through b back to the object: msync(2). flags
// is MS_SYNC (wait) or MS_ASYNC (start), optionally with MS_INVALIDATE. On
// /dev/shm and memfds every mapping already shares the same pages; it
// matters for files on disk. Errors: EINVAL (b empty or not page-aligned,
// unknown flags, MS_SYNC with MS_ASYNC), ENOMEM (part of b is not mapped),
// EBUSY (MS_INVALIDATE on locked pages).
func Msync(b []byte, flags int) error {
	return spanCall(b, flags, func(addr unsafe.Pointer, n C.size_t, v C.int) (C.int, error) {
		r, err := C.rshm_msync(addr, n, v) // the two-value form: errno as err
		return r, err
	})
}

// Madvise tells the kernel how the pages of b will be used: madvise(2).
// advice is a MADV_* constant. MADV_DONTNEED on a shared mapping drops
// only this process's pages (the object keeps its contents); MADV_REMOVE
// (Linux) frees the object's pages, which then read as zeros everywhere.
// Errors: EINVAL (b empty or not page-aligned, unknown advice, or advice
// that does not apply to this mapping, e.g. MADV_REMOVE on a private
// one), ENOMEM (part of b is not mapped), EACCES (MADV_REMOVE on a
// mapping that is not writable), EAGAIN.
func Madvise(b []byte, advice int) error {
	return spanCall(b, advice, func(addr unsafe.Pointer, n C.size_t, v C.int) (C.int, error) {
		r, err := C.rshm_madvise(addr, n, v) // the two-value form: errno as err
		return r, err
	})
}

// Mlock locks the first size bytes of b in memory, faulting them in:
// mlock(2), with the seed package's signature. Locked pages are never
// swapped out. size 0 locks nothing and succeeds, even for a nil b (as
// mlock(2) of 0 bytes does). Errors: EINVAL (size negative or beyond
// cap(b): the call never reaches memory outside b), ENOMEM (part of the
// range is not mapped, or RLIMIT_MEMLOCK would be exceeded), EPERM
// (unprivileged with RLIMIT_MEMLOCK 0), EAGAIN.
func Mlock(b []byte, size int) error {
	return lockCall(b, size, func(addr unsafe.Pointer, n C.size_t) (C.int, error) {
		r, err := C.rshm_mlock(addr, n) // the two-value form: errno as err
		return r, err
	})
}

// Munlock unlocks the first size bytes of b: munlock(2), with the seed
// package's signature. Locks do not nest: one Munlock undoes any number
// of Mlocks. Errors: EINVAL (size negative or beyond cap(b)), ENOMEM
// (part of the range is not mapped).
func Munlock(b []byte, size int) error {
	return lockCall(b, size, func(addr unsafe.Pointer, n C.size_t) (C.int, error) {
		r, err := C.rshm_munlock(addr, n) // the two-value form: errno as err
		return r, err
	})
}

// lockCall runs call, rshm_mlock or rshm_munlock, on the first size bytes
// of b's capacity.
func lockCall(b []byte, size int, call func(unsafe.Pointer, C.size_t) (C.int, error)) error {
	if size < 0 || size > cap(b) {
		return syscall.EINVAL
	}
	var addr unsafe.Pointer
	if cap(b) > 0 {
		addr = unsafe.Pointer(&b[:1][0])
	}
	if r, err := call(addr, C.size_t(size)); r != 0 {
		return failed(err)
	}
	return nil
}

// Mlockall locks every page of the process in memory, the Go runtime's
// included: mlockall(2). flags or-s MCL_CURRENT (pages mapped now),
// MCL_FUTURE (pages mapped later) and, on Linux, MCL_ONFAULT. Errors:
// EINVAL (flags 0, unknown bits, or MCL_ONFAULT alone), ENOMEM (over
// RLIMIT_MEMLOCK), EPERM (unprivileged with RLIMIT_MEMLOCK 0).
func Mlockall(flags int) error {
	f, err := cint(flags)
	if err != nil {
		return err
	}
	if r, err := C.rshm_mlockall(f); r != 0 {
		return failed(err)
	}
	return nil
}

// Munlockall unlocks every page of the process and cancels MCL_FUTURE:
// munlockall(2). The platform reports no errors in practice.
func Munlockall() error {
	if r, err := C.rshm_munlockall(); r != 0 {
		return failed(err)
	}
	return nil
}
