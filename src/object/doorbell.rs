//! A descriptor another process can make readable: how a waiter that sits
//! in an event loop (poll, epoll, select, Go's netpoller) instead of a
//! futex learns that its object changed or that its peer died.
//!
//! A futex cannot be polled, and a process cannot write to another's
//! eventfd without that descriptor. What any process can reach, knowing
//! only an address, is a unix datagram socket: the waiter binds one at a
//! random abstract address (Linux's abstract namespace: no file, nothing
//! left behind when the process dies) and publishes the address as a
//! 64-bit token in the shared object. A side that would futex-wake a
//! sleeper instead sends one byte there ([`ring`]). The waiter's own rings
//! (its object found ready, a peer it cannot watch, a value's watcher
//! thread) go to an eventfd of its own, which nobody else ever holds.
//!
//! Why not an eventfd for the peer's rings too: it would make a round
//! trip through epoll about a futex pair's (42.7 µs against 40.4; by
//! datagram 47.0: benches/README.md), but whether a read or write of an
//! eventfd blocks is its open file's O_NONBLOCK, which every holder of
//! the descriptor can clear. A waiter that handed its eventfd to its peer
//! could be made to block in its own receive, and a waker given one by a
//! hostile waiter to block in its send (a counter left at its maximum). A
//! datagram socket takes MSG_DONTWAIT per call; so does a connected
//! socketpair, which costs as much as the datagram (46.1 µs).
//!
//! The descriptor handed to the user is an epoll instance holding the
//! bell's socket, its eventfd and, while the object has a peer, that
//! peer's pidfd: it is readable while a ring is queued or once the peer's
//! process has exited (SIGKILL included, which no ring announces). All
//! members are level-triggered, so the epoll descriptor is too, in
//! poll(2), select(2) and another epoll set alike.
//!
//! Trust: the token is in shared memory, so any process that can read the
//! object (and any process in the network namespace that guesses 64
//! random bits) can ring. A ring only makes the descriptor readable: the
//! owner then looks at the object, finds nothing, drains the bell and
//! reports EAGAIN, as for any spurious wake-up. A flood fills the socket's
//! queue, which also only keeps it readable; the ringer's sends then fail
//! with EAGAIN and are dropped (the bell is already ringing). A datagram
//! carrying descriptors is refused by the kernel where it can be
//! (SO_PASSRIGHTS off, Linux 6.16 and later): a descriptor the kernel
//! drops on the bell's receive is closed by the receiving thread, and
//! the last close of a socket set to linger can take as long as its
//! sender chose.
//!
//! Scope: processes that share the network namespace (the abstract
//! namespace is per namespace). A ring to a waiter in another namespace is
//! lost; such a waiter still sees its peer's death through the pidfd, and
//! a blocking receive still works. Linux only; elsewhere [`Doorbell::new`]
//! is ENOTSUP.

use crate::errno::{Errno, Result};
use crate::object::handshake::Round;
#[cfg(target_os = "linux")]
use std::os::fd::FromRawFd;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// The token of no doorbell: nobody to ring.
pub(crate) const NONE: u64 = 0;

/// The waiter's side: the bell, its token, and the descriptor to poll.
#[derive(Debug)]
pub struct Doorbell {
    epoll: OwnedFd,
    bell: OwnedFd,
    /// The waiter's own rings; never handed to anyone.
    event: OwnedFd,
    token: u64,
    /// The pid watched and its pidfd, in the epoll set.
    peer: Option<(u32, OwnedFd)>,
    /// The pid to watch whose process had exited already (no pidfd to
    /// hold): its waiter's next receive would not block (`peer_gone`).
    gone: Option<u32>,
}

