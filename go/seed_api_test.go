package rshm_test

// The seed package's API, as a program switching from gopkg.in/ro-ag/posix.v1
// sees it: this file imports rshm under the seed's name and uses only the
// seed's names, with the seed's argument types. It compiles only if every
// name, signature and type is the seed's; its tests check the values and
// behaviour the seed documents.

import (
	"syscall"
	"testing"
	"unsafe"

	posix "github.com/rshm/rshm/go"
)

// Every function and method of the seed API, with its exact signature.
var (
	_ func(fd int, seals int) error                                                         = posix.AddSeals
	_ func(fd int) error                                                                    = posix.Close
	_ func(e syscall.Errno) string                                                          = posix.ErrnoHelp
	_ func(e syscall.Errno) string                                                          = posix.ErrnoName
	_ func(e syscall.Errno) string                                                          = posix.ErrnoString
	_ func(fd int, mode int) error                                                          = posix.Fchmod
	_ func(fd int, uid int, gid int) error                                                  = posix.Fchown
	_ func(fd int, cmd int, arg int) (val int, err error)                                   = posix.Fcntl
	_ func(perm posix.ModeT, flags int) string                                              = posix.FilePermStr
	_ func(fd int, stat *posix.Stat_t) error                                                = posix.Fstat
	_ func(fd int, length int) error                                                        = posix.Ftruncate
	_ func() int                                                                            = posix.Getpagesize
	_ func(b []byte, behav int) error                                                       = posix.Madvise
	_ func(name string, flags int) (fd int, err error)                                      = posix.MemfdCreate
	_ func(b []byte, size int) error                                                        = posix.Mlock
	_ func(flags int) error                                                                 = posix.Mlockall
	_ func(unsafe.Pointer, int, int, int, int, int64) (data []byte, add uintptr, err error) = posix.Mmap
	_ func(b []byte, prot int) error                                                        = posix.Mprotect
	_ func(b []byte, flags int) error                                                       = posix.Msync
	_ func(b []byte, size int) error                                                        = posix.Munlock
	_ func() error                                                                          = posix.Munlockall
	_ func(b []byte) error                                                                  = posix.Munmap
	_ func(fd int) (int, error)                                                             = posix.Seals
	_ func(name string, oflag int, mode uint32) (fd int, err error)                         = posix.ShmOpen
	_ func(path string) (err error)                                                         = posix.ShmUnlink
	_ func(*posix.Stat_t)                                                                   = (*posix.Stat_t).DisplayStatInfo
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISBLK
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISCHR
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISDIR
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISFIFO
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISLNK
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISREG
	_ func(posix.ModeT) bool                                                                = posix.ModeT.S_ISSOCK
)

// The types: Errno is syscall.Errno itself, Timespec has the seed's
// fields, and the permission and type bits are untyped, usable as ModeT,
// uint32 and int alike.
var (
	_ syscall.Errno  = posix.Errno(0)
	_ posix.Errno    = syscall.EINVAL
	_ posix.Errno    = posix.EINVAL // typed as in the seed, not untyped
	_ posix.Timespec = posix.Timespec{Sec: int64(0), Nsec: int64(0)}
	_ posix.ModeT    = posix.S_IRUSR | posix.S_IFREG
	_ uint32         = posix.S_IRUSR | posix.S_IWUSR
	_ int            = posix.S_IRWXU | posix.S_ISVTX
)

