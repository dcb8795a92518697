//! The waker's side of a doorbell: how a process rings a bell it knows
//! only by its token, and rings it cheaply from the second time on.
//!
//! A ring is first a one-byte datagram to the bell's abstract address,
//! sent from this process's inbox, a datagram socket bound at an address
//! of its own. A bell whose watched peer is this process answers such a
//! datagram with its eventfd (SCM_RIGHTS, from the bell's address, which
//! only the bell's owner can send from). The answer is taken on a later
//! ring, kept in a small table (token, eventfd), and from then on a ring
//! of that token is an eventfd write. Measured on a 2-vCPU VM, a round
//! trip through epoll: 47.0 µs with datagrams, 42.7 with eventfds, 40.4
//! for the bare futex pair (benches/README.md): a datagram costs its
//! sender's CPU 1.5 µs and its receiver's wake-up several more.
//!
//! Trust: an eventfd is accepted only from a bell's own address, only as
//! the one descriptor of its message, only if it is an eventfd in
//! non-blocking mode (a write to it never blocks); anything else received
//! is closed. A hostile sender can therefore only hand over an eventfd it
//! holds itself, which this process then writes 1 to: nothing it could
//! not do alone. The table holds at most `KNOWN` eventfds, the oldest
//! closed first; a bell that is gone costs a write that nobody reads, and
//! its descriptor stays open here, until its entry is replaced.
//!
//! The table is behind a lock taken with `try_lock` only: a ring never
//! waits (one racing another, or in a child forked while another thread
//! held the lock, sends the datagram instead).

use super::{address, datagram_socket, prepare, random_token, token_of, ADDRESS_LEN, CONTROL};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering::AcqRel, Ordering::Acquire};
use std::sync::{Mutex, TryLockError};

/// The most eventfds a process keeps for the bells it rings: a publisher
/// whose polling subscribers are more than this rings the rest by
/// datagram, and they trade places in the table.
const KNOWN: usize = 32;
/// The most answers one ring takes from the inbox: a flood there costs a
/// ring no more than this many receives.
const TAKE: usize = 4;

/// Bells this process rings by eventfd: (token, its eventfd), owned.
struct Known {
    bells: [(u64, RawFd); KNOWN],
    /// The entry replaced next.
    next: usize,
}

static BELLS: Mutex<Known> = Mutex::new(Known { bells: [(super::NONE, -1); KNOWN], next: 0 });

/// Rings the bell at `token` (not NONE): best effort, never blocks.
pub(super) fn ring(token: u64) {
    // The write under the lock: an entry replaced meanwhile would close
    // the descriptor, whose number may then be another file's.
    if let Some(mut known) = table() {
        if let Some(i) = known.bells.iter().position(|b| b.0 == token) {
            if super::add_one(known.bells[i].1) {
                return;
            }
            // Not expected of an eventfd: forget it, ring the other way.
            forget(&mut known.bells[i]);
        }
    }
    send(token);
    if let Some(mut known) = table() {
        known.take_answers();
    }
}

/// The table, unless another thread holds it.
fn table() -> Option<std::sync::MutexGuard<'static, Known>> {
    match BELLS.try_lock() {
        Ok(k) => Some(k),
        // Nothing panics under the lock; the table is still whole.
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn forget(b: &mut (u64, RawFd)) {
    if b.1 >= 0 {
        // SAFETY: the table owns the descriptor and drops it here once.
        drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(b.1) });
    }
    *b = (super::NONE, -1);
}

impl Known {
    /// Takes up to `TAKE` answers waiting in the inbox.
    fn take_answers(&mut self) {
        let Some(inbox) = inbox() else { return };
        for _ in 0..TAKE {
            match receive(inbox) {
                Received::Nothing => return,
                Received::Junk => {}
                Received::Bell(token, fd) => self.keep(token, fd),
            }
        }
    }

    fn keep(&mut self, token: u64, fd: OwnedFd) {
        let i = match self.bells.iter().position(|b| b.0 == token) {
            Some(i) => i,
            None => {
                let i = self.next;
                self.next = (i + 1) % KNOWN;
                i
            }
        };
        forget(&mut self.bells[i]);
        self.bells[i] = (token, fd.into_raw_fd());
    }
}

enum Received {
    Nothing,
    /// Something that is not a bell's eventfd (closed already).
    Junk,
    Bell(u64, OwnedFd),
}

