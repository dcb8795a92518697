package rshm

// #include <stdlib.h>
// #include <rshm.h>
// #include "detail.h"
// extern int rshmGoSegmentInit(void *data, size_t size, void *ctx);
import "C"

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Segment is an open, mapped named segment (C: rshm_segment): a
// shared-memory object whose size, header and, with SegmentCreateInit,
// initial data are in place before any other process can open it, so no
// opener ever maps a zero-length object or reads half-written data.
//
// A Segment from SegmentCreate or SegmentOpen is owned by the caller:
// release it with Close. The name stays in /dev/shm until SegmentUnlink.
// A Segment that becomes unreachable without Close is closed by a
// finalizer when the garbage collector finds it, so a forgotten one does
// not keep its descriptor and mapping for the life of the process. That is
// a safety net, not a substitute for Close: it runs at the collector's
// pace, maybe never, and it unmaps Data, so keep the Segment reachable
// while any slice of its Data, or any pointer into it (WordAt, MutexAt),
// is in use: call Close after the last use (defer seg.Close() does), or
// runtime.KeepAlive(seg) there, as with os.File and its Fd.
// Its methods are safe to call from several goroutines; synchronising
// access to Data between processes is the caller's business.
type Segment struct {
	mu   sync.Mutex
	seg  *C.rshm_segment // nil once closed
	data []byte
}

// SegmentCreate creates the segment name ("/name") with size bytes of
// zeroed data, mapped read-write. mode gives the permission bits (0o600
// unless other users must open it; the umask applies). The pages are
// reserved now, so a full /dev/shm is ENOSPC here, never SIGBUS later. It
// never truncates or removes an object it did not create.
//
// Errors (nothing is left behind): EEXIST (the name exists, as a segment
// or any other object; it is untouched), EINVAL (size 0 or negative, a bad
// name, or a NUL byte in it), EOVERFLOW, ENOSPC, ENAMETOOLONG, EACCES,
// EMFILE/ENFILE, ENOMEM.
func SegmentCreate(name string, size int, mode uint32) (*Segment, error) {
	return SegmentCreateInit(name, size, mode, nil)
}