// Every constant of the seed API against the platform's value: package
// syscall's, which the seed's are, or the kernel's for the few the seed
// writes as numbers. int64, so that the 32-bit platforms' build holds
// MFD_HUGE_16GB and MS_MGC_MSK.
func TestSeedConstantsMatchThePlatform(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"EINVAL", int64(posix.EINVAL), int64(syscall.EINVAL)},
		{"EAGAIN", int64(posix.EAGAIN), int64(syscall.EAGAIN)},
		{"ENOENT", int64(posix.ENOENT), int64(syscall.ENOENT)},
		{"EFAULT", int64(posix.EFAULT), int64(syscall.EFAULT)},
		{"EPERM", int64(posix.EPERM), int64(syscall.EPERM)},
		{"EBUSY", int64(posix.EBUSY), int64(syscall.EBUSY)},
		{"O_RDWR", posix.O_RDWR, syscall.O_RDWR},
		{"O_CREAT", posix.O_CREAT, syscall.O_CREAT},
		{"O_EXCL", posix.O_EXCL, syscall.O_EXCL},
		{"O_NOFOLLOW", posix.O_NOFOLLOW, syscall.O_NOFOLLOW},
		{"O_RDONLY", posix.O_RDONLY, syscall.O_RDONLY},
		{"O_WRONLY", posix.O_WRONLY, syscall.O_WRONLY},
		{"O_ACCMODE", posix.O_ACCMODE, syscall.O_ACCMODE},
		{"O_CLOEXEC", posix.O_CLOEXEC, syscall.O_CLOEXEC},
		{"PROT_NONE", posix.PROT_NONE, syscall.PROT_NONE},
		{"PROT_READ", posix.PROT_READ, syscall.PROT_READ},
		{"PROT_WRITE", posix.PROT_WRITE, syscall.PROT_WRITE},
		{"PROT_EXEC", posix.PROT_EXEC, syscall.PROT_EXEC},
		{"PROT_RDWR", posix.PROT_RDWR, syscall.PROT_READ | syscall.PROT_WRITE},
		{"S_IRUSR", posix.S_IRUSR, syscall.S_IRUSR},
		{"S_IREAD", posix.S_IREAD, syscall.S_IREAD},
		{"S_IWUSR", posix.S_IWUSR, syscall.S_IWUSR},
		{"S_IWRITE", posix.S_IWRITE, syscall.S_IWRITE},
		{"S_IXUSR", posix.S_IXUSR, syscall.S_IXUSR},
		{"S_IEXEC", posix.S_IEXEC, syscall.S_IEXEC},
		{"S_IRWXU", posix.S_IRWXU, syscall.S_IRWXU},
		{"S_IRGRP", posix.S_IRGRP, syscall.S_IRGRP},
		{"S_IWGRP", posix.S_IWGRP, syscall.S_IWGRP},
		{"S_IXGRP", posix.S_IXGRP, syscall.S_IXGRP},
		{"S_IRWXG", posix.S_IRWXG, syscall.S_IRWXG},
		{"S_IROTH", posix.S_IROTH, syscall.S_IROTH},
		{"S_IWOTH", posix.S_IWOTH, syscall.S_IWOTH},
		{"S_IXOTH", posix.S_IXOTH, syscall.S_IXOTH},
		{"S_IRWXO", posix.S_IRWXO, syscall.S_IRWXO},
		{"S_ISUID", posix.S_ISUID, syscall.S_ISUID},
		{"S_ISGID", posix.S_ISGID, syscall.S_ISGID},
		{"S_ISVTX", posix.S_ISVTX, syscall.S_ISVTX},
		{"FP_SPECIAL", posix.FP_SPECIAL, 1},
		{"S_IFMT", posix.S_IFMT, syscall.S_IFMT},
		{"S_IFIFO", posix.S_IFIFO, syscall.S_IFIFO},
		{"S_IFCHR", posix.S_IFCHR, syscall.S_IFCHR},
		{"S_IFDIR", posix.S_IFDIR, syscall.S_IFDIR},
		{"S_IFBLK", posix.S_IFBLK, syscall.S_IFBLK},
		{"S_IFREG", posix.S_IFREG, syscall.S_IFREG},
		{"S_IFLNK", posix.S_IFLNK, syscall.S_IFLNK},
		{"S_IFSOCK", posix.S_IFSOCK, syscall.S_IFSOCK},
		{"MFD_ALLOW_SEALING", posix.MFD_ALLOW_SEALING, 0x2},
		{"MFD_CLOEXEC", posix.MFD_CLOEXEC, 0x1},
		{"MFD_HUGETLB", posix.MFD_HUGETLB, 0x4},
		{"MFD_HUGE_16GB", posix.MFD_HUGE_16GB, 0x88000000},
		{"MFD_HUGE_16MB", posix.MFD_HUGE_16MB, 0x60000000},
		{"MFD_HUGE_1GB", posix.MFD_HUGE_1GB, 0x78000000},
		{"MFD_HUGE_1MB", posix.MFD_HUGE_1MB, 0x50000000},
		{"MFD_HUGE_256MB", posix.MFD_HUGE_256MB, 0x70000000},
		{"MFD_HUGE_2GB", posix.MFD_HUGE_2GB, 0x7c000000},
		{"MFD_HUGE_2MB", posix.MFD_HUGE_2MB, 0x54000000},
		{"MFD_HUGE_32MB", posix.MFD_HUGE_32MB, 0x64000000},
		{"MFD_HUGE_512KB", posix.MFD_HUGE_512KB, 0x4c000000},
		{"MFD_HUGE_512MB", posix.MFD_HUGE_512MB, 0x74000000},
		{"MFD_HUGE_64KB", posix.MFD_HUGE_64KB, 0x40000000},
		{"MFD_HUGE_8MB", posix.MFD_HUGE_8MB, 0x5c000000},
		{"MFD_HUGE_MASK", posix.MFD_HUGE_MASK, 0x3f},
		{"MFD_HUGE_SHIFT", posix.MFD_HUGE_SHIFT, 0x1a},
		{"MCL_CURRENT", posix.MCL_CURRENT, syscall.MCL_CURRENT},
		{"MCL_FUTURE", posix.MCL_FUTURE, syscall.MCL_FUTURE},
		{"MADV_DONTNEED", posix.MADV_DONTNEED, syscall.MADV_DONTNEED},
		{"MADV_NORMAL", posix.MADV_NORMAL, syscall.MADV_NORMAL},
		{"MADV_RANDOM", posix.MADV_RANDOM, syscall.MADV_RANDOM},
		{"MADV_SEQUENTIAL", posix.MADV_SEQUENTIAL, syscall.MADV_SEQUENTIAL},
		{"MADV_WILLNEED", posix.MADV_WILLNEED, syscall.MADV_WILLNEED},
		{"MAP_ANON", posix.MAP_ANON, syscall.MAP_ANON},
		{"MAP_ANONYMOUS", posix.MAP_ANONYMOUS, syscall.MAP_ANON},
		{"MAP_FILE", posix.MAP_FILE, syscall.MAP_FILE},
		{"MAP_FIXED", posix.MAP_FIXED, syscall.MAP_FIXED},
		{"MAP_NORESERVE", posix.MAP_NORESERVE, syscall.MAP_NORESERVE},
		{"MAP_PRIVATE", posix.MAP_PRIVATE, syscall.MAP_PRIVATE},
		{"MAP_SHARED", posix.MAP_SHARED, syscall.MAP_SHARED},
		{"MS_ASYNC", posix.MS_ASYNC, syscall.MS_ASYNC},
		{"MS_INVALIDATE", posix.MS_INVALIDATE, syscall.MS_INVALIDATE},
		{"MS_SYNC", posix.MS_SYNC, syscall.MS_SYNC},
		{"NAME_MAX", posix.NAME_MAX, syscall.NAME_MAX},
		{"F_GETFD", posix.F_GETFD, syscall.F_GETFD},
		{"F_SETFD", posix.F_SETFD, syscall.F_SETFD},
		{"FD_CLOEXEC", posix.FD_CLOEXEC, syscall.FD_CLOEXEC},
		{"MADV_HUGEPAGE", posix.MADV_HUGEPAGE, syscall.MADV_HUGEPAGE},
		{"MADV_HWPOISON", posix.MADV_HWPOISON, syscall.MADV_HWPOISON},
		{"MADV_MERGEABLE", posix.MADV_MERGEABLE, syscall.MADV_MERGEABLE},
		{"MADV_NOHUGEPAGE", posix.MADV_NOHUGEPAGE, syscall.MADV_NOHUGEPAGE},
		{"MADV_DOFORK", posix.MADV_DOFORK, syscall.MADV_DOFORK},
		{"MADV_DONTFORK", posix.MADV_DONTFORK, syscall.MADV_DONTFORK},
		{"MADV_REMOVE", posix.MADV_REMOVE, syscall.MADV_REMOVE},
		{"MADV_UNMERGEABLE", posix.MADV_UNMERGEABLE, syscall.MADV_UNMERGEABLE},
		{"MAP_DENYWRITE", posix.MAP_DENYWRITE, syscall.MAP_DENYWRITE},
		{"MAP_EXECUTABLE", posix.MAP_EXECUTABLE, syscall.MAP_EXECUTABLE},
		{"MAP_GROWSDOWN", posix.MAP_GROWSDOWN, syscall.MAP_GROWSDOWN},
		{"MAP_HUGETLB", posix.MAP_HUGETLB, 0x40000}, // not in package syscall on linux/arm; the same on x86, arm and arm64
		{"MAP_LOCKED", posix.MAP_LOCKED, syscall.MAP_LOCKED},
		{"MAP_NONBLOCK", posix.MAP_NONBLOCK, syscall.MAP_NONBLOCK},
		{"MAP_POPULATE", posix.MAP_POPULATE, syscall.MAP_POPULATE},
		{"MAP_STACK", posix.MAP_STACK, 0x20000},
		{"MAP_TYPE", posix.MAP_TYPE, syscall.MAP_TYPE},
		{"MS_ACTIVE", posix.MS_ACTIVE, syscall.MS_ACTIVE},
		{"MS_I_VERSION", posix.MS_I_VERSION, syscall.MS_I_VERSION},
		{"MS_KERNMOUNT", posix.MS_KERNMOUNT, syscall.MS_KERNMOUNT},
		{"MS_MANDLOCK", posix.MS_MANDLOCK, syscall.MS_MANDLOCK},
		{"MS_MGC_MSK", posix.MS_MGC_MSK, syscall.MS_MGC_MSK},
		{"MS_MGC_VAL", posix.MS_MGC_VAL, syscall.MS_MGC_VAL},
		{"MS_MOVE", posix.MS_MOVE, syscall.MS_MOVE},
		{"MS_NOATIME", posix.MS_NOATIME, syscall.MS_NOATIME},
		{"MS_NODEV", posix.MS_NODEV, syscall.MS_NODEV},
		{"MS_NODIRATIME", posix.MS_NODIRATIME, syscall.MS_NODIRATIME},
		{"MS_NOEXEC", posix.MS_NOEXEC, syscall.MS_NOEXEC},
		{"MS_NOSUID", posix.MS_NOSUID, syscall.MS_NOSUID},
		{"MS_NOUSER", posix.MS_NOUSER, syscall.MS_NOUSER},
		{"MS_POSIXACL", posix.MS_POSIXACL, syscall.MS_POSIXACL},
		{"MS_PRIVATE", posix.MS_PRIVATE, syscall.MS_PRIVATE},
		{"MS_RDONLY", posix.MS_RDONLY, syscall.MS_RDONLY},
		{"MS_REC", posix.MS_REC, syscall.MS_REC},
		{"MS_RELATIME", posix.MS_RELATIME, syscall.MS_RELATIME},
		{"MS_REMOUNT", posix.MS_REMOUNT, syscall.MS_REMOUNT},
		{"MS_RMT_MASK", posix.MS_RMT_MASK, syscall.MS_RMT_MASK},
		{"MS_SHARED", posix.MS_SHARED, syscall.MS_SHARED},
		{"MS_SILENT", posix.MS_SILENT, syscall.MS_SILENT},
		{"MS_SLAVE", posix.MS_SLAVE, syscall.MS_SLAVE},
		{"MS_STRICTATIME", posix.MS_STRICTATIME, syscall.MS_STRICTATIME},
		{"MS_SYNCHRONOUS", posix.MS_SYNCHRONOUS, syscall.MS_SYNCHRONOUS},
		{"MS_UNBINDABLE", posix.MS_UNBINDABLE, syscall.MS_UNBINDABLE},
		{"MS_BIND", posix.MS_BIND, syscall.MS_BIND},
		{"MS_DIRSYNC", posix.MS_DIRSYNC, syscall.MS_DIRSYNC},
		{"F_SEAL_SEAL", posix.F_SEAL_SEAL, 0x1},
		{"F_SEAL_SHRINK", posix.F_SEAL_SHRINK, 0x2},
		{"F_SEAL_GROW", posix.F_SEAL_GROW, 0x4},
		{"F_SEAL_WRITE", posix.F_SEAL_WRITE, 0x8},
		{"F_SEAL_FUTURE_WRITE", posix.F_SEAL_FUTURE_WRITE, 0x10},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, the platform has %#x", c.name, c.got, c.want)
		}
	}
}
