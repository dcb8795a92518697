//! The ring over heap and MAP_SHARED regions: protocol, errors, threads,
//! processes (fork), and a peer that scribbles over the shared memory.

use super::header::Header;
use super::header::DATA_OFFSET;
use super::ring::Ring;
use crate::errno::Errno;
use crate::object::handshake::Protocol;
use crate::object::peer;
use crate::sync::Timeout;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::time::Duration;

const TRY: Timeout = Timeout::Try;
const FOREVER: Timeout = Timeout::Forever;

fn err<T>(r: crate::errno::Result<T>) -> i32 {
    match r {
        Ok(_) => panic!("should fail"),
        Err(Errno(e)) => e,
    }
}

/// A zeroed, page-aligned region: heap memory for threads, or a
/// MAP_SHARED anonymous mapping that a forked child shares.
pub(super) struct Region {
    ptr: *mut u8,
    len: usize,
    mapped: bool,
}

// SAFETY: the memory is only reached through the ring, made for sharing.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

impl Region {
    pub(super) fn heap(cap: usize) -> Region {
        let len = DATA_OFFSET + cap;
        let layout = std::alloc::Layout::from_size_align(len, 4096).unwrap();
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        Region { ptr, len, mapped: false }
    }

    fn shared(cap: usize) -> Region {
        let len = DATA_OFFSET + cap;
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: a new anonymous mapping replaces nothing.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0) };
        assert_ne!(p, libc::MAP_FAILED);
        Region { ptr: p.cast(), len, mapped: true }
    }

    /// A ring formatted with the test thread's protocol (`both`).
    fn init(&self) -> Ring {
        self.init_as(PROTOCOL.get())
    }

    pub(super) fn init_as(&self, protocol: Protocol) -> Ring {
        // SAFETY: the region outlives every ring of a test (dropped last).
        unsafe { Ring::init_with(self.ptr, self.len, protocol) }.unwrap()
    }

    pub(super) fn attach(&self) -> Ring {
        // SAFETY: as in init.
        unsafe { Ring::attach(self.ptr, self.len) }.unwrap()
    }

    fn header(&self) -> &Header {
        // SAFETY: the region starts with the header, all atomics.
        unsafe { &*self.ptr.cast::<Header>() }
    }

    /// The 8-byte word at `off` in the record area, for scribbling.
    fn word(&self, off: usize) -> *mut u64 {
        // SAFETY: tests pass offsets inside the area, multiples of 8.
        unsafe { self.ptr.add(DATA_OFFSET + off).cast() }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.mapped {
            // SAFETY: our own mapping, no ring uses it any more.
            unsafe { libc::munmap(self.ptr.cast(), self.len) };
        } else {
            let layout = std::alloc::Layout::from_size_align(self.len, 4096).unwrap();
            // SAFETY: allocated with this layout in heap().
            unsafe { std::alloc::dealloc(self.ptr, layout) };
        }
    }
}

thread_local! {
    /// The protocol `Region::init` formats with, in this test's thread.
    static PROTOCOL: Cell<Protocol> = Cell::new(Protocol::for_new_object());
}

/// The protocols this machine can run: the fallback always, the fast one
/// where membarrier(2) is allowed (else a SKIP line; a failure under CI).
pub(super) fn protocols() -> Vec<Protocol> {
    let all = crate::object::handshake::runnable();
    if !all.contains(&Protocol::Asymmetric) {
        assert!(std::env::var_os("CI").is_none_or(|v| v != "true"), "membarrier(2) refused under CI");
        eprintln!(
            "SKIP: the asymmetric handshake (membarrier(2) refused; Linux 4.16+ without a seccomp filter has it)"
        );
    }
    all
}

/// Runs `test` once per protocol, its rings formatted with it.
fn both(test: impl Fn()) {
    for p in protocols() {
        PROTOCOL.set(p);
        test();
    }
}

/// A tiny linear congruential generator: reproducible "random" sizes.
pub(super) struct Lcg(pub u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Message `seq` of `len` bytes: contents a receiver can check.
pub(super) fn fill(buf: &mut [u8], seq: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (seq.wrapping_mul(131).wrapping_add(i as u64)) as u8;
    }
}

