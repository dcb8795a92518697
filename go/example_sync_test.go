package rshm_test

import (
	"errors"
	"log"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	rshm "github.com/rshm/rshm/go"
)

// recount rebuilds what a dead owner may have left half-updated.
func recount() uint32 { return 0 }

// A counter in a segment that several processes share, guarded by a Mutex
// whose last owner may have died holding it. Compiled, not run; README's
// "Go" section shows the same code from MutexAt on.
func ExampleMutex() {
	seg, err := rshm.SegmentOpen("/counter", rshm.O_RDWR, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	m, err := rshm.MutexAt(seg.Data(), 0) // Init ran once, in SegmentCreateInit's init
	if err != nil {
		log.Fatal(err)
	}
	counter, err := rshm.WordAt(seg.Data(), rshm.MutexSize)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Lock(-1); errors.Is(err, syscall.EOWNERDEAD) { // held: repair, then mark it repaired
		*counter = recount()
		if err := m.Consistent(); err != nil {
			log.Fatal(err)
		}
	} else if err != nil {
		log.Fatal(err)
	}
	*counter++
	if err := m.Unlock(); err != nil {
		log.Fatal(err)
	}
}

// go/README.md's Mutex snippet is part of ExampleMutex, so that go vet
// and go test compile what the README shows.
func TestReadmeShowsExampleMutex(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	example, err := os.ReadFile("example_sync_test.go")
	if err != nil {
		t.Fatalf("read the example: %v", err)
	}
	_, body, _ := strings.Cut(string(example), "func ExampleMutex() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	body = strings.ReplaceAll("\n"+body+"\n", "\n\t", "\n")
	snippet := ""
	for _, block := range strings.Split(string(readme), "```go\n")[1:] {
		if block, _, _ = strings.Cut(block, "```"); strings.Contains(block, "rshm.MutexAt(") {
			snippet = block
		}
	}
	if snippet == "" || !strings.Contains(body, "\n"+snippet) {
		t.Errorf("README's Go block with rshm.MutexAt is not a part of ExampleMutex:\n%s", snippet)
	}
}
