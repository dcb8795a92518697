package rshm

// #include <rshm.h>
import "C"

import (
	"syscall"
	"time"
)

// Stat describes a shared-memory object: the fields of fstat(2) that
// matter for shared memory (C: rshm_stat), with the times as time.Time.
// FstatInfo returns it; Fstat fills the seed package's Stat_t instead.
type Stat struct {
	Size    int64     // size in bytes, as set by Ftruncate
	Blocks  int64     // 512-byte blocks allocated: the memory really used
	Ino     uint64    // inode number: with Dev, identifies the object
	Dev     uint64    // device of the file system holding the object
	Nlink   uint64    // 1 while named in /dev/shm, 0 once unlinked and for memfds
	Mode    uint32    // file type and permission bits, as st_mode (0o100600); Mode&0o777 is the permissions
	Uid     uint32    // owner's user id
	Gid     uint32    // owner's group id
	Blksize uint32    // preferred I/O block size
	Atime   time.Time // last access
	Mtime   time.Time // last modification of the contents
	Ctime   time.Time // last status change (size, mode, owner)
}

// FstatInfo describes the object fd: fstat(2) (rshm's, not the seed
// package's: Fstat is that). Errors: EBADF (fd not open, or beyond C's
// int), EOVERFLOW.
func FstatInfo(fd int) (Stat, error) {
	st, err := fstat(fd)
	if err != nil {
		return Stat{}, err
	}
	return Stat{
		Size:    int64(st.size),
		Blocks:  int64(st.blocks),
		Ino:     uint64(st.ino),
		Dev:     uint64(st.dev),
		Nlink:   uint64(st.nlink),
		Mode:    uint32(st.mode),
		Uid:     uint32(st.uid),
		Gid:     uint32(st.gid),
		Blksize: uint32(st.blksize),
		Atime:   time.Unix(int64(st.atime_sec), int64(st.atime_nsec)),
		Mtime:   time.Unix(int64(st.mtime_sec), int64(st.mtime_nsec)),
		Ctime:   time.Unix(int64(st.ctime_sec), int64(st.ctime_nsec)),
	}, nil
}

// Fstat describes the object fd in *stat: fstat(2), with the seed
// package's signature. It works on any descriptor (a file, a directory, a
// pipe, a device), as fstat(2) does. Errors: EBADF (fd not open, or beyond
// C's int), EFAULT (stat nil), EOVERFLOW.
func Fstat(fd int, stat *Stat_t) error {
	st, err := fstat(fd)
	if err != nil {
		return err
	}
	if stat == nil {
		return syscall.EFAULT
	}
	fillStat(stat, fd, &st)
	return nil
}

// fstat is rshm_fstat on fd.
func fstat(fd int) (C.rshm_stat, error) {
	var st C.rshm_stat
	cfd, err := cfd(fd)
	if err != nil {
		return st, err
	}
	if r, err := C.rshm_fstat(cfd, &st); r != 0 {
		return st, failed(err)
	}
	return st, nil
}

// timespec is a time from rshm_stat as the seed package's Timespec.
func timespec(sec, nsec C.int64_t) Timespec {
	return Timespec{Sec: int64(sec), Nsec: int64(nsec)}
}
