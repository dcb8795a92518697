package rshm

import (
	"bytes"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
)

// writeFaults reports whether writing to b[0] faults (a read-only page).
func writeFaults(b []byte) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			faulted = true
		}
	}()
	b[0] = 1
	return false
}

// anonPages maps n private anonymous read-write pages, unmapped when the
// test ends unless the test unmapped them.
func anonPages(t *testing.T, n int) []byte {
	t.Helper()
	b, _, err := Mmap(nil, n*Getpagesize(), PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
	must(t, "Mmap anonymous", err)
	t.Cleanup(func() { _ = Munmap(b) })
	return b
}

func TestMprotect(t *testing.T) {
	page := Getpagesize()
	b := anonPages(t, 2)
	must(t, "Mprotect PROT_READ", Mprotect(b[:page], PROT_READ))
	if !writeFaults(b) {
		t.Errorf("a write to a PROT_READ page did not fault")
	}
	if writeFaults(b[page:]) {
		t.Errorf("a write to the page after the PROT_READ one faulted")
	}
	must(t, "Mprotect back to read-write", Mprotect(b[:page], PROT_READ|PROT_WRITE))
	if writeFaults(b) {
		t.Errorf("a write faulted after PROT_WRITE came back")
	}
	wantErrno(t, "Mprotect unaligned", Mprotect(b[1:page], PROT_READ), syscall.EINVAL)
	wantErrno(t, "Mprotect unknown prot", Mprotect(b, 0x100000), syscall.EINVAL)
	if big, ok := wideInt(1 << 40); ok {
		wantErrno(t, "Mprotect prot beyond int", Mprotect(b, big), syscall.EINVAL)
	}
	wantErrno(t, "Mprotect empty", Mprotect(nil, PROT_READ), syscall.EINVAL)

	// A shared mapping of a read-only descriptor cannot gain PROT_WRITE.
	name := testName(t, "mprotect")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "Ftruncate", Ftruncate(fd, page))
	ro, err := ShmOpen(name, O_RDONLY, 0)
	must(t, "ShmOpen O_RDONLY", err)
	closeLater(t, ro)
	m, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, ro, 0)
	must(t, "Mmap read-only", err)
	defer Munmap(m)
	wantErrno(t, "Mprotect PROT_WRITE on a read-only descriptor's mapping", Mprotect(m, PROT_READ|PROT_WRITE),
		syscall.EACCES)
}

