package rshm

// #include <rshm.h>
import "C"

import "time"

// Stat describes a shared-memory object: the fields of fstat(2) that
// matter for shared memory (C: rshm_stat).
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

// Fstat describes the object fd: fstat(2). Errors: EBADF, EOVERFLOW.
func Fstat(fd int) (Stat, error) {
	var st C.rshm_stat
	if r, err := C.rshm_fstat(C.int(fd), &st); r != 0 {
		return Stat{}, failed(err)
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
