package rshm

// #include <stdlib.h>
// #include <rshm.h>
import "C"

import "unsafe"

// MemfdCreate creates an anonymous shared-memory file: memfd_create(2).
// name labels it in /proc/PID/fd ("memfd:name") and need not be unique;
// flags or-s MFD_CLOEXEC and MFD_ALLOW_SEALING (and MFD_HUGETLB on Linux,
// with an MFD_HUGE_* size). flags is an int, as in the seed package: where
// int is 32 bits, MFD_HUGE_16GB does not fit it, so a 32-bit program
// cannot ask for 16 GiB pages.
//
// It returns a descriptor of size 0 the caller owns (release it with
// Close). Nothing is left in /dev/shm: share it with a child through
// exec.Cmd.ExtraFiles. Errors: EINVAL (unknown flags, negative or beyond
// 32 bits, a name of 250 bytes or more, or a NUL byte in it), EMFILE/ENFILE, ENOMEM, EPERM, ENOSYS.
func MemfdCreate(name string, flags int) (int, error) {
	if err := cstring(name); err != nil {
		return -1, err
	}
	cflags, err := cuint(flags)
	if err != nil {
		return -1, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	fd, err := C.rshm_memfd_create(cname, cflags)
	if fd < 0 {
		return -1, failed(err)
	}
	return int(fd), nil
}
