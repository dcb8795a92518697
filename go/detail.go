package rshm

// #include <stdlib.h>
// #include "detail.h"
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// Error is how rshm's own named objects (Segment, Channel, Value, Topic)
// report a failure to create, open or unlink one: the errno, what
// programs test (errors.Is(err, syscall.ENOENT) works, through Unwrap),
// and the library's sentence about it for people (rshm_error_detail),
// e.g. `rshm_segment_open("/x"): /dev/shm/x is a FIFO, not a shared memory
// object`, with names escaped so that it is safe to print. An argument the
// package refuses before the library sees it (a NUL byte in the name, a
// value beyond C's int) has a sentence of the same form. The seed's
// functions (ShmOpen, Mmap...) and the handles' methods return a plain
// syscall.Errno, as before.
type Error struct {
	Errno  syscall.Errno
	Detail string
}

// Error is the detail and the errno's name, or the errno's text when there
// is no detail.
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Errno.Error()
	}
	return e.Detail + " (" + ErrnoName(e.Errno) + ")"
}

// Unwrap is the errno.
func (e *Error) Unwrap() error { return e.Errno }

// detailed is the *Error of a call that failed: err as cgo captured errno
// (nil would be a bug in the library: ENOTRECOVERABLE, as failed says),
// and the detail a go_ shim kept, which it frees.
func detailed(err error, detail *C.char) error {
	e := &Error{Errno: syscall.ENOTRECOVERABLE}
	if no, ok := err.(syscall.Errno); ok && no != 0 {
		e.Errno = no
	}
	if detail != nil {
		e.Detail = C.GoString(detail)
		C.free(unsafe.Pointer(detail))
	}
	return e
}

// refused makes a plain errno from the package's own checks of call's
// arguments an *Error of the library's form; nil and *Errors pass.
func refused(call, name string, err *error) {
	if no, ok := (*err).(syscall.Errno); ok {
		*err = &Error{Errno: no, Detail: fmt.Sprintf("%s(%q): %s", call, name, ErrnoString(no))}
	}
}

// refusedErr is err after refused.
func refusedErr(call, name string, err error) error {
	refused(call, name, &err)
	return err
}

// openObject is the create or open of one of rshm's named objects: the
// name's checks, its C string and the error's detail around call, which
// makes the C call (nil and errno on failure).
func openObject[H any](what, name string, call func(*C.char, **C.char) (*H, error)) (_ *H, err error) {
	defer refused(what, name, &err)
	if err := cstring(name); err != nil {
		return nil, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var detail *C.char
	h, err := call(cname, &detail)
	if h == nil {
		return nil, detailed(err, detail)
	}
	return h, nil
}

// unlinkObject is the unlink of one of rshm's named objects.
func unlinkObject(call, name string, unlink func(*C.char, **C.char) (C.int, error)) (err error) {
	defer refused(call, name, &err)
	if err := cstring(name); err != nil {
		return err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var detail *C.char
	if r, err := unlink(cname, &detail); r != 0 {
		return detailed(err, detail)
	}
	return nil
}
