package rshm

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestConstantsMatchThePlatform(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"O_RDONLY", O_RDONLY, syscall.O_RDONLY},
		{"O_WRONLY", O_WRONLY, syscall.O_WRONLY},
		{"O_RDWR", O_RDWR, syscall.O_RDWR},
		{"O_CREAT", O_CREAT, syscall.O_CREAT},
		{"O_EXCL", O_EXCL, syscall.O_EXCL},
		{"O_TRUNC", O_TRUNC, syscall.O_TRUNC},
		{"O_CLOEXEC", O_CLOEXEC, syscall.O_CLOEXEC},
		{"PROT_NONE", PROT_NONE, syscall.PROT_NONE},
		{"PROT_READ", PROT_READ, syscall.PROT_READ},
		{"PROT_WRITE", PROT_WRITE, syscall.PROT_WRITE},
		{"PROT_EXEC", PROT_EXEC, syscall.PROT_EXEC},
		{"MAP_SHARED", MAP_SHARED, syscall.MAP_SHARED},
		{"MAP_PRIVATE", MAP_PRIVATE, syscall.MAP_PRIVATE},
		{"MAP_FIXED", MAP_FIXED, syscall.MAP_FIXED},
		{"MAP_ANONYMOUS", MAP_ANONYMOUS, syscall.MAP_ANON},
		{"MAP_NORESERVE", MAP_NORESERVE, syscall.MAP_NORESERVE},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, platform has %#x", c.name, c.got, c.want)
		}
	}
	seals := []int{F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE}
	for i, s := range seals {
		if s != 1<<i {
			t.Errorf("seal %d = %#x, want %#x", i, s, 1<<i)
		}
	}
	if MFD_CLOEXEC != 1 || MFD_ALLOW_SEALING != 2 {
		t.Errorf("MFD_CLOEXEC=%d MFD_ALLOW_SEALING=%d, want 1 and 2", MFD_CLOEXEC, MFD_ALLOW_SEALING)
	}
}

func TestShmOpen(t *testing.T) {
	name := testName(t, "open")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen create", err)
	closeLater(t, fd)
	if fd < 0 {
		t.Fatalf("ShmOpen returned fd %d", fd)
	}

	again, err := ShmOpen(name, O_RDONLY, 0)
	must(t, "ShmOpen existing", err)
	closeLater(t, again)

	_, err = ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	wantErrno(t, "ShmOpen O_EXCL on an existing name", err, syscall.EEXIST)
	_, err = ShmOpen(testName(t, "missing"), O_RDWR, 0)
	wantErrno(t, "ShmOpen without O_CREAT", err, syscall.ENOENT)
	_, err = ShmOpen("/a/b", O_CREAT|O_RDWR, 0o600)
	wantErrno(t, "ShmOpen inner slash", err, syscall.EINVAL)
	_, err = ShmOpen("/rshm-test\x00-nul", O_CREAT|O_RDWR, 0o600)
	wantErrno(t, "ShmOpen NUL in name", err, syscall.EINVAL)
	// glibc reports a name over NAME_MAX as EINVAL, macOS as ENAMETOOLONG.
	_, err = ShmOpen("/"+strings.Repeat("n", 300), O_CREAT|O_RDWR, 0o600)
	if !errors.Is(err, syscall.ENAMETOOLONG) && !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ShmOpen long name: got %v, want ENAMETOOLONG or EINVAL", err)
	}
}

func TestShmUnlink(t *testing.T) {
	name := testName(t, "unlink")
	fd, err := ShmOpen(name, O_CREAT|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "ShmUnlink", ShmUnlink(name))
	wantErrno(t, "ShmUnlink twice", ShmUnlink(name), syscall.ENOENT)
	_, err = ShmOpen(name, O_RDWR, 0)
	wantErrno(t, "ShmOpen after unlink", err, syscall.ENOENT)
	wantErrno(t, "ShmUnlink NUL in name", ShmUnlink("/x\x00y"), syscall.EINVAL)
}

func TestFtruncateAndFstat(t *testing.T) {
	name := testName(t, "stat")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	size := int64(3 * Getpagesize())
	must(t, "FtruncateInt64", FtruncateInt64(fd, size))

	st, err := FstatInfo(fd)
	must(t, "Fstat", err)
	if st.Size != size {
		t.Errorf("Size = %d, want %d", st.Size, size)
	}
	if st.Mode != 0o100600 {
		t.Errorf("Mode = %#o, want 0100600", st.Mode)
	}
	if st.Nlink != 1 {
		t.Errorf("Nlink = %d, want 1 while named", st.Nlink)
	}
	if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getegid() {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getegid())
	}
	if st.Ino == 0 || st.Blksize == 0 || st.Mtime.IsZero() || st.Ctime.Unix() == 0 {
		t.Errorf("incomplete Stat: %+v", st)
	}

	wantErrno(t, "Ftruncate negative", Ftruncate(fd, -1), syscall.EINVAL)
	wantErrno(t, "Ftruncate bad fd", Ftruncate(-1, 4096), syscall.EBADF)
	ro, err := ShmOpen(name, O_RDONLY, 0)
	must(t, "ShmOpen read-only", err)
	closeLater(t, ro)
	wantErrno(t, "Ftruncate read-only fd", Ftruncate(ro, 0), syscall.EINVAL)
	_, err = FstatInfo(-1)
	wantErrno(t, "Fstat bad fd", err, syscall.EBADF)
}

