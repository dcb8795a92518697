package rshm

// #include <rshm.h>
import "C"

import (
	"math"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// ErrnoName returns the symbolic name of e, e.g. "ENOENT", or "" for a
// value the platform does not define, as the seed package does (the C
// library says "EUNKNOWN" there).
func ErrnoName(e syscall.Errno) string {
	name := C.GoString(C.rshm_errno_name(errnum(e)))
	if name == "EUNKNOWN" {
		return ""
	}
	return name
}

// ErrnoString returns the platform's message for e, as strerror(3) gives
// it ("No such file or directory"), or "Unknown error".
func ErrnoString(e syscall.Errno) string {
	return C.GoString(C.rshm_errno_string(errnum(e)))
}

// ErrnoHelp returns one or two sentences on what usually causes e with
// shared memory and what to do about it.
func ErrnoHelp(e syscall.Errno) string {
	return C.GoString(C.rshm_errno_help(errnum(e)))
}

// errnum is e as C's int; a value beyond it is one no platform defines,
// so it becomes -1, which the library names EUNKNOWN, rather than being
// cut to a known errno.
func errnum(e syscall.Errno) C.int {
	if e > math.MaxInt32 {
		return -1
	}
	return C.int(e)
}

// failed turns the errno cgo captured after a call that signalled failure
// into the error returned. The library sets errno on every failure; a nil
// err would mean a bug in it, reported as the library itself reports its
// bugs.
func failed(err error) error {
	if err == nil {
		return syscall.ENOTRECOVERABLE
	}
	return err
}

// status is the result of a C call that returns 0, or -1 and errno.
func status(r C.int, err error) error {
	if r != 0 {
		return failed(err)
	}
	return nil
}

// counted is the result of a C call that returns a byte count, or -1 and
// errno.
func counted(n C.int64_t, err error) (int, error) {
	if n < 0 {
		return 0, failed(err)
	}
	return int(n), nil
}

// descriptor is the result of a C call that returns a descriptor, or -1
// and errno.
func descriptor(fd C.int, err error) (int, error) {
	if fd < 0 {
		return -1, failed(err)
	}
	return int(fd), nil
}

// cstring checks that s can travel as a C string: C.CString would cut it
// at an inner NUL and name another object.
func cstring(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return syscall.EINVAL
	}
	return nil
}

// waitMs is a timeout in the whole milliseconds the open calls take: a
// partial millisecond counts as one, so that a positive timeout never
// turns into "look once"; beyond 2^32-1 ms, and for a negative timeout
// (wait as long as it takes), it is 2^32-1 ms, about 49 days.
func waitMs(d time.Duration) C.uint32_t {
	if d < 0 {
		return C.uint32_t(math.MaxUint32)
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > math.MaxUint32 {
		ms = math.MaxUint32
	}
	return C.uint32_t(ms)
}

// bytesPtr is the address of b's first byte for C, or nil for an empty
// slice (which may have no array behind it).
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// Every int argument is checked here before it reaches C, where a value
// beyond 32 bits would be cut to another one on the way: Close(1<<32 + fd)
// would close fd behind its owner's back. A descriptor out of range is
// EBADF (no such descriptor can be open), a flag, command or size EINVAL.

// cint checks that v, a flag, command or count, fits the C ABI's int.
func cint(v int) (C.int, error) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, syscall.EINVAL
	}
	return C.int(v), nil
}

// cuint checks that v, a set of flag bits, fits the C ABI's unsigned int:
// no negative value does.
func cuint(v int) (C.uint, error) {
	if v < 0 || uint64(v) > math.MaxUint32 {
		return 0, syscall.EINVAL
	}
	return C.uint(v), nil
}

// cfd checks that fd fits the C ABI's int. Negative values that fit go
// through: the C call answers EBADF for them, and Mmap's anonymous
// mappings take -1.
func cfd(fd int) (C.int, error) {
	if fd < math.MinInt32 || fd > math.MaxInt32 {
		return -1, syscall.EBADF
	}
	return C.int(fd), nil
}
