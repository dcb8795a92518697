package rshm

// #include <rshm.h>
import "C"

import "syscall"

// DevT is a device number, as in Stat_t's Dev and Rdev.
type DevT int32

// ModeT is a file's type and permission bits, as in Stat_t's Mode.
type ModeT uint16

// Stat_t is the seed package's description of a file on macOS, which
// Fstat fills: the fields and types of macOS's struct stat. It is filled
// field by field; read its fields by name.
type Stat_t struct {
	Dev     DevT     // device of the file system holding the file
	Mode    ModeT    // file type and permission bits
	Nlink   uint16   // number of names
	Ino     uint64   // inode number
	Uid     uint32   // owner's user id
	Gid     uint32   // owner's group id
	Rdev    DevT     // the device a character or block device file stands for
	Atim    Timespec // last access
	Mtim    Timespec // last modification of the contents
	Ctim    Timespec // last status change
	Btim    Timespec // creation
	Size    int64    // size in bytes
	Blocks  int64    // 512-byte blocks allocated
	Blksize int32    // preferred I/O block size
	Flags   uint32   // user-defined flags (chflags)
	Gen     uint32   // file generation number
	Lspare  int32
	Qspare  [2]int64
}

// fillStat sets *stat from rshm's description of fd, and the fields
// rshm_stat lacks (Rdev, Btim, Flags, Gen) from the kernel's.
func fillStat(stat *Stat_t, fd int, st *C.rshm_stat) {
	*stat = Stat_t{
		Dev:     DevT(st.dev),
		Mode:    ModeT(st.mode),
		Nlink:   uint16(st.nlink),
		Ino:     uint64(st.ino),
		Uid:     uint32(st.uid),
		Gid:     uint32(st.gid),
		Atim:    timespec(st.atime_sec, st.atime_nsec),
		Mtim:    timespec(st.mtime_sec, st.mtime_nsec),
		Ctim:    timespec(st.ctime_sec, st.ctime_nsec),
		Size:    int64(st.size),
		Blocks:  int64(st.blocks),
		Blksize: int32(st.blksize),
	}
	var sys syscall.Stat_t
	if syscall.Fstat(fd, &sys) == nil {
		stat.Rdev = DevT(sys.Rdev)
		stat.Btim = Timespec{Sec: sys.Birthtimespec.Sec, Nsec: sys.Birthtimespec.Nsec}
		stat.Flags = sys.Flags
		stat.Gen = sys.Gen
	}
}

// ShmAnonymous creates an anonymous shared-memory object, with no name
// left behind, and returns a descriptor for it that a child inherits
// across exec (close-on-exec clear): the seed package's macOS call, the
// counterpart of MemfdCreate (over which it is built here). The caller owns
// the descriptor (Close). Errors: MemfdCreate's, and Fcntl's.
func ShmAnonymous() (fd int, err error) {
	fd, err = MemfdCreate("shm-anonymous", 0)
	if err != nil {
		return -1, err
	}
	if _, err = Fcntl(fd, F_SETFD, 0); err != nil {
		_ = Close(fd)
		return -1, err
	}
	return fd, nil
}