/// One message from the inbox, if any.
fn receive(inbox: RawFd) -> Received {
    let mut byte = [0u8; 8];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: byte.len() };
    // SAFETY: all-zero bytes are a valid sockaddr_un and msghdr.
    let mut from: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut control = [0u64; CONTROL];
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    prepare(&mut msg, &mut iov, &mut from, &mut control);
    let n = loop {
        // SAFETY: msg names buffers that outlive the call.
        let n = unsafe { libc::recvmsg(inbox, &mut msg, libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 || crate::errno::Errno::last().0 != libc::EINTR {
            break n;
        }
    };
    if n < 0 {
        return Received::Nothing;
    }
    let fds = super::descriptors(&msg);
    let token = match msg.msg_namelen as usize == ADDRESS_LEN {
        true => token_of(&from),
        false => None,
    };
    match (token, <[OwnedFd; 1]>::try_from(fds)) {
        (Some(t), Ok([fd])) if is_eventfd(&fd) => Received::Bell(t, fd),
        _ => Received::Junk,
    }
}

/// Whether `fd` is an eventfd in non-blocking mode.
fn is_eventfd(fd: &OwnedFd) -> bool {
    // SAFETY: F_GETFL on an open descriptor.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    flags >= 0
        && flags & libc::O_NONBLOCK != 0
        && std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .is_ok_and(|l| l.as_os_str() == "anon_inode:[eventfd]")
}

/// Sends the one-byte datagram from the inbox.
fn send(token: u64) {
    let Some(inbox) = inbox() else { return };
    let (addr, len) = address(token);
    // SAFETY: one byte from a valid buffer to a valid sockaddr_un.
    unsafe {
        libc::sendto(
            inbox,
            [1u8].as_ptr().cast(),
            1,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    };
}

/// This process's inbox: made on the first ring that can have one (a
/// failure, at the descriptor limit say, is tried again next time) and
/// kept for the process's life. Bound at a random address of its own
/// ("rshm-ring-"), so that bells can answer; unbound if binding fails
/// for another reason than a taken address (it still rings, by datagram
/// only).
fn inbox() -> Option<RawFd> {
    static INBOX: AtomicI32 = AtomicI32::new(-1);
    let s = INBOX.load(Acquire);
    if s >= 0 {
        return Some(s);
    }
    let fd = datagram_socket().ok()?;
    while let Ok(t) = random_token() {
        let (addr, len) = super::address_of("rshm-ring-", t);
        // SAFETY: addr is a valid sockaddr_un of `len` bytes.
        let r = unsafe { libc::bind(fd.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) };
        if r == 0 || crate::errno::Errno::last().0 != libc::EADDRINUSE {
            break;
        }
    }
    let fd = fd.into_raw_fd();
    match INBOX.compare_exchange(-1, fd, AcqRel, Acquire) {
        Ok(_) => Some(fd),
        Err(theirs) => {
            // SAFETY: fd is ours and nobody else has seen it.
            drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
            Some(theirs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::readable;
    use super::super::{address_of, ring, Doorbell};
    use super::*;

    /// Whether a datagram waits on `fd` (not taken).
    fn datagram_waits(fd: RawFd) -> bool {
        let mut b = [0u8; 1];
        // SAFETY: 1 writable byte; a peek takes nothing.
        unsafe { libc::recv(fd, b.as_mut_ptr().cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) >= 0 }
    }

    /// A bell that watches this process answers its first ring with the
    /// eventfd, and the rings after the answer is taken are eventfd writes:
    /// no datagram. (A ring that finds the table locked by another
    /// thread's is a datagram, and a flood of rings in a test running
    /// beside this one keeps it locked most of the time: tries for up to
    /// 10 s.)
    #[test]
    fn the_watched_peer_gets_the_eventfd_and_rings_it() {
        let mut b = Doorbell::new().unwrap();
        assert!(!b.watch(std::process::id()).unwrap());
        ring(b.token());
        assert!(datagram_waits(b.bell.as_raw_fd()), "the first ring is a datagram");
        b.take_one(); // answers it
        assert!(!readable(b.fd()));
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let by_eventfd = std::iter::repeat(()).take_while(|_| std::time::Instant::now() < until).any(|_| {
            ring(b.token()); // the first: a datagram still, then the answer is taken
            let quiet = readable(b.fd()) && !datagram_waits(b.bell.as_raw_fd());
            b.drain();
            quiet
        });
        assert!(by_eventfd, "rung by eventfd");
        assert!(!readable(b.fd()), "drained");
    }

    /// A bell answers only the process it watches: another's rings stay
    /// datagrams.
    #[test]
    fn a_stranger_gets_no_eventfd() {
        let mut b = Doorbell::new().unwrap();
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        assert!(!b.watch(child.id()).unwrap());
        for _ in 0..3 {
            ring(b.token());
            assert!(datagram_waits(b.bell.as_raw_fd()), "this process is not the watched one");
            b.drain();
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// A hostile "bell" that answers with a pipe instead of an eventfd is
    /// not believed: its rings stay datagrams and nothing is written to
    /// the pipe.
    #[test]
    fn an_answer_that_is_no_eventfd_is_closed() {
        let token = random_token().unwrap();
        let fake = datagram_socket().unwrap();
        let (addr, len) = address_of("rshm-bell-", token);
        // SAFETY: a valid address of `len` bytes.
        assert_eq!(unsafe { libc::bind(fake.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
        let mut pipe = [0; 2];
        // SAFETY: two writable ints.
        assert_eq!(unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }, 0);
        for _ in 0..4 {
            ring(token);
            assert!(datagram_waits(fake.as_raw_fd()), "still a datagram");
            // Take it and answer with the pipe's write end.
            let mut from: libc::sockaddr_un = unsafe { std::mem::zeroed() };
            let mut flen = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            let mut byte = [0u8; 8];
            // SAFETY: buffers of the sizes given.
            let n = unsafe {
                libc::recvfrom(
                    fake.as_raw_fd(),
                    byte.as_mut_ptr().cast(),
                    8,
                    libc::MSG_DONTWAIT,
                    (&mut from as *mut libc::sockaddr_un).cast(),
                    &mut flen,
                )
            };
            assert_eq!(n, 1);
            crate::fdpass::send_to(fake.as_raw_fd(), pipe[1], Some((&from, flen)), 0).unwrap();
        }
        let mut b = [0u8; 8];
        // SAFETY: 8 writable bytes.
        assert!(unsafe { libc::read(pipe[0], b.as_mut_ptr().cast(), 8) } < 0, "nothing written to the pipe");
        // SAFETY: closing the two ends made above.
        unsafe {
            libc::close(pipe[0]);
            libc::close(pipe[1]);
        }
    }
}