func TestFchmod(t *testing.T) {
	fd, err := ShmOpen(testName(t, "chmod"), O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "Fchmod", Fchmod(fd, 0o640))
	st, err := FstatInfo(fd)
	must(t, "Fstat", err)
	if st.Mode&0o777 != 0o640 {
		t.Errorf("mode after Fchmod = %#o, want 0640", st.Mode&0o777)
	}
	wantErrno(t, "Fchmod bad fd", Fchmod(-1, 0o600), syscall.EBADF)
}

func TestFchown(t *testing.T) {
	fd := newMemfd(t, 0)
	must(t, "Fchown unchanged ids", Fchown(fd, -1, -1))
	must(t, "Fchown own ids", Fchown(fd, os.Getuid(), os.Getegid()))
	st, err := FstatInfo(fd)
	must(t, "Fstat", err)
	if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getegid() {
		t.Errorf("owner %d:%d after Fchown, want %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getegid())
	}
	wantErrno(t, "Fchown bad fd", Fchown(-1, -1, -1), syscall.EBADF)
	wantErrno(t, "Fchown uid -2", Fchown(fd, -2, -1), syscall.EINVAL)
	if big, ok := wideInt(1 << 32); ok {
		wantErrno(t, "Fchown gid 2^32", Fchown(fd, -1, big), syscall.EINVAL)
	}
}

func TestClose(t *testing.T) {
	fd, err := MemfdCreate("rshm-go-close", 0)
	must(t, "MemfdCreate", err)
	must(t, "Close", Close(fd))
	wantErrno(t, "Close twice", Close(fd), syscall.EBADF)
	_, err = FstatInfo(fd)
	wantErrno(t, "Fstat closed fd", err, syscall.EBADF)
}

func TestMemfdCreate(t *testing.T) {
	fd, err := MemfdCreate("rshm-go-memfd", MFD_CLOEXEC|MFD_ALLOW_SEALING)
	must(t, "MemfdCreate", err)
	closeLater(t, fd)
	st, err := FstatInfo(fd)
	must(t, "Fstat", err)
	if st.Size != 0 || st.Nlink != 0 {
		t.Errorf("new memfd: size %d nlink %d, want 0 and 0", st.Size, st.Nlink)
	}
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err == nil && !strings.HasPrefix(link, "/memfd:rshm-go-memfd") {
		t.Errorf("memfd link %q does not carry its name", link)
	}

	_, err = MemfdCreate("rshm-go-memfd", 1<<20)
	wantErrno(t, "MemfdCreate unknown flag", err, syscall.EINVAL)
	_, err = MemfdCreate(strings.Repeat("m", 250), 0)
	wantErrno(t, "MemfdCreate long name", err, syscall.EINVAL)
	_, err = MemfdCreate("a\x00b", 0)
	wantErrno(t, "MemfdCreate NUL in name", err, syscall.EINVAL)
}

func TestMmapSharesMemory(t *testing.T) {
	page := Getpagesize()
	fd := newMemfd(t, int64(2*page))
	w, waddr, err := Mmap(nil, 2*page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap writable", err)
	if len(w) != 2*page || cap(w) != 2*page || waddr != uintptr(unsafe.Pointer(&w[0])) || waddr%uintptr(page) != 0 {
		t.Fatalf("Mmap: len %d cap %d addr %#x, slice at %p", len(w), cap(w), waddr, &w[0])
	}
	r, raddr, err := Mmap(nil, page, PROT_READ, MAP_SHARED, fd, int64(page))
	must(t, "Mmap second page read-only", err)
	if raddr == waddr {
		t.Errorf("two mappings at one address %#x", raddr)
	}
	copy(w[page:], "through the other mapping")
	if !bytes.HasPrefix(r, []byte("through the other mapping")) {
		t.Errorf("read mapping sees %q", r[:25])
	}
	must(t, "Munmap read-only", Munmap(r))
	wantErrno(t, "Munmap resliced, same start and cap", Munmap(w[:1]), syscall.EINVAL)
	must(t, "Munmap", Munmap(w))
}

func TestMmapAtHint(t *testing.T) {
	page := Getpagesize()
	fd := newMemfd(t, int64(page))
	// A free range found by mapping and unmapping: the hint is then honoured.
	probe, at, err := Mmap(nil, page, PROT_READ, MAP_SHARED, fd, 0)
	must(t, "Mmap probe", err)
	hint := unsafe.Pointer(&probe[0]) // not Go memory: the GC ignores it
	must(t, "Munmap probe", Munmap(probe))
	data, got, err := Mmap(hint, page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap at a free hint", err)
	if got != at {
		t.Errorf("free hint %#x not honoured: mapped at %#x", at, got)
	}
	_, _, err = Mmap(hint, page, PROT_READ, MAP_SHARED|MAP_FIXED_NOREPLACE, fd, 0)
	wantErrno(t, "Mmap MAP_FIXED_NOREPLACE over a mapping", err, syscall.EEXIST)
	must(t, "Munmap", Munmap(data))
}

func TestMmapErrors(t *testing.T) {
	page := Getpagesize()
	fd := newMemfd(t, int64(page))
	_, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, -1, 0)
	wantErrno(t, "Mmap bad fd", err, syscall.EBADF)
	_, _, err = Mmap(nil, 0, PROT_READ, MAP_SHARED, fd, 0)
	wantErrno(t, "Mmap length 0", err, syscall.EINVAL)
	_, _, err = Mmap(nil, -page, PROT_READ, MAP_SHARED, fd, 0)
	wantErrno(t, "Mmap negative length", err, syscall.EINVAL)
	_, _, err = Mmap(nil, page, PROT_READ, MAP_SHARED, fd, 1)
	wantErrno(t, "Mmap unaligned offset", err, syscall.EINVAL)
	_, _, err = Mmap(nil, page, PROT_READ, 0, fd, 0)
	wantErrno(t, "Mmap neither shared nor private", err, syscall.EINVAL)

	name := testName(t, "ro")
	rw, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, rw)
	ro, err := ShmOpen(name, O_RDONLY, 0)
	must(t, "ShmOpen read-only", err)
	closeLater(t, ro)
	_, _, err = Mmap(nil, page, PROT_READ|PROT_WRITE, MAP_SHARED, ro, 0)
	wantErrno(t, "Mmap writable on a read-only fd", err, syscall.EACCES)
}

func TestMunmapErrors(t *testing.T) {
	page := Getpagesize()
	fd := newMemfd(t, int64(2*page))
	data, _, err := Mmap(nil, 2*page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	wantErrno(t, "Munmap nil", Munmap(nil), syscall.EINVAL)
	wantErrno(t, "Munmap empty reslice", Munmap(data[:0]), syscall.EINVAL)
	wantErrno(t, "Munmap Go memory", Munmap(make([]byte, page)), syscall.EINVAL)
	wantErrno(t, "Munmap interior slice", Munmap(data[page:]), syscall.EINVAL)
	wantErrno(t, "Munmap shortened capacity", Munmap(data[:page:page]), syscall.EINVAL)
	wantErrno(t, "Munmap shortened length (the seed's rule)", Munmap(data[:page]), syscall.EINVAL)
	data[0] = 1 // still mapped after the refused calls
	must(t, "Munmap", Munmap(data))
	wantErrno(t, "Munmap twice", Munmap(data), syscall.EINVAL)
}

func TestGetpagesize(t *testing.T) {
	if got := Getpagesize(); got != os.Getpagesize() || got&(got-1) != 0 {
		t.Errorf("Getpagesize = %d, os.Getpagesize = %d", got, os.Getpagesize())
	}
}

func TestErrnoText(t *testing.T) {
	if got := ErrnoName(syscall.ENOENT); got != "ENOENT" {
		t.Errorf("ErrnoName(ENOENT) = %q", got)
	}
	if got := ErrnoString(syscall.ENOENT); !strings.EqualFold(got, syscall.ENOENT.Error()) {
		t.Errorf("ErrnoString(ENOENT) = %q, want %q", got, syscall.ENOENT.Error())
	}
	for _, e := range []syscall.Errno{syscall.ENOENT, syscall.EEXIST, syscall.EINVAL, syscall.EBADF} {
		if ErrnoName(e) == "" || ErrnoString(e) == "" || ErrnoHelp(e) == "" {
			t.Errorf("errno %d: name %q string %q help %q", int(e), ErrnoName(e), ErrnoString(e), ErrnoHelp(e))
		}
	}
	// As the seed package: no name for a value the platform does not define.
	for _, e := range []syscall.Errno{0, 41, 9999} {
		if got := ErrnoName(e); got != "" {
			t.Errorf("ErrnoName(%d) = %q, want \"\"", int(e), got)
		}
		if ErrnoString(e) == "" || ErrnoHelp(e) == "" {
			t.Errorf("errno %d: string %q help %q", int(e), ErrnoString(e), ErrnoHelp(e))
		}
	}
	if got := ErrnoString(9999); got != "Unknown error" {
		t.Errorf("ErrnoString(9999) = %q, want Unknown error", got)
	}
}