pub(super) fn matches(buf: &[u8], seq: u64) -> bool {
    buf.iter().enumerate().all(|(i, &b)| b == (seq.wrapping_mul(131).wrapping_add(i as u64)) as u8)
}

#[test]
fn the_region_is_checked() {
    let r = Region::heap(256);
    // SAFETY: the bad arguments are the test; none is dereferenced.
    unsafe {
        assert_eq!(err(Ring::init(std::ptr::null_mut(), 4096)), libc::EINVAL);
        assert_eq!(err(Ring::init(r.ptr.add(8), r.len - 8)), libc::EINVAL);
        assert_eq!(err(Ring::init(r.ptr, DATA_OFFSET + 63)), libc::EINVAL);
        assert_eq!(err(Ring::attach(r.ptr, r.len)), libc::EAGAIN);
    }
    let ring = r.init();
    assert_eq!(ring.capacity(), 256);
    assert_eq!(ring.max_message(), 240);
    drop(r.attach());
    let h = r.header();
    for (field, bad) in [(&h.capacity, 257u64), (&h.capacity, 8), (&h.capacity, 512)] {
        let good = field.swap(bad, SeqCst);
        // SAFETY: as in Region::attach.
        assert_eq!(err(unsafe { Ring::attach(r.ptr, r.len) }), libc::EPROTO);
        field.store(good, SeqCst);
    }
    h.version.store(99, SeqCst);
    // SAFETY: as above.
    assert_eq!(err(unsafe { Ring::attach(r.ptr, r.len) }), libc::EPROTO);
    h.version.store(super::header::VERSION, SeqCst);
    h.magic.0.store(7, SeqCst);
    // SAFETY: as above.
    assert_eq!(err(unsafe { Ring::attach(r.ptr, r.len) }), libc::EPROTO);
}

#[test]
fn messages_pass_in_order_and_padding_wraps_the_end() {
    let r = Region::heap(256);
    let mut tx = r.init();
    let mut rx = r.attach();
    let mut buf = [0u8; 256];
    assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN);
    tx.send(b"hello", TRY).unwrap();
    assert_eq!(err(rx.recv(&mut buf[..2], TRY)), libc::EMSGSIZE);
    assert_eq!(rx.recv(&mut buf, TRY), Ok(5));
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(rx.recv(&mut buf, TRY), Err(Errno(libc::EAGAIN)));

    let big = vec![7u8; 240];
    assert_eq!(err(tx.send(&[0; 241], FOREVER)), libc::EMSGSIZE);
    // At offset 16 the largest message needs the end padded out first; the
    // padding is published, then there is no room until it is consumed.
    assert_eq!(err(tx.send(&big, TRY)), libc::EAGAIN);
    assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN);
    tx.send(&big, TRY).unwrap();
    // 248 bytes taken, 8 left: an empty message fills the ring exactly.
    tx.send(b"", TRY).unwrap();
    assert_eq!(err(tx.send(b"", TRY)), libc::EAGAIN);
    assert_eq!(rx.recv(&mut buf, TRY), Ok(240));
    assert!(buf[..240].iter().all(|&b| b == 7));
    assert_eq!(rx.recv(&mut buf, TRY), Ok(0));
    assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN);
    tx.send(b"", TRY).unwrap();
    assert_eq!(rx.recv(&mut buf, TRY), Ok(0));
}

#[test]
fn one_sender_one_receiver_and_epipe_after_close() {
    both(|| {
        let r = Region::heap(256);
        let mut a = r.init();
        let mut b = r.attach();
        let mut c = r.attach();
        let mut buf = [0u8; 16];
        a.send(b"1", TRY).unwrap();
        b.peek(TRY).unwrap();
        assert_eq!(err(c.send(b"x", TRY)), libc::EBUSY);
        assert_eq!(err(c.recv(&mut buf, TRY)), libc::EBUSY);
        a.send(b"2", TRY).unwrap();
        a.close();
        assert_eq!(b.recv(&mut buf, TRY), Ok(1));
        assert_eq!(b.recv(&mut buf, FOREVER), Ok(1));
        assert_eq!(buf[0], b'2');
        assert_eq!(err(b.recv(&mut buf, FOREVER)), libc::EPIPE);
        // The role is free again: c takes it.
        c.send(b"3", TRY).unwrap();
        assert_eq!(b.recv(&mut buf, TRY), Ok(1));
        b.close();
        assert_eq!(err(c.send(b"4", FOREVER)), libc::EPIPE);
        // A new receiver: sending works again.
        assert_eq!(a.recv(&mut buf, TRY), Err(Errno(libc::EAGAIN)));
        c.send(b"4", TRY).unwrap();
        assert_eq!(a.recv(&mut buf, TRY), Ok(1));
    });
}

