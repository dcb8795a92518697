//! The receiver's descriptor: readable exactly when a receive would not block.

use super::Channel;
use crate::errno::Errno;
use crate::sync::Timeout;
use crate::test_names::name;
use std::os::fd::RawFd;
use std::time::Duration;

fn readable(fd: RawFd) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, no waiting.
    unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0 }
}

#[test]
fn readable_while_a_message_waits_and_quiet_once_drained() {
    let n = name("fd");
    let mut tx = Channel::create(&n, 4096, 0o600).unwrap();
    let mut rx = Channel::open(&n, Duration::ZERO).unwrap();
    let fd = rx.fd().unwrap();
    assert_eq!(rx.fd(), Ok(fd), "the same descriptor every time");
    assert!(!readable(fd), "empty, sender absent");
    tx.send(b"one", Timeout::Try).unwrap();
    assert!(readable(fd));
    assert!(readable(fd), "level-triggered");
    tx.send(b"two", Timeout::Try).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(rx.recv(&mut buf, Timeout::Try), Ok(3));
    assert!(readable(fd), "one message left");
    assert_eq!(rx.recv(&mut buf, Timeout::Try), Ok(3));
    assert!(!readable(fd), "drained");
    assert_eq!(rx.recv(&mut buf, Timeout::Try), Err(Errno(libc::EAGAIN)));
    assert!(!readable(fd));
    // A message the receiver only peeks at keeps it readable.
    tx.send(b"three", Timeout::Try).unwrap();
    assert!(readable(fd));
    rx.peek(Timeout::Try).unwrap();
    assert!(readable(fd));
    rx.release().unwrap();
    assert!(!readable(fd));
    // The sender closes: readable, and the receive says EPIPE.
    tx.close().unwrap();
    assert!(readable(fd));
    assert_eq!(rx.recv(&mut buf, Timeout::Try), Err(Errno(libc::EPIPE)));
    assert!(readable(fd), "EPIPE does not block either");
    drop(rx);
    super::unlink(&n).unwrap();
}

#[test]
fn only_the_endpoint_with_a_message_is_readable() {
    let (a, b) = (name("fd-a"), name("fd-b"));
    let mut txa = Channel::create(&a, 4096, 0o600).unwrap();
    let mut txb = Channel::create(&b, 4096, 0o600).unwrap();
    let mut rxa = Channel::open(&a, Duration::ZERO).unwrap();
    let mut rxb = Channel::open(&b, Duration::ZERO).unwrap();
    let (fa, fb) = (rxa.fd().unwrap(), rxb.fd().unwrap());
    txb.send(b"x", Timeout::Try).unwrap();
    txa.send(b"", Timeout::Try).unwrap();
    assert!(readable(fa) && readable(fb));
    assert_eq!(rxa.recv(&mut [], Timeout::Try), Ok(0));
    assert!(!readable(fa) && readable(fb));
    drop((txa, txb, rxa, rxb));
    super::unlink(&a).unwrap();
    super::unlink(&b).unwrap();
}

#[test]
fn a_busy_stream_with_a_descriptor_loses_nothing() {
    let n = name("fd-stream");
    let mut tx = Channel::create(&n, 1024, 0o600).unwrap();
    let mut rx = Channel::open(&n, Duration::ZERO).unwrap();
    let fd = rx.fd().unwrap();
    const N: u64 = 200_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            tx.send(&i.to_ne_bytes(), Timeout::Forever).unwrap();
        }
    });
    let mut next = 0u64;
    let mut buf = [0u8; 8];
    while next < N {
        match rx.recv(&mut buf, Timeout::Try) {
            Ok(8) => {
                assert_eq!(u64::from_ne_bytes(buf), next);
                next += 1;
            }
            Err(Errno(libc::EAGAIN)) => {
                // Empty: the descriptor must say so, until a message comes.
                let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd.
                let r = unsafe { libc::poll(&mut p, 1, 10_000) };
                assert_eq!(r, 1, "no readiness for 10 s with message {next} due");
            }
            other => panic!("{other:?}"),
        }
    }
    sender.join().unwrap();
    drop(rx);
    super::unlink(&n).unwrap();
}
