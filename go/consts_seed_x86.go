//go:build linux && (amd64 || 386)

package rshm

import "syscall"

// MAP_32BIT asks Mmap for an address in the first 2 GiB. Only x86 Linux
// has it; as in the seed package, other platforms do not define it.
const MAP_32BIT = syscall.MAP_32BIT
