package rshm

// #include <rshm.h>
import "C"

import (
	"sync"
	"syscall"
	"unsafe"
)

// mappings holds every mapping Mmap and MmapFixed made and Munmap has not yet removed,
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
// page-aligned, neither MAP_SHARED nor MAP_PRIVATE, prot or flags beyond
// C's int), EACCES (fd's access mode does not allow prot), EBADF (fd not
// open, or beyond C's int), EEXIST (MAP_FIXED_NOREPLACE), ENODEV,
// ENOMEM, EOVERFLOW, EPERM (a seal forbids it).
func Mmap(addr unsafe.Pointer, length int, prot, flags, fd int, offset int64) (data []byte, start uintptr, err error) {
	cprot, cflags, cfd, err := mmapArgs(length, prot, flags, fd)
	if err != nil {
		return nil, 0, err
	}
	p, cerr := C.rshm_mmap(addr, C.size_t(length), cprot, cflags, cfd, C.int64_t(offset))
	if uintptr(p) == ^uintptr(0) { // RSHM_MAP_FAILED
		return nil, 0, failed(cerr)
	}
	return track(p, length), uintptr(p), nil
}

// MmapFixed maps length bytes of the object fd, from offset, exactly at
// addr, or fails with EEXIST: unlike MAP_FIXED it never replaces a mapping
// already there (the Go heap, a library's memory), and unlike a bare
// MAP_FIXED_NOREPLACE it holds on kernels before 4.17 too. Use it to map
// a segment at the same address in several processes, so that pointers
// inside stay valid. prot and flags are as for Mmap; MAP_FIXED and
// MAP_FIXED_NOREPLACE in flags are ignored.
//
// It returns the mapping, starting at addr, as a byte slice the caller
// owns: release it with Munmap. Errors: EEXIST (something is mapped in
// the range), EINVAL (addr nil or not page-aligned, length 0 or negative,
// offset not page-aligned, neither MAP_SHARED nor MAP_PRIVATE), ENOMEM
// (the range is outside the address space), and Mmap's EACCES, EBADF,
// ENODEV, EOVERFLOW, EPERM.
func MmapFixed(addr unsafe.Pointer, length int, prot, flags, fd int, offset int64) ([]byte, error) {
	cprot, cflags, cfd, err := mmapArgs(length, prot, flags, fd)
	if err != nil {
		return nil, err
	}
	p, err := C.rshm_mmap_fixed(addr, C.size_t(length), cprot, cflags, cfd, C.int64_t(offset))
	if uintptr(p) == ^uintptr(0) { // RSHM_MAP_FAILED
		return nil, failed(err)
	}
	return track(p, length), nil
}

// mmapArgs checks the int arguments of Mmap and MmapFixed: a positive
// length, prot and flags that fit C's int (EINVAL), fd that does (EBADF).
func mmapArgs(length, prot, flags, fd int) (C.int, C.int, C.int, error) {
	if length <= 0 {
		return 0, 0, 0, syscall.EINVAL
	}
	cprot, err := cint(prot)
	if err != nil {
		return 0, 0, 0, err
	}
	cflags, err := cint(flags)
	if err != nil {
		return 0, 0, 0, err
	}
	cfd, err := cfd(fd)
	return cprot, cflags, cfd, err
}

// track records the mapping of length bytes at p for Munmap and returns
// it as a slice.
func track(p unsafe.Pointer, length int) []byte {
	mappings.Lock()
	mappings.m[uintptr(p)] = length
	mappings.Unlock()
	return unsafe.Slice((*byte)(p), length)
}

// Munmap removes a mapping Mmap or MmapFixed returned: munmap(2). Pass
// the slice it returned, whole: as in the seed package, a reslice of it
// (data[:n], data[n:], a shortened capacity) is refused, so that no slice
// unmaps more or less than it shows. No slice of the mapping may be used
// afterwards. Errors: EINVAL (an empty slice, a reslice, or a slice that
// is not a live mapping from Mmap or MmapFixed, e.g. already unmapped or
// Go memory).
func Munmap(data []byte) error {
	if len(data) == 0 || len(data) != cap(data) {
		return syscall.EINVAL
	}
	start := uintptr(unsafe.Pointer(&data[0]))
	mappings.Lock()
	defer mappings.Unlock()
	if length, ok := mappings.m[start]; !ok || length != len(data) {
		return syscall.EINVAL
	}
	if r, err := C.rshm_munmap(unsafe.Pointer(&data[0]), C.size_t(len(data))); r != 0 {
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
