package rshm_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	posix "github.com/rshm/rshm/go"
)

// Stat_t has the seed's fields with the seed's types (linux/amd64's).
var _ = func(st posix.Stat_t) (posix.DevT, uint64, uint64, posix.ModeT, uint32, uint32, posix.DevT, int64, int64, int64, posix.Timespec, posix.Timespec, posix.Timespec) {
	return st.Dev, st.Ino, st.Nlink, st.Mode, st.Uid, st.Gid, st.Rdev, st.Size, st.Blksize, st.Blocks, st.Atim, st.Mtim, st.Ctim
}

// seedName is a shared-memory name of this process's, removed when the test ends.
func seedName(t *testing.T, tag string) string {
	t.Helper()
	name := fmt.Sprintf("/rshm-test-%d-seed-%s", os.Getpid(), tag)
	t.Cleanup(func() { _ = posix.ShmUnlink(name) })
	return name
}

// memfd is a memfd of size bytes made with flags, closed when the test ends.
func memfd(t *testing.T, flags, size int) int {
	t.Helper()
	fd, err := posix.MemfdCreate("seed-test", flags)
	check(t, "MemfdCreate", err)
	t.Cleanup(func() { _ = posix.Close(fd) })
	check(t, "Ftruncate", posix.Ftruncate(fd, size))
	return fd
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// The error of each bad input, as the seed package gives it (the kernel's
// errno for what reaches the kernel, EINVAL for what it refuses itself).
func TestSeedErrors(t *testing.T) {
	page := posix.Getpagesize()
	fd := memfd(t, posix.MFD_ALLOW_SEALING, page)
	plain := memfd(t, 0, 0)
	name := seedName(t, "errors")
	shm, err := posix.ShmOpen(name, posix.O_RDWR|posix.O_CREAT|posix.O_EXCL, posix.S_IRUSR|posix.S_IWUSR)
	check(t, "ShmOpen", err)
	defer posix.Close(shm)
	buf, _, err := posix.Mmap(nil, 2*page, posix.PROT_RDWR, posix.MAP_ANON|posix.MAP_PRIVATE, -1, 0)
	check(t, "Mmap", err)
	var st posix.Stat_t
	call := func(f func() error) error { return f() }

	for _, c := range []struct {
		what string
		err  error
		want syscall.Errno // 0: success
	}{
		{"ShmOpen O_EXCL on an existing name", call(func() error {
			_, err := posix.ShmOpen(name, posix.O_RDWR|posix.O_CREAT|posix.O_EXCL, 0o600)
			return err
		}), syscall.EEXIST},
		{"ShmOpen a missing name", call(func() error { _, err := posix.ShmOpen(name+"-missing", posix.O_RDWR, 0); return err }), posix.ENOENT},
		{`ShmOpen("")`, call(func() error { _, err := posix.ShmOpen("", posix.O_RDWR|posix.O_CREAT, 0o600); return err }), posix.EINVAL},
		{"ShmOpen an inner slash", call(func() error { _, err := posix.ShmOpen("/a/b", posix.O_RDWR|posix.O_CREAT, 0o600); return err }), posix.EINVAL},
		{"ShmUnlink a missing name", posix.ShmUnlink(name + "-missing"), posix.ENOENT},
		{"MemfdCreate unknown flags", call(func() error { _, err := posix.MemfdCreate("x", 0x100); return err }), posix.EINVAL},
		{"Ftruncate a closed descriptor", posix.Ftruncate(-1, page), syscall.EBADF},
		{"Ftruncate negative", posix.Ftruncate(fd, -1), posix.EINVAL},
		{"Fstat a closed descriptor", posix.Fstat(-1, &st), syscall.EBADF},
		{"Fstat into nil", posix.Fstat(fd, nil), posix.EFAULT},
		{"Fchmod a closed descriptor", posix.Fchmod(-1, 0o600), syscall.EBADF},
		{"Fchown a closed descriptor", posix.Fchown(-1, -1, -1), syscall.EBADF},
		{"Fcntl a closed descriptor", call(func() error { _, err := posix.Fcntl(-1, posix.F_GETFD, 0); return err }), syscall.EBADF},
		{"Close a closed descriptor", posix.Close(-1), syscall.EBADF},
		{"Mmap length 0", call(func() error { _, _, err := posix.Mmap(nil, 0, posix.PROT_READ, posix.MAP_SHARED, fd, 0); return err }), posix.EINVAL},
		{"Mmap length -1", call(func() error { _, _, err := posix.Mmap(nil, -1, posix.PROT_READ, posix.MAP_SHARED, fd, 0); return err }), posix.EINVAL},
		{"Mmap a closed descriptor", call(func() error { _, _, err := posix.Mmap(nil, page, posix.PROT_READ, posix.MAP_SHARED, -1, 0); return err }), syscall.EBADF},
		{"Mmap an unaligned offset", call(func() error { _, _, err := posix.Mmap(nil, page, posix.PROT_READ, posix.MAP_SHARED, fd, 1); return err }), posix.EINVAL},
		{"Munmap(nil)", posix.Munmap(nil), posix.EINVAL},
		{"Munmap Go memory", posix.Munmap(make([]byte, 16)), posix.EINVAL},
		{"Munmap b[:n] of a live mapping", posix.Munmap(buf[:page]), posix.EINVAL},
		{"Munmap b[n:] of a live mapping", posix.Munmap(buf[page:]), posix.EINVAL},
		{"Mprotect(nil)", posix.Mprotect(nil, posix.PROT_READ), posix.EINVAL},
		{"Msync(nil)", posix.Msync(nil, posix.MS_SYNC), posix.EINVAL},
		{"Madvise(nil)", posix.Madvise(nil, posix.MADV_NORMAL), posix.EINVAL},
		{"Mprotect unaligned", posix.Mprotect(buf[1:], posix.PROT_READ), posix.EINVAL},
		{"Mlock(nil, 0)", posix.Mlock(nil, 0), 0},
		{"Munlock(nil, 0)", posix.Munlock(nil, 0), 0},
		{"Mlock(b, len(b))", posix.Mlock(buf, len(buf)), 0},
		{"Munlock(b, len(b))", posix.Munlock(buf, len(buf)), 0},
		{"Mlockall(0)", posix.Mlockall(0), posix.EINVAL},
		{"Munlockall()", posix.Munlockall(), 0},
		{"Fchmod", posix.Fchmod(shm, posix.S_IRUSR|posix.S_IWUSR|posix.S_IRGRP), 0},
		{"Fchmod a negative mode (rshm's check)", posix.Fchmod(shm, -1), posix.EINVAL},
		{"Fchown to the same owner", posix.Fchown(shm, os.Geteuid(), os.Getegid()), 0},
		{"Fchown unchanged", posix.Fchown(shm, -1, -1), 0},
		{"AddSeals a closed descriptor", posix.AddSeals(-1, posix.F_SEAL_GROW), syscall.EBADF},
		{"AddSeals without MFD_ALLOW_SEALING", posix.AddSeals(plain, posix.F_SEAL_GROW), posix.EPERM},
		{"AddSeals on a shm_open object (sealed from birth)", posix.AddSeals(shm, posix.F_SEAL_GROW), posix.EPERM},
		{"Seals a closed descriptor", call(func() error { _, err := posix.Seals(-1); return err }), syscall.EBADF},
	} {
		switch {
		case c.want == 0 && c.err != nil:
			t.Errorf("%s: %v, want success", c.what, c.err)
		case c.want != 0 && c.err != c.want:
			t.Errorf("%s: %v, want %s", c.what, c.err, posix.ErrnoName(c.want))
		case c.err != nil:
			if _, ok := c.err.(posix.Errno); !ok {
				t.Errorf("%s: %T is not a posix.Errno", c.what, c.err)
			}
		}
	}
	check(t, "Fstat", posix.Fstat(shm, &st))
	if st.Mode != posix.S_IFREG|0o640 || st.Uid != uint32(os.Geteuid()) {
		t.Errorf("after Fchmod and Fchown: mode %#o, uid %d", st.Mode, st.Uid)
	}
	check(t, "Munmap", posix.Munmap(buf))
	if err := posix.Munmap(buf); err != posix.EINVAL {
		t.Errorf("Munmap twice: %v, want EINVAL", err)
	}
}

// F_SEAL_WRITE is EBUSY while a writable shared mapping is live, then
// refuses a writable mapping; Seals reports what was added.
func TestSeedSeals(t *testing.T) {
	page := posix.Getpagesize()
	fd := memfd(t, posix.MFD_ALLOW_SEALING, page)
	w, _, err := posix.Mmap(nil, page, posix.PROT_RDWR, posix.MAP_SHARED, fd, 0)
	check(t, "Mmap", err)
	if err := posix.AddSeals(fd, posix.F_SEAL_WRITE); err != posix.EBUSY {
		t.Errorf("F_SEAL_WRITE with a writable mapping: %v, want EBUSY", err)
	}
	check(t, "Munmap", posix.Munmap(w))
	check(t, "AddSeals", posix.AddSeals(fd, posix.F_SEAL_WRITE|posix.F_SEAL_SHRINK))
	if s, err := posix.Seals(fd); err != nil || s != posix.F_SEAL_WRITE|posix.F_SEAL_SHRINK {
		t.Errorf("Seals = %#x, %v; want F_SEAL_WRITE|F_SEAL_SHRINK", s, err)
	}
	if _, _, err := posix.Mmap(nil, page, posix.PROT_RDWR, posix.MAP_SHARED, fd, 0); err != posix.EPERM {
		t.Errorf("a writable mapping after F_SEAL_WRITE: %v, want EPERM", err)
	}
	if err := posix.Ftruncate(fd, 0); err != posix.EPERM {
		t.Errorf("shrinking after F_SEAL_SHRINK: %v, want EPERM", err)
	}
}

func TestSeedFilePermStr(t *testing.T) {
	for _, c := range []struct {
		perm  posix.ModeT
		flags int
		want  string
	}{
		{0o755, 0, "[0755] rwxr-xr-x"},
		{0o4755, posix.FP_SPECIAL, "[4755] rwsr-xr-x"},
		{0o4755, 0, "[4755] rwxr-xr-x"},
		{0o100644, 0, "[100644] rw-r--r--"}, // the type bits are shown
		{0o4644, posix.FP_SPECIAL, "[4644] rwsr--r--"},
		{0o2640, posix.FP_SPECIAL, "[2640] rw-r-s---"},
		{0o1777, posix.FP_SPECIAL, "[1777] rwxrwxrws"},
		{0o7000, posix.FP_SPECIAL, "[7000] --s--s--s"},
		{0, 0, "[0000] ---------"},
	} {
		if got := posix.FilePermStr(c.perm, c.flags); got != c.want {
			t.Errorf("FilePermStr(%#o, %d) = %q, want %q", c.perm, c.flags, got, c.want)
		}
	}
}

// stdout runs f and returns what it printed to standard output.
func stdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	check(t, "Pipe", err)
	saved := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	os.Stdout = saved
	w.Close()
	out := <-done
	r.Close()
	return out
}