#[test]
fn zero_copy_reserve_commit_peek_release() {
    both(|| {
        let r = Region::heap(1024);
        let mut tx = r.init();
        let mut rx = r.attach();
        assert_eq!(err(tx.commit(0)), libc::EINVAL);
        assert_eq!(err(rx.release()), libc::EINVAL);
        let p = tx.reserve(100, TRY).unwrap();
        assert_eq!(p as usize % 8, 0);
        // SAFETY: reserve handed out 100 writable bytes.
        let s = unsafe { std::slice::from_raw_parts_mut(p, 100) };
        fill(s, 1);
        assert_eq!(err(tx.commit(101)), libc::EINVAL);
        tx.commit(50).unwrap();
        assert_eq!(err(tx.commit(50)), libc::EINVAL);
        // A reservation abandoned by another reserve publishes nothing.
        tx.reserve(30, TRY).unwrap();
        let p = tx.reserve(8, TRY).unwrap();
        // SAFETY: 8 reserved bytes.
        unsafe { p.cast::<u64>().write(0xfeed) };
        tx.commit(8).unwrap();

        let (q, len) = rx.peek(TRY).unwrap();
        assert_eq!(len, 50);
        assert_eq!(q as usize % 8, 0);
        // SAFETY: peek handed out len readable bytes.
        assert!(matches(unsafe { std::slice::from_raw_parts(q, len) }, 1));
        assert_eq!(rx.peek(FOREVER), Ok((q, len)));
        rx.release().unwrap();
        assert_eq!(err(rx.release()), libc::EINVAL);
        let (q, len) = rx.peek(TRY).unwrap();
        // SAFETY: 8 readable bytes.
        assert_eq!((len, unsafe { q.cast::<u64>().read() }), (8, 0xfeed));
        rx.release().unwrap();
        assert_eq!(err(rx.peek(TRY)), libc::EAGAIN);
    });
}

#[test]
fn a_send_or_reserve_abandons_the_reservation_even_when_it_fails() {
    let r = Region::heap(256);
    let mut tx = r.init();
    let mut rx = r.attach();
    let too_long = vec![0u8; tx.max_message() + 1];
    tx.reserve(8, TRY).unwrap();
    assert_eq!(err(tx.send(&too_long, TRY)), libc::EMSGSIZE);
    assert_eq!(err(tx.commit(8)), libc::EINVAL);
    tx.reserve(8, TRY).unwrap();
    assert_eq!(err(tx.reserve(too_long.len(), TRY)), libc::EMSGSIZE);
    assert_eq!(err(tx.commit(8)), libc::EINVAL);
    // A receiver that has closed: EPIPE, and nothing left to commit.
    assert_eq!(err(rx.peek(TRY)), libc::EAGAIN);
    tx.reserve(8, TRY).unwrap();
    rx.close();
    assert_eq!(err(tx.send(b"x", TRY)), libc::EPIPE);
    assert_eq!(err(tx.commit(8)), libc::EINVAL);
}

#[test]
fn wrap_around_with_varied_sizes() {
    let r = Region::heap(4096);
    let mut tx = r.init();
    let mut rx = r.attach();
    let max = tx.max_message() as u64;
    let mut rng = Lcg(42);
    let mut expect = VecDeque::new();
    let mut out = vec![0u8; max as usize];
    let mut buf = vec![0u8; max as usize];
    let (mut seq, mut received) = (0u64, 0u64);
    for _ in 0..5000 {
        for _ in 0..rng.below(8) {
            // Mostly small, sometimes up to the largest message.
            let len = if rng.below(10) == 0 { rng.below(max + 1) } else { rng.below(200) } as usize;
            fill(&mut out[..len], seq);
            match tx.send(&out[..len], TRY) {
                Ok(()) => {
                    expect.push_back((seq, len));
                    seq += 1;
                }
                Err(e) => assert_eq!(e, Errno(libc::EAGAIN)),
            }
        }
        for _ in 0..rng.below(8) {
            match rx.recv(&mut buf, TRY) {
                Ok(n) => {
                    let (s, len) = expect.pop_front().expect("a message that was sent");
                    assert_eq!(n, len);
                    assert!(matches(&buf[..n], s));
                    received += 1;
                }
                Err(e) => {
                    assert_eq!(e, Errno(libc::EAGAIN));
                    assert!(expect.is_empty());
                }
            }
        }
    }
    assert!(received > 5000, "only {received} messages went through");
}