func TestMadviseMsync(t *testing.T) {
	page := Getpagesize()
	// DONTNEED on private anonymous memory reads back zeros.
	b := anonPages(t, 2)
	for i := range b {
		b[i] = 0xaa
	}
	must(t, "Madvise DONTNEED", Madvise(b[:page], MADV_DONTNEED))
	if b[0] != 0 || b[page] != 0xaa {
		t.Errorf("after DONTNEED on the first page: %#x %#x, want 0 0xaa", b[0], b[page])
	}
	for _, a := range []int{MADV_WILLNEED, MADV_SEQUENTIAL, MADV_RANDOM, MADV_NORMAL} {
		must(t, "Madvise", Madvise(b, a))
	}
	wantErrno(t, "Madvise unaligned", Madvise(b[1:], MADV_NORMAL), syscall.EINVAL)
	wantErrno(t, "Madvise unknown advice", Madvise(b, 12345), syscall.EINVAL)
	wantErrno(t, "Madvise empty", Madvise(b[:0], MADV_NORMAL), syscall.EINVAL)

	// On a shared mapping Msync succeeds, and MADV_REMOVE frees the
	// object's pages, which then read as zeros.
	fd := newMemfd(t, int64(4*page))
	s, _, err := Mmap(nil, 4*page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap shared", err)
	defer Munmap(s)
	copy(s, bytes.Repeat([]byte{0x55}, len(s)))
	must(t, "Msync MS_SYNC", Msync(s, MS_SYNC))
	must(t, "Msync MS_ASYNC|MS_INVALIDATE", Msync(s, MS_ASYNC|MS_INVALIDATE))
	wantErrno(t, "Msync SYNC|ASYNC", Msync(s, MS_SYNC|MS_ASYNC), syscall.EINVAL)
	wantErrno(t, "Msync unaligned", Msync(s[1:], MS_SYNC), syscall.EINVAL)
	wantErrno(t, "Msync unknown flags", Msync(s, 0x1000), syscall.EINVAL)
	wantErrno(t, "Msync empty", Msync(nil, MS_SYNC), syscall.EINVAL)
	before, err := FstatInfo(fd)
	must(t, "Fstat", err)
	must(t, "Madvise MADV_REMOVE", Madvise(s[:2*page], MADV_REMOVE))
	if s[0] != 0 || s[2*page] != 0x55 {
		t.Errorf("after MADV_REMOVE of 2 pages: %#x %#x, want 0 0x55", s[0], s[2*page])
	}
	if after, _ := FstatInfo(fd); after.Blocks >= before.Blocks {
		t.Errorf("MADV_REMOVE freed nothing: %d blocks, then %d", before.Blocks, after.Blocks)
	}
	wantErrno(t, "Madvise MADV_REMOVE on a private mapping", Madvise(b, MADV_REMOVE), syscall.EINVAL)
}

func TestMlock(t *testing.T) {
	page := Getpagesize()
	b := anonPages(t, 2)
	must(t, "Mlock", Mlock(b, len(b)))
	must(t, "Munlock", Munlock(b, len(b)))
	// The seed package's edge cases: 0 bytes succeed, nil included; rshm
	// keeps the size within the slice's capacity.
	must(t, "Mlock(nil, 0)", Mlock(nil, 0))
	must(t, "Munlock(nil, 0)", Munlock(nil, 0))
	must(t, "Mlock(b[:0], page) within its capacity", Mlock(b[:0], page))
	must(t, "Munlock(b[:0], page)", Munlock(b[:0], page))
	wantErrno(t, "Mlock beyond the capacity", Mlock(b[:page:page], page+1), syscall.EINVAL)
	wantErrno(t, "Munlock beyond the capacity", Munlock(nil, 1), syscall.EINVAL)
	wantErrno(t, "Mlock negative size", Mlock(b, -1), syscall.EINVAL)

	// Nothing mapped: ENOMEM from every call. The slice is kept only for
	// its address; its memory is never touched again.
	gone, _, err := Mmap(nil, page, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
	must(t, "Mmap", err)
	must(t, "Munmap", Munmap(gone))
	wantErrno(t, "Mlock unmapped", Mlock(gone, page), syscall.ENOMEM)
	wantErrno(t, "Munlock unmapped", Munlock(gone, page), syscall.ENOMEM)
	wantErrno(t, "Mprotect unmapped", Mprotect(gone, PROT_READ), syscall.ENOMEM)
	wantErrno(t, "Msync unmapped", Msync(gone, MS_SYNC), syscall.ENOMEM)
	wantErrno(t, "Madvise unmapped", Madvise(gone, MADV_NORMAL), syscall.ENOMEM)
}

func TestMlockall(t *testing.T) {
	err := Mlockall(MCL_CURRENT)
	switch {
	case err == nil:
		must(t, "Munlockall", Munlockall())
	case os.Geteuid() != 0 && (err == syscall.ENOMEM || err == syscall.EPERM):
		// The whole Go process is more than an unprivileged RLIMIT_MEMLOCK.
		t.Logf("Mlockall(MCL_CURRENT) unprivileged: %v", err)
	default:
		t.Errorf("Mlockall(MCL_CURRENT): %v", err)
	}
	must(t, "Munlockall with nothing locked", Munlockall())
	wantErrno(t, "Mlockall 0", Mlockall(0), syscall.EINVAL)
	wantErrno(t, "Mlockall unknown flags", Mlockall(0x100), syscall.EINVAL)
	wantErrno(t, "Mlockall MCL_ONFAULT alone", Mlockall(MCL_ONFAULT), syscall.EINVAL)
	if big, ok := wideInt(1 << 40); ok {
		wantErrno(t, "Mlockall beyond int", Mlockall(big), syscall.EINVAL)
	}
}
