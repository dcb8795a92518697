//! The topic through named objects: delivery to many, both policies,
//! roles and their takeover, zero-copy, and peers that scribble.

use super::header::{Header, Shape, Slot};
use super::*;
use crate::object::handshake::Protocol;
use crate::test_names::name;
use std::ffi::CString;
use std::sync::atomic::Ordering::SeqCst;

const TRY: Timeout = Timeout::Try;
const FOREVER: Timeout = Timeout::Forever;
const SEC: Duration = Duration::from_secs(1);

fn err<T>(r: Result<T>) -> i32 {
    match r {
        Ok(_) => panic!("should fail"),
        Err(Errno(e)) => e,
    }
}

/// The shared header of the topic behind `t`.
fn hdr(t: &Topic) -> &Header {
    // SAFETY: the segment's data starts with the header while t lives.
    unsafe { &*t.seg.data().cast::<Header>() }
}

fn slot(t: &Topic, i: usize) -> &Slot {
    // SAFETY: slots follow the header at 512; tests use i < max_subscribers.
    unsafe { &*t.seg.data().add(512 + 64 * i).cast::<Slot>() }
}

/// The pid of a process that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// Message `i` of a stream: its length varies from 0 to 300 bytes and
/// every byte says which message it belongs to.
fn message(i: u64) -> Vec<u8> {
    let len = (i * 7919 % 301) as usize;
    (0..len).map(|k| (i as usize + k) as u8).collect()
}

fn check(i: u64, got: &[u8]) {
    assert_eq!(got, &message(i)[..], "message {i}");
}

/// The handshakes this process can run: the blocking tests run in each.
fn protocols() -> Vec<Protocol> {
    let mut all = vec![Protocol::SeqCst];
    if Protocol::Asymmetric.join().is_ok() {
        all.push(Protocol::Asymmetric);
    }
    all
}

fn create_with(n: &Named, capacity: usize, subs: u32, flags: u32, protocol: Protocol) -> Topic {
    let shape = Shape { protocol, ..Shape::new(capacity, subs, flags).unwrap() };
    Topic::create_shaped(&n.0, shape, 0o600).unwrap()
}

struct Named(CString);

impl Drop for Named {
    fn drop(&mut self) {
        let _ = unlink(&self.0);
    }
}

fn named(tag: &str) -> Named {
    Named(name(tag))
}

#[test]
fn create_open_publish_receive_close() {
    let n = named("topic");
    let mut p = Topic::create(&n.0, 1000, 4, 0, 0o600).unwrap();
    assert!(p.is_publisher());
    assert_eq!((p.capacity(), p.max_message(), p.max_subscribers()), (1008, 976, 4));
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    assert!(!s.is_publisher());
    p.publish(b"hello", TRY).unwrap();
    p.publish(b"", TRY).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(s.receive(&mut buf, TRY), Ok(5));
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(s.receive(&mut buf, TRY), Ok(0));
    assert_eq!(err(s.receive(&mut buf, TRY)), libc::EAGAIN);
    assert_eq!(err(s.receive(&mut buf, Timeout::After(Duration::from_millis(5)))), libc::ETIMEDOUT);
    assert_eq!(err(s.publish(b"x", TRY)), libc::EBADF);
    assert_eq!(err(p.receive(&mut buf, TRY)), libc::EBADF);
    assert_eq!(err(p.publish(&vec![0; 977], TRY)), libc::EMSGSIZE);
    p.publish(&vec![9; 976], TRY).unwrap();
    let mut big = vec![0u8; 976];
    assert_eq!(err(s.receive(&mut buf, TRY)), libc::EMSGSIZE);
    assert_eq!(s.receive(&mut big, TRY), Ok(976));
    p.close().unwrap();
    assert_eq!(err(s.receive(&mut buf, TRY)), libc::EPIPE);
    assert_eq!(s.lost(), 0);
    s.close().unwrap();
}

