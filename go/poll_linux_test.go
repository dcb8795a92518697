package rshm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func init() {
	helpers["channel-killed-sender"] = helperKilledSender
	helpers["channel-stress-sender"] = helperStressSender
	helpers["channel-fd-limit"] = helperFdLimit
}

// threads is this process's number of OS threads.
func threads(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	must(t, "open /proc/self/status", err)
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v := s.Text(); strings.HasPrefix(v, "Threads:") {
			n, err := strconv.Atoi(strings.TrimSpace(v[len("Threads:"):]))
			must(t, "Threads:", err)
			return n
		}
	}
	t.Fatalf("no Threads: line in /proc/self/status")
	return 0
}

// pollerOf gives c its poller now, as its first wait would, so that the
// test can watch the poller's park count.
func pollerOf(t *testing.T, c *Channel) *poller {
	t.Helper()
	return pollerFor(t, &c.park, c.Fd)
}

// pollerFor gives the parking z its poller now, from fd.
func pollerFor(t *testing.T, z *parking, fd func() (int, error)) *poller {
	t.Helper()
	p := z.poller(fd)
	if p == nil {
		t.Fatalf("no poller: the handle has no descriptor")
	}
	return p
}

// waitParked waits until p has parked at least n times in all.
func waitParked(t *testing.T, p *poller, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.parks.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("parked %d times after 10 s, want %d", p.parks.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// noRecheck turns the parked waits' re-check off for the test: a wait then
// ends only because the descriptor woke it, so a lost wake-up shows.
func noRecheck(t *testing.T) {
	old := recheckEvery
	recheckEvery = 0
	t.Cleanup(func() { recheckEvery = old })
}

// parkedReceiver is a channel's sender and receiver, the receiver with its
// poller, with the re-check off.
func parkedReceiver(t *testing.T, tag string) (tx, rx *Channel, p *poller) {
	t.Helper()
	noRecheck(t)
	tx, name := newChannel(t, tag, 256)
	rx = receiver(t, name)
	return tx, rx, pollerOf(t, rx)
}

// receiver opens a second handle on the channel tx made, to receive.
func receiver(t *testing.T, name string) *Channel {
	t.Helper()
	rx, err := ChannelOpen(name, 0)
	must(t, "ChannelOpen", err)
	t.Cleanup(func() { _ = rx.Close() })
	return rx
}

type received struct {
	i   int
	msg string
	err error
}

// 200 goroutines each wait on a channel of their own: parked, they hold no
// thread, and each gets its message when it comes.
func TestParkedReceiversHoldNoThreads(t *testing.T) {
	noRecheck(t)
	const n = 200
	before := threads(t)
	txs := make([]*Channel, n)
	results := make(chan received, n)
	parked := make([]*poller, n)
	for i := range txs {
		tx, name := newChannel(t, fmt.Sprintf("park%d", i), 256)
		txs[i] = tx
		rx := receiver(t, name)
		parked[i] = pollerOf(t, rx)
		go func(i int) {
			buf := make([]byte, 64)
			n, err := rx.Recv(buf, -1)
			results <- received{i, string(buf[:n]), err}
		}(i)
	}
	for _, p := range parked {
		waitParked(t, p, 1)
	}
	time.Sleep(20 * time.Millisecond) // let any thread that would be made be made
	during := threads(t)
	t.Logf("threads: %d before, %d with %d goroutines parked in Recv", before, during, n)
	if during > before+20 || during > 60 {
		t.Errorf("%d threads with %d goroutines parked in Recv (%d before): they hold threads", during, n, before)
	}
	for i := n - 1; i >= 0; i-- {
		must(t, "Send", txs[i].Send([]byte(fmt.Sprint("message ", i)), 0))
	}
	timeout := time.After(10 * time.Second)
	for k := 0; k < n; k++ {
		select {
		case r := <-results:
			if r.err != nil || r.msg != fmt.Sprint("message ", r.i) {
				t.Errorf("receiver %d got %q, %v", r.i, r.msg, r.err)
			}
		case <-timeout:
			t.Fatalf("%d of %d receivers still waiting 10 s after their messages were sent", n-k, n)
		}
	}
}

// wantGoroutines waits for the number of goroutines to come back to n.
func wantGoroutines(t *testing.T, n int, after string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > n {
		t.Errorf("%d goroutines after %s, %d before: leaked", g, after, n)
	}
}

func TestRecvContext(t *testing.T) {
	tx, rx, p := parkedReceiver(t, "ctx")
	buf := make([]byte, 64)
	goroutines := runtime.NumGoroutine()

	// Cancelled while parked: ctx.Err() at once, no goroutine left.
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		parks := p.parks.Load()
		go func() {
			_, err := rx.RecvContext(ctx, buf)
			done <- err
		}()
		waitParked(t, p, parks+1)
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || err != ctx.Err() {
				t.Fatalf("RecvContext cancelled: %v, want ctx.Err() %v", err, ctx.Err())
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("RecvContext returned %v after the cancellation", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("RecvContext still waiting 10 s after its context was cancelled")
		}
	}
	wantGoroutines(t, goroutines, "100 cancelled RecvContexts")

	// A deadline: ctx.Err() is DeadlineExceeded.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err := rx.RecvContext(ctx, buf)
	cancel()
	if err != context.DeadlineExceeded {
		t.Errorf("RecvContext past its context's deadline: %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 5*time.Second {
		t.Errorf("RecvContext with a 20 ms deadline returned after %v", d)
	}

	// A message that comes while it waits is received.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Send([]byte("late"), 0) })
	n, err := rx.RecvContext(ctx, buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Errorf("RecvContext got %q, %v; want the message sent while it waited", buf[:n], err)
	}
	// A context without Done (Background) waits as Recv does.
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Send([]byte("background"), 0) })
	n, err = rx.RecvContext(context.Background(), buf)
	if err != nil || string(buf[:n]) != "background" {
		t.Errorf("RecvContext(Background) got %q, %v", buf[:n], err)
	}
	wantGoroutines(t, goroutines, "RecvContexts that received")

	// Done before the call: no message is taken, even one that waits.
	must(t, "Send", tx.Send([]byte("kept"), 0))
	cancel()
	if _, err := rx.RecvContext(ctx, buf); err != context.Canceled {
		t.Errorf("RecvContext with a cancelled context: %v", err)
	}
	n, err = rx.Recv(buf, 0)
	if err != nil || string(buf[:n]) != "kept" {
		t.Errorf("after a cancelled RecvContext, Recv got %q, %v; want the message it left", buf[:n], err)
	}
	if err := rx.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rx.RecvContext(context.Background(), buf); err != syscall.EFAULT {
		t.Errorf("RecvContext on a closed Channel: %v, want EFAULT", err)
	}
}

func TestParkedRecvTimeout(t *testing.T) {
	tx, rx, p := parkedReceiver(t, "timeout")
	buf := make([]byte, 64)
	parks := p.parks.Load()
	start := time.Now()
	_, err := rx.Recv(buf, 30*time.Millisecond)
	d := time.Since(start)
	wantErrno(t, "Recv, 30 ms, nothing sent", err, syscall.ETIMEDOUT)
	if d < 30*time.Millisecond || d > 5*time.Second {
		t.Errorf("Recv with a 30 ms timeout returned after %v", d)
	}
	if p.parks.Load() == parks {
		t.Errorf("Recv with a timeout did not park")
	}
	// The timeout of one call does not linger into the next.
	time.AfterFunc(50*time.Millisecond, func() { _ = tx.Send([]byte("in time"), 0) })
	n, err := rx.Recv(buf, 10*time.Second)
	if err != nil || string(buf[:n]) != "in time" {
		t.Errorf("Recv got %q, %v; want the message sent 50 ms into a 10 s wait", buf[:n], err)
	}
	// EMSGSIZE from a parked wait leaves the message.
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Send([]byte("too long for 4"), 0) })
	_, err = rx.Recv(buf[:4], -1)
	wantErrno(t, "parked Recv into a small buffer", err, syscall.EMSGSIZE)
	n, err = rx.Recv(buf, 0)
	if err != nil || string(buf[:n]) != "too long for 4" {
		t.Errorf("after EMSGSIZE, Recv got %q, %v", buf[:n], err)
	}
	// Past a sender that closed: EPIPE wakes the parked receiver.
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Close() })
	_, err = rx.Recv(buf, -1)
	wantErrno(t, "parked Recv, the sender closes", err, syscall.EPIPE)
}

