package rshm

// #include <rshm.h>
import "C"

// ModeString shows the permission bits of mode as ls -l does, after their
// octal value: "[0600] rw-------", "[4755] rwsr-xr-x", "[1777] rwxrwxrwt".
// File-type bits (as in Stat.Mode) are ignored. Handy in messages about
// EACCES.
func ModeString(mode uint32) string {
	var buf [32]C.char
	// The buffer is larger than the 17 bytes the call needs, so it cannot
	// fail: its only errors are a NULL or short buffer.
	return C.GoString(C.rshm_mode_string(C.uint32_t(mode), &buf[0], C.size_t(len(buf))))
}
