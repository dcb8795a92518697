package rshm

// #include <rshm.h>
import "C"

// AddSeals adds seals (or-ed F_SEAL_*) to the file fd: fcntl(2)
// F_ADD_SEALS. Seals are never removed. They let the owner of a memfd made
// with MFD_ALLOW_SEALING hand it to another process with a promise: after
// F_SEAL_SHRINK it cannot shrink (no SIGBUS in the receiver), after
// F_SEAL_GROW it cannot grow, after F_SEAL_WRITE nobody can write to it
// and writable shared Mmaps fail with EPERM, after F_SEAL_SEAL no more
// seals can be added.
//
// Errors: EBADF, EINVAL (fd does not support seals, or seals has unknown
// or negative bits; F_SEAL_EXEC needs Linux 6.3), EPERM (made without
// MFD_ALLOW_SEALING, already sealed with F_SEAL_SEAL, or fd not open for
// writing), EBUSY (F_SEAL_WRITE while a writable shared mapping exists:
// Munmap it first), ENOSYS (macOS has no seals).
func AddSeals(fd int, seals int) error {
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	cseals, err := cuint(seals)
	if err != nil {
		return err
	}
	if r, err := C.rshm_add_seals(cfd, cseals); r != 0 {
		return failed(err)
	}
	return nil
}

// Seals returns the seals on the file fd (or-ed F_SEAL_*, 0 for none):
// fcntl(2) F_GET_SEALS. A memfd made without MFD_ALLOW_SEALING reports
// F_SEAL_SEAL. Errors: EBADF, EINVAL (the file does not support seals),
// ENOSYS (macOS).
func Seals(fd int) (int, error) {
	cfd, err := cfd(fd)
	if err != nil {
		return -1, err
	}
	r, err := C.rshm_get_seals(cfd)
	if r < 0 {
		return -1, failed(err)
	}
	return int(r), nil
}

// GetSeals is Seals under the name rshm's Go package first gave it.
func GetSeals(fd int) (int, error) {
	return Seals(fd)
}
