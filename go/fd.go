package rshm

// #include <rshm.h>
import "C"

import (
	"math"
	"syscall"
)

// Ftruncate sets the size of the object fd to length bytes: ftruncate(2).
// A new object has size 0; growth is zero-filled and uses no memory until
// touched. This is the seed package's signature: where int is 32 bits
// (GOARCH=arm, 386) length stops at 2 GiB - 1; FtruncateInt64 takes any
// size. Errors: EBADF (fd not open, or beyond any descriptor), EINVAL
// (negative length, or fd not open for writing), EFBIG, EPERM (a seal
// forbids it), EINTR.
func Ftruncate(fd int, length int) error {
	return FtruncateInt64(fd, int64(length))
}

// FtruncateInt64 is Ftruncate with a 64-bit length on every platform
// (rshm's, not the seed package's). Errors: Ftruncate's.
func FtruncateInt64(fd int, length int64) error {
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	if r, err := C.rshm_ftruncate(cfd, C.int64_t(length)); r != 0 {
		return failed(err)
	}
	return nil
}

// Fchown changes the owner and group of the object fd: fchown(2). Pass -1
// for an id to leave it unchanged. Errors: EBADF, EINVAL (an id below -1
// or above 2^32-1, or not valid here), EPERM.
func Fchown(fd int, uid int, gid int) error {
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	owner, ok1 := id(uid)
	group, ok2 := id(gid)
	if !ok1 || !ok2 {
		return syscall.EINVAL
	}
	if r, err := C.rshm_fchown(cfd, owner, group); r != 0 {
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
// fchmod(2). mode is an int, as in the seed package. Errors: EBADF,
// EPERM, EINVAL (mode negative or beyond 32 bits).
func Fchmod(fd int, mode int) error {
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	if mode < 0 || uint64(mode) > math.MaxUint32 {
		return syscall.EINVAL
	}
	if r, err := C.rshm_fchmod(cfd, C.uint32_t(mode)); r != 0 {
		return failed(err)
	}
	return nil
}

// Close closes the descriptor fd: close(2). Mappings made from it stay
// valid. Errors: EBADF (not open, closed twice, or beyond any descriptor:
// a value that does not fit C's int is refused, never cut to another
// descriptor); after EINTR or EIO the descriptor is released all the
// same, so do not retry.
func Close(fd int) error {
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	if r, err := C.rshm_close(cfd); r != 0 {
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
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	if r, err := C.rshm_fallocate(cfd, C.int64_t(offset), C.int64_t(length)); r != 0 {
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
// range), and what fcntl(2) documents for cmd. fd, cmd and arg are ints,
// as in the seed package; beyond C's int, fd is EBADF and the others
// EINVAL.
func Fcntl(fd, cmd, arg int) (val int, err error) {
	cfd, err := cfd(fd)
	if err != nil {
		return -1, err
	}
	c, err := cint(cmd)
	if err != nil {
		return -1, err
	}
	a, err := cint(arg)
	if err != nil {
		return -1, err
	}
	r, err := C.rshm_fcntl(cfd, c, a)
	if r < 0 {
		return -1, failed(err)
	}
	return int(r), nil
}
