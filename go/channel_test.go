package rshm

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func init() {
	helpers["channel-sender"] = helperChannelSender
}

const channelMessages = 1000

func channelMessage(i int) []byte {
	return bytes.Repeat([]byte{byte(i)}, i%200)
}

// helperChannelSender opens the channel the parent named (waiting for it)
// and sends channelMessages messages, then closes it.
func helperChannelSender() error {
	ch, err := ChannelOpen(os.Getenv("RSHM_GO_NAME"), 10*time.Second)
	if err != nil {
		return fmt.Errorf("ChannelOpen: %w", err)
	}
	for i := 0; i < channelMessages; i++ {
		if err := ch.Send(channelMessage(i), -1); err != nil {
			return fmt.Errorf("Send %d: %w", i, err)
		}
	}
	return ch.Close()
}

// newChannel creates a channel whose name is removed when the test ends.
func newChannel(t *testing.T, tag string, capacity int) (*Channel, string) {
	t.Helper()
	name := testName(t, tag)
	ch, err := ChannelCreate(name, capacity, 0o600)
	must(t, "ChannelCreate", err)
	t.Cleanup(func() { _ = ch.Close() })
	return ch, name
}

func TestChannelSendRecvAndErrors(t *testing.T) {
	tx, name := newChannel(t, "chan", 1000)
	if tx.Capacity() != 1000 || tx.MaxMessage() != 984 {
		t.Errorf("capacity %d, max message %d", tx.Capacity(), tx.MaxMessage())
	}
	_, err := ChannelCreate(name, 1000, 0o600)
	wantDetail(t, "ChannelCreate again", err, syscall.EEXIST)
	rx, err := ChannelOpen(name, 0)
	must(t, "ChannelOpen", err)
	defer rx.Close()

	buf := make([]byte, 16)
	_, err = rx.Recv(buf, 0)
	wantErrno(t, "Recv empty", err, syscall.EAGAIN)
	_, err = rx.Recv(buf, time.Millisecond)
	wantErrno(t, "Recv empty, waiting", err, syscall.ETIMEDOUT)

	must(t, "Send", tx.Send([]byte("hello, channel"), 0))
	must(t, "Send empty", tx.Send(nil, 0))
	_, err = rx.Recv(buf[:4], 0)
	wantErrno(t, "Recv into a small buffer", err, syscall.EMSGSIZE)
	n, err := rx.Recv(buf, 0)
	must(t, "Recv", err)
	if string(buf[:n]) != "hello, channel" {
		t.Errorf("Recv got %q", buf[:n])
	}
	if n, err := rx.Recv(nil, 0); err != nil || n != 0 {
		t.Errorf("Recv empty message: %d, %v", n, err)
	}
	wantErrno(t, "Send too large", tx.Send(make([]byte, tx.MaxMessage()+1), 0), syscall.EMSGSIZE)

	third, err := ChannelOpen(name, 0)
	must(t, "ChannelOpen third", err)
	defer third.Close()
	wantErrno(t, "second sender", third.Send([]byte("x"), 0), syscall.EBUSY)
	_, err = third.Recv(buf, 0)
	wantErrno(t, "second receiver", err, syscall.EBUSY)

	must(t, "Close receiver", rx.Close())
	wantErrno(t, "Send to a closed receiver", tx.Send([]byte("x"), -1), syscall.EPIPE)
	must(t, "Close twice", rx.Close())
	_, err = rx.Recv(buf, 0)
	wantErrno(t, "Recv on a closed Channel", err, syscall.EFAULT)

	must(t, "ChannelUnlink", ChannelUnlink(name))
	wantDetail(t, "ChannelUnlink again", ChannelUnlink(name), syscall.ENOENT)
	_, err = ChannelOpen(name, 0)
	wantDetail(t, "ChannelOpen after unlink", err, syscall.ENOENT)
	_, err = ChannelOpen(name, 10*time.Millisecond)
	wantDetail(t, "ChannelOpen waiting", err, syscall.ETIMEDOUT)
	_, err = ChannelOpen(name, 500*time.Microsecond)
	wantDetail(t, "ChannelOpen waiting under a millisecond", err, syscall.ETIMEDOUT)
	_, err = ChannelCreate(name, 0, 0o600)
	wantDetail(t, "ChannelCreate capacity 0", err, syscall.EINVAL)
	_, err = ChannelCreate("a\x00b", 64, 0o600)
	wantDetail(t, "ChannelCreate with a NUL", err, syscall.EINVAL)
}

func TestChannelRefusesAPlainObject(t *testing.T) {
	name := testName(t, "plain")
	fd, err := ShmOpen(name, O_CREAT|O_EXCL|O_RDWR, 0o600)
	must(t, "ShmOpen", err)
	closeLater(t, fd)
	must(t, "Ftruncate", Ftruncate(fd, 8192))
	_, err = ChannelOpen(name, 0)
	wantDetail(t, "ChannelOpen on a plain object", err, syscall.EINVAL)
}

// A second process opens the channel (it starts before it exists) and
// sends; this one receives everything in order, then EPIPE.
func TestChannelBetweenTwoProcesses(t *testing.T) {
	name := testName(t, "chan-procs")
	cmd := helperCmd("channel-sender", []string{"RSHM_GO_NAME=" + name})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start the sender", cmd.Start())
	time.Sleep(20 * time.Millisecond)
	rx, err := ChannelCreate(name, 4096, 0o600)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("ChannelCreate: %v", err)
	}
	defer rx.Close()
	buf := make([]byte, 256)
	for i := 0; i < channelMessages; i++ {
		n, err := rx.Recv(buf, 10*time.Second)
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], channelMessage(i)) {
			t.Fatalf("message %d: got %d bytes, want %d", i, n, len(channelMessage(i)))
		}
	}
	_, err = rx.Recv(buf, 10*time.Second)
	wantErrno(t, "Recv after the sender closed", err, syscall.EPIPE)
	if err := cmd.Wait(); err != nil {
		t.Errorf("sender: %v\n%s", err, out.String())
	}
}
