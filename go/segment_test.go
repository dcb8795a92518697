package rshm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func init() {
	helpers["segment-wait"] = helperSegmentWait
}

const pattern = 0x5a

// helperSegmentWait opens the segment RSHM_GO_NAME before it exists and
// waits for it: it must find RSHM_GO_SIZE bytes of pattern, never a
// half-made segment, then answers at data[64:].
func helperSegmentWait() error {
	size, err := strconv.Atoi(os.Getenv("RSHM_GO_SIZE"))
	if err != nil {
		return err
	}
	fmt.Println("waiting") // the parent creates the segment once it reads this
	seg, err := SegmentOpen(os.Getenv("RSHM_GO_NAME"), O_RDWR, 30*time.Second)
	if err != nil {
		return fmt.Errorf("SegmentOpen: %w", err)
	}
	defer seg.Close()
	data := seg.Data()
	if seg.Size() != size || len(data) != size {
		return fmt.Errorf("segment size %d (data %d), want %d", seg.Size(), len(data), size)
	}
	if i := bytes.IndexFunc(data, func(r rune) bool { return r != pattern }); i >= 0 {
		return fmt.Errorf("byte %d is %#x: the opener saw data init had not written", i, data[i])
	}
	copy(data[64:], fromChild)
	return nil
}

// leftovers lists what this process has in /dev/shm: its test names and
// rshm's temporary names ("rshm-tmp.PID.…").
func leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/dev/shm")
	must(t, "ReadDir /dev/shm", err)
	mine := fmt.Sprintf("rshm-test-%d-", os.Getpid())
	tmp := fmt.Sprintf("rshm-tmp.%d.", os.Getpid())
	var found []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), mine) || strings.HasPrefix(e.Name(), tmp) {
			found = append(found, e.Name())
		}
	}
	return found
}

// closeSegmentLater closes seg when the test ends unless the test did.
func closeSegmentLater(t *testing.T, seg *Segment) {
	t.Helper()
	t.Cleanup(func() { _ = seg.Close() })
}

func TestSegment(t *testing.T) {
	name := testName(t, "seg")
	w, err := SegmentCreate(name, 1000, 0o600)
	must(t, "SegmentCreate", err)
	closeSegmentLater(t, w)
	data := w.Data()
	if w.Size() != 1000 || len(data) != 1000 || cap(data) != 1000 {
		t.Fatalf("Size %d, data len %d cap %d; want 1000", w.Size(), len(data), cap(data))
	}
	if uintptr(unsafe.Pointer(&data[0]))%uintptr(Getpagesize()) != 0 {
		t.Errorf("segment data at %p is not page-aligned", &data[0])
	}
	if !bytes.Equal(data, make([]byte, 1000)) {
		t.Errorf("a new segment's data is not zeroed")
	}
	copy(data, "hello")

	r, err := SegmentOpen(name, O_RDONLY, 0)
	must(t, "SegmentOpen O_RDONLY", err)
	closeSegmentLater(t, r)
	if r.Size() != 1000 || string(r.Data()[:5]) != "hello" {
		t.Errorf("opener sees size %d, %q", r.Size(), r.Data()[:5])
	}
	if !writeFaults(r.Data()) {
		t.Errorf("the data of a segment opened O_RDONLY is writable")
	}
	rw, err := SegmentOpen(name, O_RDWR, time.Second)
	must(t, "SegmentOpen O_RDWR", err)
	rw.Data()[0] = 'j'
	if string(r.Data()[:5]) != "jello" {
		t.Errorf("a write through one handle is not seen through another: %q", r.Data()[:5])
	}
	must(t, "Close", rw.Close())

	// The name is taken: EEXIST, the segment untouched.
	_, err = SegmentCreate(name, 50, 0o600)
	wantDetail(t, "SegmentCreate on an existing segment", err, syscall.EEXIST)
	if r.Size() != 1000 || string(r.Data()[:5]) != "jello" {
		t.Errorf("a refused SegmentCreate changed the segment")
	}

	// Close is idempotent and empties the handle; handles outlive the name.
	must(t, "Close", w.Close())
	must(t, "Close again", w.Close())
	if w.Data() != nil || w.Size() != 0 {
		t.Errorf("after Close: Data %v, Size %d; want nil, 0", w.Data() == nil, w.Size())
	}
	must(t, "SegmentUnlink", SegmentUnlink(name))
	if string(r.Data()[:5]) != "jello" {
		t.Errorf("an open handle lost its data when the name went")
	}
	must(t, "Close reader", r.Close())
	wantDetail(t, "SegmentUnlink twice", SegmentUnlink(name), syscall.ENOENT)
	_, err = SegmentOpen(name, O_RDONLY, 0)
	wantDetail(t, "SegmentOpen after unlink, no wait", err, syscall.ENOENT)
}

