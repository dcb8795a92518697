package rshm

import (
	"context"
	"fmt"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"
)

// Parking for the value and the topic (poll.go): the channel's tests are
// in poll_linux_test.go.

func newTestValue(t *testing.T, tag string) (*Value, string) {
	t.Helper()
	name := testName(t, tag)
	w, err := ValueCreate(name, 64, 0o600)
	must(t, "ValueCreate", err)
	t.Cleanup(func() { _ = w.Close() })
	return w, name
}

func valueReader(t *testing.T, name string) *Value {
	t.Helper()
	r, err := ValueOpen(name, O_RDONLY, 0)
	must(t, "ValueOpen", err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// waitDone is the error a goroutine sends on done, or a failure after 10 s.
func waitDone(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still waiting after 10 s", what)
		return nil
	}
}

func TestValueParkedWait(t *testing.T) {
	noRecheck(t)
	w, name := newTestValue(t, "vpark")
	must(t, "Write", w.Write([]byte("one")))
	buf := make([]byte, 64)

	// The version the handle read last: the descriptor agrees at once.
	r := valueReader(t, name)
	if _, ver, err := r.Read(buf); err != nil || ver != 1 {
		t.Fatalf("Read: version %d, %v", ver, err)
	}
	p := pollerFor(t, &r.park, readerFd(r.Fd))
	done := make(chan error, 1)
	go func() { done <- r.Wait(1, -1) }()
	waitParked(t, p, 1)
	must(t, "Write", w.Write([]byte("two")))
	if err := waitDone(t, done, "Wait(1)"); err != nil {
		t.Errorf("parked Wait(1) after a write: %v", err)
	}
	if n, ver, err := r.Read(buf); err != nil || ver != 2 || string(buf[:n]) != "two" {
		t.Errorf("Read after the wait: %q, version %d, %v", buf[:n], ver, err)
	}

	// A version the handle has not read (a fresh reader, which read
	// nothing): Wait reads to make the descriptor agree, then parks.
	r2 := valueReader(t, name)
	p2 := pollerFor(t, &r2.park, readerFd(r2.Fd))
	go func() { done <- r2.Wait(2, -1) }()
	waitParked(t, p2, 1)
	if r2.seen != 2 {
		t.Errorf("a parked Wait(2) left the handle at version %d", r2.seen)
	}
	must(t, "Write", w.Write([]byte("three")))
	if err := waitDone(t, done, "Wait(2)"); err != nil {
		t.Errorf("parked Wait(2) after a write: %v", err)
	}
	if s := p2.stucks.Load(); s != 0 {
		t.Errorf("the descriptor stayed readable after an EAGAIN %d times: it and Wait's version disagree", s)
	}
	// A version behind the latest: at once, parking nothing.
	parks := p2.parks.Load()
	if err := r2.Wait(1, -1); err != nil || p2.parks.Load() != parks {
		t.Errorf("Wait for an old version: %v, parked %d times", err, p2.parks.Load()-parks)
	}

	// A parked WaitContext: the write, then a cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parks = p.parks.Load()
	go func() { done <- r.WaitContext(ctx, 3) }()
	waitParked(t, p, parks+1)
	must(t, "Write", w.Write([]byte("four")))
	if err := waitDone(t, done, "WaitContext(3)"); err != nil {
		t.Errorf("parked WaitContext(3) after a write: %v", err)
	}
	parks = p.parks.Load()
	go func() { done <- r.WaitContext(ctx, 4) }()
	waitParked(t, p, parks+1)
	cancel()
	if err := waitDone(t, done, "a cancelled WaitContext"); err != context.Canceled {
		t.Errorf("cancelled WaitContext: %v, want ctx.Err()", err)
	}
	if err := r.WaitContext(ctx, 0); err != context.Canceled {
		t.Errorf("WaitContext with a done context: %v, want ctx.Err()", err)
	}
	// A timeout on the netpoller.
	start := time.Now()
	wantErrno(t, "parked Wait past its timeout", r.Wait(4, 20*time.Millisecond), syscall.ETIMEDOUT)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("Wait with a 20 ms timeout returned after %v", d)
	}

	// The writer has no descriptor: its wait blocks in cgo, as before.
	go func() { done <- w.Wait(4, -1) }()
	time.Sleep(10 * time.Millisecond)
	must(t, "Write", w.Write([]byte("five")))
	if err := waitDone(t, done, "the writer's Wait"); err != nil {
		t.Errorf("the writer's Wait: %v", err)
	}
	if w.park.p != nil || !w.park.never {
		t.Errorf("the writer has a poller, or asks for one again")
	}
	must(t, "Close", r.Close())
	wantErrno(t, "Wait on a closed Value", r.Wait(0, time.Second), EFAULT)
}