#[cfg(target_os = "linux")]
impl Doorbell {
    /// A new bell at a fresh random address. EMFILE/ENFILE at the
    /// descriptor limits (it takes three, four with a peer).
    pub fn new() -> Result<Doorbell> {
        // SAFETY: plain system calls returning new descriptors, owned at once.
        let epoll = unsafe { owned(libc::epoll_create1(libc::EPOLL_CLOEXEC))? };
        // SAFETY: as above.
        let event = unsafe { owned(libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))? };
        let bell = datagram_socket()?;
        refuse_descriptors(&bell);
        let token = loop {
            let t = random_token()?;
            let (addr, len) = address(t);
            // SAFETY: addr is a valid sockaddr_un of `len` bytes.
            let r = unsafe { libc::bind(bell.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) };
            if r == 0 {
                break t;
            }
            if Errno::last() != Errno(libc::EADDRINUSE) {
                return Err(Errno::last());
            }
        };
        add(&epoll, &bell)?;
        add(&epoll, &event)?;
        Ok(Doorbell { epoll, bell, event, token, peer: None, gone: None })
    }

    /// The descriptor to poll for reading. Owned by the doorbell: the
    /// caller polls it and never reads, writes or closes it.
    pub fn fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    /// The address to publish in shared memory, never `NONE`.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// Takes every queued ring: the bell stops being readable until the
    /// next one. Call it before re-checking the object, never after, or a
    /// ring that lands between the check and the drain is lost.
    pub fn drain(&self) {
        // One look at the whole set first: a receiver that keeps finding
        // its channel empty (polling with timeout 0, its bell armed)
        // drains a quiet bell on each call. 150 ns here, against 630 for
        // the eventfd's read and the socket's receive.
        if self.quiet() {
            return;
        }
        self.take_own();
        // Rings carry nothing: each is taken into the same few bytes, and
        // up to BATCH of them by one call, so the usual single ring costs
        // one system call (recv in a loop would take a second to see EAGAIN).
        const BATCH: usize = 16;
        let mut b = [0u8; 8];
        let mut iov = libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() };
        // SAFETY: zero bytes are a valid mmsghdr (null pointers, zero lengths).
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for m in msgs.iter_mut() {
            m.msg_hdr.msg_iov = &mut iov;
            m.msg_hdr.msg_iovlen = 1;
        }
        loop {
            // SAFETY: msgs holds BATCH headers, each naming the one iovec
            // over b, which outlives the call.
            let n = unsafe {
                libc::recvmmsg(
                    self.bell.as_raw_fd(),
                    msgs.as_mut_ptr(),
                    BATCH as u32,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            match n {
                n if n >= 0 && (n as usize) < BATCH => return,
                n if n >= 0 => continue,
                _ if Errno::last() == Errno(libc::EINTR) => continue,
                _ => return,
            }
        }
    }

    /// Whether the peer to watch had exited already when watched: no
    /// pidfd can tell it, so the waiter counts it as a reason its next
    /// receive would not block (it says EPIPE once the rest is taken).
    pub fn peer_gone(&self) -> bool {
        self.gone.is_some()
    }

    /// Takes one ring a waker sent, if any: what `drain` does when that
    /// single ring is all that can be queued but a hostile ringer's, for
    /// half its cost (one receive, where recvmmsg makes a second to see
    /// the queue empty). A ring left behind keeps the descriptor
    /// readable, as a spurious ring does, until a `drain`.
    pub fn take_rung(&self) {
        let mut b = [0u8; 8];
        loop {
            // SAFETY: b is 8 writable bytes that outlive the call.
            let n = unsafe { libc::recv(self.bell.as_raw_fd(), b.as_mut_ptr().cast(), b.len(), libc::MSG_DONTWAIT) };
            if n >= 0 || Errno::last() != Errno(libc::EINTR) {
                return;
            }
        }
    }

    /// Takes the waiter's own rings (one read of its eventfd).
    pub fn take_own(&self) {
        let mut n = 0u64;
        loop {
            // SAFETY: 8 writable bytes; the eventfd is ours alone, so
            // nobody else can make this read block.
            let r = unsafe { libc::read(self.event.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
            if r == 8 || Errno::last() != Errno(libc::EINTR) {
                return;
            }
        }
    }

    /// Rings this bell from its own process: an eventfd write.
    pub fn ring_self(&self) {
        self.ringer().ring();
    }

    /// What rings this bell from its own process, for a thread that does
    /// not hold the doorbell; valid while the doorbell lives.
    pub fn ringer(&self) -> Ringer {
        Ringer(self.event.as_raw_fd())
    }

    /// Whether nothing in the set is readable: no ring queued, the peer alive.
    fn quiet(&self) -> bool {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: room for one event; no waiting.
        unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut ev, 1, 0) == 0 }
    }

    /// Whether the watched peer's process has exited (its pidfd is
    /// readable, or it had when watched); false while none is watched.
    pub fn peer_exited(&self) -> bool {
        if self.gone.is_some() {
            return true;
        }
        let Some((_, fd)) = self.peer.as_ref() else { return false };
        let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, no waiting.
        unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0 }
    }

    /// Watches process `pid` (the object's peer now; 0 for none): the
    /// descriptor becomes readable when it exits. A pid that is already
    /// gone, or whose pidfd cannot be had, makes the descriptor readable
    /// at once (the waiter then finds its peer dead, or looks again): a
    /// waiter is never left asleep behind a peer nobody watches. True when
    /// it rang for that.
    pub fn watch(&mut self, pid: u32) -> Result<bool> {
        if self.peer.as_ref().map(|p| p.0) == Some(pid) || self.gone == Some(pid) {
            return Ok(false);
        }
        self.gone = None;
        if pid == 0 && self.peer.is_none() {
            return Ok(false);
        }
        if let Some((_, fd)) = self.peer.take() {
            // SAFETY: removing a member we added; the event argument is ignored.
            unsafe {
                libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_DEL, fd.as_raw_fd(), std::ptr::null_mut())
            };
        }
        if pid == 0 {
            return Ok(false);
        }
        let fd = match libc::pid_t::try_from(pid) {
            // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
            Ok(p) => unsafe { libc::syscall(libc::SYS_pidfd_open, p, 0) },
            // Beyond pid_t's range: no such process.
            Err(_) => -1,
        };
        if fd < 0 {
            // Gone already (kept: `peer_gone`, which the waiter's readiness
            // counts), or no pidfd (ENOSYS before Linux 5.3, EMFILE): ring
            // ourselves so the waiter looks now.
            if pid > i32::MAX as u32 || Errno::last() == Errno(libc::ESRCH) {
                self.gone = Some(pid);
            }
            self.ring_self();
            return Ok(true);
        }
        // SAFETY: the descriptor is new and ours alone.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
        add(&self.epoll, &fd)?;
        self.peer = Some((pid, fd));
        Ok(false)
    }
}

