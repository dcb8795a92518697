package rshm

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func init() {
	helpers["mutex-die"] = helperMutexDie
	helpers["wait-word"] = helperWaitWord
}

func TestWordAtAndMutexAtCheckTheirPlace(t *testing.T) {
	page := anonPages(t, 1)
	for _, off := range []int{-4, 1, 2, len(page) - 3, len(page), math.MaxInt} {
		_, err := WordAt(page, off)
		wantErrno(t, fmt.Sprintf("WordAt(page, %d)", off), err, syscall.EINVAL)
	}
	_, err := WordAt(nil, 0)
	wantErrno(t, "WordAt(nil, 0)", err, syscall.EINVAL)
	if w, err := WordAt(page, len(page)-4); err != nil || unsafe.Pointer(w) != unsafe.Pointer(&page[len(page)-4]) {
		t.Errorf("WordAt(page, last word): %p, %v", w, err)
	}

	if MutexSize != 64 || unsafe.Sizeof(Mutex{}) != 64 {
		t.Errorf("MutexSize %d, Sizeof(Mutex{}) %d, want 64", MutexSize, unsafe.Sizeof(Mutex{}))
	}
	for _, off := range []int{-8, len(page) - MutexSize + 8, len(page), math.MaxInt} {
		_, err := MutexAt(page, off)
		wantErrno(t, fmt.Sprintf("MutexAt(page, %d)", off), err, syscall.EINVAL)
	}
}

// MutexAt checks C's alignment, which Go's falls short of on 32-bit ARM
// (4 where C needs 8): an offset of 4 is EINVAL wherever C's uint64_t is
// aligned to 8, every platform but 386. And MutexAt agrees with the C
// library, which answers EINVAL for a misaligned mutex.
func TestMutexAtChecksTheAlignmentOfC(t *testing.T) {
	page := anonPages(t, 1)
	want := 8
	if runtime.GOARCH == "386" {
		want = 4
	}
	if MutexAlign != want {
		t.Errorf("MutexAlign %d on %s, want %d", MutexAlign, runtime.GOARCH, want)
	}
	if want == 8 {
		_, err := MutexAt(page, 4)
		wantErrno(t, "MutexAt(page, 4)", err, syscall.EINVAL)
	}
	for _, off := range []int{1, 2, 4, 8, 12, 16} {
		_, err := MutexAt(page, off)
		cErr := (*Mutex)(unsafe.Pointer(&page[off])).Init()
		if off%MutexAlign != 0 {
			wantErrno(t, fmt.Sprintf("MutexAt(page, %d)", off), err, syscall.EINVAL)
			wantErrno(t, fmt.Sprintf("Init at offset %d", off), cErr, syscall.EINVAL)
		} else if err != nil || cErr != nil {
			t.Errorf("offset %d: MutexAt %v, Init %v; want both nil", off, err, cErr)
		}
	}
	if m, err := MutexAt(page, len(page)-MutexSize); err != nil ||
		unsafe.Pointer(m) != unsafe.Pointer(&page[len(page)-MutexSize]) {
		t.Errorf("MutexAt(page, last 64 bytes): %p, %v", m, err)
	}
}

// waitForError waits as Wait does until Wait returns an error, for 10 s at
// most (then it returns nil): a nil from Wait is a wake-up, a signal's
// included, never the end of the timeout.
func waitForError(word *uint32, expected uint32, timeout time.Duration) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := Wait(word, expected, timeout)
		if err != nil || !time.Now().Before(deadline) {
			return err
		}
	}
}

// wordsOf is the wait tests' three words at the start of a page: the
// value slept on, the sleeper's "about to sleep" flag, and what it saw.
func wordsOf(page []byte) (value, ready, seen *uint32) {
	// A page is aligned and far longer than 12 bytes: these cannot fail.
	value, _ = WordAt(page, 0)
	ready, _ = WordAt(page, 4)
	seen, _ = WordAt(page, 8)
	return value, ready, seen
}

// sleepUntilSet says it is about to sleep, sleeps on value while it is 0,
// and records the value that ended the sleep.
func sleepUntilSet(value, ready, seen *uint32) error {
	atomic.StoreUint32(ready, 1)
	for atomic.LoadUint32(value) == 0 {
		if err := Wait(value, 0, 10*time.Second); err != nil {
			return fmt.Errorf("Wait: %w", err)
		}
	}
	atomic.StoreUint32(seen, atomic.LoadUint32(value))
	return nil
}

// wakeOneSleeper wakes value until a Wake reaches a sleeper, once the
// sleeper has said it is about to sleep, and returns how many that Wake
// woke (0 if none was reached within 10 s). It never ends the test: the
// caller must still let the sleeper go. Until the sleeper sleeps a
// Wake finds nobody; one that lands sends it back to sleep, the value
// being unchanged.
func wakeOneSleeper(t *testing.T, value, ready *uint32) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for atomic.LoadUint32(ready) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for time.Now().Before(deadline) {
		n, err := Wake(value, 1)
		if err != nil {
			t.Errorf("Wake: %v", err)
			return 0
		}
		if n != 0 {
			return n
		}
		time.Sleep(time.Millisecond)
	}
	return 0
}

