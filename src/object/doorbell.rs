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
//! sleeper instead rings there ([`ring`]): by a one-byte datagram the
//! first time; the bell answers a datagram from its watched peer's
//! process with its eventfd, and that peer's later rings are eventfd
//! writes (`waker` says how and why: a round trip through epoll costs
//! about a futex pair's by eventfd, 1.15x by datagram). The waiter's own
//! rings (its object found ready, a peer it cannot watch) go straight to
//! its eventfd.
//!
//! The descriptor handed to the user is an epoll instance holding the
//! bell's socket and eventfd and, while the object has a peer, that
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
//! with EAGAIN and are dropped (the bell is already ringing). The eventfd
//! goes only to the process the bell watches (the kernel's credentials on
//! the datagram, SO_PASSCRED, not a claim): the peer, which could leave
//! the waiter unwoken anyway by publishing without a ring. Whoever holds
//! it could also read it, taking a ring; a stranger never gets it.
//!
//! Scope: processes that share the network namespace (the abstract
//! namespace is per namespace). A ring to a waiter in another namespace is
//! lost; such a waiter still sees its peer's death through the pidfd, and
//! a blocking receive still works. Linux only; elsewhere [`Doorbell::new`]
//! is ENOTSUP.

use crate::errno::{Errno, Result};
use crate::object::handshake::Round;
#[cfg(target_os = "linux")]
mod waker;
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
    /// Rings of the waiter itself, and of a peer that has it.
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
        let on: libc::c_int = 1;
        // SAFETY: an int option of the right size on our socket.
        let r = unsafe {
            libc::setsockopt(
                bell.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PASSCRED,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(Errno::last());
        }
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
        // its channel empty (polling with timeout 0, its bell armed) drains
        // a quiet bell on each call. 150 ns here, against 630 for the
        // eventfd's read and the socket's receive.
        if self.quiet() {
            return;
        }
        self.take_event();
        // Rings carry nothing: each is taken into the same few bytes, and
        // up to BATCH of them by one call, so the usual single ring costs
        // one system call (recv in a loop would take a second to see EAGAIN).
        const BATCH: usize = 16;
        let mut b = [0u8; 8];
        let mut iov = libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() };
        // SAFETY: zero bytes are valid sockaddr_un and mmsghdr values (null
        // pointers, zero lengths).
        let mut from: [libc::sockaddr_un; BATCH] = unsafe { std::mem::zeroed() };
        let mut control = [[0u64; CONTROL]; BATCH];
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        let mut answered = false;
        loop {
            for ((m, f), c) in msgs.iter_mut().zip(from.iter_mut()).zip(control.iter_mut()) {
                prepare(&mut m.msg_hdr, &mut iov, f, c);
            }
            // SAFETY: msgs holds BATCH headers, each naming the one iovec
            // over b and its own address and control buffers, all of
            // which outlive the call.
            let n = unsafe {
                libc::recvmmsg(
                    self.bell.as_raw_fd(),
                    msgs.as_mut_ptr(),
                    BATCH as u32,
                    libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
                    std::ptr::null_mut(),
                )
            };
            if n < 0 && Errno::last() == Errno(libc::EINTR) {
                continue;
            }
            let got = usize::try_from(n).unwrap_or(0);
            for (m, f) in msgs.iter().zip(from.iter()).take(got) {
                self.look_at(&m.msg_hdr, f, &mut answered);
            }
            if got < BATCH {
                return;
            }
        }
    }

    /// Whether the peer to watch had exited already when watched: no
    /// pidfd can tell it, so the waiter counts it as a reason its next
    /// receive would not block (it says EPIPE once the rest is taken).
    pub fn peer_gone(&self) -> bool {
        self.gone.is_some()
    }

    /// Takes one queued ring, if any: what `drain` does when a single
    /// ring is all that can be queued but a hostile ringer's, for less
    /// (one read of the eventfd, or, for a ring that came as a datagram,
    /// one receive more, where recvmmsg makes a second call to see the
    /// queue empty). A ring left behind keeps the descriptor readable, as
    /// a spurious ring does, until a `drain`.
    pub fn take_one(&self) {
        if self.take_event() {
            return;
        }
        let mut b = [0u8; 8];
        let mut iov = libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() };
        // SAFETY: zero bytes are valid sockaddr_un and msghdr values.
        let mut from: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        let mut control = [0u64; CONTROL];
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        prepare(&mut msg, &mut iov, &mut from, &mut control);
        loop {
            // SAFETY: msg names buffers that outlive the call.
            let n =
                unsafe { libc::recvmsg(self.bell.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC) };
            if n >= 0 {
                self.look_at(&msg, &from, &mut false);
            }
            if n >= 0 || Errno::last() != Errno(libc::EINTR) {
                return;
            }
        }
    }

    /// Rings this bell from its own process: an eventfd write, never a
    /// datagram.
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

    /// Reads the eventfd: true when it had rings.
    fn take_event(&self) -> bool {
        let mut n = 0u64;
        loop {
            // SAFETY: 8 writable bytes; the eventfd is ours.
            let r = unsafe { libc::read(self.event.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
            if r == 8 || Errno::last() != Errno(libc::EINTR) {
                return r == 8;
            }
        }
    }

    /// A datagram taken from the bell: closes any descriptor it carried
    /// (a stranger's), and answers it with the eventfd, once per call
    /// (`answered`), when it came from the watched peer's process and from
    /// an abstract address (a waker's inbox, `waker`).
    fn look_at(&self, msg: &libc::msghdr, from: &libc::sockaddr_un, answered: &mut bool) {
        drop(descriptors(msg));
        let peer = self.peer.as_ref().map(|p| p.0);
        let bound = msg.msg_namelen as usize > std::mem::size_of::<libc::sa_family_t>() + 1 && from.sun_path[0] == 0;
        if *answered || !bound || peer.is_none() || sender_pid(msg) != peer {
            return;
        }
        *answered = true;
        let to = (from, msg.msg_namelen);
        let _ = crate::fdpass::send_to(self.bell.as_raw_fd(), self.event.as_raw_fd(), Some(to), libc::MSG_DONTWAIT);
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
    pub fn take_one(&self) {
        let _ = (&self.bell, &self.event);
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
    /// A ring is queued (rung by us, or by a waker that took the bell):
    /// the descriptor is readable.
    queued: bool,
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
        Ok(Bell { door: Doorbell::new()?, armed: false, queued: false, stray: false })
    }

    /// Whether the descriptor is readable by a ring of its own and the bell
    /// is not armed: while the object stays ready, `sync` has nothing to do.
    pub fn streaming(&self) -> bool {
        !self.armed && self.queued
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
                self.queued |= !withdraw();
            }
            if !self.queued {
                self.door.ring_self();
                self.queued = true;
            }
            return;
        }
        // Not ready: take what is queued first (a spurious ring, or one
        // from a bell taken earlier), so the descriptor goes quiet; a ring
        // after this drain stays. Of our own rings at most one is queued
        // but after `watch` rang or an arm found the object ready (`stray`):
        // one we rang (`queued`) or one from the waker that took the armed
        // bell (a receive that just took the message it rang for, on an
        // event loop's round trip). Then one receive takes it; otherwise
        // (a stranger's ring, or `stray`) all go. One more case leaves a
        // ring behind: a waker that took the bell but was descheduled
        // before its ring landed, after this side took nothing and armed
        // again; its ring is then a spurious one, as a stranger's is.
        if !self.stray && (self.queued || (self.armed && !still_armed())) {
            self.door.take_one();
        } else {
            self.door.drain();
        }
        self.queued = false;
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
                self.queued = true;
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

/// Rings the bell at `token`, from any process: best effort, never blocks,
/// never fails (a full queue means it is ringing already; a bell that is
/// gone has nobody to tell).
pub fn ring(token: u64) {
    if token != NONE {
        #[cfg(target_os = "linux")]
        waker::ring(token);
    }
}

/// Rings one bell from its own process (`Doorbell::ringer`): an eventfd
/// the doorbell owns, valid while it lives.
#[derive(Clone, Copy, Debug)]
pub struct Ringer(RawFd);

impl Ringer {
    /// Rings: best effort, never blocks (an eventfd at its maximum is
    /// ringing already).
    pub fn ring(self) {
        add_one(self.0);
    }
}

/// Adds 1 to the eventfd `fd`: true when it rings (a counter at its
/// maximum, EAGAIN, is ringing already), false for any other failure.
fn add_one(fd: RawFd) -> bool {
    let one = 1u64;
    loop {
        // SAFETY: 8 readable bytes; writing to a descriptor the caller
        // holds open.
        let n = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
        if n == 8 {
            return true;
        }
        match Errno::last() {
            Errno(libc::EINTR) => continue,
            e => return e == Errno(libc::EAGAIN),
        }
    }
}

/// u64s of control buffer a taken datagram gets: credentials and a few
/// descriptors (more are cut off, and closed by the kernel).
#[cfg(target_os = "linux")]
const CONTROL: usize = 8;

/// The length of a token's address: family, the leading 0, the name.
#[cfg(target_os = "linux")]
const ADDRESS_LEN: usize = std::mem::size_of::<libc::sa_family_t>() + 1 + "rshm-bell-".len() + 16;

/// The abstract address of a bell's token: "\0rshm-bell-" and 16 hex digits.
#[cfg(target_os = "linux")]
fn address(token: u64) -> (libc::sockaddr_un, libc::socklen_t) {
    address_of("rshm-bell-", token)
}

/// The abstract address "\0", `prefix` and `token` in 16 hex digits.
#[cfg(target_os = "linux")]
fn address_of(prefix: &str, token: u64) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: all-zero bytes are a valid sockaddr_un.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let mut name = [0u8; 32];
    let digits = b"0123456789abcdef";
    let p = prefix.as_bytes();
    name[..p.len()].copy_from_slice(p);
    for i in 0..16 {
        name[p.len() + i] = digits[(token >> (60 - 4 * i)) as usize & 15];
    }
    let used = p.len() + 16;
    for (d, s) in a.sun_path[1..].iter_mut().zip(&name[..used]) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + used;
    (a, len as libc::socklen_t)
}

/// The token whose bell is bound at `a` (of `ADDRESS_LEN` bytes), if it
/// is a bell's address.
#[cfg(target_os = "linux")]
fn token_of(a: &libc::sockaddr_un) -> Option<u64> {
    let name: Vec<u8> =
        a.sun_path[..ADDRESS_LEN - std::mem::size_of::<libc::sa_family_t>()].iter().map(|&c| c as u8).collect();
    let hex = name.strip_prefix(b"\0rshm-bell-")?;
    let text = std::str::from_utf8(hex).ok()?;
    if !text.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u64::from_str_radix(text, 16).ok().filter(|&t| t != NONE)
}

/// Points `m` at one iovec, an address buffer and a control buffer, with
/// their full lengths (which a receive shortens).
#[cfg(target_os = "linux")]
fn prepare(m: &mut libc::msghdr, iov: &mut libc::iovec, from: &mut libc::sockaddr_un, control: &mut [u64; CONTROL]) {
    m.msg_name = (from as *mut libc::sockaddr_un).cast();
    m.msg_namelen = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    m.msg_iov = iov;
    m.msg_iovlen = 1;
    m.msg_control = control.as_mut_ptr().cast();
    m.msg_controllen = std::mem::size_of_val(control) as _;
}

/// The descriptors a received message carried, owned (SCM_RIGHTS).
#[cfg(target_os = "linux")]
fn descriptors(m: &libc::msghdr) -> Vec<OwnedFd> {
    // SAFETY: each is a new descriptor the receive installed, ours alone.
    crate::fdpass::collect(m).into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }).collect()
}

/// The pid of the process that sent a received message, from the
/// credentials the kernel attached (SO_PASSCRED).
#[cfg(target_os = "linux")]
fn sender_pid(m: &libc::msghdr) -> Option<u32> {
    // SAFETY: as in `descriptors`; an SCM_CREDENTIALS header's data is a ucred.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(m);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                let cred = libc::CMSG_DATA(c).cast::<libc::ucred>().read_unaligned();
                return u32::try_from(cred.pid).ok();
            }
            c = libc::CMSG_NXTHDR(m, c);
        }
    }
    None
}

#[cfg(target_os = "linux")]
fn datagram_socket() -> Result<OwnedFd> {
    // SAFETY: socket returns a new descriptor, owned at once.
    unsafe { owned(libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK, 0)) }
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
pub(super) mod tests {
    use super::*;

    /// Whether `fd` polls readable now.
    pub(super) fn readable(fd: RawFd) -> bool {
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