#[cfg(not(target_os = "linux"))]
impl Doorbell {
    /// No abstract unix sockets and no pidfd here: ENOTSUP.
    pub fn new() -> Result<Doorbell> {
        Err(Errno(libc::ENOTSUP))
    }
    pub fn fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
    pub fn token(&self) -> u64 {
        self.token
    }
    pub fn drain(&self) {
        let _ = &self.bell;
    }
    pub fn take_rung(&self) {
        let _ = &self.bell;
    }
    pub fn take_own(&self) {
        let _ = &self.event;
    }
    pub fn ring_self(&self) {}
    pub fn ringer(&self) -> Ringer {
        Ringer(self.event.as_raw_fd())
    }
    pub fn watch(&mut self, _pid: u32) -> Result<bool> {
        let _ = (&self.peer, &self.gone);
        Ok(false)
    }
    pub fn peer_gone(&self) -> bool {
        false
    }
    pub fn peer_exited(&self) -> bool {
        false
    }
}

/// A doorbell kept in step with one waiter's "the next receive would not
/// block" (the channel's receiver, a topic's subscriber): readable when it
/// would not, armed on the object's wait word otherwise. The object says
/// how its bell is withdrawn, looked at and armed; the bookkeeping, and
/// the order of drain and check that keeps a ring from being lost, are
/// here once.
#[derive(Debug)]
pub(crate) struct Bell {
    pub door: Doorbell,
    /// Armed on the object and no waker was seen to take it.
    armed: bool,
    /// A ring of our own is queued in the eventfd: the descriptor is readable.
    own: bool,
    /// A waker took the bell, so its datagram is queued (or on its way):
    /// the descriptor is readable.
    rung: bool,
    /// More than one ring of ours may be queued (`watch` rang, or an arm
    /// found the object ready while a waker may have rung): the next
    /// drain takes everything.
    stray: bool,
}

/// How often a waiter whose receiving calls keep saying EAGAIN looks at
/// its peer's pidfd (`recheck`): a receiver polling with timeout 0 would
/// otherwise pay a poll(2) per call.
const RECHECK_EVERY: u32 = 64;

impl Bell {
    pub fn new() -> Result<Bell> {
        Ok(Bell { door: Doorbell::new()?, armed: false, own: false, rung: false, stray: false })
    }

    /// Whether the descriptor is readable by a ring of its own and the bell
    /// is not armed: while the object stays ready, `sync` has nothing to do.
    pub fn streaming(&self) -> bool {
        !self.armed && (self.own || self.rung)
    }

    /// Watches the object's peer (`Doorbell::watch`; 0 for none). A
    /// failure leaves the descriptor readable (the waiter looks again).
    pub fn watch(&mut self, pid: u32) {
        if let Ok(true) = self.door.watch(pid) {
            self.stray = true;
        }
    }

    /// Whether the bell is armed on the object and no waker was seen to take it.
    pub fn armed(&self) -> bool {
        self.armed
    }