func TestSeedDisplayStatInfo(t *testing.T) {
	for _, c := range []struct {
		st   posix.Stat_t
		want string
	}{
		{posix.Stat_t{Dev: 0x01000002, Ino: 42, Nlink: 1, Mode: posix.S_IFCHR | 0o4755, Uid: 1000, Gid: 100, Rdev: 0x03000004, Size: 0, Blksize: 4096, Blocks: 8},
			"File type:                character device\n" +
				"Device containing i-node: major=1   minor=2\n" +
				"I-node number:            42\n" +
				"Mode:                     24755 ([24755] rwxr-xr-x)\n" +
				"    special bits set:     set-UID \n" +
				"Number of (hard) links:   1\n" +
				"Ownership:                UID=1000   GID=100\n" +
				"Device number (st_rdev):  major=3; minor=4\n" +
				"File size:                0 bytes\n" +
				"Optimal I/O block size:   4096 bytes\n" +
				"512B blocks allocated:    8\n"},
		{posix.Stat_t{Dev: 23, Ino: 7, Nlink: 0, Mode: posix.S_IFREG | 0o7600, Size: 12288, Blksize: 4096, Blocks: 24},
			"File type:                regular file\n" +
				"Device containing i-node: major=0   minor=23\n" +
				"I-node number:            7\n" +
				"Mode:                     107600 ([107600] rw-------)\n" +
				"    special bits set:     set-UID set-GID sticky \n" +
				"Number of (hard) links:   0\n" +
				"Ownership:                UID=0   GID=0\n" +
				"File size:                12288 bytes\n" +
				"Optimal I/O block size:   4096 bytes\n" +
				"512B blocks allocated:    24\n"},
		{posix.Stat_t{Mode: posix.S_IFSOCK | 0o777},
			"File type:                socket\n" +
				"Device containing i-node: major=0   minor=0\n" +
				"I-node number:            0\n" +
				"Mode:                     140777 ([140777] rwxrwxrwx)\n" +
				"Number of (hard) links:   0\n" +
				"Ownership:                UID=0   GID=0\n" +
				"File size:                0 bytes\n" +
				"Optimal I/O block size:   0 bytes\n" +
				"512B blocks allocated:    0\n"},
	} {
		st := c.st
		if got := stdout(t, st.DisplayStatInfo); got != c.want {
			t.Errorf("DisplayStatInfo printed\n%s\nwant\n%s", got, c.want)
		}
	}
	for _, c := range []struct {
		mode posix.ModeT
		want string
	}{
		{posix.S_IFDIR, "directory"}, {posix.S_IFBLK, "block device"}, {posix.S_IFLNK, "symbolic (soft) link"},
		{posix.S_IFIFO, "FIFO or pipe"}, {0, "unknown file type?"},
	} {
		st := posix.Stat_t{Mode: c.mode}
		if got := stdout(t, st.DisplayStatInfo); !strings.HasPrefix(got, "File type:                "+c.want+"\n") {
			t.Errorf("DisplayStatInfo of mode %#o begins %q, want file type %q", c.mode, strings.SplitN(got, "\n", 2)[0], c.want)
		}
	}
}

