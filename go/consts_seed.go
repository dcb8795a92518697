package rshm

import "syscall"

// The seed package's constants that rshm.h has no RSHM_* for, with the
// platform's values from package syscall, untyped like the seed's (the
// errno names excepted, which are syscall.Errno): a program may use the
// S_I* bits both as ModeT or uint32 and as int.

// Errno is the type of every error this package returns: errors.Is(err,
// ENOENT) and err.(Errno) both work.
type Errno = syscall.Errno

// The errno values the seed package names.
const (
	EINVAL = syscall.EINVAL
	EAGAIN = syscall.EAGAIN
	ENOENT = syscall.ENOENT
	EFAULT = syscall.EFAULT
	EPERM  = syscall.EPERM
	EBUSY  = syscall.EBUSY
)

// Open flags beyond ShmOpen's own (which always adds O_NOFOLLOW and
// O_CLOEXEC).
const (
	O_NOFOLLOW = syscall.O_NOFOLLOW // do not follow a symbolic link
	O_ACCMODE  = syscall.O_ACCMODE  // the access mode's bits: oflag&O_ACCMODE is O_RDONLY, O_WRONLY or O_RDWR
)

// PROT_RDWR is PROT_READ|PROT_WRITE.
const PROT_RDWR = PROT_READ | PROT_WRITE

// Mapping flags the seed package names: MAP_ANON is MAP_ANONYMOUS's other
// name; MAP_FILE is 0 on Linux, kept for old code.
const (
	MAP_ANON = MAP_ANONYMOUS
	MAP_FILE = syscall.MAP_FILE
)

// NAME_MAX is the longest file name, in bytes, the platform allows.
const NAME_MAX = syscall.NAME_MAX

// fcntl commands and flags for Fcntl.
const (
	F_GETFD    = syscall.F_GETFD    // the descriptor's flags
	F_SETFD    = syscall.F_SETFD    // set the descriptor's flags to arg
	FD_CLOEXEC = syscall.FD_CLOEXEC // close the descriptor on exec
)

// Permission bits of a mode (ShmOpen's mode, Fchmod, Stat_t.Mode).
const (
	S_IRUSR = syscall.S_IRUSR // the owner may read (0400)
	S_IWUSR = syscall.S_IWUSR // the owner may write (0200)
	S_IXUSR = syscall.S_IXUSR // the owner may execute (0100)
	S_IRWXU = syscall.S_IRWXU // S_IRUSR|S_IWUSR|S_IXUSR
	S_IRGRP = syscall.S_IRGRP // the group may read (040)
	S_IWGRP = syscall.S_IWGRP // the group may write (020)
	S_IXGRP = syscall.S_IXGRP // the group may execute (010)
	S_IRWXG = syscall.S_IRWXG // S_IRGRP|S_IWGRP|S_IXGRP
	S_IROTH = syscall.S_IROTH // others may read (04)
	S_IWOTH = syscall.S_IWOTH // others may write (02)
	S_IXOTH = syscall.S_IXOTH // others may execute (01)
	S_IRWXO = syscall.S_IRWXO // S_IROTH|S_IWOTH|S_IXOTH
	S_ISUID = syscall.S_ISUID // set-user-ID on execution (04000)
	S_ISGID = syscall.S_ISGID // set-group-ID on execution (02000)
	S_ISVTX = syscall.S_ISVTX // sticky (01000)

	// Deprecated: BSD's names for S_IRUSR, S_IWUSR and S_IXUSR.
	S_IREAD  = syscall.S_IREAD
	S_IWRITE = syscall.S_IWRITE // Deprecated: use S_IWUSR.
	S_IEXEC  = syscall.S_IEXEC  // Deprecated: use S_IXUSR.
)

// File-type bits of a mode (Stat_t.Mode&S_IFMT).
const (
	S_IFMT   = syscall.S_IFMT   // the file-type bits
	S_IFIFO  = syscall.S_IFIFO  // FIFO or pipe
	S_IFCHR  = syscall.S_IFCHR  // character device
	S_IFDIR  = syscall.S_IFDIR  // directory
	S_IFBLK  = syscall.S_IFBLK  // block device
	S_IFREG  = syscall.S_IFREG  // regular file (shared-memory objects and memfds)
	S_IFLNK  = syscall.S_IFLNK  // symbolic link
	S_IFSOCK = syscall.S_IFSOCK // socket
)