// The re-check: a parked wait that nothing rings still looks again.
func TestParkedRecvRechecks(t *testing.T) {
	_, rx, p := parkedReceiver(t, "recheck")
	recheckEvery = 10 * time.Millisecond
	parks := p.parks.Load()
	_, err := rx.Recv(make([]byte, 8), 100*time.Millisecond)
	wantErrno(t, "Recv, 100 ms", err, syscall.ETIMEDOUT)
	if got := p.parks.Load() - parks; got < 3 {
		t.Errorf("a 100 ms wait with a 10 ms re-check parked %d times", got)
	}
}

// helperKilledSender sends one message on the channel the parent named and
// waits to be killed.
func helperKilledSender() error {
	ch, err := ChannelOpen(os.Getenv("RSHM_GO_NAME"), 10*time.Second)
	if err != nil {
		return fmt.Errorf("ChannelOpen: %w", err)
	}
	if err := ch.Send([]byte("hello"), -1); err != nil {
		return fmt.Errorf("Send: %w", err)
	}
	time.Sleep(time.Minute)
	return errors.New("not killed")
}

// A sender killed by SIGKILL wakes the parked receiver, which says EPIPE,
// with the re-check off. The kill lands as soon as the receiver parks,
// within the millisecond in which the library trusts its last look at the
// peer: the receive the pidfd's readiness wakes says EAGAIN while the
// descriptor stays readable, and a receiver that waited for another edge
// would wait forever. Twenty rounds, twenty senders.
func TestParkedRecvSeesAKilledSender(t *testing.T) {
	noRecheck(t)
	for round := 0; round < 20; round++ {
		killParkedSender(t, round)
	}
}