func TestSegmentErrors(t *testing.T) {
	name := testName(t, "never")
	_, err := SegmentOpen(name, O_RDONLY, 20*time.Millisecond)
	wantDetail(t, "SegmentOpen of a name nobody creates", err, syscall.ETIMEDOUT)
	_, err = SegmentOpen(name, O_RDONLY, 0)
	wantDetail(t, "SegmentOpen without waiting", err, syscall.ENOENT)
	_, err = SegmentOpen(name, O_RDONLY, -time.Second)
	wantDetail(t, "SegmentOpen negative timeout", err, syscall.EINVAL)
	_, err = SegmentOpen(name, O_WRONLY, 0)
	wantDetail(t, "SegmentOpen O_WRONLY", err, syscall.EINVAL)
	_, err = SegmentOpen(name, O_RDWR|O_CREAT, 0)
	wantDetail(t, "SegmentOpen O_CREAT", err, syscall.EINVAL)
	_, err = SegmentOpen("/rshm-test\x00nul", O_RDONLY, 0)
	wantDetail(t, "SegmentOpen NUL in name", err, syscall.EINVAL)

	_, err = SegmentCreate(name, 0, 0o600)
	wantDetail(t, "SegmentCreate size 0", err, syscall.EINVAL)
	_, err = SegmentCreate(name, -1, 0o600)
	wantDetail(t, "SegmentCreate negative size", err, syscall.EINVAL)
	_, err = SegmentCreate("/a/b", 10, 0o600)
	wantDetail(t, "SegmentCreate inner slash", err, syscall.EINVAL)
	_, err = SegmentCreate("/rshm-test\x00nul", 10, 0o600)
	wantDetail(t, "SegmentCreate NUL in name", err, syscall.EINVAL)
	if big, ok := wideInt(1 << 50); ok {
		_, err = SegmentCreate(name, big, 0o600)
		wantDetail(t, "SegmentCreate beyond /dev/shm", err, syscall.ENOSPC)
	}
	wantDetail(t, "SegmentUnlink NUL in name", SegmentUnlink("/rshm-test\x00nul"), syscall.EINVAL)
	wantDetail(t, "SegmentUnlink missing", SegmentUnlink(name), syscall.ENOENT)
	if left := leftovers(t); len(left) != 0 {
		t.Errorf("failed creations left %v in /dev/shm", left)
	}

	// A plain object of that name: EEXIST for the creator, which leaves it
	// alone; EINVAL for an opener.
	plain := testName(t, "plain")
	fd, err := ShmOpen(plain, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "Ftruncate", Ftruncate(fd, Getpagesize()))
	_, err = SegmentCreate(plain, 100, 0o600)
	wantDetail(t, "SegmentCreate over a plain object", err, syscall.EEXIST)
	if st, _ := FstatInfo(fd); st.Size != int64(Getpagesize()) {
		t.Errorf("SegmentCreate changed a plain object's size to %d", st.Size)
	}
	_, err = SegmentOpen(plain, O_RDONLY, 0)
	wantDetail(t, "SegmentOpen of a plain object", err, syscall.EINVAL)
}

