package rshm

// #include <rshm.h>
import "C"

import (
	"math"
	"strings"
	"syscall"
	"time"
)

// ErrnoName returns the symbolic name of e, e.g. "ENOENT", or "EUNKNOWN"
// for a value the platform does not define.
func ErrnoName(e syscall.Errno) string {
	return C.GoString(C.rshm_errno_name(C.int(e)))
}

// ErrnoString returns the platform's message for e, as strerror(3) gives
// it ("No such file or directory"), or "Unknown error".
func ErrnoString(e syscall.Errno) string {
	return C.GoString(C.rshm_errno_string(C.int(e)))
}

// ErrnoHelp returns one or two sentences on what usually causes e with
// shared memory and what to do about it.
func ErrnoHelp(e syscall.Errno) string {
	return C.GoString(C.rshm_errno_help(C.int(e)))
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

// cstring checks that s can travel as a C string: C.CString would cut it
// at an inner NUL and name another object.
func cstring(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return syscall.EINVAL
	}
	return nil
}

// waitMs is a timeout of at least 0 in the whole milliseconds the open
// calls take: a partial millisecond counts as one, so that a positive
// timeout never turns into "look once", and beyond 2^32-1 ms it is that.
func waitMs(d time.Duration) C.uint32_t {
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > math.MaxUint32 {
		ms = math.MaxUint32
	}
	return C.uint32_t(ms)
}

// cint checks that v fits the C ABI's int: a larger value would be cut to
// another one on the way.
func cint(v int) (C.int, error) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, syscall.EINVAL
	}
	return C.int(v), nil
}
