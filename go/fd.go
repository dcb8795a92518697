package rshm

// #include <rshm.h>
import "C"

import (
	"math"
	"syscall"
)

// Ftruncate sets the size of the object fd to size bytes: ftruncate(2). A
// new object has size 0; growth is zero-filled and uses no memory until
// touched. Errors: EBADF, EINVAL (negative size, or fd not open for
// writing), EFBIG, EPERM (a seal forbids it), EINTR.
func Ftruncate(fd int, size int64) error {
	if r, err := C.rshm_ftruncate(C.int(fd), C.int64_t(size)); r != 0 {
		return failed(err)
	}
	return nil
}

// Fchown changes the owner and group of the object fd: fchown(2). Pass -1
// for an id to leave it unchanged. Errors: EBADF, EINVAL (an id below -1
// or above 2^32-1, or not valid here), EPERM.
func Fchown(fd int, uid int, gid int) error {
	owner, ok1 := id(uid)
	group, ok2 := id(gid)
	if !ok1 || !ok2 {
		return syscall.EINVAL
	}
	if r, err := C.rshm_fchown(C.int(fd), owner, group); r != 0 {
		return failed(err)
	}
	return nil
}

// id converts a Go id, -1 meaning "unchanged", to the C ABI's uint32_t.
func id(v int) (C.uint32_t, bool) {
	if v == -1 {
		return C.uint32_t(math.MaxUint32), true
	}
	if v < 0 || int64(v) > math.MaxUint32 {
		return 0, false
	}
	return C.uint32_t(v), true
}

// Fchmod sets the permission bits of the object fd to mode (e.g. 0o640):
// fchmod(2). Errors: EBADF, EPERM.
func Fchmod(fd int, mode uint32) error {
	if r, err := C.rshm_fchmod(C.int(fd), C.uint32_t(mode)); r != 0 {
		return failed(err)
	}
	return nil
}

// Close closes the descriptor fd: close(2). Mappings made from it stay
// valid. Errors: EBADF (not open, or closed twice); after EINTR or EIO the
// descriptor is released all the same, so do not retry.
func Close(fd int) error {
	if r, err := C.rshm_close(C.int(fd)); r != 0 {
		return failed(err)
	}
	return nil
}

// Fallocate reserves the storage of bytes [offset, offset+length) of the
// object fd now, growing it if it is smaller: posix_fallocate(3). On
// /dev/shm and memfds this commits the memory, so a full /dev/shm is
// ENOSPC here instead of SIGBUS on a later write through a mapping.
// macOS reserves nothing ahead and only grows a smaller object. Errors:
// EBADF (not open, or not open for writing), EINVAL (negative offset,
// length not positive), EFBIG, ENOSPC, ENODEV/ESPIPE (not a regular file
// or shm object), EPERM (F_SEAL_GROW).
func Fallocate(fd int, offset, length int64) error {
	if r, err := C.rshm_fallocate(C.int(fd), C.int64_t(offset), C.int64_t(length)); r != 0 {
		return failed(err)
	}
	return nil
}

// Fcntl is fcntl(2) with an int argument, for what the rest of the package
// does not cover: F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_DUPFD_CLOEXEC,
// F_ADD_SEALS... cmd is the platform's F_* value (syscall.F_GETFD, or
// the constants here); arg is ignored by commands that take none.
//
// It returns what fcntl returns for cmd (a new descriptor for F_DUPFD*,
// the flags for F_GET*, otherwise 0). Errors: EBADF, EINVAL (unknown cmd,
// one whose argument is a pointer such as the record locks, or arg out of
// range), and what fcntl(2) documents for cmd.
func Fcntl(fd, cmd, arg int) (int, error) {
	c, err := cint(cmd)
	if err != nil {
		return -1, err
	}
	a, err := cint(arg)
	if err != nil {
		return -1, err
	}
	r, err := C.rshm_fcntl(C.int(fd), c, a)
	if r < 0 {
		return -1, failed(err)
	}
	return int(r), nil
}