// Fstat describes any descriptor, as the kernel's fstat does, and the
// S_IS* methods name its type.
func TestSeedFstatAndModeTests(t *testing.T) {
	page := posix.Getpagesize()
	fd := memfd(t, posix.MFD_ALLOW_SEALING, 3*page)
	var st posix.Stat_t
	check(t, "Fstat", posix.Fstat(fd, &st))
	if st.Size != int64(3*page) || st.Uid != uint32(os.Geteuid()) || !st.Mode.S_ISREG() || st.Nlink != 0 || st.Blksize <= 0 || st.Ino == 0 {
		t.Errorf("Fstat of a memfd: %+v", st)
	}
	if st.Mtim.Sec == 0 || st.Ctim.Sec == 0 {
		t.Errorf("Fstat of a memfd has no times: %+v", st)
	}

	null, err := os.Open("/dev/null")
	check(t, "Open /dev/null", err)
	defer null.Close()
	check(t, "Fstat /dev/null", posix.Fstat(int(null.Fd()), &st))
	if !st.Mode.S_ISCHR() || st.Rdev != 0x103 { // makedev(1, 3)
		t.Errorf("/dev/null: mode %#o, Rdev %#x; want a character device, 0x103", st.Mode, st.Rdev)
	}
	dir, err := os.Open(t.TempDir())
	check(t, "Open a directory", err)
	defer dir.Close()
	check(t, "Fstat a directory", posix.Fstat(int(dir.Fd()), &st))
	if !st.Mode.S_ISDIR() {
		t.Errorf("a directory's mode %#o", st.Mode)
	}
	r, w, err := os.Pipe()
	check(t, "Pipe", err)
	defer r.Close()
	defer w.Close()
	check(t, "Fstat a pipe", posix.Fstat(int(r.Fd()), &st))
	if !st.Mode.S_ISFIFO() {
		t.Errorf("a pipe's mode %#o", st.Mode)
	}
	socks, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	check(t, "Socketpair", err)
	defer syscall.Close(socks[0])
	defer syscall.Close(socks[1])
	check(t, "Fstat a socket", posix.Fstat(socks[0], &st))
	if !st.Mode.S_ISSOCK() {
		t.Errorf("a socket's mode %#o", st.Mode)
	}
	types := []struct {
		name string
		test func(posix.ModeT) bool
		bits posix.ModeT
	}{
		{"S_ISREG", posix.ModeT.S_ISREG, posix.S_IFREG}, {"S_ISDIR", posix.ModeT.S_ISDIR, posix.S_IFDIR},
		{"S_ISCHR", posix.ModeT.S_ISCHR, posix.S_IFCHR}, {"S_ISBLK", posix.ModeT.S_ISBLK, posix.S_IFBLK},
		{"S_ISFIFO", posix.ModeT.S_ISFIFO, posix.S_IFIFO}, {"S_ISLNK", posix.ModeT.S_ISLNK, posix.S_IFLNK},
		{"S_ISSOCK", posix.ModeT.S_ISSOCK, posix.S_IFSOCK},
	}
	for _, m := range types {
		for _, other := range types {
			if got := m.test(other.bits | 0o7777); got != (m.bits == other.bits) {
				t.Errorf("%s(%#o) = %v", m.name, other.bits|0o7777, got)
			}
		}
	}
}