#[test]
fn bad_arguments_and_other_objects_are_refused() {
    let n = named("bad");
    for (cap, subs, flags) in [(0, 1, 0), (64, 0, 0), (64, MAX_SUBSCRIBERS + 1, 0), (64, 1, 2)] {
        assert_eq!(err(Topic::create(&n.0, cap, subs, flags, 0o600)), libc::EINVAL, "{cap} {subs} {flags}");
    }
    assert_eq!(err(Topic::create(&n.0, usize::MAX, 1, 0, 0o600)), libc::EOVERFLOW);
    assert_eq!(err(Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO)), libc::ENOENT);
    assert_eq!(err(Topic::open(&n.0, libc::O_WRONLY, Duration::ZERO)), libc::EINVAL);
    let seg = Segment::create(&n.0, 4096, 0o600).unwrap();
    assert_eq!(err(Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO)), libc::EINVAL);
    assert_eq!(err(describe(&n.0)), libc::EINVAL);
    drop(seg);
    unlink(&n.0).unwrap();
    let t = Topic::create(&n.0, 64, 1, FLAG_BLOCK, 0o600).unwrap();
    assert_eq!((t.capacity(), t.max_message(), t.blocks()), (64, 32, true));
    assert_eq!(err(Topic::create(&n.0, 64, 1, 0, 0o600)), libc::EEXIST);
    assert_eq!(err(Segment::open(&n.0, libc::O_RDWR, Duration::ZERO)), libc::EINVAL);
}

#[test]
fn three_subscribers_get_every_message_in_order_then_epipe() {
    for protocol in protocols() {
        three_subscribers(protocol);
    }
}

fn three_subscribers(protocol: Protocol) {
    const N: u64 = 200_000;
    let n = named("three");
    let mut p = create_with(&n, 64 << 10, 3, FLAG_BLOCK, protocol);
    let subs: Vec<_> = (0..3)
        .map(|_| {
            let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 512];
                for i in 0..N {
                    let len = s.receive(&mut buf, FOREVER).unwrap();
                    check(i, &buf[..len]);
                }
                assert_eq!(err(s.receive(&mut buf, FOREVER)), libc::EPIPE);
                s.lost()
            })
        })
        .collect();
    assert_eq!(err(Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO)), libc::EUSERS);
    for i in 0..N {
        p.publish(&message(i), FOREVER).unwrap();
    }
    p.close().unwrap();
    for s in subs {
        assert_eq!(s.join().unwrap(), 0);
    }
}

