package rshm

// #include <rshm.h>
import "C"

// Version is the version of the rshm library the program runs against
// (rshm_version), e.g. "0.1.0": the one loaded at run time, which may
// differ from the one the package was built with (headerVersion). The same
// major version (the soname's) is compatible.
func Version() string {
	return C.GoString(C.rshm_version())
}

// headerVersion is the version of the rshm.h the package was compiled
// with (RSHM_VERSION).
const headerVersion = C.RSHM_VERSION
