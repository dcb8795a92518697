use super::*;
use crate::test_names::name;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const RD: libc::c_int = libc::O_RDONLY;
const RW: libc::c_int = libc::O_RDWR;

#[test]
fn create_write_read_versions_and_sizes() {
    let n = name("val");
    let mut w = Value::create(&n, 100, 0o600).unwrap();
    assert_eq!(w.size(), 100);
    assert!(w.is_writer());
    let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
    assert!(!r.is_writer());
    let mut buf = [0u8; 100];
    assert_eq!(r.read(&mut buf), Ok((0, 0)));
    assert_eq!(w.write(b"hello"), Ok(1));
    assert_eq!(r.read(&mut buf), Ok((5, 1)));
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(w.write(&[]), Ok(2));
    assert_eq!(r.read(&mut buf), Ok((0, 2)));
    assert_eq!(w.write(&[7; 100]), Ok(3));
    assert_eq!(w.write(&[7; 101]), Err(Errno(libc::EMSGSIZE)));
    assert_eq!(r.read(&mut buf[..99]), Err(Errno(libc::EMSGSIZE)));
    assert_eq!(r.read(&mut buf), Ok((100, 3)));
    assert_eq!(w.read(&mut buf), Ok((100, 3)));
    assert_eq!(r.version(), 3);
    assert_eq!(r.write(b"x"), Err(Errno(libc::EBADF)));
    // Every write lands, across the steady slot's turns.
    for i in 4..200u64 {
        assert_eq!(w.write(&i.to_ne_bytes()), Ok(i));
        assert_eq!(r.read(&mut buf), Ok((8, i)));
        assert_eq!(buf[..8], i.to_ne_bytes());
    }
    drop((w, r));
    unlink(&n).unwrap();
}

#[test]
fn one_writer_at_a_time_and_its_role_passes_on() {
    let n = name("writer");
    let mut w = Value::create(&n, 8, 0o600).unwrap();
    w.write(b"one").unwrap();
    assert_eq!(Value::open(&n, RW, Duration::ZERO).err(), Some(Errno(libc::EBUSY)));
    assert_eq!(Value::create(&n, 8, 0o600).err(), Some(Errno(libc::EEXIST)));
    let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
    w.close().unwrap();
    // A new writer continues the versions.
    let mut w2 = Value::open(&n, RW, Duration::ZERO).unwrap();
    assert_eq!(w2.write(b"two"), Ok(2));
    let mut buf = [0u8; 8];
    assert_eq!(r.read(&mut buf), Ok((3, 2)));
    // A dead writer's pid in the role word is taken over (w2 then finds
    // the role no longer its own and leaves it).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    w2.block.role_word().store(dead, Ordering::SeqCst);
    drop(w2);
    let mut w3 = Value::open(&n, RW, Duration::ZERO).unwrap();
    assert_eq!(w3.write(b"three"), Ok(3));
    drop((w3, r));
    unlink(&n).unwrap();
}

