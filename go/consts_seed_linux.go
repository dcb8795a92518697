package rshm

// #include <sys/mman.h>
import "C"

import "syscall"

// The seed package's Linux-only constants that rshm.h has no RSHM_* for,
// with the platform's values from package syscall.

// Advice for Madvise.
const (
	MADV_HWPOISON    = syscall.MADV_HWPOISON    // poison the pages, as a memory error would (privileged, for testing)
	MADV_MERGEABLE   = syscall.MADV_MERGEABLE   // let KSM merge identical pages
	MADV_UNMERGEABLE = syscall.MADV_UNMERGEABLE // undo MADV_MERGEABLE
)

// Mapping flags for Mmap. MAP_DENYWRITE and MAP_EXECUTABLE are ignored by
// the kernel; MAP_TYPE is the mask of the sharing type.
const (
	MAP_DENYWRITE  = syscall.MAP_DENYWRITE
	MAP_EXECUTABLE = syscall.MAP_EXECUTABLE
	MAP_GROWSDOWN  = syscall.MAP_GROWSDOWN // a stack that grows down
	MAP_LOCKED     = syscall.MAP_LOCKED    // lock the pages as Mlock does
	MAP_NONBLOCK   = syscall.MAP_NONBLOCK  // with MAP_POPULATE: no read-ahead
	MAP_STACK      = C.MAP_STACK           // the mapping is a stack (from C: package syscall lacks it on some platforms)
	MAP_TYPE       = syscall.MAP_TYPE      // the mask of MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE
)

// Flags of mount(2), which the seed package exports. Nothing here takes
// them; they are kept so that code written for it compiles. They share the
// MS_ prefix with Msync's MS_ASYNC, MS_SYNC and MS_INVALIDATE, which are
// another thing.
const (
	MS_ACTIVE      = syscall.MS_ACTIVE
	MS_BIND        = syscall.MS_BIND
	MS_DIRSYNC     = syscall.MS_DIRSYNC
	MS_I_VERSION   = syscall.MS_I_VERSION
	MS_KERNMOUNT   = syscall.MS_KERNMOUNT
	MS_MANDLOCK    = syscall.MS_MANDLOCK
	MS_MGC_MSK     = syscall.MS_MGC_MSK // beyond a 32-bit int: use it as a constant or int64
	MS_MGC_VAL     = syscall.MS_MGC_VAL
	MS_MOVE        = syscall.MS_MOVE
	MS_NOATIME     = syscall.MS_NOATIME
	MS_NODEV       = syscall.MS_NODEV
	MS_NODIRATIME  = syscall.MS_NODIRATIME
	MS_NOEXEC      = syscall.MS_NOEXEC
	MS_NOSUID      = syscall.MS_NOSUID
	MS_NOUSER      = syscall.MS_NOUSER
	MS_POSIXACL    = syscall.MS_POSIXACL
	MS_PRIVATE     = syscall.MS_PRIVATE
	MS_RDONLY      = syscall.MS_RDONLY
	MS_REC         = syscall.MS_REC
	MS_RELATIME    = syscall.MS_RELATIME
	MS_REMOUNT     = syscall.MS_REMOUNT
	MS_RMT_MASK    = syscall.MS_RMT_MASK
	MS_SHARED      = syscall.MS_SHARED
	MS_SILENT      = syscall.MS_SILENT
	MS_SLAVE       = syscall.MS_SLAVE
	MS_STRICTATIME = syscall.MS_STRICTATIME
	MS_SYNCHRONOUS = syscall.MS_SYNCHRONOUS
	MS_UNBINDABLE  = syscall.MS_UNBINDABLE
)