func TestSegmentCreateInit(t *testing.T) {
	name := testName(t, "init")
	calls := 0
	seg, err := SegmentCreateInit(name, 3*Getpagesize()+5, 0o600, func(data []byte) error {
		calls++
		if len(data) != 3*Getpagesize()+5 || !bytes.Equal(data, make([]byte, len(data))) {
			return fmt.Errorf("init got %d bytes, zeroed: %v", len(data), bytes.Count(data, []byte{0}) == len(data))
		}
		copy(data, "ready")
		return nil
	})
	must(t, "SegmentCreateInit", err)
	closeSegmentLater(t, seg)
	r, err := SegmentOpen(name, O_RDONLY, 0)
	must(t, "SegmentOpen", err)
	closeSegmentLater(t, r)
	if calls != 1 || string(r.Data()[:5]) != "ready" {
		t.Errorf("init ran %d times; opener reads %q", calls, r.Data()[:5])
	}
	must(t, "SegmentUnlink", SegmentUnlink(name))

	// A nil init is plain SegmentCreate.
	plain := testName(t, "nil-init")
	seg, err = SegmentCreateInit(plain, 10, 0o600, nil)
	must(t, "SegmentCreateInit nil", err)
	must(t, "Close", seg.Close())
	must(t, "SegmentUnlink", SegmentUnlink(plain))
}

// init fails or panics: nothing is left behind, under the name or a
// temporary one, and the caller gets init's error or panic.
func TestSegmentCreateInitFailureLeavesNothing(t *testing.T) {
	name := testName(t, "init-fails")
	errMine := errors.New("not today")
	seg, err := SegmentCreateInit(name, 4096, 0o600, func(data []byte) error {
		copy(data, "half written")
		return errMine
	})
	if seg != nil || err != errMine {
		t.Fatalf("SegmentCreateInit with a failing init: %v, %v; want nil and init's error", seg, err)
	}
	_, err = ShmOpen(name, O_RDONLY, 0)
	wantErrno(t, "ShmOpen after a failed init", err, syscall.ENOENT)
	if left := leftovers(t); len(left) != 0 {
		t.Errorf("a failed init left %v in /dev/shm", left)
	}

	func() {
		defer func() {
			if v := recover(); v != "init panics" {
				t.Errorf("recovered %v, want init's panic", v)
			}
		}()
		_, _ = SegmentCreateInit(name, 4096, 0o600, func([]byte) error { panic("init panics") })
		t.Errorf("SegmentCreateInit returned after init panicked")
	}()
	_, err = ShmOpen(name, O_RDONLY, 0)
	wantErrno(t, "ShmOpen after a panicking init", err, syscall.ENOENT)
	if left := leftovers(t); len(left) != 0 {
		t.Errorf("a panicking init left %v in /dev/shm", left)
	}

	// The name is free for a creation that succeeds.
	seg, err = SegmentCreate(name, 10, 0o600)
	must(t, "SegmentCreate after the failures", err)
	must(t, "Close", seg.Close())
}

// A child process opens the segment before it exists and waits; it finds
// everything init wrote, and its answer reaches the parent.
func TestSegmentOpenedByAWaitingChild(t *testing.T) {
	name := testName(t, "wait")
	size := 3*Getpagesize() + 5
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=segment-wait", "RSHM_GO_NAME="+name,
		"RSHM_GO_SIZE="+strconv.Itoa(size))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	must(t, "StdoutPipe", err)
	must(t, "start child", cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "waiting\n" {
		_ = cmd.Wait()
		t.Fatalf("child said %q, %v\n%s", line, err, stderr.Bytes())
	}

	seg, err := SegmentCreateInit(name, size, 0o600, func(data []byte) error {
		for i := range data {
			data[i] = pattern
		}
		return nil
	})
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("SegmentCreateInit: %v", err)
	}
	closeSegmentLater(t, seg)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.Bytes())
	}
	if !bytes.HasPrefix(seg.Data()[64:], []byte(fromChild)) {
		t.Errorf("parent sees %q after the child ran, want %q", seg.Data()[64:64+len(fromChild)], fromChild)
	}
}
