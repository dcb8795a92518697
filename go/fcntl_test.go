package rshm

import (
	"math"
	"syscall"
	"testing"
)

func TestFcntl(t *testing.T) {
	fd := newMemfd(t, 0)
	flags, err := Fcntl(fd, syscall.F_GETFD, 0)
	must(t, "Fcntl F_GETFD", err)
	if flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("memfd made with MFD_CLOEXEC: F_GETFD = %#x", flags)
	}
	_, err = Fcntl(fd, syscall.F_SETFD, 0)
	must(t, "Fcntl F_SETFD 0", err)
	if flags, _ := Fcntl(fd, syscall.F_GETFD, 0); flags != 0 {
		t.Errorf("after F_SETFD 0, F_GETFD = %#x", flags)
	}
	dup, err := Fcntl(fd, syscall.F_DUPFD_CLOEXEC, 100)
	must(t, "Fcntl F_DUPFD_CLOEXEC", err)
	closeLater(t, dup)
	if dup < 100 {
		t.Errorf("F_DUPFD_CLOEXEC 100 returned %d", dup)
	}
	if fl, _ := Fcntl(fd, syscall.F_GETFL, 0); fl&syscall.O_ACCMODE != O_RDWR {
		t.Errorf("F_GETFL = %#x, want O_RDWR access", fl)
	}

	_, err = Fcntl(fd, syscall.F_GETLK, 0)
	wantErrno(t, "Fcntl with a pointer command", err, syscall.EINVAL)
	_, err = Fcntl(fd, 0x7fff, 0)
	wantErrno(t, "Fcntl unknown command", err, syscall.EINVAL)
	if big, ok := wideInt(math.MaxInt32 + 1); ok {
		_, err = Fcntl(fd, syscall.F_SETFD, big)
		wantErrno(t, "Fcntl arg beyond int", err, syscall.EINVAL)
	}
	_, err = Fcntl(-1, syscall.F_GETFD, 0)
	wantErrno(t, "Fcntl bad fd", err, syscall.EBADF)
}

func TestFallocate(t *testing.T) {
	page := int64(Getpagesize())
	name := testName(t, "fallocate")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "Fallocate", Fallocate(fd, 0, 4*page))
	st, err := FstatInfo(fd)
	must(t, "Fstat", err)
	if st.Size != 4*page || st.Blocks*512 < st.Size {
		t.Errorf("after Fallocate of 4 pages: size %d, %d blocks", st.Size, st.Blocks)
	}
	must(t, "Fallocate inside", Fallocate(fd, page, page))
	if st, _ := FstatInfo(fd); st.Size != 4*page {
		t.Errorf("Fallocate inside the object changed its size to %d", st.Size)
	}

	wantErrno(t, "Fallocate negative offset", Fallocate(fd, -1, 10), syscall.EINVAL)
	wantErrno(t, "Fallocate length 0", Fallocate(fd, 0, 0), syscall.EINVAL)
	wantErrno(t, "Fallocate negative length", Fallocate(fd, 0, -5), syscall.EINVAL)
	wantErrno(t, "Fallocate past the largest size", Fallocate(fd, math.MaxInt64, 1), syscall.EFBIG)
	wantErrno(t, "Fallocate beyond /dev/shm", Fallocate(fd, 0, 1<<50), syscall.ENOSPC)
	if st, _ := FstatInfo(fd); st.Size != 4*page {
		t.Errorf("a failed Fallocate changed the size to %d", st.Size)
	}
	wantErrno(t, "Fallocate bad fd", Fallocate(-1, 0, 1), syscall.EBADF)
	ro, err := ShmOpen(name, O_RDONLY, 0)
	must(t, "ShmOpen O_RDONLY", err)
	closeLater(t, ro)
	wantErrno(t, "Fallocate read-only fd", Fallocate(ro, 0, 8*page), syscall.EBADF)
}
