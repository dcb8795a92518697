package rshm

import (
	"syscall"
	"testing"
)

// An int argument beyond C's 32-bit int is refused before it reaches C:
// EBADF for a descriptor, EINVAL for flags, commands and sizes. Cut to 32
// bits, Close(1<<32 + fd) would close fd and Ftruncate(1<<32 + fd, n)
// resize it. Only 64-bit platforms have such ints.
func TestWideIntsAreRefusedNotCut(t *testing.T) {
	const high = 1 << 32
	page := Getpagesize()
	fd := newMemfd(t, int64(page))
	wfd, ok := wideInt(high + int64(fd))
	if !ok {
		t.Skip("int is 32 bits: no argument can exceed C's int")
	}
	wide := func(v int) int { w, _ := wideInt(high + int64(v)); return w }
	sealable, err := MemfdCreate("rshm-go-wide", MFD_ALLOW_SEALING)
	must(t, "MemfdCreate", err)
	closeLater(t, sealable)
	mem, _, err := Mmap(nil, page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	defer Munmap(mem)
	socks, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	must(t, "Socketpair", err)
	closeLater(t, socks[0])
	closeLater(t, socks[1])
	name := testName(t, "wide")
	var st Stat_t
	stBefore, err := FstatInfo(fd)
	must(t, "FstatInfo", err)

	call := func(f func() error) error { return f() }
	for _, c := range []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"Close", Close(wfd), syscall.EBADF},
		{"Ftruncate", Ftruncate(wfd, 2*page), syscall.EBADF},
		{"FtruncateInt64", FtruncateInt64(wfd, int64(2*page)), syscall.EBADF},
		{"Fstat", Fstat(wfd, &st), syscall.EBADF},
		{"FstatInfo", call(func() error { _, err := FstatInfo(wfd); return err }), syscall.EBADF},
		{"Fchmod fd", Fchmod(wfd, 0o600), syscall.EBADF},
		{"Fchmod mode", Fchmod(fd, wide(0o600)), syscall.EINVAL},
		{"Fchown", Fchown(wfd, -1, -1), syscall.EBADF},
		{"Fallocate", Fallocate(wfd, 0, int64(page)), syscall.EBADF},
		{"Fcntl fd", call(func() error { _, err := Fcntl(wfd, F_GETFD, 0); return err }), syscall.EBADF},
		{"Fcntl cmd", call(func() error { _, err := Fcntl(fd, wide(F_GETFD), 0); return err }), syscall.EINVAL},
		{"Fcntl arg", call(func() error { _, err := Fcntl(fd, F_SETFD, wide(FD_CLOEXEC)); return err }), syscall.EINVAL},
		{"Mmap fd", call(func() error { _, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, wfd, 0); return err }), syscall.EBADF},
		{"Mmap prot", call(func() error { _, _, err := Mmap(nil, page, wide(PROT_READ), MAP_SHARED, fd, 0); return err }), syscall.EINVAL},
		{"Mmap flags", call(func() error { _, _, err := Mmap(nil, page, PROT_READ, wide(MAP_SHARED), fd, 0); return err }), syscall.EINVAL},
		{"MmapFixed fd", call(func() error { _, err := MmapFixed(nil, page, PROT_READ, MAP_SHARED, wfd, 0); return err }), syscall.EBADF},
		{"MmapFixed prot", call(func() error { _, err := MmapFixed(nil, page, wide(PROT_READ), MAP_SHARED, fd, 0); return err }), syscall.EINVAL},
		{"Mprotect", Mprotect(mem, wide(PROT_READ)), syscall.EINVAL},
		{"Msync", Msync(mem, wide(MS_SYNC)), syscall.EINVAL},
		{"Madvise", Madvise(mem, wide(MADV_NORMAL)), syscall.EINVAL},
		{"Mlockall", Mlockall(wide(MCL_CURRENT)), syscall.EINVAL},
		{"AddSeals fd", AddSeals(wide(sealable), F_SEAL_GROW), syscall.EBADF},
		{"AddSeals seals", AddSeals(sealable, wide(F_SEAL_GROW)), syscall.EINVAL},
		{"Seals", call(func() error { _, err := Seals(wide(sealable)); return err }), syscall.EBADF},
		{"MemfdCreate flags", call(func() error { _, err := MemfdCreate("x", wide(MFD_CLOEXEC)); return err }), syscall.EINVAL},
		{"ShmOpen oflag", call(func() error { _, err := ShmOpen(name, wide(O_CREAT|O_RDWR), 0o600); return err }), syscall.EINVAL},
		{"SegmentOpen oflag", call(func() error { _, err := SegmentOpen(name, wide(O_RDONLY), 0); return err }), syscall.EINVAL},
		{"SendFd sock", SendFd(wide(socks[0]), fd), syscall.EBADF},
		{"SendFd fd", SendFd(socks[0], wfd), syscall.EBADF},
		{"RecvFd", call(func() error { _, err := RecvFd(wide(socks[1])); return err }), syscall.EBADF},
	} {
		if c.what == "SegmentOpen oflag" { // rshm's own object: an *Error
			wantDetail(t, c.what+" with an argument beyond 32 bits", c.err, c.want)
			continue
		}
		wantErrno(t, c.what+" with an argument beyond 32 bits", c.err, c.want)
	}

	// Nothing reached fd, the object, the seals or the name.
	if _, err := Fcntl(fd, F_GETFD, 0); err != nil {
		t.Fatalf("fd was closed through 1<<32 + fd: %v", err)
	}
	if st, _ := FstatInfo(fd); st.Size != int64(page) || st.Mode != stBefore.Mode {
		t.Errorf("fd's object changed: size %d, mode %#o; want %d, %#o", st.Size, st.Mode, page, stBefore.Mode)
	}
	if s, err := Seals(sealable); err != nil || s != 0 {
		t.Errorf("seals %#x, %v; want none", s, err)
	}
	if _, err := ShmOpen(name, O_RDONLY, 0); err == nil {
		t.Errorf("ShmOpen with a wide oflag created %s", name)
	}
	// Not cut to ENOENT: no errno has that value, so no name (as the seed).
	if got := ErrnoName(syscall.Errno(wide(int(syscall.ENOENT)))); got != "" {
		t.Errorf("ErrnoName(1<<32 + ENOENT) = %q, want \"\"", got)
	}
}