func killParkedSender(t *testing.T, round int) {
	t.Helper()
	rx, name := newChannel(t, fmt.Sprint("killed", round), 256)
	cmd := helperCmd("channel-killed-sender", []string{"RSHM_GO_NAME=" + name})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start the sender", cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 64)
	n, err := rx.Recv(buf, 10*time.Second)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Recv from the sender: %q, %v\n%s", buf[:n], err, out.String())
	}
	p := pollerOf(t, rx)
	parks := p.parks.Load()
	done := make(chan error, 1)
	go func() {
		_, err := rx.Recv(buf, -1)
		done <- err
	}()
	// Kill as soon as it parks, within the millisecond.
	for start := time.Now(); p.parks.Load() == parks; runtime.Gosched() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("round %d: Recv did not park", round)
		}
	}
	must(t, "SIGKILL the sender", cmd.Process.Signal(syscall.SIGKILL))
	select {
	case err := <-done:
		wantErrno(t, fmt.Sprintf("round %d: parked Recv after the sender was killed", round), err, syscall.EPIPE)
	case <-time.After(10 * time.Second):
		t.Fatalf("round %d: parked Recv still waiting 10 s after its sender was killed", round)
	}
	must(t, "Close", rx.Close())
}

const stressMessagesDefault = 200_000

// stressMessages is RSHM_GO_STRESS (a count) or the default.
func stressMessages() int {
	if n, err := strconv.Atoi(os.Getenv("RSHM_GO_STRESS")); err == nil && n > 0 {
		return n
	}
	return stressMessagesDefault
}

// helperStressSender sends the numbers 0..stressMessages()-1 in bursts of
// random length, pausing between them (spinning a little, sometimes
// sleeping) so that the receiver finds the channel empty again and again.
func helperStressSender() error {
	ch, err := ChannelOpen(os.Getenv("RSHM_GO_NAME"), 10*time.Second)
	if err != nil {
		return fmt.Errorf("ChannelOpen: %w", err)
	}
	rnd := rand.New(rand.NewSource(1))
	var msg [8]byte
	for i, total := 0, stressMessages(); i < total; {
		for burst := rnd.Intn(32) + 1; burst > 0 && i < total; burst-- {
			binary.LittleEndian.PutUint64(msg[:], uint64(i))
			if err := ch.Send(msg[:], -1); err != nil {
				return fmt.Errorf("Send %d: %w", i, err)
			}
			i++
		}
		switch pause := rnd.Intn(64); {
		case pause == 0:
			time.Sleep(100 * time.Microsecond)
		default:
			for end := time.Now().Add(time.Duration(pause) * 100 * time.Nanosecond); time.Now().Before(end); {
			}
		}
	}
	return ch.Close()
}

