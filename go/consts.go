package rshm

// #include <rshm.h>
import "C"

// Flags for ShmOpen, with the platform's values (from rshm.h).
const (
	O_RDONLY = C.RSHM_O_RDONLY // open for reading only
	O_WRONLY = C.RSHM_O_WRONLY // open for writing only
	O_RDWR   = C.RSHM_O_RDWR   // open for reading and writing
	O_CREAT  = C.RSHM_O_CREAT  // create the object if it does not exist
	O_EXCL   = C.RSHM_O_EXCL   // with O_CREAT: fail with EEXIST if it exists
	O_TRUNC  = C.RSHM_O_TRUNC  // truncate an existing object to size 0
	// O_CLOEXEC is accepted and always in effect: ShmOpen's descriptors are close-on-exec.
	O_CLOEXEC = C.RSHM_O_CLOEXEC
)

// Memory protection for Mmap.
const (
	PROT_NONE  = C.RSHM_PROT_NONE  // pages may not be accessed
	PROT_READ  = C.RSHM_PROT_READ  // pages may be read
	PROT_WRITE = C.RSHM_PROT_WRITE // pages may be written
	PROT_EXEC  = C.RSHM_PROT_EXEC  // pages may be executed
)

// Mapping flags for Mmap available on every platform.
const (
	MAP_SHARED    = C.RSHM_MAP_SHARED    // changes are seen by every mapping of the object
	MAP_PRIVATE   = C.RSHM_MAP_PRIVATE   // changes are private, copy-on-write
	MAP_FIXED     = C.RSHM_MAP_FIXED     // map exactly at addr, replacing what is there
	MAP_ANONYMOUS = C.RSHM_MAP_ANONYMOUS // zero-filled memory backed by no file (fd -1)
	MAP_NORESERVE = C.RSHM_MAP_NORESERVE // reserve no swap for the mapping
)

// Flags for MemfdCreate.
const (
	MFD_CLOEXEC       = C.RSHM_MFD_CLOEXEC       // close the descriptor on exec
	MFD_ALLOW_SEALING = C.RSHM_MFD_ALLOW_SEALING // allow seals to be added
)

// Seals of a memfd created with MFD_ALLOW_SEALING.
const (
	F_SEAL_SEAL         = C.RSHM_F_SEAL_SEAL         // forbid adding further seals
	F_SEAL_SHRINK       = C.RSHM_F_SEAL_SHRINK       // forbid shrinking
	F_SEAL_GROW         = C.RSHM_F_SEAL_GROW         // forbid growing
	F_SEAL_WRITE        = C.RSHM_F_SEAL_WRITE        // forbid writes and writable shared mappings
	F_SEAL_FUTURE_WRITE = C.RSHM_F_SEAL_FUTURE_WRITE // forbid new writes; existing mappings keep writing
)

// F_SEAL_EXEC forbids changing the file's execute bits (Linux 6.3+).
const F_SEAL_EXEC = C.RSHM_F_SEAL_EXEC

// Flags for Msync. MS_SYNC's value differs between platforms.
const (
	MS_ASYNC      = C.RSHM_MS_ASYNC      // start writing back and return at once
	MS_SYNC       = C.RSHM_MS_SYNC       // write back and wait
	MS_INVALIDATE = C.RSHM_MS_INVALIDATE // make other mappings of the file see the new contents
)

// Advice for Madvise available on every platform.
const (
	MADV_NORMAL     = C.RSHM_MADV_NORMAL     // no special treatment
	MADV_RANDOM     = C.RSHM_MADV_RANDOM     // expect random access: read ahead less
	MADV_SEQUENTIAL = C.RSHM_MADV_SEQUENTIAL // expect sequential access: read ahead more
	MADV_WILLNEED   = C.RSHM_MADV_WILLNEED   // needed soon: fault it in ahead
	// MADV_DONTNEED drops this process's pages: a shared object keeps its
	// contents, private anonymous memory reads back as zeros.
	MADV_DONTNEED = C.RSHM_MADV_DONTNEED
	MADV_FREE     = C.RSHM_MADV_FREE // the pages may be freed lazily (private anonymous memory)
)

// Flags for Mlockall.
const (
	MCL_CURRENT = C.RSHM_MCL_CURRENT // lock the pages mapped now
	MCL_FUTURE  = C.RSHM_MCL_FUTURE  // lock the pages mapped from now on
)

// MFD_HUGETLB backs a memfd with huge pages (Linux; macOS refuses it).
const MFD_HUGETLB = 0x4

// Huge page sizes for MemfdCreate with MFD_HUGETLB: log2 of the size,
// shifted left by MFD_HUGE_SHIFT (the kernel's encoding, the same on every
// platform; defined on macOS too, as in the seed package).
const (
	MFD_HUGE_SHIFT = 26
	MFD_HUGE_MASK  = 0x3f // the log2 size's mask once shifted down
	MFD_HUGE_64KB  = 16 << MFD_HUGE_SHIFT
	MFD_HUGE_512KB = 19 << MFD_HUGE_SHIFT
	MFD_HUGE_1MB   = 20 << MFD_HUGE_SHIFT
	MFD_HUGE_2MB   = 21 << MFD_HUGE_SHIFT
	MFD_HUGE_8MB   = 23 << MFD_HUGE_SHIFT
	MFD_HUGE_16MB  = 24 << MFD_HUGE_SHIFT
	MFD_HUGE_32MB  = 25 << MFD_HUGE_SHIFT
	MFD_HUGE_256MB = 28 << MFD_HUGE_SHIFT
	MFD_HUGE_512MB = 29 << MFD_HUGE_SHIFT
	MFD_HUGE_1GB   = 30 << MFD_HUGE_SHIFT
	MFD_HUGE_2GB   = 31 << MFD_HUGE_SHIFT
	MFD_HUGE_16GB  = 34 << MFD_HUGE_SHIFT // beyond a 32-bit int: use it as a constant or int64
)