    /// Brings the descriptor in step: `ready` says the next receive would
    /// not block now. `withdraw` takes the armed bell back (true when no
    /// waker took it first), `still_armed` says no waker has taken it,
    /// `arm(token)` arms it (`Round::Ready` when the object turned ready
    /// meanwhile). While ready and already rung this makes no system call.
    pub fn sync(
        &mut self,
        ready: bool,
        withdraw: impl FnOnce() -> bool,
        still_armed: impl Fn() -> bool,
        arm: impl FnOnce(u64) -> Result<Round>,
    ) {
        if ready {
            if self.armed {
                self.armed = false;
                // A waker that took the bell has rung it.
                self.rung |= !withdraw();
            }
            if !self.own && !self.rung {
                self.door.ring_self();
                self.own = true;
            }
            return;
        }
        // Not ready: take what is queued first (a spurious ring, or one
        // from a bell taken earlier), so the descriptor goes quiet; a ring
        // after this drain stays. Of our own rings at most one is queued
        // but after `watch` rang or an arm found the object ready (`stray`):
        // one we rang (`own`, in the eventfd: one read takes it) or one from
        // the waker that took the armed bell (`rung`, or the bell found
        // taken now: a receive that just took the message it rang for, on
        // an event loop's round trip; one datagram, one recv). Otherwise
        // (a stranger's ring, or `stray`) all go. One more case leaves a
        // ring behind: a waker that took the bell but was descheduled
        // before its ring landed, after this side took nothing and armed
        // again; its ring is then a spurious one, as a stranger's is.
        if self.stray {
            self.door.drain();
        } else if self.own {
            self.door.take_own();
        } else if self.rung || (self.armed && !still_armed()) {
            self.door.take_rung();
        } else {
            self.door.drain();
        }
        self.own = false;
        self.rung = false;
        self.stray = false;
        if self.armed && still_armed() {
            return;
        }
        match arm(self.door.token()) {
            Ok(Round::Slept) => self.armed = true,
            _ => {
                // Ready meanwhile: a waker may have taken the bell and rung
                // too before the arm withdrew it, so two of our rings may
                // be queued: the next drain takes all.
                self.armed = false;
                self.door.ring_self();
                self.own = true;
                self.stray = true;
            }
        }
    }
}

/// Whether the `n`-th call in a row that said EAGAIN looks at the peer's
/// pidfd: the second (the first after a wait) and every `RECHECK_EVERY`-th.
pub fn recheck(n: u32) -> bool {
    n == 2 || (n > 2 && n % RECHECK_EVERY == 0)
}

/// Rings one bell from its own process (`Doorbell::ringer`): the
/// doorbell's eventfd, valid while it lives.
#[derive(Clone, Copy, Debug)]
pub struct Ringer(RawFd);

impl Ringer {
    /// Rings: best effort, never blocks (the eventfd is non-blocking and
    /// nobody else holds it; at its maximum it is ringing already).
    pub fn ring(self) {
        let one = 1u64;
        loop {
            // SAFETY: 8 readable bytes, written to the doorbell's eventfd,
            // open while it lives (the contract of `ringer`).
            let n = unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
            if n == 8 || Errno::last() != Errno(libc::EINTR) {
                return;
            }
        }
    }
}

/// Rings the bell at `token`, from any process: best effort, never blocks,
/// never fails (a full queue means it is ringing already; a bell that is
/// gone has nobody to tell).
pub fn ring(token: u64) {
    if token != NONE {
        ring_address(token);
    }
}

#[cfg(target_os = "linux")]
fn ring_address(token: u64) {
    use std::os::fd::IntoRawFd;
    use std::sync::atomic::{AtomicI32, Ordering::AcqRel, Ordering::Acquire};
    // One unbound socket per process for every ring it sends, made on the
    // first ring that can have one (a failure, at the descriptor limit say,
    // is tried again next time) and kept for the process's life.
    static SENDER: AtomicI32 = AtomicI32::new(-1);
    let mut s = SENDER.load(Acquire);
    if s < 0 {
        let Ok(fd) = datagram_socket() else { return };
        let fd = fd.into_raw_fd();
        s = match SENDER.compare_exchange(-1, fd, AcqRel, Acquire) {
            Ok(_) => fd,
            Err(theirs) => {
                // SAFETY: fd is ours and nobody else has seen it.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
                theirs
            }
        };
    }
    let (addr, len) = address(token);
    // SAFETY: one byte from a valid buffer to a valid sockaddr_un.
    unsafe {
        libc::sendto(
            s,
            [1u8].as_ptr().cast(),
            1,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    };
}

#[cfg(not(target_os = "linux"))]
fn ring_address(_: u64) {}

/// The abstract address of a token: "\0rshm-bell-" and 16 hex digits.
#[cfg(target_os = "linux")]
fn address(token: u64) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: all-zero bytes are a valid sockaddr_un.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let name = format!("rshm-bell-{token:016x}");
    for (d, s) in a.sun_path[1..].iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    (a, len as libc::socklen_t)
}