#[test]
fn threads_stream_with_blocking_on_both_sides() {
    both(|| {
        let r = Arc::new(Region::heap(1024));
        let mut tx = r.init();
        let mut rx = r.attach();
        const N: u64 = 50_000;
        let sender = std::thread::spawn(move || {
            let mut rng = Lcg(7);
            let mut out = vec![0u8; 400];
            for seq in 0..N {
                let len = rng.below(401) as usize;
                fill(&mut out[..len], seq);
                tx.send(&out[..len], FOREVER).unwrap();
            }
            // Dropping the handle closes the sending end.
        });
        let mut rng = Lcg(7);
        let mut buf = vec![0u8; 400];
        for seq in 0..N {
            let n = rx.recv(&mut buf, FOREVER).unwrap();
            assert_eq!(n as u64, rng.below(401));
            assert!(matches(&buf[..n], seq), "message {seq}");
        }
        assert_eq!(err(rx.recv(&mut buf, FOREVER)), libc::EPIPE);
        sender.join().unwrap();
    });
}

#[test]
fn a_sleeper_is_woken_and_timeouts_expire() {
    both(|| {
        let r = Arc::new(Region::heap(256));
        let mut tx = r.init();
        let mut rx = r.attach();
        tx.send(b"", TRY).unwrap();
        let mut buf = [0u8; 8];
        rx.recv(&mut buf, TRY).unwrap();
        let waiter = std::thread::spawn(move || {
            let n = rx.recv(&mut buf, FOREVER);
            (n, buf, rx)
        });
        std::thread::sleep(Duration::from_millis(20));
        tx.send(b"wake", FOREVER).unwrap();
        let (n, buf, mut rx) = waiter.join().unwrap();
        assert_eq!((n, &buf[..4]), (Ok(4), &b"wake"[..]));

        let mut buf = [0u8; 8];
        assert_eq!(err(rx.recv(&mut buf, Timeout::After(Duration::from_millis(2)))), libc::ETIMEDOUT);
        while tx.send(&[1; 40], TRY).is_ok() {}
        assert_eq!(err(tx.send(&[1; 40], Timeout::After(Duration::from_millis(2)))), libc::ETIMEDOUT);
        // A sender blocked on a full ring is woken by the receiver's release.
        let sender = std::thread::spawn(move || tx.send(&[2; 40], FOREVER));
        std::thread::sleep(Duration::from_millis(20));
        let mut buf = [0u8; 64];
        assert_eq!(rx.recv(&mut buf, TRY), Ok(40));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// Runs `child` in a forked process that ends with `_exit(child())`, and
/// returns its pid. The child only touches memory prepared before fork.
fn fork(child: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child does no allocation and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(99);
        // SAFETY: ends the child without running the parent's atexit work.
        unsafe { libc::_exit(code) };
    }
    pid
}

fn reap(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

#[test]
fn a_killed_sender_is_noticed_and_everything_it_committed_arrives() {
    both(|| {
        const N: u64 = 2000;
        let r = Region::shared(4096);
        let mut rx = r.init();
        let mut out = [0u8; 100];
        let pid = fork(|| {
            let mut tx = r.attach();
            for seq in 0..N {
                let len = (seq % 101) as usize;
                fill(&mut out[..len], seq);
                if tx.send(&out[..len], FOREVER).is_err() {
                    return 1;
                }
            }
            // An open reservation, never committed, must not arrive.
            let _ = tx.reserve(10, FOREVER);
            // SAFETY: the test is the child dying without closing.
            unsafe { libc::raise(libc::SIGKILL) };
            2
        });
        let mut buf = [0u8; 100];
        for seq in 0..N {
            let n = rx.recv(&mut buf, FOREVER).unwrap();
            assert_eq!(n as u64, seq % 101);
            assert!(matches(&buf[..n], seq));
        }
        // The child is a zombie until reaped: still noticed as gone.
        assert_eq!(err(rx.recv(&mut buf, FOREVER)), libc::EPIPE);
        assert_eq!(reap(pid), 128 + libc::SIGKILL);
        // Its sender role went with it: another handle may take it.
        let mut tx = r.attach();
        tx.send(b"after", TRY).unwrap();
        assert_eq!(rx.recv(&mut buf, TRY), Ok(5));
    });
}

#[test]
fn a_sender_blocked_on_a_dead_receiver_gets_epipe() {
    both(|| {
        let r = Region::shared(256);
        let mut tx = r.init();
        let pid = fork(|| {
            let mut rx = r.attach();
            let mut buf = [0u8; 8];
            if rx.recv(&mut buf, FOREVER) != Ok(1) {
                return 1;
            }
            // SAFETY: dying without closing is the test.
            unsafe { libc::raise(libc::SIGKILL) };
            2
        });
        tx.send(b"1", FOREVER).unwrap();
        loop {
            match tx.send(&[0; 100], FOREVER) {
                Ok(()) => continue,
                Err(e) => {
                    assert_eq!(e, Errno(libc::EPIPE));
                    break;
                }
            }
        }
        assert_eq!(reap(pid), 128 + libc::SIGKILL);
    });
}

#[test]
fn a_child_streams_to_its_parent_and_closes() {
    both(|| {
        const N: u64 = 100_000;
        let r = Region::shared(8192);
        let mut rx = r.init();
        let pid = fork(|| {
            let mut tx = r.attach();
            let mut out = [0u8; 64];
            for seq in 0..N {
                fill(&mut out, seq);
                if tx.send(&out, FOREVER).is_err() {
                    return 1;
                }
            }
            0
        });
        let mut buf = [0u8; 64];
        for seq in 0..N {
            assert_eq!(rx.recv(&mut buf, FOREVER), Ok(64));
            assert!(matches(&buf, seq));
        }
        assert_eq!(err(rx.recv(&mut buf, FOREVER)), libc::EPIPE);
        assert_eq!(reap(pid), 0);
    });
}

#[test]
fn corrupt_counters_and_lengths_are_errors() {
    let r = Region::heap(256);
    let h = r.header();
    let mut tx = r.init();
    let mut buf = [0u8; 256];
    tx.send(b"abc", TRY).unwrap();

    // A receiver taking over checks the counters: head beyond what the
    // ring can hold either way from tail, or not a multiple of 8.
    for bad in [16 + 256 + 8, 17, u64::MAX - 263] {
        let good = h.head.0.swap(bad, SeqCst);
        let mut rx = r.attach();
        assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EPROTO, "head {bad}");
        h.head.0.store(good, SeqCst);
        // The refused claim gave the role up: the sender sees it closed.
        assert_eq!(err(tx.send(b"", TRY)), libc::EPIPE);
    }
    let mut rx = r.attach();
    // Length words under head: a message too large for the ring, too large
    // for what is left before the end, padding at offset 0, a huge one, and
    // none at all.
    // SAFETY (all the writes): offsets 0 and 128 are record length words.
    for (at, bad) in [(0, 242u64), (0, 256), (0, u64::MAX), (0, u64::MAX - 1), (128, 122), (128, 1 << 40), (128, 0)] {
        let good = unsafe { r.word(0).replace(0) };
        rx.close();
        h.tail.0.store(at as u64, SeqCst);
        let head = h.head.0.swap(at as u64 + 128, SeqCst);
        unsafe { r.word(at).write(bad) };
        assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EBADMSG, "length word {bad} at {at}");
        // With head behind, nothing is read: not yet a message.
        h.head.0.store(at as u64, SeqCst);
        assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN, "length word {bad} at {at}, head behind");
        h.head.0.store(head, SeqCst);
        h.tail.0.store(0, SeqCst);
        unsafe { r.word(0).write(good) };
        rx.close();
    }
    // The largest message that fits before the end is taken (garbage
    // payload: the peer wrote only the length word).
    // SAFETY: as above.
    unsafe { r.word(128).write(121) };
    h.tail.0.store(128, SeqCst);
    let head = h.head.0.swap(256, SeqCst);
    assert_eq!(rx.recv(&mut buf, TRY), Ok(120));
    rx.close();
    h.head.0.store(head, SeqCst);
    h.tail.0.store(0, SeqCst);
    assert_eq!(rx.recv(&mut buf, TRY), Ok(3));
    assert_eq!(&buf[..3], b"abc");

    // tail beyond head: the sender finds out when it next needs to read it.
    h.tail.0.store(1000, SeqCst);
    assert_eq!(err(tx.send(&[0; 240], TRY)), libc::EPROTO);
    // The header's capacity is read once, at attach: changing it later has no effect.
    h.tail.0.store(16, SeqCst);
    h.capacity.store(1 << 40, SeqCst);
    tx.send(b"ok", TRY).unwrap();
    assert_eq!(rx.recv(&mut buf, TRY), Ok(2));

    // A role word holding no live process (or no valid pid) is free.
    let r2 = Region::heap(256);
    drop(r2.init());
    for junk in [0x7fff_fff0u32, 0x8000_0001] {
        r2.header().sender.0.store(junk, SeqCst);
        let mut t = r2.attach();
        t.send(b"x", TRY).unwrap();
        assert_eq!(r2.header().sender.0.load(SeqCst), peer::me());
    }
}

