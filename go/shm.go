package rshm

// #include <stdlib.h>
// #include <rshm.h>
import "C"

import "unsafe"

// ShmOpen opens the shared-memory object name ("/name"), creating it with
// O_CREAT: shm_open(3). oflag is O_RDONLY or O_RDWR, optionally or-ed with
// O_CREAT, O_EXCL, O_TRUNC; mode gives a new object's permission bits
// (e.g. 0o600, the umask applies).
//
// It returns a close-on-exec descriptor the caller owns (release it with
// Close). The name stays in /dev/shm until ShmUnlink. Errors: EEXIST
// (O_CREAT|O_EXCL and the name exists), ENOENT (no such object, no
// O_CREAT), EACCES, EINVAL (bad name, a NUL byte in it, oflag beyond C's int), ENAMETOOLONG,
// EMFILE/ENFILE, ENOSPC.
func ShmOpen(name string, oflag int, mode uint32) (int, error) {
	if err := cstring(name); err != nil {
		return -1, err
	}
	coflag, err := cint(oflag)
	if err != nil {
		return -1, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	fd, err := C.rshm_shm_open(cname, coflag, C.uint32_t(mode))
	if fd < 0 {
		return -1, failed(err)
	}
	return int(fd), nil
}

// ShmUnlink removes the name of a shared-memory object: shm_unlink(3). The
// object lives on while any process has it open or mapped. Errors: ENOENT
// (no object has that name), EACCES, EINVAL, ENAMETOOLONG.
func ShmUnlink(name string) error {
	return unlinkName(name, func(cname *C.char) (C.int, error) {
		r, err := C.rshm_shm_unlink(cname)
		return r, err
	})
}

// unlinkName is ShmUnlink, SegmentUnlink and ChannelUnlink: it checks name,
// hands it to unlink (the C call, made there so that cgo returns its errno)
// as a C string, and maps the failure.
func unlinkName(name string, unlink func(*C.char) (C.int, error)) error {
	if err := cstring(name); err != nil {
		return err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if r, err := unlink(cname); r != 0 {
		return failed(err)
	}
	return nil
}
