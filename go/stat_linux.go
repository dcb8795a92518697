package rshm

// #include <rshm.h>
import "C"

import "syscall"

// DevT is a device number, as in Stat_t's Dev and Rdev.
type DevT uint64

// ModeT is a file's type and permission bits, as in Stat_t's Mode.
type ModeT uint32

// Stat_t is the seed package's description of a file, which Fstat fills:
// the fields and types of linux/amd64's struct stat, on every Linux
// platform. It is filled field by field, not laid over the kernel's
// struct, so its layout promises nothing; read its fields by name.
type Stat_t struct {
	Dev   DevT   // device of the file system holding the file
	Ino   uint64 // inode number
	Nlink uint64 // number of names: 1 while named in /dev/shm, 0 for a memfd
	Mode  ModeT  // file type and permission bits (0o100600)
	Uid   uint32 // owner's user id
	Gid   uint32 // owner's group id

	Rdev    DevT     // the device a character or block device file stands for; 0 otherwise
	Size    int64    // size in bytes
	Blksize int64    // preferred I/O block size
	Blocks  int64    // 512-byte blocks allocated
	Atim    Timespec // last access
	Mtim    Timespec // last modification of the contents
	Ctim    Timespec // last status change
}

// fillStat sets *stat from rshm's description of fd.
func fillStat(stat *Stat_t, fd int, st *C.rshm_stat) {
	*stat = Stat_t{
		Dev:     DevT(st.dev),
		Ino:     uint64(st.ino),
		Nlink:   uint64(st.nlink),
		Mode:    ModeT(st.mode),
		Uid:     uint32(st.uid),
		Gid:     uint32(st.gid),
		Size:    int64(st.size),
		Blksize: int64(st.blksize),
		Blocks:  int64(st.blocks),
		Atim:    timespec(st.atime_sec, st.atime_nsec),
		Mtim:    timespec(st.mtime_sec, st.mtime_nsec),
		Ctim:    timespec(st.ctime_sec, st.ctime_nsec),
	}
	// rshm_stat has no st_rdev: it describes shared memory, which is never
	// a device. A device file asks the kernel again for it.
	if stat.Mode.S_ISCHR() || stat.Mode.S_ISBLK() {
		var sys syscall.Stat_t
		if syscall.Fstat(fd, &sys) == nil {
			stat.Rdev = DevT(sys.Rdev)
		}
	}
}
