package rshm

// #include <rshm.h>
import "C"

// Mapping flags for Mmap that only Linux has.
const (
	MAP_SHARED_VALIDATE = C.RSHM_MAP_SHARED_VALIDATE // MAP_SHARED that rejects unknown flags with EOPNOTSUPP
	MAP_POPULATE        = C.RSHM_MAP_POPULATE        // fault every page in now
	MAP_HUGETLB         = C.RSHM_MAP_HUGETLB         // back the mapping with huge pages
	MAP_FIXED_NOREPLACE = C.RSHM_MAP_FIXED_NOREPLACE // like MAP_FIXED but fail with EEXIST if the range is in use
)

// Advice for Madvise that only Linux has.
const (
	MADV_REMOVE         = C.RSHM_MADV_REMOVE         // free the object's pages: they read as zeros everywhere
	MADV_DONTFORK       = C.RSHM_MADV_DONTFORK       // a forked child does not inherit the range
	MADV_DOFORK         = C.RSHM_MADV_DOFORK         // undo MADV_DONTFORK
	MADV_HUGEPAGE       = C.RSHM_MADV_HUGEPAGE       // back the range with transparent huge pages
	MADV_NOHUGEPAGE     = C.RSHM_MADV_NOHUGEPAGE     // no transparent huge pages for the range
	MADV_DONTDUMP       = C.RSHM_MADV_DONTDUMP       // leave the range out of core dumps
	MADV_DODUMP         = C.RSHM_MADV_DODUMP         // undo MADV_DONTDUMP
	MADV_POPULATE_READ  = C.RSHM_MADV_POPULATE_READ  // fault the range in for reading now (Linux 5.14+)
	MADV_POPULATE_WRITE = C.RSHM_MADV_POPULATE_WRITE // fault the range in for writing now (Linux 5.14+)
)

// MCL_ONFAULT, with MCL_CURRENT or MCL_FUTURE, locks pages as they are
// faulted in rather than all at once (Linux only).
const MCL_ONFAULT = C.RSHM_MCL_ONFAULT

// fcntl commands for seals, for Fcntl (AddSeals and GetSeals wrap them).
const (
	F_ADD_SEALS = C.RSHM_F_ADD_SEALS // add the seals in arg
	F_GET_SEALS = C.RSHM_F_GET_SEALS // return the seals
)

// Flags for MemfdCreate that only Linux has.
const (
	MFD_NOEXEC_SEAL = C.RSHM_MFD_NOEXEC_SEAL // not executable, sealed with F_SEAL_EXEC (Linux 6.3+)
	MFD_EXEC        = C.RSHM_MFD_EXEC        // executable (Linux 6.3+)
)