func TestWaitAndWake(t *testing.T) {
	page := anonPages(t, 1)
	value, ready, seen := wordsOf(page)
	atomic.StoreUint32(value, 7)
	must(t, "Wait on a value that differs", Wait(value, 8, 0))
	must(t, "Wait forever on a value that differs", Wait(value, 8, -1))
	wantErrno(t, "Wait, try", Wait(value, 7, 0), syscall.EAGAIN)
	wantErrno(t, "Wait 1 ms", waitForError(value, 7, time.Millisecond), syscall.ETIMEDOUT)
	for _, count := range []int{0, 1, math.MaxInt} {
		if n, err := Wake(value, count); n != 0 || err != nil {
			t.Errorf("Wake(%d) with no sleeper: %d, %v", count, n, err)
		}
	}
	_, err := Wake(value, -1)
	wantErrno(t, "Wake(-1)", err, syscall.EINVAL)
	_, err = Wake(nil, 1)
	wantErrno(t, "Wake(nil)", err, syscall.EFAULT)
	wantErrno(t, "Wait(nil)", Wait(nil, 0, 0), syscall.EFAULT)
	misaligned := (*uint32)(unsafe.Pointer(&page[1]))
	wantErrno(t, "Wait on a misaligned word", Wait(misaligned, 0, 0), syscall.EINVAL)
	_, err = Wake(misaligned, 1)
	wantErrno(t, "Wake on a misaligned word", err, syscall.EINVAL)

	atomic.StoreUint32(value, 0)
	done := make(chan error, 1)
	go func() { done <- sleepUntilSet(value, ready, seen) }()
	woken := wakeOneSleeper(t, value, ready)
	atomic.StoreUint32(value, 42)
	_, err = Wake(value, math.MaxInt)
	// The sleeper is done with the page before the test can end.
	if err := <-done; err != nil {
		t.Errorf("sleeping goroutine: %v", err)
	}
	must(t, "Wake all", err)
	if woken != 1 || atomic.LoadUint32(seen) != 42 {
		t.Errorf("woken %d (want 1), the sleeper saw %d (want 42)", woken, atomic.LoadUint32(seen))
	}
}

// helperWaitWord sleeps on the first word of the memfd passed as
// descriptor 3 until the parent sets it.
func helperWaitWord() error {
	page, _, err := Mmap(nil, Getpagesize(), PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0)
	if err != nil {
		return fmt.Errorf("Mmap: %w", err)
	}
	defer Munmap(page)
	return sleepUntilSet(wordsOf(page))
}