#[test]
fn what_is_not_a_value_is_refused() {
    let n = name("notval");
    assert_eq!(Value::create(&n, 0, 0o600).err(), Some(Errno(libc::EINVAL)));
    assert_eq!(Value::create(&n, usize::MAX, 0o600).err(), Some(Errno(libc::EOVERFLOW)));
    assert_eq!(Value::open(&n, RD, Duration::ZERO).err(), Some(Errno(libc::ENOENT)));
    assert_eq!(Value::open(&n, libc::O_WRONLY, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
    let seg = Segment::create(&n, 4096, 0o600).unwrap();
    assert_eq!(Value::open(&n, RD, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
    drop(seg);
    unlink(&n).unwrap();
    let v = Value::create(&n, 64, 0o600).unwrap();
    assert_eq!(Segment::open(&n, RW, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
    drop(v);
    unlink(&n).unwrap();
}

#[test]
fn describe_tells_kind_size_version_and_writer() {
    let n = name("describe");
    let mut w = Value::create(&n, 48, 0o600).unwrap();
    w.write(b"abc").unwrap();
    w.write(b"abcd").unwrap();
    let bytes = std::fs::read(format!("/dev/shm{}", n.to_str().unwrap())).unwrap();
    let d = describe(&bytes).unwrap();
    assert_eq!(d, Description { layout: LAYOUT, size: 48, version: 2, writer: Some(std::process::id()) });
    assert_ne!(d.writer_liveness(), Liveness::Dead);
    assert_eq!(describe(&bytes[..100]).err(), Some(Errno(libc::EPROTO)));
    assert_eq!(describe(&[0u8; 4096]).err(), Some(Errno(libc::EINVAL)));
    w.close().unwrap();
    let bytes = std::fs::read(format!("/dev/shm{}", n.to_str().unwrap())).unwrap();
    assert_eq!(describe(&bytes).unwrap().writer, None);
    unlink(&n).unwrap();
}

/// Readers on other threads against a writer flat out: every value they
/// get is whole (all its bytes equal its version's low byte, its length a
/// function of its version) and their versions never go back.
#[test]
fn readers_never_see_a_torn_value() {
    // Long values, and short ones: those take the leaf paths
    // (`Block::write_now`, `read_now`) on both sides.
    for (size, span) in [(4096, 4096), (64, 65)] {
        torn(size, span);
    }
}

/// Two readers against a writer flat out for 0.3 s, writing values of
/// `v * 97 % span` bytes, each its version's low byte repeated.
fn torn(size: usize, span: usize) {
    let n = name("torn");
    let mut w = Value::create(&n, size, 0o600).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let length = move |v: u64| (v as usize * 97) % span;
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; size];
                let (mut last, mut reads) = (0, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let (len, v) = r.read(&mut buf).unwrap();
                    assert!(v >= last, "version went back: {v} after {last}");
                    assert_eq!(len, length(v));
                    assert!(buf[..len].iter().all(|&b| b == v as u8), "torn at version {v}");
                    last = v;
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let mut data = vec![0u8; size];
    let t = std::time::Instant::now();
    let mut v = 0u64;
    while t.elapsed() < Duration::from_millis(300) {
        v += 1;
        let len = length(v);
        data[..len].fill(v as u8);
        assert_eq!(w.write(&data[..len]), Ok(v));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    drop(w);
    unlink(&n).unwrap();
}

#[test]
fn wait_returns_on_a_new_version_and_times_out_otherwise() {
    let n = name("wait");
    let mut w = Value::create(&n, 8, 0o600).unwrap();
    let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
    assert_eq!(r.wait(0, Timeout::Try), Err(Errno(libc::EAGAIN)));
    assert_eq!(r.wait(0, Timeout::After(Duration::from_millis(5))), Err(Errno(libc::ETIMEDOUT)));
    assert_eq!(r.wait(7, Timeout::Try), Ok(()));
    let t = std::thread::spawn(move || {
        let woke = r.wait(0, Timeout::After(Duration::from_secs(10)));
        (woke, r.version())
    });
    std::thread::sleep(Duration::from_millis(20));
    w.write(b"x").unwrap();
    assert_eq!(t.join().unwrap(), (Ok(()), 1));
    drop(w);
    unlink(&n).unwrap();
}

/// A waiter that cannot announce itself: woken at once when the writer
/// wakes always, within the poll otherwise.
#[test]
fn a_waiter_that_cannot_write_is_woken_or_polls() {
    for mode in [0o644, 0o600] {
        let n = name("rowait");
        let mut w = Value::create(&n, 8, mode).unwrap();
        let r = Value::open(&n, RD, Duration::ZERO).unwrap();
        let t = std::thread::spawn(move || r.block.wait(None, 0, Timeout::After(Duration::from_secs(10))));
        std::thread::sleep(Duration::from_millis(20));
        w.write(b"x").unwrap();
        assert_eq!(t.join().unwrap(), Ok(()), "mode {mode:o}");
        drop(w);
        unlink(&n).unwrap();
    }
}

fn readable(fd: std::os::fd::RawFd) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 5000) == 1 }
}

fn quiet(fd: std::os::fd::RawFd) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, no waiting.
    unsafe { libc::poll(&mut p, 1, 0) == 0 }
}

/// Both watchers (announcing through a read-write mapping, and sleeping on
/// the tick as a reader that may only read): readable on a write, quiet
/// after the read, and stopped promptly on close.
#[test]
fn a_readers_descriptor_follows_its_reads_with_either_watcher() {
    for announcing in [true, false] {
        let n = name("rfd");
        let mut w = Value::create(&n, 8, 0o600).unwrap();
        let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
        let announce = announcing.then(|| wait::Announce::open(r.seg.fd(), r.seg.size()).unwrap());
        r.ready = Some(ready::Ready::new(r.block.view, announce, 0).unwrap());
        let fd = r.ready.as_ref().unwrap().fd();
        assert!(quiet(fd));
        let mut buf = [0u8; 8];
        for i in 1..=50u64 {
            w.write(&i.to_ne_bytes()).unwrap();
            assert!(readable(fd), "announcing {announcing}, version {i}");
            assert!(readable(fd), "level-triggered");
            assert_eq!(r.read(&mut buf), Ok((8, i)));
            assert!(quiet(fd), "announcing {announcing}, version {i}");
        }
        // A ring from elsewhere: readable, and quiet after a read that
        // found nothing new.
        crate::object::doorbell::ring(r.ready.as_ref().unwrap().token());
        assert!(readable(fd));
        assert_eq!(r.read(&mut buf), Ok((8, 50)));
        assert!(quiet(fd), "a spurious ring outlived the read");
        let t = std::time::Instant::now();
        drop(r);
        assert!(t.elapsed() < Duration::from_millis(50), "close took {:?}", t.elapsed());
        assert_eq!(w.fd(), Err(Errno(libc::EBADF)));
        drop(w);
        unlink(&n).unwrap();
    }
}

/// A heap region, 64-byte aligned, freed on drop.
struct Region(*mut u8, std::alloc::Layout);

impl Region {
    fn new(len: usize) -> Region {
        let layout = std::alloc::Layout::from_size_align(len, 64).unwrap();
        // SAFETY: len > 0 in every test.
        Region(unsafe { std::alloc::alloc_zeroed(layout) }, layout)
    }
    /// A peer's scribble: byte `at` becomes `b`.
    fn poke(&self, at: usize, b: u8) {
        assert!(at < self.1.size());
        // SAFETY: inside the allocation; the blocks read it only between calls.
        unsafe { self.0.add(at).write_volatile(b) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in new with this layout.
        unsafe { std::alloc::dealloc(self.0, self.1) }
    }
}

#[test]
fn a_reader_that_keeps_losing_falls_back_to_the_steady_slot_and_then_gives_up() {
    let len = Block::region_len(64).unwrap();
    let reg = Region::new(len);
    // SAFETY: the region outlives both blocks.
    let mut w = unsafe { Block::init(reg.0, len, 64) }.unwrap();
    // SAFETY: as above.
    let mut r = unsafe { Block::attach(reg.0, len, false) }.unwrap();
    for i in 1..=64u64 {
        w.write(&i.to_ne_bytes()).unwrap();
    }
    w.write(b"newest").unwrap();
    // Every fast slot looks mid-write forever: only the steady slot (64) is whole.
    let view = w.view;
    for i in 0..layout::FAST as usize {
        view.slot(i).head.stamp.fetch_or(1, Ordering::SeqCst);
    }
    let mut buf = [0u8; 64];
    assert_eq!(r.read(&mut buf), Ok((8, 64)));
    assert_eq!(buf[..8], 64u64.to_ne_bytes());
    // The steady slot is older than what this reader returned: not taken.
    let mut fresh = unsafe { Block::attach(reg.0, len, false) }.unwrap();
    fresh.seen = 65;
    let t = std::time::Instant::now();
    assert_eq!(fresh.read(&mut buf), Err(Errno(libc::EBADMSG)));
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn garbage_in_the_block_gives_an_errno_or_a_value_within_bounds() {
    let cap = 100;
    let len = Block::region_len(cap).unwrap();
    let reg = Region::new(len);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        // SAFETY: the region outlives the blocks.
        let mut w = unsafe { Block::init(reg.0, len, cap) }.unwrap();
        w.write(b"start").unwrap();
        for _ in 0..(rand() % 16) {
            let at = (rand() % len as u64) as usize;
            reg.poke(at, rand() as u8);
        }
        // SAFETY: as above.
        if let Ok(mut r) = unsafe { Block::attach(reg.0, len, false) } {
            let mut buf = [0u8; 128];
            match r.read(&mut buf) {
                Ok((n, _)) => assert!(n <= cap),
                Err(Errno(e)) => assert!([libc::EBADMSG].contains(&e), "errno {e}"),
            }
            let _ = r.wait(None, 0, Timeout::Try);
        }
        // SAFETY: as above.
        if let Ok(mut w2) = unsafe { Block::attach(reg.0, len, true) } {
            let _ = w2.write(b"again");
        }
    }
}

/// The block records its waiters' handshake, and the writer's short path
/// wakes an announced waiter with either protocol.
#[test]
fn an_announced_waiter_is_woken_with_either_protocol() {
    for protocol in crate::object::handshake::runnable() {
        let len = Block::region_len(64).unwrap();
        let reg = Region::new(len);
        // SAFETY: the region outlives both blocks (the thread is joined).
        let mut w = unsafe { Block::init_with(reg.0, len, 64, protocol) }.unwrap();
        // SAFETY: as above.
        let r = unsafe { Block::attach(reg.0, len, false) }.unwrap();
        assert_eq!(r.view.hs.protocol(), protocol);
        let word: &'static AtomicU32 = &w.view.shared.sleepers;
        let t = std::thread::spawn(move || r.wait(Some(word), 0, Timeout::After(Duration::from_secs(10))));
        while word.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        w.write(b"x").unwrap();
        assert_eq!(t.join().unwrap(), Ok(()), "{protocol:?}");
        assert_eq!(word.load(Ordering::SeqCst), 0, "the writer cleared the word when it woke");
    }
}

/// The permissions /proc/self/maps shows for the mapping holding `addr`.
#[cfg(target_os = "linux")]
fn map_perms(addr: usize) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (range, perms) = (f.next().unwrap(), f.next().unwrap());
        let (lo, hi) = range.split_once('-').unwrap();
        let (lo, hi) = (usize::from_str_radix(lo, 16).unwrap(), usize::from_str_radix(hi, 16).unwrap());
        if (lo..hi).contains(&addr) {
            return perms.to_string();
        }
    }
    String::new()
}

/// A reader's mapping is read-only, also once it has waited (the
/// announcement goes through a mapping of its own), and reads work on it.
#[cfg(target_os = "linux")]
#[test]
fn a_reader_maps_the_value_read_only() {
    let n = name("ro");
    let mut w = Value::create(&n, 64, 0o600).unwrap();
    let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
    assert_eq!(map_perms(w.seg.data() as usize), "rw-s");
    assert_eq!(map_perms(r.seg.data() as usize), "r--s");
    assert_eq!(r.wait(0, Timeout::After(Duration::from_millis(1))), Err(Errno(libc::ETIMEDOUT)));
    assert!(matches!(r.announce, Some(Some(_))), "root or the owner may announce");
    assert_eq!(map_perms(r.seg.data() as usize), "r--s");
    w.write(b"ro").unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(r.read(&mut buf), Ok((2, 1)));
    drop((w, r));
    unlink(&n).unwrap();
}

#[test]
fn a_lent_reader_keeps_the_handle_waiting_and_takes_its_version_back() {
    let n = name("lend");
    let mut w = Value::create(&n, 100, 0o600).unwrap();
    let mut r = Value::open(&n, RD, Duration::ZERO).unwrap();
    let me: *mut Value = &mut r;
    let mut cur = Reader { abi: 0, unused: 0, seen: 0, stride: 0, copy_max: 0, base: std::ptr::null(), v: me };
    let mut buf = [0u8; 100];
    assert_eq!(r.read_lent(&mut cur.seen, &mut buf), Err(Errno(libc::EINVAL)));
    assert_eq!(r.take_back_reader(0), Err(Errno(libc::EINVAL)));
    r.lend_reader(&mut cur, me).unwrap();
    assert_eq!((cur.abi, cur.stride, cur.copy_max), (RSHM_VALUE_READER_ABI, 128, 64));
    assert_eq!(r.lend_reader(&mut cur, me), Err(Errno(libc::EBUSY)));
    assert_eq!(r.read(&mut buf), Err(Errno(libc::EBUSY)));
    // SAFETY: buf is 100 writable bytes.
    assert_eq!(unsafe { r.read_now(buf.as_mut_ptr(), buf.len()) }, None);
    for i in 1..=70u64 {
        assert_eq!(w.write(&[i as u8; 80]), Ok(i));
        assert_eq!(r.read_lent(&mut cur.seen, &mut buf), Ok((80, i)));
        assert_eq!(cur.seen, i);
    }
    // A cursor's version beyond the published one is not taken back.
    r.take_back_reader(1000).unwrap();
    assert_eq!(r.block.seen, 70);
    assert_eq!(r.read(&mut buf), Ok((80, 70)));
    drop((w, r));
    unlink(&n).unwrap();
}