#[test]
fn a_stalled_subscriber_never_blocks_the_publisher_and_counts_its_losses() {
    const N: u64 = 20_000;
    let n = named("stall");
    let mut p = Topic::create(&n.0, 4096, 2, 0, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let mut buf = vec![0u8; 512];
    let (mut received, mut next) = (0u64, 0u64);
    let mut take = |s: &mut Topic, buf: &mut [u8]| -> bool {
        let Ok(len) = s.receive(buf, TRY) else { return false };
        let i = u64::from_ne_bytes(buf[..8].try_into().unwrap());
        assert!(i >= next, "out of order: {i} after {next}");
        assert_eq!(&buf[..len], &numbered(i)[..]);
        (received, next) = (received + 1, i + 1);
        true
    };
    for i in 0..N {
        // Never waits: a try always succeeds.
        p.publish(&numbered(i), TRY).unwrap();
        // The subscriber reads now and then, a few at a time.
        if i % 97 == 0 {
            for _ in 0..3 {
                take(&mut s, &mut buf);
            }
        }
    }
    p.close().unwrap();
    while take(&mut s, &mut buf) {}
    assert_eq!(err(s.receive(&mut buf, TRY)), libc::EPIPE);
    assert!(s.lost() > 0);
    assert_eq!(received + s.lost(), N);
}

#[test]
fn order_survives_laps_and_losses() {
    // Every message names itself: what arrives is in order, whole, and the
    // gaps are exactly the losses.
    let n = named("laps");
    let mut p = Topic::create(&n.0, 2048, 1, 0, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let mut buf = vec![0u8; 2048];
    let (mut next, mut lost) = (0u64, 0u64);
    for round in 0..300u64 {
        for _ in 0..(round * 13 % 40) {
            publish_next(&mut p);
        }
        while let Ok(len) = s.receive(&mut buf, TRY) {
            let i = u64::from_ne_bytes(buf[..8].try_into().unwrap());
            assert!(i >= next, "out of order: {i} after {next}");
            lost += i - next;
            assert_eq!(&buf[..len], &numbered(i)[..]);
            next = i + 1;
        }
        assert_eq!(s.lost(), lost);
    }
}

/// Message `i` with its number in its first 8 bytes, 8 to 400 bytes long.
fn numbered(i: u64) -> Vec<u8> {
    let mut m = i.to_ne_bytes().to_vec();
    m.extend((0..(i * 31 % 393)).map(|k| (i + k) as u8));
    m
}

/// Publishes the next numbered message, by the publisher's own count.
fn publish_next(p: &mut Topic) {
    let i = match &p.end {
        End::Pub(publ) => publ.next_seq(),
        End::Sub(_) => unreachable!(),
    };
    p.publish(&numbered(i), TRY).unwrap();
}

#[test]
fn block_waits_for_the_slowest_and_skips_the_dead() {
    let n = named("block");
    let mut p = Topic::create(&n.0, 256, 2, FLAG_BLOCK, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let dead = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    // 48-byte messages take 64 bytes: three fit with the next header.
    for i in 0..3u8 {
        p.publish(&[i; 48], TRY).unwrap();
    }
    assert_eq!(err(p.publish(&[3; 48], TRY)), libc::EAGAIN);
    let mut buf = [0u8; 48];
    assert_eq!(s.receive(&mut buf, TRY), Ok(48));
    // s moved on, but the other subscriber still holds the oldest message.
    assert_eq!(err(p.publish(&[3; 48], Timeout::After(Duration::from_millis(20)))), libc::ETIMEDOUT);
    // It dies (its slot keeps its pid, now a dead one): it no longer counts.
    slot(&dead, 1).pid.store(dead_pid(), SeqCst);
    std::mem::forget(dead);
    p.publish(&[3; 48], Timeout::After(SEC)).unwrap();
    for i in 1..4u8 {
        assert_eq!(s.receive(&mut buf, TRY), Ok(48));
        assert_eq!(buf, [i; 48]);
    }
    assert_eq!(s.lost(), 0);
    // A cursor scribbled outside what was published is ignored.
    slot(&s, 0).cursor.store(u64::MAX - 1, SeqCst);
    for i in 0..10u8 {
        p.publish(&[i; 48], TRY).unwrap();
    }
    // One scribbled into range holds the publisher up to its timeout only
    // (once the room it last knew free is used up).
    slot(&s, 0).cursor.store(hdr(&p).head.0.load(SeqCst), SeqCst);
    let short = Timeout::After(Duration::from_millis(20));
    let r = (0..10).map(|_| p.publish(&[0; 48], short)).find(|r| r.is_err());
    assert_eq!(r, Some(Err(Errno(libc::ETIMEDOUT))));
}

#[test]
fn a_blocked_publisher_wakes_when_a_subscriber_reads() {
    for protocol in protocols() {
        blocked_publisher_wakes(protocol);
    }
}

fn blocked_publisher_wakes(protocol: Protocol) {
    let n = named("wake");
    let mut p = create_with(&n, 256, 1, FLAG_BLOCK, protocol);
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        for i in 0..1000u32 {
            assert_eq!(s.receive(&mut buf, FOREVER), Ok(64));
            assert_eq!(buf[..4], i.to_ne_bytes());
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    });
    for i in 0..1000u32 {
        let mut m = [0u8; 64];
        m[..4].copy_from_slice(&i.to_ne_bytes());
        p.publish(&m, FOREVER).unwrap();
    }
    reader.join().unwrap();
}

#[test]
fn one_live_publisher_and_a_dead_one_is_replaced() {
    let n = named("takeover");
    let mut p = Topic::create(&n.0, 1024, 2, 0, 0o600).unwrap();
    assert_eq!(err(Topic::open(&n.0, libc::O_RDWR, Duration::ZERO)), libc::EBUSY);
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    p.publish(b"one", TRY).unwrap();
    // Dies after committing a record, before publishing head; and after
    // reserving another, half written.
    if let End::Pub(publ) = &mut p.end {
        publ.commit_without_head(b"two");
    }
    let r = p.reserve(100, TRY).unwrap();
    // SAFETY: reserve handed out 100 writable bytes.
    unsafe { std::ptr::write_bytes(r, 0xee, 50) };
    hdr(&p).publisher.0.store(dead_pid(), SeqCst);
    std::mem::forget(p);
    let mut buf = [0u8; 128];
    assert_eq!(s.receive(&mut buf, TRY), Ok(3));
    assert_eq!(&buf[..3], b"one");
    // Nothing torn: subscribers read only under head, so neither the
    // committed record nor the reservation shows; the publisher is gone.
    assert_eq!(err(s.receive(&mut buf, Timeout::After(SEC))), libc::EPIPE);
    let mut q = Topic::open(&n.0, libc::O_RDWR, Duration::ZERO).unwrap();
    assert_eq!(err(Topic::open(&n.0, libc::O_RDWR, Duration::ZERO)), libc::EBUSY);
    // The new publisher counts the committed record as published.
    assert_eq!(s.receive(&mut buf, TRY), Ok(3));
    assert_eq!(&buf[..3], b"two");
    q.publish(b"three", TRY).unwrap();
    assert_eq!(s.receive(&mut buf, TRY), Ok(5));
    assert_eq!(&buf[..5], b"three");
    assert_eq!(s.lost(), 0);
    let d = describe(&n.0).unwrap();
    assert_eq!((d.publisher, d.published, d.subscribers.len()), (Some(std::process::id()), 3, 1));
    assert_eq!((d.subscribers[0].lag_messages, d.subscribers[0].lag_bytes), (0, 0));
}

#[test]
fn zero_copy_in_place_and_estale_when_overwritten() {
    let n = named("zc");
    let mut p = Topic::create(&n.0, 256, 1, 0, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let r = p.reserve(64, TRY).unwrap();
    assert_eq!(r as usize % 16, 0);
    // SAFETY: reserve handed out 64 writable bytes.
    unsafe { std::ptr::write_bytes(r, 7, 64) };
    assert_eq!(err(p.commit(65)), libc::EINVAL);
    p.commit(10).unwrap();
    assert_eq!(err(p.commit(0)), libc::EINVAL);
    let (m, len) = s.peek(TRY).unwrap();
    assert_eq!(len, 10);
    assert_eq!(s.peek(TRY).unwrap(), (m, len));
    // SAFETY: peek handed out len readable bytes.
    assert_eq!(unsafe { std::slice::from_raw_parts(m, len) }, &[7; 10]);
    s.release().unwrap();
    assert_eq!(err(s.release()), libc::EINVAL);
    p.publish(&[1; 64], TRY).unwrap();
    let (_, len) = s.peek(TRY).unwrap();
    assert_eq!(len, 64);
    // The publisher laps the peeked message: release says so.
    for i in 0..5u8 {
        p.publish(&[i; 64], TRY).unwrap();
    }
    assert_eq!(err(s.release()), libc::ESTALE);
    let mut buf = [0u8; 64];
    let mut got = 1;
    while s.receive(&mut buf, TRY).is_ok() {
        got += 1;
    }
    // 1 (the first) + what arrived + what was lost = 7 published.
    assert_eq!(got - 1 + s.lost() + 1, 7);
}

#[test]
fn scribbles_yield_errors_never_hangs() {
    let n = named("scribble");
    let mut p = Topic::create(&n.0, 512, 2, 0, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let mut buf = [0u8; 512];
    let area = p.seg.data();
    let off = p.area().shape.data_offset();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..20_000u64 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let _ = p.publish(&numbered(i % 50), TRY);
        if rng % 5 == 0 {
            let at = (rng >> 8) as usize % (off + 512);
            // SAFETY: at is inside the segment's data; a hostile peer writes
            // there concurrently in real life, here between calls.
            unsafe { area.add(at).write_volatile((rng >> 40) as u8) };
        }
        match s.receive(&mut buf, TRY) {
            Ok(_) | Err(Errno(libc::EAGAIN | libc::EBADMSG | libc::EPROTO | libc::EPIPE)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    // A new subscriber and a describe still work or fail cleanly.
    let _ = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO);
    let _ = describe(&n.0);
}

#[test]
fn describe_shows_the_publisher_and_each_subscribers_lag_and_losses() {
    let n = named("describe");
    let mut p = Topic::create(&n.0, 256, 3, 0, 0o600).unwrap();
    let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    let d = describe(&n.0).unwrap();
    assert_eq!((d.version, d.capacity, d.max_subscribers, d.block), (1, 256, 3, false));
    assert_eq!((d.publisher, d.head, d.published), (Some(std::process::id()), 0, 0));
    for _ in 0..3 {
        p.publish(&[1; 48], TRY).unwrap();
    }
    let mut buf = [0u8; 64];
    s.receive(&mut buf, TRY).unwrap();
    let d = describe(&n.0).unwrap();
    assert_eq!((d.head, d.published), (192, 3));
    let info = d.subscribers[0];
    assert_eq!(
        (info.slot, info.pid, info.lag_bytes, info.lag_messages, info.next_message),
        (0, std::process::id(), 128, 2, 1)
    );
    // Lapped: its losses show once it has noticed them.
    for _ in 0..10 {
        p.publish(&[2; 48], TRY).unwrap();
    }
    s.receive(&mut buf, TRY).unwrap();
    let info = describe(&n.0).unwrap().subscribers[0];
    assert_eq!(info.lost, s.lost());
    assert!(info.lost > 0);
    drop(s);
    assert!(describe(&n.0).unwrap().subscribers.is_empty());
}

/// The bytes of the object `n`, read as a tool reads them (no mapping).
fn object_bytes(n: &CString) -> Vec<u8> {
    let path = format!("/dev/shm{}", n.to_str().unwrap());
    std::fs::read(path).unwrap()
}

/// `describe_bytes` of a copy says what `describe` of the object does;
/// a copy with any byte changed, cut short, or of another kind is
/// described within bounds or refused, never a panic.
#[test]
fn describe_bytes_agrees_and_survives_garbage() {
    let n = named("describe-bytes");
    let mut p = Topic::create(&n.0, 256, 3, 0, 0o600).unwrap();
    let _s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
    p.publish(&[1; 48], TRY).unwrap();
    let bytes = object_bytes(&n.0);
    assert_eq!(describe_bytes(&bytes).unwrap(), describe(&n.0).unwrap());
    assert_eq!(err(describe_bytes(&bytes[..bytes.len() - 1])), libc::EPROTO);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = bytes.clone();
        let at = (seed % b.len() as u64) as usize;
        b[at] = (seed >> 32) as u8;
        if let Ok(d) = describe_bytes(&b) {
            assert!(d.subscribers.len() <= d.max_subscribers as usize);
        }
    }
    let v = CString::new(format!("{}-v", n.0.to_str().unwrap())).unwrap();
    let value = crate::value::Value::create(&v, 8, 0o600).unwrap();
    assert_eq!(err(describe_bytes(&object_bytes(&v))), libc::EINVAL);
    drop(value);
    crate::value::unlink(&v).unwrap();
}

#[test]
fn a_concurrent_scribbler_never_holds_anyone_past_their_timeouts() {
    for flags in [0, FLAG_BLOCK] {
        let n = named("hostile");
        let mut p = Topic::create(&n.0, 2048, 2, flags, 0o600).unwrap();
        let mut s = Topic::open(&n.0, libc::O_RDONLY, Duration::ZERO).unwrap();
        let (base, len) = (p.seg.data() as usize, p.area().shape.region_len().unwrap());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let scribbler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut rng = 0x2545_f491_4f6c_dd1du64;
                while !stop.load(SeqCst) {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let at = (rng >> 16) as usize % len;
                    // SAFETY: inside the topic's region, mapped writable by the
                    // publisher's handle until `stop` (the handles outlive the
                    // thread); a hostile sharer writes this way.
                    unsafe { ((base + at) as *mut u8).write_volatile(rng as u8) };
                    if rng % 64 == 0 {
                        std::thread::yield_now();
                    }
                }
            })
        };
        let short = Timeout::After(Duration::from_millis(5));
        let mut buf = [0u8; 2048];
        let end = std::time::Instant::now() + Duration::from_millis(500);
        let mut i = 0;
        while std::time::Instant::now() < end {
            let t0 = std::time::Instant::now();
            i += 1;
            match p.publish(&numbered(i % 100), short) {
                Ok(()) | Err(Errno(libc::EAGAIN | libc::ETIMEDOUT)) => {}
                Err(e) => panic!("publish: {e:?}"),
            }
            match s.receive(&mut buf, short) {
                Ok(_) | Err(Errno(libc::EAGAIN | libc::ETIMEDOUT | libc::EBADMSG | libc::EPROTO | libc::EPIPE)) => {}
                Err(e) => panic!("receive: {e:?}"),
            }
            let _ = s.lost();
            // Timeouts of 5 ms each; a machine under load may add some.
            assert!(t0.elapsed() < Duration::from_secs(1), "a call held past its timeout");
        }
        stop.store(true, SeqCst);
        scribbler.join().unwrap();
    }
}
