// Command client is the host example's other process: it maps the memfd
// the host passed as descriptor 3, wherever the kernel likes, reads the
// header and the text through offsets, prints them and writes a reply
// after the text.
package main

import (
	"fmt"
	"log"
	"unsafe"

	"github.com/rshm/rshm/go"
	"github.com/rshm/rshm/go/example/internal/layout"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("client: ")
	var st rshm.Stat_t
	layout.CheckErr(rshm.Fstat(layout.FD, &st))
	buf, addr, err := rshm.Mmap(nil, int(st.Size), rshm.PROT_READ|rshm.PROT_WRITE, rshm.MAP_SHARED, layout.FD, 0)
	layout.CheckErr(err)

	hdr := (*layout.Head)(unsafe.Pointer(&buf[0]))
	end := hdr.TextOffset + hdr.TextSize
	if hdr.MemSize != uintptr(st.Size) || hdr.TextOffset < unsafe.Sizeof(*hdr) || end > hdr.MemSize {
		log.Fatalf("inconsistent header %v for a %d-byte segment", *hdr, st.Size)
	}
	fmt.Printf("client: mapped %d bytes at %#x (the host's are at %#x)\n", st.Size, addr, hdr.Addr)
	fmt.Printf("client: header %v, text %q\n", *hdr, buf[hdr.TextOffset:end])

	reply := fmt.Sprintf("read %d bytes of text", hdr.TextSize)
	hdr.ReplySize = uintptr(copy(buf[end:], reply))

	layout.CheckErr(rshm.Munmap(buf))
	layout.CheckErr(rshm.Close(layout.FD))
}
