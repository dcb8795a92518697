package rshm

import (
	"syscall"
	"testing"
)

func TestSeals(t *testing.T) {
	page := Getpagesize()
	fd, err := MemfdCreate("rshm-go-seal", MFD_CLOEXEC|MFD_ALLOW_SEALING)
	must(t, "MemfdCreate", err)
	closeLater(t, fd)
	must(t, "Ftruncate", Ftruncate(fd, 2*page))
	if s, err := GetSeals(fd); err != nil || s != 0 {
		t.Fatalf("GetSeals on a new memfd = %#x, %v; want 0, nil", s, err)
	}

	// SHRINK: shrinking is EPERM, growing still works; GROW stops that too.
	must(t, "AddSeals SHRINK", AddSeals(fd, F_SEAL_SHRINK))
	wantErrno(t, "Ftruncate smaller after F_SEAL_SHRINK", Ftruncate(fd, page), syscall.EPERM)
	must(t, "Ftruncate larger after F_SEAL_SHRINK", Ftruncate(fd, 4*page))
	must(t, "AddSeals GROW", AddSeals(fd, F_SEAL_GROW))
	wantErrno(t, "Ftruncate larger after F_SEAL_GROW", Ftruncate(fd, 8*page), syscall.EPERM)
	wantErrno(t, "Fallocate past the end after F_SEAL_GROW", Fallocate(fd, 0, int64(8*page)), syscall.EPERM)

	// WRITE while a writable shared mapping exists: EBUSY; after it, a
	// writable shared Mmap is EPERM and a read-only one shows the contents.
	rw, _, err := Mmap(nil, page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	copy(rw, "sealed contents")
	wantErrno(t, "AddSeals WRITE with a writable mapping", AddSeals(fd, F_SEAL_WRITE), syscall.EBUSY)
	must(t, "Munmap", Munmap(rw))
	must(t, "AddSeals WRITE", AddSeals(fd, F_SEAL_WRITE))
	_, _, err = Mmap(nil, page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	wantErrno(t, "writable Mmap after F_SEAL_WRITE", err, syscall.EPERM)
	ro, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, fd, 0)
	must(t, "read-only Mmap after F_SEAL_WRITE", err)
	if got := string(ro[:15]); got != "sealed contents" {
		t.Errorf("sealed memfd reads %q", got)
	}
	must(t, "Munmap", Munmap(ro))
	want := F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
	if s, err := GetSeals(fd); err != nil || s != want {
		t.Errorf("GetSeals = %#x, %v; want %#x", s, err, want)
	}
	// Fcntl is the raw call: the same answer by another road.
	if s, err := Fcntl(fd, F_GET_SEALS, 0); err != nil || s != want {
		t.Errorf("Fcntl F_GET_SEALS = %#x, %v; want %#x", s, err, want)
	}

	// SEAL: no more seals.
	must(t, "AddSeals SEAL", AddSeals(fd, F_SEAL_SEAL))
	wantErrno(t, "AddSeals after F_SEAL_SEAL", AddSeals(fd, F_SEAL_FUTURE_WRITE), syscall.EPERM)
}

func TestSealErrors(t *testing.T) {
	// Without MFD_ALLOW_SEALING the memfd carries F_SEAL_SEAL.
	plain := newMemfd(t, 0)
	wantErrno(t, "AddSeals without MFD_ALLOW_SEALING", AddSeals(plain, F_SEAL_WRITE), syscall.EPERM)
	if s, err := GetSeals(plain); err != nil || s != F_SEAL_SEAL {
		t.Errorf("GetSeals without MFD_ALLOW_SEALING = %#x, %v; want F_SEAL_SEAL", s, err)
	}

	fd, err := MemfdCreate("rshm-go-seal-bits", MFD_CLOEXEC|MFD_ALLOW_SEALING)
	must(t, "MemfdCreate", err)
	closeLater(t, fd)
	wantErrno(t, "AddSeals unknown bit", AddSeals(fd, 0x8000), syscall.EINVAL)
	wantErrno(t, "AddSeals negative", AddSeals(fd, -1), syscall.EINVAL)
	if big, ok := wideInt(1 << 40); ok {
		wantErrno(t, "AddSeals beyond 32 bits", AddSeals(fd, big), syscall.EINVAL)
	}
	wantErrno(t, "AddSeals bad fd", AddSeals(-1, F_SEAL_WRITE), syscall.EBADF)
	_, err = GetSeals(-1)
	wantErrno(t, "GetSeals bad fd", err, syscall.EBADF)

	// A pipe has no seals.
	var p [2]int
	must(t, "Pipe", syscall.Pipe2(p[:], syscall.O_CLOEXEC))
	closeLater(t, p[0])
	closeLater(t, p[1])
	_, err = GetSeals(p[0])
	wantErrno(t, "GetSeals on a pipe", err, syscall.EINVAL)
	wantErrno(t, "AddSeals on a pipe", AddSeals(p[1], F_SEAL_WRITE), syscall.EINVAL)
}
