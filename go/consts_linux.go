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

// MFD_HUGETLB backs a memfd with huge pages (Linux only).
const MFD_HUGETLB = C.RSHM_MFD_HUGETLB
