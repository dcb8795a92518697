package rshm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// The test binary re-executed as a second process: RSHM_GO_HELPER says
// which side to play; it reports through its exit status and stderr.
const helperEnv = "RSHM_GO_HELPER"

// helpers maps each RSHM_GO_HELPER role to what the child runs. Test files
// add their own roles in an init function, so a new two-process test needs
// no change here.
var helpers = map[string]func() error{
	"named": helperNamed,
	"memfd": helperMemfd,
}

func TestMain(m *testing.M) {
	role := os.Getenv(helperEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	f, ok := helpers[role]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, role)
		os.Exit(2)
	}
	os.Exit(helper(f))
}

func helper(f func() error) int {
	if err := f(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

const (
	fromParent = "written by the parent"
	fromChild  = "answered by the child"
)

// readAndAnswer checks the parent's text at the start of data and writes
// the child's answer after it.
func readAndAnswer(data []byte) error {
	if !bytes.HasPrefix(data, []byte(fromParent)) {
		return fmt.Errorf("child read %q, want %q", data[:len(fromParent)], fromParent)
	}
	copy(data[64:], fromChild)
	return nil
}

// helperNamed opens the object the parent named in RSHM_GO_NAME.
func helperNamed() error {
	fd, err := ShmOpen(os.Getenv("RSHM_GO_NAME"), O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("ShmOpen: %w", err)
	}
	defer Close(fd)
	return mapAndAnswer(fd)
}

// helperMemfd uses the memfd the parent passed as descriptor 3.
func helperMemfd() error {
	return mapAndAnswer(3)
}

func mapAndAnswer(fd int) error {
	st, err := FstatInfo(fd)
	if err != nil {
		return fmt.Errorf("Fstat: %w", err)
	}
	data, _, err := Mmap(nil, int(st.Size), PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	if err != nil {
		return fmt.Errorf("Mmap: %w", err)
	}
	defer Munmap(data)
	return readAndAnswer(data)
}

// helperCmd is this test binary to be run as the helper `role`, with env
// added to the environment and extra files from descriptor 3 on.
func helperCmd(role string, env []string, files ...*os.File) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	cmd.ExtraFiles = files
	return cmd
}

// runChild runs the helper `role` and checks that it answered in data.
func runChild(t *testing.T, role string, data []byte, env []string, files ...*os.File) {
	t.Helper()
	copy(data, fromParent)
	out, err := helperCmd(role, env, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", role, err, out)
	}
	if !bytes.HasPrefix(data[64:], []byte(fromChild)) {
		t.Errorf("parent sees %q after the child ran, want %q", data[64:64+len(fromChild)], fromChild)
	}
}

func TestTwoProcessesShareANamedObject(t *testing.T) {
	name := testName(t, "two-procs")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	size := Getpagesize()
	must(t, "Ftruncate", Ftruncate(fd, size))
	data, _, err := Mmap(nil, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	defer Munmap(data)
	runChild(t, "named", data, []string{"RSHM_GO_NAME=" + name})
}

func TestTwoProcessesShareAMemfd(t *testing.T) {
	fd, err := MemfdCreate("rshm-go-two-procs", MFD_CLOEXEC)
	must(t, "MemfdCreate", err)
	file := os.NewFile(uintptr(fd), "memfd") // owns fd from here on
	defer file.Close()
	size := Getpagesize()
	must(t, "Ftruncate", Ftruncate(fd, size))
	data, _, err := Mmap(nil, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	defer Munmap(data)
	runChild(t, "memfd", data, nil, file)
}
