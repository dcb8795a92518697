package rshm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func init() {
	helpers["topic-subscriber"] = helperTopicSubscriber
}

const topicMessages = 1000

func topicMessage(i int) []byte {
	return bytes.Repeat([]byte{byte(i)}, i%200)
}

// helperTopicSubscriber subscribes to the topic the parent named, says so
// by printing "joined", and checks topicMessages messages then EPIPE.
func helperTopicSubscriber() error {
	sub, err := TopicOpen(os.Getenv("RSHM_GO_NAME"), O_RDONLY, 10*time.Second)
	if err != nil {
		return fmt.Errorf("TopicOpen: %w", err)
	}
	fmt.Println("joined")
	buf := make([]byte, 256)
	for i := 0; i < topicMessages; i++ {
		n, err := sub.Receive(buf, 10*time.Second)
		if err != nil {
			return fmt.Errorf("Receive %d: %w", i, err)
		}
		if !bytes.Equal(buf[:n], topicMessage(i)) {
			return fmt.Errorf("message %d: got %d bytes", i, n)
		}
	}
	if _, err := sub.Receive(buf, 10*time.Second); err != syscall.EPIPE {
		return fmt.Errorf("after the last: %v, want EPIPE", err)
	}
	return sub.Close()
}

// newTestTopic creates a topic whose name is removed when the test ends.
func newTestTopic(t *testing.T, tag string, capacity int, subs uint32, flags int) (*Topic, string) {
	t.Helper()
	name := testName(t, tag)
	pub, err := TopicCreate(name, capacity, subs, flags, 0o600)
	must(t, "TopicCreate", err)
	t.Cleanup(func() { _ = pub.Close() })
	return pub, name
}

func TestTopicPublishReceiveAndErrors(t *testing.T) {
	pub, name := newTestTopic(t, "topic", 1000, 2, 0)
	if pub.Capacity() != 1008 || pub.MaxMessage() != 976 {
		t.Errorf("capacity %d, max message %d", pub.Capacity(), pub.MaxMessage())
	}
	_, err := TopicCreate(name, 1000, 2, 0, 0o600)
	wantDetail(t, "TopicCreate again", err, syscall.EEXIST)
	_, err = TopicCreate(testName(t, "bad"), 1000, 2, 2, 0o600)
	wantDetail(t, "TopicCreate flags 2", err, syscall.EINVAL)
	_, err = TopicOpen(name, O_RDWR, 0)
	wantDetail(t, "TopicOpen O_RDWR", err, syscall.EBUSY)
	a, err := TopicOpen(name, O_RDONLY, 0)
	must(t, "TopicOpen", err)
	defer a.Close()
	b, err := TopicOpen(name, O_RDONLY, 0)
	must(t, "TopicOpen", err)
	defer b.Close()
	_, err = TopicOpen(name, O_RDONLY, 0)
	wantDetail(t, "TopicOpen a third", err, syscall.EUSERS)

	buf := make([]byte, 16)
	_, err = a.Receive(buf, 0)
	wantErrno(t, "Receive empty", err, syscall.EAGAIN)
	_, err = a.Receive(buf, time.Millisecond)
	wantErrno(t, "Receive empty, 1 ms", err, syscall.ETIMEDOUT)
	wantErrno(t, "Publish from a subscriber", a.Publish([]byte("x"), 0), syscall.EBADF)
	must(t, "Publish", pub.Publish([]byte("hello"), 0))
	for _, s := range []*Topic{a, b} {
		n, err := s.Receive(buf, 0)
		must(t, "Receive", err)
		if string(buf[:n]) != "hello" {
			t.Errorf("got %q", buf[:n])
		}
	}
	// b falls behind: the publisher never waits, b counts what it lost.
	for i := 0; i < 100; i++ {
		must(t, "Publish", pub.Publish(topicMessage(i%50), 0))
	}
	got := 0
	for {
		if _, err := b.Receive(make([]byte, 256), 0); err != nil {
			wantErrno(t, "Receive drained", err, syscall.EAGAIN)
			break
		}
		got++
	}
	if b.Lost() == 0 || uint64(got)+b.Lost() != 100 {
		t.Errorf("received %d + lost %d, want 100 with some lost", got, b.Lost())
	}
	must(t, "Close", pub.Close())
	must(t, "Close twice", pub.Close())
	for {
		if _, err := a.Receive(make([]byte, 256), 0); err != nil {
			wantErrno(t, "Receive after the publisher closed", err, syscall.EPIPE)
			break
		}
	}
	next, err := TopicOpen(name, O_RDWR, 0)
	must(t, "TopicOpen O_RDWR after Close", err)
	must(t, "Close", next.Close())
	must(t, "TopicUnlink", TopicUnlink(name))
}

func TestTopicFinalizerGivesThePlaceUp(t *testing.T) {
	_, name := newTestTopic(t, "final", 1024, 1, 0)
	func() {
		_, err := TopicOpen(name, O_RDONLY, 0)
		must(t, "TopicOpen", err)
	}()
	var err error
	for i := 0; i < 50; i++ {
		runtime.GC()
		var s *Topic
		if s, err = TopicOpen(name, O_RDONLY, 0); err == nil {
			s.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the unreachable subscriber still holds its place: %v", err)
}

// Two subscriber processes (started before the topic exists) each get every
// message in order, then EPIPE once the publisher closes.
func TestTopicTwoSubscriberProcesses(t *testing.T) {
	name := testName(t, "topic-procs")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	var joined []*bufio.Reader
	for i := 0; i < 2; i++ {
		cmd := helperCmd("topic-subscriber", []string{"RSHM_GO_NAME=" + name})
		stdout, err := cmd.StdoutPipe()
		must(t, "StdoutPipe", err)
		var errs bytes.Buffer
		cmd.Stderr = &errs
		must(t, "start a subscriber", cmd.Start())
		cmds, outs, joined = append(cmds, cmd), append(outs, &errs), append(joined, bufio.NewReader(stdout))
	}
	pub, err := TopicCreate(name, 4096, 2, TopicBlock, 0o600)
	if err != nil {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		t.Fatalf("TopicCreate: %v", err)
	}
	defer pub.Close()
	for i, r := range joined {
		if line, err := r.ReadString('\n'); err != nil || line != "joined\n" {
			t.Fatalf("subscriber %d: %q, %v\n%s", i, line, err, outs[i].String())
		}
	}
	for i := 0; i < topicMessages; i++ {
		must(t, "Publish", pub.Publish(topicMessage(i), 10*time.Second))
	}
	must(t, "Close", pub.Close())
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("subscriber %d: %v\n%s", i, err, outs[i].String())
		}
	}
}