// SegmentCreateInit is SegmentCreate that runs init on the new segment's
// data before any opener can see it: every opener finds the data as init
// left it. init receives the zeroed data (len and cap size) and must not
// keep the slice; use the returned Segment's Data. A nil init makes this
// SegmentCreate.
//
// init runs on a goroutine of its own while the caller's waits, so that
// however init ends, the library regains control and removes what it had
// made. If init returns an error, the creation is abandoned, nothing is
// left behind (no opener ever saw the name), and SegmentCreateInit returns
// init's error unchanged. If init panics, or ends its goroutine with
// runtime.Goexit (as t.Fatal and t.FailNow do), the creation is abandoned
// the same way and then the panic goes on, or runtime.Goexit is called, on
// the calling goroutine: a t.Fatal in init ends the test that called
// SegmentCreateInit. The panic goes on with init's value, but its stack
// trace is the caller's: init's goroutine has ended. Otherwise the errors
// are SegmentCreate's.
func SegmentCreateInit(name string, size int, mode uint32, init func(data []byte) error) (*Segment, error) {
	if size < 0 {
		return nil, refusedErr("SegmentCreateInit", name, syscall.EINVAL)
	}
	if err := cstring(name); err != nil {
		return nil, refusedErr("SegmentCreateInit", name, err)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var detail *C.char
	if init == nil {
		seg, err := C.rshm_go_segment_create_init(cname, C.size_t(size), C.uint32_t(mode), nil, nil, &detail)
		return wrap(seg, err, detail)
	}
	call := &initCall{init: init}
	h := cgo.NewHandle(call)
	defer h.Delete()
	// The handle travels by the address of a Go variable holding no Go
	// pointers, which cgo allows; C uses it only during the call.
	seg, err := C.rshm_go_segment_create_init(cname, C.size_t(size), C.uint32_t(mode),
		(*[0]byte)(C.rshmGoSegmentInit), unsafe.Pointer(&h), &detail)
	if call.end != initReturned {
		if detail != nil {
			C.free(unsafe.Pointer(detail))
		}
		if seg != nil { // the library ignored init's failure: cannot happen
			C.rshm_segment_close(seg)
		}
		if call.end == initExited {
			runtime.Goexit()
		}
		panic(call.panicValue)
	}
	if seg == nil && call.err != nil && errors.Is(err, syscall.ECANCELED) {
		if detail != nil {
			C.free(unsafe.Pointer(detail))
		}
		return nil, call.err
	}
	return wrap(seg, err, detail)
}

// How init ended.
const (
	initReturned = iota // with a result: call.err
	initPanicked        // with a panic, recovered: call.panicValue
	initExited          // with runtime.Goexit
)

// initCall carries a Go init function through C to rshmGoSegmentInit and
// its outcome back.
type initCall struct {
	init       func([]byte) error
	err        error
	end        int
	panicValue interface{}
}

// rshmGoSegmentInit is the C init callback of SegmentCreateInit: ctx
// points to a cgo.Handle of an *initCall. It runs init on a goroutine of
// its own and waits for it: a panic or runtime.Goexit there ends only that
// goroutine, never unwinds through the library's frames (which would skip
// its cleanup, leave the temporary object and its descriptor behind and
// never return), and is reported to the library as a failed init.
// SegmentCreateInit raises it again once the library has cleaned up.
//
//export rshmGoSegmentInit
func rshmGoSegmentInit(data unsafe.Pointer, size C.size_t, ctx unsafe.Pointer) C.int {
	call := (*(*cgo.Handle)(ctx)).Value().(*initCall)
	mem := unsafe.Slice((*byte)(data), int(size))
	done := make(chan struct{})
	go call.run(mem, done)
	<-done
	if call.end != initReturned || call.err != nil {
		return 1
	}
	return 0
}

// run calls init on mem and records how it ended, then closes done. A
// panic is recovered in the inner function, so returning from it without
// a result means a recovered panic (even panic(nil), which recover cannot
// tell from no panic), while never returning from it means Goexit.
func (call *initCall) run(mem []byte, done chan<- struct{}) {
	call.end = initExited // unless init returns or panics
	defer close(done)
	returned := false
	func() {
		defer func() {
			if !returned {
				call.panicValue = recover()
			}
		}()
		call.err = call.init(mem)
		returned = true
	}()
	if returned {
		call.end = initReturned
	} else {
		call.end = initPanicked
	}
}

// SegmentOpen opens and maps the segment name made by SegmentCreate,
// waiting up to timeout (rounded up to a millisecond, at most about 49
// days) for it to exist and be complete; start the opener first if
// convenient. With timeout 0 it looks once.
//
// oflag is O_RDONLY (needs only read permission; the data is mapped
// read-only and writing to it raises SIGSEGV) or O_RDWR. Errors:
// ETIMEDOUT (no complete segment within timeout), ENOENT (timeout 0 and no
// such name), EAGAIN (timeout 0 and the segment is still being made, on
// macOS), EINVAL (not an rshm segment, oflag not exactly O_RDONLY or
// O_RDWR, negative timeout, a bad name), EPROTO (another layout version),
// EACCES, ENAMETOOLONG, EMFILE/ENFILE, ENOMEM.
func SegmentOpen(name string, oflag int, timeout time.Duration) (_ *Segment, err error) {
	defer refused("SegmentOpen", name, &err)
	if timeout < 0 {
		return nil, syscall.EINVAL
	}
	flag, err := cint(oflag)
	if err != nil {
		return nil, err
	}
	if err := cstring(name); err != nil {
		return nil, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var detail *C.char
	seg, cerr := C.rshm_go_segment_open(cname, flag, waitMs(timeout), &detail)
	return wrap(seg, cerr, detail)
}

// wrap makes a Segment of a handle the library returned, or the error.
func wrap(seg *C.rshm_segment, err error, detail *C.char) (*Segment, error) {
	if seg == nil {
		return nil, detailed(err, detail)
	}
	size := int(C.rshm_segment_size(seg))
	data := unsafe.Slice((*byte)(C.rshm_segment_data(seg)), size)
	s := &Segment{seg: seg, data: data}
	runtime.SetFinalizer(s, func(s *Segment) { _ = s.Close() })
	return s, nil
}

// Data is the segment's data: Size() bytes, page-aligned, shared with
// every process that has the segment open, valid until Close (nil after)
// or until the Segment is garbage collected. Do not use it, or any slice
// of it, after Close, nor once nothing refers to the Segment any more. Writing to the data of
// a segment opened O_RDONLY raises SIGSEGV.
func (s *Segment) Data() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// Size is the size of the segment's data, what its creator asked for, the
// same in every process; 0 after Close.
func (s *Segment) Size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

// Close unmaps the segment and closes its descriptor; the name and the
// data stay for other processes until SegmentUnlink. Closing a closed
// Segment does nothing and returns nil. Errors: EINVAL, EIO (as munmap(2)
// or close(2) report them; the Segment is closed all the same).
func (s *Segment) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seg == nil {
		return nil
	}
	r, err := C.rshm_segment_close(s.seg)
	s.seg, s.data = nil, nil
	runtime.SetFinalizer(s, nil)
	if r != 0 {
		return failed(err)
	}
	return nil
}

// SegmentUnlink removes the name of a segment: open Segments stay valid,
// later SegmentOpen calls wait for a new segment of that name. It removes
// whatever object has the name, without checking that it is a segment.
// Errors: ENOENT (no object has that name), EACCES, EINVAL (a bad name, or
// a NUL byte in it), ENAMETOOLONG.
func SegmentUnlink(name string) error {
	return unlinkObject("SegmentUnlink", name, func(cname *C.char, detail **C.char) (C.int, error) {
		r, err := C.rshm_go_segment_unlink(cname, detail)
		return r, err
	})
}
