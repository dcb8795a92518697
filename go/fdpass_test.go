package rshm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func init() {
	helpers["fdpass"] = helperFdpass
}

// childSock is the child's end of the socket: descriptor 3 (ExtraFiles[0]).
const childSock = 3

// helperFdpass receives the parent's sealed memfd, checks that the seals
// hold, reads the parent's text, and sends back a memfd of its own with
// its answer.
func helperFdpass() error {
	fd, err := RecvFd(childSock)
	if err != nil {
		return fmt.Errorf("RecvFd: %w", err)
	}
	defer Close(fd)
	if fl, err := Fcntl(fd, syscall.F_GETFD, 0); err != nil || fl&syscall.FD_CLOEXEC == 0 {
		return fmt.Errorf("received descriptor: F_GETFD %#x, %v; want close-on-exec", fl, err)
	}
	want := F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL
	if s, err := GetSeals(fd); err != nil || s != want {
		return fmt.Errorf("GetSeals = %#x, %v; want %#x", s, err, want)
	}
	st, err := FstatInfo(fd)
	if err != nil {
		return fmt.Errorf("Fstat: %w", err)
	}
	if _, _, err := Mmap(nil, int(st.Size), PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); err != syscall.EPERM {
		return fmt.Errorf("writable Mmap of the sealed memfd: %v, want EPERM", err)
	}
	data, _, err := Mmap(nil, int(st.Size), PROT_READ, MAP_SHARED, fd, 0)
	if err != nil {
		return fmt.Errorf("Mmap: %w", err)
	}
	defer Munmap(data)
	if !bytes.HasPrefix(data, []byte(fromParent)) {
		return fmt.Errorf("child read %q, want %q", data[:len(fromParent)], fromParent)
	}

	reply, err := MemfdCreate("rshm-go-fdpass-reply", MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("MemfdCreate: %w", err)
	}
	defer Close(reply)
	if err := Ftruncate(reply, Getpagesize()); err != nil {
		return fmt.Errorf("Ftruncate: %w", err)
	}
	out, _, err := Mmap(nil, Getpagesize(), PROT_READ|PROT_WRITE, MAP_SHARED, reply, 0)
	if err != nil {
		return fmt.Errorf("Mmap reply: %w", err)
	}
	copy(out, fromChild)
	if err := Munmap(out); err != nil {
		return fmt.Errorf("Munmap: %w", err)
	}
	if err := SendFd(childSock, reply); err != nil {
		return fmt.Errorf("SendFd: %w", err)
	}
	return nil
}

// socketpair is a connected pair of unix sockets of type typ, close-on-exec.
func socketpair(t *testing.T, typ int) [2]int {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
	must(t, "Socketpair", err)
	return [2]int{fds[0], fds[1]}
}

// A sealed memfd goes to another process over a seqpacket socket, and an
// unsealed one comes back.
func TestSendFdToAnotherProcess(t *testing.T) {
	page := Getpagesize()
	sv := socketpair(t, syscall.SOCK_SEQPACKET)
	closeLater(t, sv[0])
	childEnd := os.NewFile(uintptr(sv[1]), "socket") // owns sv[1]

	fd, err := MemfdCreate("rshm-go-fdpass", MFD_CLOEXEC|MFD_ALLOW_SEALING)
	must(t, "MemfdCreate", err)
	closeLater(t, fd)
	must(t, "Ftruncate", Ftruncate(fd, page))
	data, _, err := Mmap(nil, page, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
	must(t, "Mmap", err)
	copy(data, fromParent)
	must(t, "Munmap", Munmap(data))
	must(t, "AddSeals", AddSeals(fd, F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE|F_SEAL_SEAL))

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=fdpass")
	cmd.ExtraFiles = []*os.File{childEnd}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start child", cmd.Start())
	childEnd.Close() // the child's copy is its only one: its exit ends the connection

	must(t, "SendFd", SendFd(sv[0], fd))
	reply, err := RecvFd(sv[0])
	werr := cmd.Wait()
	if werr != nil {
		t.Fatalf("child: %v\n%s", werr, out.Bytes())
	}
	must(t, "RecvFd", err)
	closeLater(t, reply)
	answer, _, err := Mmap(nil, page, PROT_READ, MAP_SHARED, reply, 0)
	must(t, "Mmap reply", err)
	defer Munmap(answer)
	if !bytes.HasPrefix(answer, []byte(fromChild)) {
		t.Errorf("parent reads %q in the child's memfd, want %q", answer[:len(fromChild)], fromChild)
	}

	// The child is gone: nothing more to receive, nobody to send to.
	_, err = RecvFd(sv[0])
	wantErrno(t, "RecvFd from a closed peer", err, syscall.ECONNRESET)
	wantErrno(t, "SendFd to a closed peer", SendFd(sv[0], fd), syscall.EPIPE)
}

func TestSendFdErrors(t *testing.T) {
	memfd := newMemfd(t, 0)
	sv := socketpair(t, syscall.SOCK_STREAM)
	closeLater(t, sv[0])
	closeLater(t, sv[1])

	// A stream socket works too; the descriptor received is a new one.
	must(t, "SendFd on a stream socket", SendFd(sv[0], memfd))
	got, err := RecvFd(sv[1])
	must(t, "RecvFd on a stream socket", err)
	closeLater(t, got)
	if got == memfd {
		t.Errorf("RecvFd returned the sender's descriptor %d", got)
	}
	a, _ := FstatInfo(memfd)
	b, _ := FstatInfo(got)
	if a.Ino != b.Ino || a.Dev != b.Dev {
		t.Errorf("received descriptor is another file: inode %d, want %d", b.Ino, a.Ino)
	}

	// A message without a descriptor: EBADMSG, and it is consumed.
	_, err = syscall.Write(sv[0], []byte{'x'})
	must(t, "Write", err)
	_, err = RecvFd(sv[1])
	wantErrno(t, "RecvFd of a message without a descriptor", err, syscall.EBADMSG)
	must(t, "SetNonblock", syscall.SetNonblock(sv[1], true))
	_, err = RecvFd(sv[1])
	wantErrno(t, "RecvFd non-blocking with nothing waiting", err, syscall.EAGAIN)

	wantErrno(t, "SendFd bad socket", SendFd(-1, memfd), syscall.EBADF)
	wantErrno(t, "SendFd bad fd", SendFd(sv[0], -1), syscall.EBADF)
	wantErrno(t, "SendFd not a socket", SendFd(memfd, memfd), syscall.ENOTSOCK)
	_, err = RecvFd(-1)
	wantErrno(t, "RecvFd bad socket", err, syscall.EBADF)
	_, err = RecvFd(memfd)
	wantErrno(t, "RecvFd not a socket", err, syscall.ENOTSOCK)
}