#[test]
fn stale_bytes_of_an_earlier_lap_are_never_a_message() {
    // Payloads made of words that read as valid length words, in sizes that
    // shift the record boundaries from lap to lap, so that the receiver's
    // position keeps landing on old payload.
    let r = Region::heap(256);
    let mut tx = r.init();
    let mut rx = r.attach();
    let mut out = [0u8; 240];
    for (i, w) in out.chunks_mut(8).enumerate() {
        w.copy_from_slice(&(1 + (i as u64 % 5) * 8).to_ne_bytes());
    }
    let mut buf = [0u8; 256];
    let mut rng = Lcg(99);
    for round in 0..20_000u64 {
        let len = rng.below(241) as usize;
        let n = rng.below(3);
        let mut sent = 0;
        for _ in 0..=n {
            match tx.send(&out[..len], TRY) {
                Ok(()) => sent += 1,
                Err(e) => assert_eq!(e, Errno(libc::EAGAIN)),
            }
        }
        for _ in 0..sent {
            assert_eq!(rx.recv(&mut buf, TRY), Ok(len), "round {round}");
            assert_eq!(&buf[..len], &out[..len]);
        }
        // Empty now, whatever lies at the receiver's position.
        assert_eq!(err(rx.peek(TRY)), libc::EAGAIN, "round {round}");
    }
}