func TestWaitAndWakeBetweenTwoProcesses(t *testing.T) {
	fd, err := MemfdCreate("rshm-go-wait", MFD_CLOEXEC)
	must(t, "MemfdCreate", err)
	file := os.NewFile(uintptr(fd), "memfd") // owns fd from here on
	defer file.Close()
	must(t, "Ftruncate", Ftruncate(fd, Getpagesize()))
	page, _, err := Mmap(nil, Getpagesize(), PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	defer Munmap(page)
	value, ready, seen := wordsOf(page)

	cmd := helperCmd("wait-word", nil, file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start the sleeper", cmd.Start())
	woken := wakeOneSleeper(t, value, ready)
	atomic.StoreUint32(value, 42)
	_, err = Wake(value, math.MaxInt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sleeper: %v\n%s", err, out.String())
	}
	must(t, "Wake all", err)
	if woken != 1 || atomic.LoadUint32(seen) != 42 {
		t.Errorf("woken %d (want 1), the sleeper saw %d (want 42)", woken, atomic.LoadUint32(seen))
	}
}

// tryFromAnotherGoroutine is what Lock(0), Lock(1 ms) and Unlock return in
// a goroutine other than the caller's.
func tryFromAnotherGoroutine(m *Mutex) [3]error {
	got := make(chan [3]error)
	go func() { got <- [3]error{m.Lock(0), m.Lock(time.Millisecond), m.Unlock()} }()
	return <-got
}

func TestMutexErrors(t *testing.T) {
	m, err := MutexAt(anonPages(t, 1), 0)
	must(t, "MutexAt", err)
	wantErrno(t, "Lock before Init", m.Lock(0), syscall.EINVAL)
	wantErrno(t, "Unlock before Init", m.Unlock(), syscall.EINVAL)
	must(t, "Init", m.Init())
	wantErrno(t, "Unlock, not held", m.Unlock(), syscall.EPERM)
	wantErrno(t, "Consistent, no owner died", m.Consistent(), syscall.EINVAL)

	must(t, "Lock", m.Lock(-1))
	tryHeld := syscall.EDEADLK
	if runtime.GOOS == "darwin" {
		tryHeld = syscall.EBUSY // see Lock
	}
	wantErrno(t, "Lock(0), held by this goroutine", m.Lock(0), tryHeld)
	wantErrno(t, "Lock forever, held by this goroutine", m.Lock(-1), syscall.EDEADLK)
	other := tryFromAnotherGoroutine(m)
	wantErrno(t, "Lock(0) from another goroutine", other[0], syscall.EBUSY)
	wantErrno(t, "Lock(1 ms) from another goroutine", other[1], syscall.ETIMEDOUT)
	wantErrno(t, "Unlock from another goroutine", other[2], syscall.EPERM)
	must(t, "Unlock", m.Unlock())
	wantErrno(t, "Unlock twice", m.Unlock(), syscall.EPERM)
}

// Each goroutine yields inside its critical section, so without the
// thread pinning another goroutine would run on the owner's thread and
// its Lock or Unlock would act for the owner. The lock guards a Go-heap
// counter too, which go test -race must not report as raced on (see Mutex).
func TestMutexBetweenGoroutines(t *testing.T) {
	page := anonPages(t, 1)
	m, err := MutexAt(page, 0)
	must(t, "MutexAt", err)
	must(t, "Init", m.Init())
	counter, err := WordAt(page, MutexSize)
	must(t, "WordAt", err)
	onHeap := new(int)
	const goroutines, rounds = 4, 500
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		go func() {
			for i := 0; i < rounds; i++ {
				if err := m.Lock(-1); err != nil {
					errs <- fmt.Errorf("Lock: %w", err)
					return
				}
				v, h := *counter, *onHeap
				runtime.Gosched()
				*counter, *onHeap = v+1, h+1
				if err := m.Unlock(); err != nil {
					errs <- fmt.Errorf("Unlock: %w", err)
					return
				}
			}
			errs <- nil
		}()
	}
	// Every goroutine is waited for before the page goes.
	for g := 0; g < goroutines; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if *counter != goroutines*rounds || *onHeap != goroutines*rounds {
		t.Errorf("counters %d in the mapping, %d on the heap, want %d", *counter, *onHeap, goroutines*rounds)
	}
}

// helperMutexDie locks the mutex at the start of the parent's segment,
// marks the data behind it half-updated, and exits holding the lock.
func helperMutexDie() error {
	seg, err := SegmentOpen(os.Getenv("RSHM_GO_NAME"), O_RDWR, 10*time.Second)
	if err != nil {
		return fmt.Errorf("SegmentOpen: %w", err)
	}
	m, err := MutexAt(seg.Data(), 0)
	if err != nil {
		return fmt.Errorf("MutexAt: %w", err)
	}
	if err := m.Lock(10 * time.Second); err != nil {
		return fmt.Errorf("Lock: %w", err)
	}
	mark, err := WordAt(seg.Data(), MutexSize)
	if err != nil {
		return fmt.Errorf("WordAt: %w", err)
	}
	atomic.StoreUint32(mark, 1)
	runtime.KeepAlive(seg) // until here: its finalizer would unmap mark
	os.Exit(0)
	return nil
}

func TestMutexOwnerDiesInAnotherProcess(t *testing.T) {
	name := testName(t, "mutex-die")
	seg, err := SegmentCreateInit(name, Getpagesize(), 0o600, func(data []byte) error {
		m, err := MutexAt(data, 0)
		if err != nil {
			return err
		}
		return m.Init()
	})
	must(t, "SegmentCreateInit", err)
	t.Cleanup(func() { _ = seg.Close() })
	m, err := MutexAt(seg.Data(), 0)
	must(t, "MutexAt", err)
	mark, err := WordAt(seg.Data(), MutexSize)
	must(t, "WordAt", err)
	dieHolding := func() {
		t.Helper()
		out, err := helperCmd("mutex-die", []string{"RSHM_GO_NAME=" + name}).CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if atomic.LoadUint32(mark) != 1 {
			t.Fatalf("the child did not get to mark the data")
		}
	}

	dieHolding()
	wantErrno(t, "Lock after the owner died", m.Lock(-1), syscall.EOWNERDEAD)
	wantErrno(t, "Lock again: EOWNERDEAD left it held", m.Lock(0), syscall.EDEADLK)
	atomic.StoreUint32(mark, 0) // the repair
	must(t, "Consistent", m.Consistent())
	must(t, "Unlock", m.Unlock())
	must(t, "Lock after recovery", m.Lock(0))
	must(t, "Unlock after recovery", m.Unlock())

	// Unlocked without Consistent, it is unrecoverable until Init.
	dieHolding()
	wantErrno(t, "Lock after the owner died again", m.Lock(10*time.Second), syscall.EOWNERDEAD)
	must(t, "Unlock without Consistent", m.Unlock())
	wantErrno(t, "Lock an unrecoverable mutex", m.Lock(-1), syscall.ENOTRECOVERABLE)
	must(t, "Init again", m.Init())
	must(t, "Lock after Init", m.Lock(0))
	must(t, "Unlock after Init", m.Unlock())
}
