package rshm

// #include <rshm.h>
//
// // The alignment C requires of an rshm_mutex, for Go, whose own can be less.
// enum { rshm_go_mutex_align = _Alignof(rshm_mutex) };
import "C"

import (
	"errors"
	"math"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// Waiting and locking in shared memory (rshm_wait, rshm_wake, rshm_mutex_*
// in rshm.h). The words and mutexes live in memory shared between
// processes: a slice from Mmap, MmapFixed or Segment.Data. Go's garbage
// collector never moves or frees memory it did not allocate, so a pointer
// into a mapping stays valid until Munmap or Close, whatever the collector
// does meanwhile. A word on the Go heap works only between goroutines of
// one process; a Mutex never belongs there (see Mutex).

// WordAt is the 32-bit word at byte offset off of mem, for Wait, Wake and
// sync/atomic. It exists so that callers need no unsafe of their own and
// find a bad offset here, as EINVAL, rather than as a crash in a later
// atomic operation (which faults on a misaligned word on some platforms).
// Errors: EINVAL (the word does not lie wholly inside mem, or its address
// is not a multiple of 4).
func WordAt(mem []byte, off int) (*uint32, error) {
	p, err := at(mem, off, 4, 4)
	return (*uint32)(p), err
}

// at is the address of size bytes at offset off of mem, aligned to align.
func at(mem []byte, off, size int, align uintptr) (unsafe.Pointer, error) {
	if off < 0 || off > len(mem)-size {
		return nil, syscall.EINVAL
	}
	p := unsafe.Pointer(&mem[off])
	if uintptr(p)%align != 0 {
		return nil, syscall.EINVAL
	}
	return p, nil
}

// Wait sleeps while *word == expected, until another goroutine or process
// that maps the same memory changes the word and calls Wake on it (a
// process-shared futex on Linux). The comparison and the sleep are one
// atomic step, so a Wake between the caller's own check and the sleep is
// not lost. timeout is as for Channel.Send: negative waits without limit,
// 0 only compares.
//
// It returns nil when woken, at once when *word != expected, and on a
// spurious wake-up: re-check the condition and wait again. A signal that
// interrupts the sleep (EINTR in C) is such a wake-up too, because the Go
// runtime signals its threads for its own reasons. Errors: EAGAIN (timeout
// 0 and *word == expected), ETIMEDOUT, EFAULT (word nil or not mapped),
// EINVAL (word not 4-byte aligned).
func Wait(word *uint32, expected uint32, timeout time.Duration) error {
	r, err := C.rshm_wait((*C.uint32_t)(unsafe.Pointer(word)), C.uint32_t(expected), timeoutNs(timeout))
	if r != 0 && !errors.Is(err, syscall.EINTR) {
		return failed(err)
	}
	return nil
}

// Wake wakes up to count goroutines or threads sleeping in Wait on word,
// in this or any other process, and returns how many it woke (0 when none
// waited). A count of math.MaxInt32 or more wakes them all. Change the word
// before waking, or a sleeper goes back to sleep. Errors: EFAULT (word
// nil), EINVAL (word not 4-byte aligned, count negative).
func Wake(word *uint32, count int) (int, error) {
	if count > math.MaxInt32 {
		count = math.MaxInt32
	}
	n, err := cint(count)
	if err != nil {
		return 0, err
	}
	woken, cerr := C.rshm_wake((*C.uint32_t)(unsafe.Pointer(word)), n)
	if woken < 0 {
		return 0, failed(cerr)
	}
	return int(woken), nil
}

// MutexSize is the number of bytes a Mutex occupies in shared memory, the
// same in every process and in C (sizeof(rshm_mutex)).
const MutexSize = int(C.sizeof_rshm_mutex)

// MutexAlign is the alignment the C library requires of a Mutex's address
// (_Alignof(rshm_mutex)): that of C's uint64_t, 8 bytes (4 on 386). It is
// C's and not unsafe.Alignof(Mutex{}), because Go aligns a uint64 to only
// 4 bytes on every 32-bit platform, 32-bit ARM included, where C needs 8.
const MutexAlign = int(C.rshm_go_mutex_align)

// Mutex is a lock that lives in shared memory and works across processes
// (C: rshm_mutex): process-shared, error-checking and, on Linux, robust.
// It is MutexSize bytes at an address that is a multiple of MutexAlign;
// get one with MutexAt, or make it a field of a struct laid over a
// mapping, as C programs do. Such a field is where C puts it only if the
// Go struct says so: on 32-bit platforms but 386, Go aligns a Mutex (and a
// uint64) to 4 where C needs 8, so a field that follows an odd number of
// 4-byte words needs explicit padding before it (a blank uint32 field),
// and the struct must start at a multiple of MutexAlign. Check the layout with
// unsafe.Offsetof; a misaligned Mutex fails every call with EINVAL.
//
// One process calls Init once, before any other uses it; then every
// process that maps the memory calls Lock and Unlock, at whatever address
// it mapped it. Never copy an initialised Mutex (a copy is a different
// lock; go vet reports copies). Keep it in shared memory, not on the Go
// heap (a new Mutex, a field of a Go-allocated struct, or MutexAt over a
// slice from make): there no other process can reach it. Nothing checks
// this: MutexAt cannot tell a mapping from a Go-heap slice, and the C
// library accepts either (on Linux it keeps no pointer to the mutex past a
// call, so such a Mutex is useless, not unsafe).
//
// The lock belongs to the goroutine that took it: Lock wires that
// goroutine to its OS thread (runtime.LockOSThread) until the matching
// Unlock, because the C mutex knows its owner by thread. So another
// goroutine's Unlock fails with EPERM, as it would for another thread in
// C. Unlock before the goroutine ends: one that ends holding the lock
// takes its thread with it (the next Lock then reports EOWNERDEAD, as for
// a dead process) or, if it ran on the program's main thread, which Go
// never ends, leaves the lock held until the process exits.
//
// Lock and Unlock happen in C, but the race detector (go test -race) sees
// the order they give all the same, because it counts every cgo call as
// synchronising with the others: Go-heap data that only the holder of a
// Mutex touches is not reported as raced on. Data in the mapping itself is
// outside the detector's view (it watches only memory Go allocated), so a
// race there goes unreported, locked or not.
type Mutex struct {
	_   noCopy
	raw C.rshm_mutex
}

// The noCopy field must cost nothing: the layout is C's, byte for byte.
var _ [unsafe.Sizeof(Mutex{}) - C.sizeof_rshm_mutex]byte
var _ [C.sizeof_rshm_mutex - unsafe.Sizeof(Mutex{})]byte

// noCopy makes go vet's copylocks check report copies of a Mutex.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// MutexAt is the Mutex at byte offset off of mem, usually a mapping shared
// with other processes. It does not initialise it (see Init). Errors:
// EINVAL (the MutexSize bytes do not lie wholly inside mem, or their
// address is not a multiple of MutexAlign).
func MutexAt(mem []byte, off int) (*Mutex, error) {
	p, err := at(mem, off, MutexSize, uintptr(MutexAlign))
	return (*Mutex)(p), err
}

// Init makes m an unlocked mutex, overwriting whatever its bytes held.
// Call it once, in one process, before any other process uses the mutex
// (for a segment, in SegmentCreateInit's init, so no opener ever sees it
// uninitialised); never while anyone holds it or waits for it. Errors:
// EINVAL (misaligned), ENOMEM, EAGAIN.
func (m *Mutex) Init() error {
	if r, err := C.rshm_mutex_init(&m.raw); r != 0 {
		return failed(err)
	}
	return nil
}

// Lock takes m, waiting as timeout allows: negative waits without limit,
// 0 only tries, otherwise at most that long. On success the calling
// goroutine holds it and stays on its OS thread until Unlock.
//
// syscall.EOWNERDEAD IS NOT A FAILURE TO LOCK: the calling goroutine
// holds m when Lock returns it. The previous owner died holding the lock
// (a process exited or was killed, or a thread ended, inside its
// critical section), so the data m guards may be half-updated. Repair it,
// call Consistent, then Unlock as usual. Unlocking without Consistent
// marks m unusable: every later Lock fails with ENOTRECOVERABLE until Init.
//
// Other errors (m not held): EBUSY (timeout 0, held elsewhere), ETIMEDOUT,
// EDEADLK (this goroutine holds it already; on macOS Lock(0) answers EBUSY
// then, as pthread_mutex_trylock does there), ENOTRECOVERABLE, EINVAL (m
// never initialised, or misaligned).
func (m *Mutex) Lock(timeout time.Duration) error {
	runtime.LockOSThread()
	r, err := C.rshm_mutex_lock(&m.raw, timeoutNs(timeout))
	if r == 0 {
		return nil
	}
	if errors.Is(err, syscall.EOWNERDEAD) {
		return syscall.EOWNERDEAD
	}
	runtime.UnlockOSThread()
	return failed(err)
}

// Unlock releases m, held by the calling goroutine, and lets the goroutine
// leave its OS thread. Errors: EPERM (the calling goroutine does not hold
// m: another goroutine or process does, or nobody), EINVAL (m never
// initialised, or misaligned).
func (m *Mutex) Unlock() error {
	if r, err := C.rshm_mutex_unlock(&m.raw); r != 0 {
		return failed(err)
	}
	runtime.UnlockOSThread()
	return nil
}

// Consistent declares the data m guards repaired after Lock returned
// EOWNERDEAD: m goes back to normal use. The caller still holds it and
// unlocks it as usual. Errors: EINVAL (this goroutine did not take m with
// EOWNERDEAD), ENOSYS (macOS, which has no robust mutexes).
func (m *Mutex) Consistent() error {
	if r, err := C.rshm_mutex_consistent(&m.raw); r != 0 {
		return failed(err)
	}
	return nil
}
