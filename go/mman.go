package rshm

// #include <rshm.h>
import "C"

import (
	"sync"
	"syscall"
	"unsafe"
)

// mappings holds every mapping Mmap made and Munmap has not yet removed,
// start address to length: Munmap unmaps only what Mmap mapped, never the
// Go heap behind a slice made elsewhere.
var mappings = struct {
	sync.Mutex
	m map[uintptr]int
}{m: make(map[uintptr]int)}

// Mmap maps length bytes of the object fd, from offset, into memory:
// mmap(2), with the address argument that syscall.Mmap lacks.
//
// addr nil lets the kernel choose. Any other address is a hint: the kernel
// maps there when the range is free and nearby otherwise (compare the
// returned address); with MAP_FIXED the mapping goes exactly there,
// replacing what was mapped. prot is PROT_*; flags holds MAP_SHARED or
// MAP_PRIVATE plus optional MAP_* flags; offset is a multiple of
// Getpagesize().
//
// It returns the mapping as a byte slice of length (and capacity) length,
// and its address. The caller owns it: release it with Munmap; closing fd
// does not unmap. Touching it beyond the object's size raises SIGBUS.
// Errors: EINVAL (length 0 or negative, offset or a fixed addr not
// page-aligned, neither MAP_SHARED nor MAP_PRIVATE), EACCES (fd's access
// mode does not allow prot), EBADF, EEXIST (MAP_FIXED_NOREPLACE), ENODEV,
// ENOMEM, EOVERFLOW, EPERM (a seal forbids it).
func Mmap(addr unsafe.Pointer, length int, prot, flags, fd int, offset int64) (data []byte, start uintptr, err error) {
	if length <= 0 {
		return nil, 0, syscall.EINVAL
	}
	p, cerr := C.rshm_mmap(addr, C.size_t(length), C.int(prot), C.int(flags), C.int(fd), C.int64_t(offset))
	if uintptr(p) == ^uintptr(0) { // RSHM_MAP_FAILED
		return nil, 0, failed(cerr)
	}
	start = uintptr(p)
	mappings.Lock()
	mappings.m[start] = length
	mappings.Unlock()
	return unsafe.Slice((*byte)(p), length), start, nil
}

// Munmap removes a mapping Mmap returned: munmap(2). Pass the slice Mmap
// returned, or a reslice of it that keeps its start and capacity (data[:n]
// with n > 0); the whole mapping goes, and no slice of it may be used
// afterwards. Errors: EINVAL (an empty slice, or one that is not a live
// mapping from Mmap, e.g. already unmapped).
func Munmap(data []byte) error {
	if len(data) == 0 {
		return syscall.EINVAL
	}
	start := uintptr(unsafe.Pointer(&data[0]))
	mappings.Lock()
	defer mappings.Unlock()
	length, ok := mappings.m[start]
	if !ok || cap(data) != length {
		return syscall.EINVAL
	}
	if r, err := C.rshm_munmap(unsafe.Pointer(&data[0]), C.size_t(length)); r != 0 {
		return failed(err)
	}
	delete(mappings.m, start)
	return nil
}

// Getpagesize returns the size of a memory page in bytes (4096 on most
// Linux machines, 16384 on Apple silicon): Mmap offsets and fixed
// addresses are multiples of it.
func Getpagesize() int {
	return int(C.rshm_getpagesize())
}
