// Command host shares memory with another process the way the seed's
// example does: a memfd that allows sealing, 4 pages, mapped near an agreed
// address, with a header and a text written into it. It then starts the
// client, handing it the memfd (which has no name) as descriptor 3, and
// reads the client's reply from the same memory.
//
//	host [-client path/to/client]    (default: "client" beside the host binary)
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"unsafe"

	"github.com/rshm/rshm/go"
	"github.com/rshm/rshm/go/example/internal/layout"
)

const text = "This works as Mmap in C"

func main() {
	log.SetFlags(0)
	log.SetPrefix("host: ")
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	client := flag.String("client", filepath.Join(filepath.Dir(exe), "client"), "the client program")
	flag.Parse()

	fd, err := rshm.MemfdCreate("From-Main", rshm.MFD_ALLOW_SEALING)
	layout.CheckErr(err)
	memfd := os.NewFile(uintptr(fd), "memfd:From-Main") // closes fd when done
	defer memfd.Close()
	memSize := rshm.Getpagesize() * 4
	layout.CheckErr(rshm.Ftruncate(fd, memSize))

	// A hint, not MAP_FIXED: if the range is taken the kernel maps nearby.
	// The hint points at no Go memory, so the GC ignores it; unsafe.Add
	// builds it without a uintptr-to-Pointer conversion go vet would flag.
	hint := unsafe.Add(nil, layout.AppAddress)
	buf, addr, err := rshm.Mmap(hint, memSize, rshm.PROT_READ|rshm.PROT_WRITE,
		rshm.MAP_SHARED, fd, 0)
	layout.CheckErr(err)
	fmt.Printf("host: mapped %d bytes at %#x (asked for %#x: exact %v)\n",
		memSize, addr, layout.AppAddress, addr == layout.AppAddress)

	hdr := (*layout.Head)(unsafe.Pointer(&buf[0]))
	offset := unsafe.Sizeof(layout.Head{})
	hdr.Addr = addr
	hdr.MemSize = uintptr(memSize)
	hdr.TextSize = uintptr(copy(buf[offset:], text))
	hdr.TextOffset = offset
	fmt.Printf("host: header %v, text %q\n", *hdr, buf[offset:offset+hdr.TextSize])

	cmd := exec.Command(*client)
	cmd.ExtraFiles = []*os.File{memfd} // descriptor 3 in the client
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("client %s: %v", *client, err)
	}

	replyAt := hdr.TextOffset + hdr.TextSize
	if hdr.ReplySize == 0 || replyAt+hdr.ReplySize > hdr.MemSize {
		log.Fatalf("no reply from the client (reply size %d)", hdr.ReplySize)
	}
	fmt.Printf("host: the client replied %q\n", buf[replyAt:replyAt+hdr.ReplySize])

	layout.CheckErr(rshm.Munmap(buf))
}
