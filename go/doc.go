// Package rshm is POSIX shared memory for Go: shm_open, mmap with an
// address hint, memfd_create and the rest, through cgo over librshm's C
// ABI (rshm.h).
//
// The standard library has no shm_open, and its syscall.Mmap does not take
// the address argument that programs sharing memory at an agreed address
// need; rshm offers both with the signatures of the familiar posix
// package. Every failure is a syscall.Errno, so errors.Is(err,
// syscall.ENOENT) works, and ErrnoName, ErrnoString and ErrnoHelp explain
// any errno; the calls that create, open or unlink rshm's own objects
// (Segment, Channel, Value, Topic) return an *Error that also carries the
// library's sentence about the failure and unwraps to its syscall.Errno.
//
// Beyond the raw calls, the package has what users of them get wrong
// again and again, made easy: sealing (AddSeals), descriptor passing
// (SendFd, RecvFd), memory control (Mprotect, Msync, Madvise, Mlock...),
// page reservation (Fallocate), exact fixed mappings that never replace
// one already there (MmapFixed), named segments (SegmentCreateInit,
// SegmentOpen) that no opener can see half made, waits on a word of shared
// memory (Wait, Wake), and process-shared mutexes that report a dead
// owner (Mutex).
//
// # The seed package
//
// The package is also a drop-in for gopkg.in/ro-ag/posix.v1: every name
// it exports is here with its signature, types, values and behaviour, so
// a program written for it switches by changing one import line, to
//
//	import posix "github.com/rshm/rshm/go"
//
// rshm's richer forms sit beside the seed's under other names
// (FtruncateInt64, FstatInfo, GetSeals, ModeString...). README.md lists
// which names are whose and the few differences.
//
// # Arguments, errors and ownership
//
// Every int argument is checked before it reaches C, where a value beyond
// 32 bits would be cut to another one: a descriptor that does not fit C's
// int is EBADF, a flag, command or size EINVAL. Descriptors and mappings
// belong to the caller, who releases them with Close and Munmap; they are
// never garbage collected. A Segment or Channel is released with Close,
// and one forgotten unclosed is closed by a finalizer when the garbage
// collector finds it: a safety net, not a substitute for Close.
//
// # Waiting
//
// A goroutine waiting in (*Channel).Recv or RecvContext parks on Go's
// netpoller through the channel's descriptor (Fd) and holds no OS thread
// while it waits; where there is no descriptor (macOS), it waits in a
// blocking cgo call. RecvContext ends with ctx.Err() when its context
// does.
//
// # Linking
//
// By default the package links the installed library through
// "#cgo pkg-config: rshm": set PKG_CONFIG_PATH when it is installed under a
// non-standard prefix (and LD_LIBRARY_PATH, or CGO_LDFLAGS=-Wl,-rpath,DIR,
// when that libdir is not searched at run time). Inside the rshm
// repository, build with -tags rshm_intree to link target/release/librshm
// instead (run make all first).
//
// # Example
//
// A writer creates a named object, sizes it and writes into it; any process
// that opens the same name sees the bytes:
//
//	fd, err := rshm.ShmOpen("/demo", rshm.O_CREAT|rshm.O_RDWR, 0o600)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer rshm.Close(fd)
//	if err := rshm.Ftruncate(fd, 4096); err != nil {
//		log.Fatal(err)
//	}
//	data, _, err := rshm.Mmap(nil, 4096, rshm.PROT_READ|rshm.PROT_WRITE, rshm.MAP_SHARED, fd, 0)
//	if err != nil {
//		log.Fatalf("%s: %s", rshm.ErrnoName(err.(syscall.Errno)), rshm.ErrnoHelp(err.(syscall.Errno)))
//	}
//	copy(data, "hello")
//	rshm.Munmap(data)
//	rshm.ShmUnlink("/demo") // once no process needs the name
package rshm