// Many messages from another process, the receiver alternating between
// busy tries and parked waits: none lost, none out of order, no wait past
// 5 s (a lost wake-up; the re-check is off).
func TestParkedRecvStress(t *testing.T) {
	noRecheck(t)
	total := stressMessages()
	rx, name := newChannel(t, "stress", 1024)
	cmd := helperCmd("channel-stress-sender", []string{"RSHM_GO_NAME=" + name, fmt.Sprint("RSHM_GO_STRESS=", total)})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, "start the sender", cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	p := pollerOf(t, rx)
	rnd := rand.New(rand.NewSource(2))
	buf := make([]byte, 64)
	var longest time.Duration
	var tries, parkedRecvs int
	check := func(i, n int) {
		if n != 8 {
			t.Fatalf("message %d: %d bytes", i, n)
		}
		if got := binary.LittleEndian.Uint64(buf); got != uint64(i) {
			t.Fatalf("message %d: got %d (lost or out of order)", i, got)
		}
	}
	for i := 0; i < total; {
		for k := rnd.Intn(64) + 1; k > 0 && i < total; k-- { // busy
			n, err := rx.Recv(buf, 0)
			tries++
			if err == syscall.EAGAIN {
				continue
			}
			if err != nil {
				t.Fatalf("Recv %d, trying: %v\n%s", i, err, out.String())
			}
			check(i, n)
			i++
		}
		for k := rnd.Intn(64) + 1; k > 0 && i < total; k-- { // parked
			start := time.Now()
			n, err := rx.Recv(buf, 5*time.Second)
			if d := time.Since(start); d > longest {
				longest = d
			}
			if err != nil {
				t.Fatalf("Recv %d, parked: %v (parked %d times)\n%s", i, err, p.parks.Load(), out.String())
			}
			parkedRecvs++
			check(i, n)
			i++
		}
	}
	_, err := rx.Recv(buf, 5*time.Second)
	wantErrno(t, "Recv after the last message", err, syscall.EPIPE)
	if err := cmd.Wait(); err != nil {
		t.Errorf("sender: %v\n%s", err, out.String())
	}
	t.Logf("%d messages: %d busy tries, %d parked receives, parked %d times, found the descriptor readable after an EAGAIN %d times, longest parked receive %v",
		total, tries, parkedRecvs, p.parks.Load(), p.stucks.Load(), longest)
	if p.parks.Load() < uint64(total/1000) {
		t.Errorf("the receiver parked only %d times in %d messages: the test did not test parking", p.parks.Load(), total)
	}
}

// helperFdLimit: at the descriptor limit, where the receiver's descriptor
// cannot be made, Recv waits in cgo and still gets its message; once
// descriptors are free again, it parks.
func helperFdLimit() error {
	name := fmt.Sprintf("/rshm-test-%d-fdlimit", os.Getpid())
	tx, err := ChannelCreate(name, 256, 0o600)
	if err != nil {
		return fmt.Errorf("ChannelCreate: %w", err)
	}
	defer ChannelUnlink(name)
	rx, err := ChannelOpen(name, 0)
	if err != nil {
		return fmt.Errorf("ChannelOpen: %w", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		return err
	}
	// The limit bounds descriptor numbers: lower it to the highest open
	// one and fill the holes below it.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > highest {
			highest = fd
		}
	}
	low := old
	low.Cur = uint64(highest + 1)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		return err
	}
	var fill []int
	defer func() {
		for _, fd := range fill {
			_ = syscall.Close(fd)
		}
	}()
	for {
		fd, err := syscall.Dup(2)
		if err == syscall.EMFILE {
			break
		}
		if err != nil {
			return fmt.Errorf("dup: %w", err)
		}
		fill = append(fill, fd)
	}
	if _, err := rx.Fd(); err != syscall.EMFILE {
		return fmt.Errorf("Fd at the limit: %v, want EMFILE", err)
	}
	buf := make([]byte, 16)
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Send([]byte("at the limit"), 0) })
	n, err := rx.Recv(buf, 10*time.Second)
	if err != nil || string(buf[:n]) != "at the limit" {
		return fmt.Errorf("Recv at the limit: %q, %v", buf[:n], err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := rx.RecvContext(ctx, buf); err != context.DeadlineExceeded {
		return fmt.Errorf("RecvContext at the limit: %v, want DeadlineExceeded", err)
	}
	if rx.park.p != nil {
		return errors.New("a poller at the limit")
	}
	for _, fd := range fill {
		_ = syscall.Close(fd)
	}
	fill = nil
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		return err
	}
	time.AfterFunc(20*time.Millisecond, func() { _ = tx.Send([]byte("parked"), 0) })
	n, err = rx.Recv(buf, 10*time.Second)
	if err != nil || string(buf[:n]) != "parked" {
		return fmt.Errorf("Recv below the limit: %q, %v", buf[:n], err)
	}
	if rx.park.p == nil || rx.park.p.parks.Load() == 0 {
		return errors.New("Recv did not park once descriptors were free")
	}
	if err := rx.Close(); err != nil {
		return err
	}
	return tx.Close()
}

