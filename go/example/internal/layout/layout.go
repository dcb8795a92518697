// Package layout is what the host and client examples agree on: where the
// host asks for the segment, the header at its start, and how errors are
// reported.
package layout

import (
	"errors"
	"fmt"
	"log"
	"syscall"

	"github.com/rshm/rshm/go"
)

// AppAddress is where the host asks for the segment: a hint, so the kernel
// maps nearby when the range is taken. It is the seed's 2 TiB (0x20000000000)
// where uintptr has 64 bits, and 512 MiB on 32-bit targets, whose address
// space ends at 4 GiB.
const AppAddress = uintptr(0x20000000) << (12 * (^uintptr(0) >> 63))

// Head sits at the start of the segment. It stores offsets, not pointers:
// the client maps the segment at an address of its own, where the host's
// pointers would point at nothing.
type Head struct {
	Addr       uintptr // where the host mapped the segment (for the record)
	MemSize    uintptr // size of the segment in bytes
	TextSize   uintptr // length of the text in bytes
	TextOffset uintptr // where the text starts, from the segment start
	ReplySize  uintptr // length of the client's reply, written after the text
}

// String shows the header with the address in hex.
func (h Head) String() string {
	return fmt.Sprintf("{addr %#x, mem %d bytes, text %d bytes at +%d, reply %d bytes}",
		h.Addr, h.MemSize, h.TextSize, h.TextOffset, h.ReplySize)
}

// FD is the descriptor the client finds the memfd at: the first of
// exec.Cmd.ExtraFiles.
const FD = 3

// CheckErr stops the program with the errno's name, number, message and
// the library's advice when err is not nil.
func CheckErr(err error) {
	if err == nil {
		return
	}
	var no syscall.Errno // also inside an *rshm.Error
	if !errors.As(err, &no) {
		log.Fatal(err)
	}
	log.Fatalf("%s(%d): %v, msg: %s\nhelp: %s", rshm.ErrnoName(no), int(no), err, rshm.ErrnoString(no), rshm.ErrnoHelp(no))
}