// Fcntl's F_GETFD/F_SETFD round trip of FD_CLOEXEC, as the seed's tests
// drive it, and ErrnoName on the errno of a failed call.
func TestSeedFcntlAndErrno(t *testing.T) {
	fd := memfd(t, 0, 0)
	flags, err := posix.Fcntl(fd, posix.F_GETFD, 0)
	if err != nil || flags&posix.FD_CLOEXEC != 0 {
		t.Fatalf("F_GETFD of a memfd made without MFD_CLOEXEC: %#x, %v", flags, err)
	}
	_, err = posix.Fcntl(fd, posix.F_SETFD, flags|posix.FD_CLOEXEC)
	check(t, "F_SETFD", err)
	if got, _ := posix.Fcntl(fd, posix.F_GETFD, 0); got&posix.FD_CLOEXEC == 0 {
		t.Errorf("FD_CLOEXEC not set after F_SETFD")
	}
	err = posix.Close(-1)
	no := err.(syscall.Errno) // the seed README's CheckErr does this
	if posix.ErrnoName(no) != "EBADF" || posix.ErrnoString(no) == "" || posix.ErrnoHelp(no) == "" {
		t.Errorf("EBADF: name %q, string %q, help %q", posix.ErrnoName(no), posix.ErrnoString(no), posix.ErrnoHelp(no))
	}
}

// The seed README's example (testdata/seedreadme, verbatim but for its
// import line) builds and runs.
func TestSeedReadmeExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program: skipped with -short")
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(t.TempDir(), "seedreadme")
	build := exec.Command(goCmd, "build", "-tags", buildTags, "-o", bin, "./testdata/seedreadme")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the seed README's example: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("the seed README's example failed: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "&{0x") {
		t.Errorf("the seed README's example printed %q, want its holder (&{0x...})", out)
	}
}
