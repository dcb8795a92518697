package rshm

import (
	"syscall"
	"testing"
	"unsafe"
)

func TestMmapFixed(t *testing.T) {
	page := Getpagesize()
	const rw = PROT_READ | PROT_WRITE
	fd := newMemfd(t, int64(page))

	// Occupied: EEXIST, even with MAP_FIXED asked for, and the pages in
	// the way keep their contents.
	held := anonPages(t, 2)
	base := unsafe.Pointer(&held[0])
	copy(held, "in the way")
	_, err := MmapFixed(base, page, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed on a mapping", err, syscall.EEXIST)
	_, err = MmapFixed(base, page, rw, MAP_SHARED|MAP_FIXED, fd, 0)
	wantErrno(t, "MmapFixed with MAP_FIXED on a mapping", err, syscall.EEXIST)
	if string(held[:10]) != "in the way" {
		t.Errorf("a refused MmapFixed changed the pages in the way: %q", held[:10])
	}

	// Freed: a hole of known address, mapped exactly there.
	must(t, "Munmap", Munmap(held))
	data, err := MmapFixed(base, page, rw, MAP_SHARED, fd, 0)
	must(t, "MmapFixed into the hole", err)
	if unsafe.Pointer(&data[0]) != base || len(data) != page || cap(data) != page {
		t.Fatalf("MmapFixed mapped %p (len %d, cap %d), want %p and %d", &data[0], len(data), cap(data), base, page)
	}
	copy(data, "exactly here")
	other, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	if string(other[:12]) != "exactly here" {
		t.Errorf("another mapping of the memfd reads %q", other[:12])
	}
	must(t, "Munmap", Munmap(other))
	_, err = MmapFixed(base, page, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed over itself", err, syscall.EEXIST)
	must(t, "Munmap of MmapFixed's mapping", Munmap(data))
	wantErrno(t, "Munmap twice", Munmap(data), syscall.EINVAL)

	// Bad arguments.
	_, err = MmapFixed(nil, page, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed nil", err, syscall.EINVAL)
	_, err = MmapFixed(unsafe.Add(base, 1), page, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed unaligned", err, syscall.EINVAL)
	_, err = MmapFixed(base, 0, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed length 0", err, syscall.EINVAL)
	_, err = MmapFixed(base, -1, rw, MAP_SHARED, fd, 0)
	wantErrno(t, "MmapFixed negative length", err, syscall.EINVAL)
	_, err = MmapFixed(base, page, rw, MAP_SHARED, fd, 1)
	wantErrno(t, "MmapFixed unaligned offset", err, syscall.EINVAL)
	_, err = MmapFixed(base, page, rw, MAP_SHARED, -1, 0)
	wantErrno(t, "MmapFixed bad fd", err, syscall.EBADF)
}