// 100 goroutines parked in Wait, each on a reader of its own, hold no Go
// thread (each reader's descriptor has a watcher thread in the library:
// see rshm_value_fd), and each gets the new version.
func TestParkedValueWaitersHoldNoThreads(t *testing.T) {
	noRecheck(t)
	const n = 100
	w, name := newTestValue(t, "vthreads")
	made := pprof.Lookup("threadcreate")
	before := made.Count()
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		r := valueReader(t, name)
		p := pollerFor(t, &r.park, readerFd(r.Fd))
		go func() { done <- r.Wait(0, -1) }()
		waitParked(t, p, 1)
	}
	time.Sleep(20 * time.Millisecond)
	during := made.Count()
	t.Logf("Go threads made: %d before, %d with %d goroutines parked in Wait", before, during, n)
	if during > before+20 {
		t.Errorf("%d Go threads made with %d goroutines parked in Wait (%d before)", during, n, before)
	}
	must(t, "Write", w.Write([]byte("new")))
	for i := 0; i < n; i++ {
		if err := waitDone(t, done, fmt.Sprint("waiter ", i)); err != nil {
			t.Errorf("waiter: %v", err)
		}
	}
}

func TestTopicParkedReceive(t *testing.T) {
	noRecheck(t)
	pub, name := newTestTopic(t, "tpark", 1000, 2, 0)
	sub, err := TopicOpen(name, O_RDONLY, 0)
	must(t, "TopicOpen", err)
	defer sub.Close()
	p := pollerFor(t, &sub.park, readerFd(sub.Fd))
	type got struct {
		msg string
		err error
	}
	done := make(chan got, 1)
	buf := make([]byte, 64)
	go func() {
		n, err := sub.Receive(buf, -1)
		done <- got{string(buf[:n]), err}
	}()
	waitParked(t, p, 1)
	must(t, "Publish", pub.Publish([]byte("hello"), 0))
	select {
	case g := <-done:
		if g.err != nil || g.msg != "hello" {
			t.Errorf("parked Receive: %q, %v", g.msg, g.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("parked Receive still waiting 10 s after the publish")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parks := p.parks.Load()
	go func() {
		n, err := sub.ReceiveContext(ctx, buf)
		done <- got{string(buf[:n]), err}
	}()
	waitParked(t, p, parks+1)
	must(t, "Publish", pub.Publish([]byte("again"), 0))
	if g := <-done; g.err != nil || g.msg != "again" {
		t.Errorf("parked ReceiveContext: %q, %v", g.msg, g.err)
	}
	parks = p.parks.Load()
	go func() {
		_, err := sub.ReceiveContext(ctx, buf)
		done <- got{"", err}
	}()
	waitParked(t, p, parks+1)
	cancel()
	select {
	case g := <-done:
		if g.err != context.Canceled {
			t.Errorf("cancelled ReceiveContext: %v, want ctx.Err()", g.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReceiveContext still waiting 10 s after its cancellation")
	}
	// Done before the call: the message waiting stays.
	must(t, "Publish", pub.Publish([]byte("kept"), 0))
	if _, err := sub.ReceiveContext(ctx, buf); err != context.Canceled {
		t.Errorf("ReceiveContext with a done context: %v", err)
	}
	if n, err := sub.Receive(buf, 0); err != nil || string(buf[:n]) != "kept" {
		t.Errorf("after a cancelled ReceiveContext: %q, %v", buf[:n], err)
	}
	start := time.Now()
	_, err = sub.Receive(buf, 20*time.Millisecond)
	wantErrno(t, "parked Receive past its timeout", err, syscall.ETIMEDOUT)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("Receive with a 20 ms timeout returned after %v", d)
	}
	// The publisher's end: EPIPE wakes a parked subscriber.
	go func() {
		_, err := sub.Receive(buf, -1)
		done <- got{"", err}
	}()
	waitParked(t, p, p.parks.Load()+1)
	must(t, "Close", pub.Close())
	select {
	case g := <-done:
		wantErrno(t, "parked Receive after the publisher closed", g.err, syscall.EPIPE)
	case <-time.After(10 * time.Second):
		t.Fatal("parked Receive still waiting 10 s after the publisher closed")
	}
	must(t, "Close", sub.Close())
	_, err = sub.Receive(buf, time.Second)
	wantErrno(t, "Receive on a closed Topic", err, EFAULT)
}

// 100 subscribers parked in Receive hold no threads, and one publish
// wakes them all.
func TestParkedSubscribersHoldNoThreads(t *testing.T) {
	noRecheck(t)
	const n = 100
	pub, name := newTestTopic(t, "tthreads", 1000, n, 0)
	before := threads(t)
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		sub, err := TopicOpen(name, O_RDONLY, 0)
		must(t, "TopicOpen", err)
		t.Cleanup(func() { _ = sub.Close() })
		p := pollerFor(t, &sub.park, readerFd(sub.Fd))
		go func() {
			buf := make([]byte, 64)
			n, err := sub.Receive(buf, -1)
			if err == nil && string(buf[:n]) != "all" {
				err = fmt.Errorf("got %q", buf[:n])
			}
			done <- err
		}()
		waitParked(t, p, 1)
	}
	time.Sleep(20 * time.Millisecond)
	during := threads(t)
	t.Logf("threads: %d before, %d with %d goroutines parked in Receive", before, during, n)
	if during > before+20 || during > 60 {
		t.Errorf("%d threads with %d goroutines parked in Receive (%d before)", during, n, before)
	}
	must(t, "Publish", pub.Publish([]byte("all"), 0))
	for i := 0; i < n; i++ {
		if err := waitDone(t, done, fmt.Sprint("subscriber ", i)); err != nil {
			t.Errorf("subscriber: %v", err)
		}
	}
}