#[test]
fn a_record_whose_sender_died_before_publishing_head_was_never_sent() {
    let r = Region::heap(256);
    let h = r.header();
    let mut a = r.init();
    let mut rx = r.attach();
    let mut buf = [0u8; 256];
    a.send(b"first", TRY).unwrap();
    a.send(b"second", TRY).unwrap();
    // As if `a` died after the second length word, before head: its send
    // never returned, and the receiver, which reads only under head, never
    // sees it; the next sender writes over it.
    h.head.0.store(16, SeqCst);
    a.close();
    let mut b = r.attach();
    b.send(b"third", TRY).unwrap();
    assert_eq!(h.head.0.load(SeqCst), 32);
    for want in [&b"first"[..], b"third"] {
        let n = rx.recv(&mut buf, TRY).unwrap();
        assert_eq!(&buf[..n], want);
    }
    assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN);
}

#[test]
fn a_scribbling_peer_never_makes_the_receiver_read_outside() {
    let cap = 512usize;
    let r = Region::heap(cap);
    let h = r.header();
    let lo = r.ptr as usize + DATA_OFFSET;
    let hi = lo + cap;
    let mut rng = Lcg(2024);
    let mut buf = vec![0u8; cap];
    let mut outcomes = [0usize; 2];
    for _ in 0..2000 {
        let mut tx = r.init();
        let mut rx = r.attach();
        for _ in 0..rng.below(6) {
            let _ = tx.send(&buf[..rng.below(100) as usize], TRY);
            let _ = rx.recv(&mut buf, TRY);
        }
        for _ in 0..1 + rng.below(3) {
            let v = match rng.below(4) {
                0 => rng.next() << 3,
                1 => rng.below(cap as u64 * 2),
                2 => u64::MAX - rng.below(16),
                _ => rng.next(),
            };
            match rng.below(3) {
                0 => h.head.0.store(v, SeqCst),
                1 => h.tail.0.store(v, SeqCst),
                // SAFETY: an 8-aligned word inside the record area.
                _ => unsafe { r.word(rng.below(cap as u64 / 8) as usize * 8).write(v) },
            }
        }
        for _ in 0..4 {
            match rx.peek(TRY) {
                Ok((p, len)) => {
                    assert!(p as usize >= lo && p as usize + len <= hi, "peek outside the area");
                    outcomes[0] += 1;
                    let _ = rx.release();
                }
                Err(Errno(e)) => {
                    // EPIPE: the other role gave up after finding the counters corrupt.
                    assert!([libc::EAGAIN, libc::EPROTO, libc::EBADMSG, libc::EPIPE].contains(&e), "{e}");
                    outcomes[1] += 1;
                }
            }
            match tx.reserve(rng.below(64) as usize, TRY) {
                Ok(p) => assert!(p as usize >= lo && p as usize + 64 <= hi + 64, "reserve outside the area"),
                Err(Errno(e)) => assert!([libc::EAGAIN, libc::EPROTO, libc::EPIPE].contains(&e), "{e}"),
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn region_len_covers_the_header_and_whole_pages() {
    let page = crate::page::size();
    assert_eq!(Ring::region_len(1), Some(page));
    assert_eq!(Ring::region_len(page), Some(2 * page));
    assert_eq!(Ring::region_len(usize::MAX), None);
    let len = Ring::region_len(10_000).unwrap();
    assert!(len % page == 0 && len - Ring::header_size() >= 10_000);
}

#[test]
fn every_opener_follows_the_creators_protocol() {
    for p in protocols() {
        let r = Region::heap(256);
        let a = r.init_as(p);
        assert_eq!((a.protocol(), r.attach().protocol()), (p, p));
    }
    let r = Region::heap(256);
    let _a = r.init();
    // A word naming no protocol is another layout: refused, not guessed.
    for bad in [0, 3, u32::MAX] {
        r.header().handshake.store(bad, SeqCst);
        // SAFETY: as in Region::attach.
        assert_eq!(err(unsafe { Ring::attach(r.ptr, r.len) }), libc::EPROTO);
    }
}

/// What a cursor does with a lent sender state, in Rust: the record at the
/// position, the length word, the shared head (`rshm_channel_sender_send`'s
/// inline steps, without the wake-up: nobody sleeps in these tests).
fn cursor_send(s: &mut super::Sender, msg: &[u8]) -> bool {
    let rec = 8 + ((msg.len() as u64 + 7) & !7);
    if rec > s.limit - s.head {
        return false;
    }
    let at = super::RSHM_CHANNEL_DATA_AT as usize + (s.head - s.lap) as usize;
    s.head += rec;
    // SAFETY: head - lap + rec <= limit - lap <= cap: in the area; base is
    // the ring's header, the offsets its layout's.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr(), s.base.add(at + 8), msg.len());
        (*s.base.add(at).cast::<std::sync::atomic::AtomicU64>()).store(msg.len() as u64 + 1, SeqCst);
        let head = s.base.add(super::RSHM_CHANNEL_HEAD_AT as usize);
        (*head.cast::<std::sync::atomic::AtomicU64>()).store(s.head, SeqCst);
    }
    true
}

#[test]
fn a_lent_sender_refuses_its_own_sends_and_goes_on_after_the_cursor() {
    both(|| {
        let r = Region::heap(256);
        let mut tx = r.init();
        let mut rx = r.attach();
        let mut buf = [0u8; 256];
        assert_eq!(err(tx.take_back()), libc::EINVAL);
        tx.send(b"first", TRY).unwrap();
        tx.reserve(8, TRY).unwrap();
        let mut s = tx.lend().unwrap();
        assert_eq!(s.abi, super::RSHM_CHANNEL_SENDER_ABI);
        assert_eq!(err(tx.lend()), libc::EBUSY);
        assert_eq!(err(tx.send(b"x", TRY)), libc::EBUSY);
        assert_eq!(err(tx.commit(8)), libc::EINVAL, "lending abandoned the reservation");
        assert!(cursor_send(&mut s, b"from the cursor"));
        tx.take_back().unwrap();
        assert_eq!(err(tx.take_back()), libc::EINVAL);
        tx.send(b"after", TRY).unwrap();
        for want in [&b"first"[..], b"from the cursor", b"after"] {
            let n = rx.recv(&mut buf, TRY).unwrap();
            assert_eq!(&buf[..n], want);
        }
        // Many laps through cursors that end anywhere in the area,
        // padding included: every message arrives, in order.
        let mut rng = Lcg(5);
        let (mut sent, mut got) = (0u64, 0u64);
        while got < 3000 {
            let mut s = tx.lend().unwrap();
            for _ in 0..rng.below(6) {
                let mut m = vec![0u8; rng.below(60) as usize + 8];
                fill(&mut m, sent);
                m[..8].copy_from_slice(&sent.to_le_bytes());
                if !cursor_send(&mut s, &m) {
                    break;
                }
                sent += 1;
            }
            tx.take_back().unwrap();
            let mut m = vec![0u8; rng.below(100) as usize + 8];
            m[..8].copy_from_slice(&sent.to_le_bytes());
            fill(&mut m[8..], sent);
            if tx.send(&m, TRY).is_ok() {
                sent += 1;
            }
            while let Ok(n) = rx.recv(&mut buf, TRY) {
                assert!(n >= 8);
                assert_eq!(u64::from_le_bytes(buf[..8].try_into().unwrap()), got, "in order");
                got += 1;
            }
        }
    });
}

#[test]
fn a_corrupt_head_or_tail_while_lent_is_eproto_and_writes_stay_inside() {
    both(|| {
        let r = Region::heap(256);
        let mut tx = r.init();
        let mut rx = r.attach();
        let mut buf = [0u8; 256];
        tx.send(b"one", TRY).unwrap();
        let h = r.header();
        for (head, tail) in [(u64::MAX - 7, 0), (3, 0), (0, 5), (4096, 0)] {
            let (old_head, old_tail) = (h.head.0.load(SeqCst), h.tail.0.load(SeqCst));
            let _s = tx.lend().unwrap();
            h.head.0.store(head, SeqCst);
            h.tail.0.store(tail, SeqCst);
            assert_eq!(err(tx.take_back()), libc::EPROTO, "head {head} tail {tail}");
            if tail % 8 != 0 {
                // Its sends read tail again, and say so while it stays bad
                // (a bad head alone the sender, which owns it, writes over).
                assert_eq!(err(tx.send(b"x", TRY)), libc::EPROTO, "head {head} tail {tail}");
            }
            h.head.0.store(old_head, SeqCst);
            h.tail.0.store(old_tail, SeqCst);
            // The handle goes on from where it lent, within the area.
            tx.send(b"on", TRY).unwrap();
        }
        let mut n = 0;
        while rx.recv(&mut buf, TRY).is_ok() {
            n += 1;
        }
        assert_eq!(n, 5);
    });
}

#[test]
fn the_smallest_rings_never_send_a_message_beyond_their_largest() {
    both(|| {
        for cap in [64usize, 72] {
            let r = Region::heap(cap);
            let mut tx = r.init();
            let mut rx = r.attach();
            let most = tx.max_message();
            let mut buf = [0u8; 128];
            // An open reservation made the role short-path ready; the
            // short path must still refuse one byte more than the largest.
            tx.reserve(0, TRY).unwrap();
            assert_eq!(err(tx.send(&vec![1; most + 1], TRY)), libc::EMSGSIZE, "cap {cap}");
            let s = tx.lend().unwrap();
            assert!(s.limit - s.head <= cap as u64 - 8, "a cursor's room is at most the longest record");
            tx.take_back().unwrap();
            tx.send(&vec![2; most], TRY).unwrap();
            assert_eq!(rx.recv(&mut buf, TRY), Ok(most));
            assert_eq!(err(rx.recv(&mut buf, TRY)), libc::EAGAIN);
        }
    });
}