#[cfg(target_os = "linux")]
fn datagram_socket() -> Result<OwnedFd> {
    // SAFETY: socket returns a new descriptor, owned at once.
    unsafe { owned(libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0)) }
}

/// The socket option that lets a socket refuse descriptors (Linux 6.16);
/// libc has no name for it yet. Its number is per architecture, as the
/// kernel's socket.h files give it (sparc's own, else asm-generic's).
#[cfg(all(target_os = "linux", any(target_arch = "sparc", target_arch = "sparc64")))]
const SO_PASSRIGHTS: libc::c_int = 0x5c;
#[cfg(all(target_os = "linux", not(any(target_arch = "sparc", target_arch = "sparc64"))))]
const SO_PASSRIGHTS: libc::c_int = 83;

/// Asks the kernel to refuse datagrams that carry descriptors to `bell`
/// (SO_PASSRIGHTS off; Linux 6.16 and later, a no-op before): the top
/// says why.
#[cfg(target_os = "linux")]
fn refuse_descriptors(bell: &OwnedFd) {
    let off: libc::c_int = 0;
    // SAFETY: an int option of the right size on our own socket; a kernel
    // that does not know it says ENOPROTOOPT, which changes nothing.
    unsafe {
        libc::setsockopt(
            bell.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_PASSRIGHTS,
            (&off as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(target_os = "linux")]
fn add(epoll: &OwnedFd, fd: &OwnedFd) -> Result<()> {
    let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 0 };
    // SAFETY: both descriptors are open; ev is a valid event.
    if unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev) } != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// # Safety
/// `fd` is a descriptor just returned to the caller (or -1 with errno set).
#[cfg(target_os = "linux")]
unsafe fn owned(fd: RawFd) -> Result<OwnedFd> {
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: forwarded: the descriptor is new and nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// 64 random bits, never NONE.
#[cfg(target_os = "linux")]
fn random_token() -> Result<u64> {
    loop {
        let mut t = 0u64;
        // SAFETY: t is writable for 8 bytes.
        let n = unsafe { libc::getrandom((&mut t as *mut u64).cast(), 8, 0) };
        if n == 8 && t != NONE {
            return Ok(t);
        }
        if n < 0 && Errno::last() != Errno(libc::EINTR) {
            return Err(Errno::last());
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, no waiting.
        unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0 }
    }

    #[test]
    fn a_ring_makes_it_readable_until_drained() {
        let b = Doorbell::new().unwrap();
        assert_ne!(b.token(), NONE);
        assert!(!readable(b.fd()));
        ring(b.token());
        ring(b.token());
        assert!(readable(b.fd()));
        assert!(readable(b.fd()), "level-triggered: still readable");
        b.drain();
        assert!(!readable(b.fd()));
        ring(NONE);
        ring(b.token() ^ 1);
        assert!(!readable(b.fd()), "another address rings another bell");
    }

    #[test]
    fn a_peer_that_exits_makes_it_readable() {
        let mut b = Doorbell::new().unwrap();
        let mut child = std::process::Command::new("sleep").arg("0.2").spawn().unwrap();
        assert!(!b.watch(child.id()).unwrap());
        assert!(!readable(b.fd()));
        child.wait().unwrap();
        assert!(readable(b.fd()));
        assert!(!b.watch(0).unwrap());
        assert!(!readable(b.fd()), "no peer watched, no ring queued");
        assert!(!b.peer_gone() && !b.peer_exited());
        // Reaped before it is watched: no pidfd, and it says so.
        let mut reaped = std::process::Command::new("true").spawn().unwrap();
        reaped.wait().unwrap();
        assert!(b.watch(reaped.id()).unwrap());
        assert!(b.peer_gone() && b.peer_exited());
        assert!(!b.watch(reaped.id()).unwrap(), "asked again: no second ring");
        assert!(!b.watch(0).unwrap() && !b.peer_gone());
        b.drain();
        assert!(b.watch(u32::MAX).unwrap());
        assert!(readable(b.fd()), "a pid that cannot be watched rings at once");
        b.drain();
        assert!(!readable(b.fd()));
    }

    /// The receive that takes the message a waker rang for takes that one
    /// ring only; a stranger's beside it keeps the descriptor readable
    /// until the next receive finds nothing, which takes them all.
    #[test]
    fn a_taken_bell_costs_one_receive_and_a_stranger_one_wake_up() {
        let mut b = Bell::new().unwrap();
        let slept = |_: u64| Ok(Round::Slept);
        b.sync(false, || true, || false, slept);
        assert!(b.armed() && !readable(b.door.fd()));
        // A waker takes the bell and rings; the receive takes the message.
        ring(b.door.token());
        b.sync(false, || true, || false, slept);
        assert!(b.armed() && !readable(b.door.fd()), "its one ring taken, armed again");
        // The same, with a stranger's ring queued before the waker's.
        ring(b.door.token());
        ring(b.door.token());
        b.sync(false, || true, || false, slept);
        assert!(readable(b.door.fd()), "the stranger's ring is left");
        b.sync(false, || true, || true, slept);
        assert!(b.armed() && !readable(b.door.fd()), "a receive that finds nothing takes all");
        // An arm that finds the object ready rings; a waker that took the
        // bell meanwhile rang too: the receive that takes the message
        // takes both.
        b.sync(false, || true, || false, |_| Ok(Round::Ready));
        ring(b.door.token());
        assert!(readable(b.door.fd()));
        b.sync(false, || true, || false, slept);
        assert!(b.armed() && !readable(b.door.fd()), "both rings taken");
        // A watch that rings (no such process) is taken with the rest.
        b.watch(u32::MAX);
        ring(b.door.token());
        b.sync(false, || true, || false, slept);
        assert!(!readable(b.door.fd()));
    }

    /// Whether a datagram waits on the bell's socket (not taken).
    fn datagram_waits(b: &Doorbell) -> bool {
        let mut x = [0u8; 1];
        // SAFETY: 1 writable byte; a peek takes nothing.
        unsafe { libc::recv(b.bell.as_raw_fd(), x.as_mut_ptr().cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) >= 0 }
    }

    /// The waiter's own rings go to its eventfd, never through the socket,
    /// and one read takes them all.
    #[test]
    fn its_own_rings_go_to_its_eventfd() {
        let b = Doorbell::new().unwrap();
        b.ring_self();
        b.ringer().ring();
        assert!(readable(b.fd()) && !datagram_waits(&b));
        b.take_own();
        assert!(!readable(b.fd()), "one read took both");
        b.take_own(); // nothing there: returns at once
        assert!(!readable(b.fd()));
    }

    /// A datagram carrying a descriptor never reaches the bell where the
    /// kernel can refuse it (SO_PASSRIGHTS, Linux 6.16); elsewhere the
    /// drain closes what it carried.
    #[test]
    fn a_ring_carrying_a_descriptor_is_refused() {
        let b = Doorbell::new().unwrap();
        let s = datagram_socket().unwrap();
        let (addr, len) = address(b.token());
        // SAFETY: connecting our own socket to a valid address.
        assert_eq!(unsafe { libc::connect(s.as_raw_fd(), (&addr as *const libc::sockaddr_un).cast(), len) }, 0);
        let dup = std::fs::File::open("/dev/null").unwrap();
        let sent = crate::fdpass::send(s.as_raw_fd(), std::os::fd::AsRawFd::as_raw_fd(&dup));
        drop(dup);
        let refusing = {
            let mut v: libc::c_int = 1;
            let mut l = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: an int-sized option read into an int.
            let r = unsafe {
                libc::getsockopt(
                    b.bell.as_raw_fd(),
                    libc::SOL_SOCKET,
                    SO_PASSRIGHTS,
                    (&mut v as *mut libc::c_int).cast(),
                    &mut l,
                )
            };
            r == 0 && v == 0
        };
        if refusing {
            assert_eq!(sent, Err(Errno(libc::EPERM)));
            assert!(!readable(b.fd()));
        } else {
            assert_eq!(sent, Ok(()));
            assert!(readable(b.fd()));
            b.drain();
            assert!(!readable(b.fd()));
        }
    }

    #[test]
    fn a_flood_only_keeps_it_readable() {
        let b = Doorbell::new().unwrap();
        for _ in 0..100_000 {
            ring(b.token());
        }
        assert!(readable(b.fd()));
        b.drain();
        assert!(!readable(b.fd()));
    }
}
