package rshm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func init() {
	helpers["value-writer"] = helperValueWriter
}

const valueWrites = 20000

// valueBytes is version v's value: v in its first 8 bytes, then v's low
// byte repeated, its length from v.
func valueBytes(v uint64) []byte {
	b := bytes.Repeat([]byte{byte(v)}, 8+int(v%100))
	binary.LittleEndian.PutUint64(b, v)
	return b
}

// helperValueWriter takes the writer's role of the value the parent named
// and writes valueWrites versions flat out.
func helperValueWriter() error {
	v, err := ValueOpen(os.Getenv("RSHM_GO_NAME"), O_RDWR, 10*time.Second)
	if err != nil {
		return fmt.Errorf("ValueOpen: %w", err)
	}
	for i := uint64(1); i <= valueWrites; i++ {
		if err := v.Write(valueBytes(i)); err != nil {
			return fmt.Errorf("Write %d: %w", i, err)
		}
	}
	return v.Close()
}

func TestValueWriteReadWaitAndErrors(t *testing.T) {
	name := testName(t, "value")
	w, err := ValueCreate(name, 64, 0o600)
	must(t, "ValueCreate", err)
	defer w.Close()
	if w.Size() != 64 {
		t.Errorf("Size %d", w.Size())
	}
	_, err = ValueCreate(name, 64, 0o600)
	wantDetail(t, "ValueCreate again", err, syscall.EEXIST)
	r, err := ValueOpen(name, O_RDONLY, 0)
	must(t, "ValueOpen", err)
	defer r.Close()
	buf := make([]byte, 64)
	if n, ver, err := r.Read(buf); err != nil || n != 0 || ver != 0 {
		t.Errorf("Read a new value: %d, %d, %v", n, ver, err)
	}
	wantErrno(t, "Wait, timeout 0", r.Wait(0, 0), syscall.EAGAIN)
	wantErrno(t, "Wait, 1 ms", r.Wait(0, time.Millisecond), syscall.ETIMEDOUT)

	woke := make(chan error)
	go func() { woke <- r.Wait(0, 10*time.Second) }()
	time.Sleep(10 * time.Millisecond)
	must(t, "Write", w.Write([]byte("hello, value")))
	must(t, "Wait woken", <-woke)
	n, ver, err := r.Read(buf)
	must(t, "Read", err)
	if string(buf[:n]) != "hello, value" || ver != 1 {
		t.Errorf("Read %q at version %d", buf[:n], ver)
	}
	_, _, err = r.Read(buf[:4])
	wantErrno(t, "Read into a small buffer", err, syscall.EMSGSIZE)
	wantErrno(t, "Write on a reader", r.Write([]byte("x")), syscall.EBADF)
	wantErrno(t, "Write too long", w.Write(make([]byte, 65)), syscall.EMSGSIZE)
	_, err = ValueOpen(name, O_RDWR, 0)
	wantDetail(t, "a second writer", err, syscall.EBUSY)
	_, err = ValueOpen(name, O_WRONLY, 0)
	wantDetail(t, "ValueOpen O_WRONLY", err, syscall.EINVAL)
	must(t, "Write empty", w.Write(nil))

	must(t, "Close", r.Close())
	must(t, "Close twice", r.Close())
	_, _, err = r.Read(buf)
	wantErrno(t, "Read on a closed Value", err, syscall.EFAULT)

	must(t, "ValueUnlink", ValueUnlink(name))
	wantDetail(t, "ValueUnlink again", ValueUnlink(name), syscall.ENOENT)
	_, err = ValueCreate(name, 0, 0o600)
	wantDetail(t, "ValueCreate size 0", err, syscall.EINVAL)
	_, err = ValueOpen("a\x00b", O_RDONLY, 0)
	wantDetail(t, "ValueOpen with a NUL", err, syscall.EINVAL)
}

// A Value dropped unclosed is closed by its finalizer: its writer's role
// comes free.
func TestValueFinalizerGivesTheRoleUp(t *testing.T) {
	name := testName(t, "value-final")
	func() {
		_, err := ValueCreate(name, 8, 0o600)
		must(t, "ValueCreate", err)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		w, err := ValueOpen(name, O_RDWR, 0)
		if err == nil {
			must(t, "Close", w.Close())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer's role never came free: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	must(t, "ValueUnlink", ValueUnlink(name))
}

// A writer in another process writes flat out; this one reads: every value
// whole, versions never back, and it waits for the next one.
func TestValueBetweenTwoProcesses(t *testing.T) {
	name := testName(t, "value-procs")
	w, err := ValueCreate(name, 128, 0o600)
	must(t, "ValueCreate", err)
	r, err := ValueOpen(name, O_RDONLY, 0)
	must(t, "ValueOpen", err)
	defer r.Close()
	must(t, "Close the creator's writer", w.Close())
	cmd := helperCmd("value-writer", []string{"RSHM_GO_NAME=" + name})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start the writer", cmd.Start())
	buf := make([]byte, 128)
	var last uint64
	for last < valueWrites {
		if err := r.Wait(last, 10*time.Second); err != nil {
			t.Fatalf("Wait after %d: %v", last, err)
		}
		n, ver, err := r.Read(buf)
		must(t, "Read", err)
		if ver < last || !bytes.Equal(buf[:n], valueBytes(ver)) {
			t.Fatalf("version %d after %d: %x", ver, last, buf[:n])
		}
		last = ver
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("writer: %v\n%s", err, out.String())
	}
	must(t, "ValueUnlink", ValueUnlink(name))
}