func TestRecvWithoutADescriptorBlocks(t *testing.T) {
	out, err := helperCmd("channel-fd-limit", nil).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// Fd is the library's descriptor, the same every time; the poller's is a
// duplicate of it; Close closes both (finalizers too:
// TestFinalizersCloseForgottenHandles).
func TestChannelFdAndItsDuplicate(t *testing.T) {
	before := openFds(t)
	tx, name := newChannel(t, "fd", 256)
	rx := receiver(t, name)
	fd, err := rx.Fd()
	must(t, "Fd", err)
	again, err := rx.Fd()
	if err != nil || again != fd {
		t.Errorf("Fd again: %d, %v; want %d", again, err, fd)
	}
	if flags, err := Fcntl(fd, syscall.F_GETFD, 0); err != nil || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("Fd's descriptor flags %#x, %v: not close-on-exec", flags, err)
	}
	_, err = tx.Fd()
	wantErrno(t, "Fd of a second receiver", err, syscall.EBUSY)
	p := pollerOf(t, rx)
	dup := int(p.f.Fd())
	if dup == fd {
		t.Errorf("the poller's descriptor is the handle's own")
	}
	if flags, err := Fcntl(dup, syscall.F_GETFD, 0); err != nil || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("the poller's descriptor flags %#x, %v: not close-on-exec", flags, err)
	}
	must(t, "Close", rx.Close())
	must(t, "Close", tx.Close())
	if n := openFds(t); n > before {
		t.Errorf("%d descriptors open after Close, %d before", n, before)
	}
	_, err = rx.Fd()
	wantErrno(t, "Fd of a closed Channel", err, syscall.EFAULT)
}

// bellOf is the address of the doorbell of the channel name's receiver,
// found as a stranger would in the channel's shared memory: the one
// aligned 64-bit word beyond 32 bits that arm (which makes the bell) wrote
// where there was zero.
func bellOf(t *testing.T, name string, arm func()) string {
	t.Helper()
	snapshot := func() []byte {
		fd, err := ShmOpen(name, O_RDONLY, 0)
		must(t, "ShmOpen", err)
		defer Close(fd)
		st, err := FstatInfo(fd)
		must(t, "Fstat", err)
		data, _, err := Mmap(nil, int(st.Size), PROT_READ, MAP_SHARED, fd, 0)
		must(t, "Mmap", err)
		defer Munmap(data)
		return append([]byte(nil), data...)
	}
	before := snapshot()
	arm()
	after := snapshot()
	var found []uint64
	for off := 0; off+8 <= len(after); off += 8 {
		a, b := binary.LittleEndian.Uint64(before[off:]), binary.LittleEndian.Uint64(after[off:])
		if a == 0 && b>>32 != 0 {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("bell tokens found: %x", found)
	}
	return fmt.Sprintf("@rshm-bell-%016x", found[0])
}

// ring sends n datagrams to the bell at addr, as any process could.
func ring(t *testing.T, addr string, n int) int {
	t.Helper()
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	must(t, "socket", err)
	defer syscall.Close(s)
	sent := 0
	for i := 0; i < n; i++ {
		if syscall.Sendto(s, []byte{1}, syscall.MSG_DONTWAIT, &syscall.SockaddrUnix{Name: addr}) == nil {
			sent++
		}
	}
	return sent
}

// Rings from a stranger (any process that reads the channel knows the
// bell): one wakes the parked receiver for nothing, and it parks again
// and still wakes for the message. A flood fills the bell's queue (ten
// datagrams), so that the sender's ring is dropped and no edge comes; the
// descriptor stays readable after an EAGAIN, so the receiver looks again
// after a backoff and finds the message. The re-check is off: it is not
// what finds it.
func TestParkedRecvAndForeignRings(t *testing.T) {
	noRecheck(t)
	tx, name := newChannel(t, "stranger", 256)
	rx := receiver(t, name)
	var p *poller
	addr := bellOf(t, name, func() { p = pollerOf(t, rx) })
	buf := make([]byte, 64)
	for _, c := range []struct {
		what    string
		rings   int
		recheck time.Duration
	}{
		{"one stranger's ring", 1, 0},
		{"a flood of rings", 1000, 0},
	} {
		recheckEvery = c.recheck
		parks := p.parks.Load()
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			n, err := rx.Recv(buf, 10*time.Second)
			if err == nil && string(buf[:n]) != "real" {
				err = fmt.Errorf("got %q", buf[:n])
			}
			done <- err
		}()
		waitParked(t, p, parks+1)
		ring(t, addr, c.rings)
		if c.rings == 1 {
			waitParked(t, p, parks+2) // woken for nothing, parked again
		}
		must(t, "Send", tx.Send([]byte("real"), 0))
		if err := <-done; err != nil {
			t.Errorf("%s: parked Recv: %v", c.what, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: the parked Recv took %v", c.what, d)
		}
	}
}
