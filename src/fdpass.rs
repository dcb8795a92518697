//! Passing a descriptor to another process over a unix socket (SCM_RIGHTS):
//! how two unrelated processes share a memfd, which has no name to open.
//!
//! The wire format is what the kernel gives any SCM_RIGHTS message: one byte
//! of payload (a message without payload carries no descriptor on a stream
//! socket) and one descriptor in the control data. Works on SOCK_STREAM and
//! SOCK_SEQPACKET (and SOCK_DGRAM) sockets.

use crate::errno::detail::note;
use crate::errno::{Errno, Result};
use libc::{c_int, c_void};
use std::os::fd::RawFd;

/// The payload byte sent with each descriptor; receivers ignore its value.
const PAYLOAD: u8 = b'F';

/// How many descriptors the receive buffer holds: a peer that sends more is
/// told apart (MSG_CTRUNC) and everything it sent is closed.
const MAX_FDS: usize = 16;

/// Control-data buffer, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Control([u8; 512]);

/// The room the control data of `n` descriptors takes.
fn space(n: usize) -> usize {
    // SAFETY: CMSG_SPACE is arithmetic only.
    unsafe { libc::CMSG_SPACE((n * std::mem::size_of::<c_int>()) as libc::c_uint) as usize }
}

/// Sends `fd` over the connected unix socket `sock`. The receiver gets its
/// own descriptor for the same open file; `fd` stays open here.
///
/// Retries on EINTR. A peer that has closed its end is EPIPE, never SIGPIPE.
pub fn send(sock: RawFd, fd: RawFd) -> Result<()> {
    if fd < 0 {
        return Err(Errno(libc::EBADF));
    }
    let mut byte = PAYLOAD;
    let mut iov = libc::iovec { iov_base: (&mut byte as *mut u8).cast::<c_void>(), iov_len: 1 };
    let mut control = Control([0; 512]);
    let len = space(1);
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = len as _;
    // SAFETY: msg_control points to `len` bytes of aligned, writable memory,
    // enough for one header and one int, so CMSG_FIRSTHDR is non-NULL and
    // CMSG_DATA has room for the descriptor.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<c_int>() as libc::c_uint) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<c_int>(), fd);
    }
    loop {
        // SAFETY: msg and everything it points to live across the call.
        let n = unsafe { libc::sendmsg(sock, &msg, NOSIGNAL) };
        match n {
            1 => return Ok(()),
            -1 if Errno::last() == Errno(libc::EINTR) => continue,
            -1 => return Err(Errno::last()),
            // A unix socket sends one byte whole or not at all.
            _ => return Err(Errno(libc::EIO)),
        }
    }
}

/// Receives one descriptor sent with [`send`] (or any SCM_RIGHTS message
/// with a payload) from `sock`. The new descriptor is close-on-exec.
///
/// Extra descriptors in the message are closed. Errors say what happened:
/// - EMFILE: the descriptor table was full. Linux then drops what it
///   cannot install and says only MSG_CTRUNC; the message is consumed and
///   the descriptor lost.
/// - EBADMSG: a message with no descriptor (an empty message on a
///   SOCK_SEQPACKET or SOCK_DGRAM socket whose peer is still there, or
///   bytes sent without SCM_RIGHTS), or with more descriptors than rshm
///   accepts; whatever did arrive is closed.
/// - ECONNRESET: the peer went away: end of stream on SOCK_STREAM, or on
///   another type an empty read while the socket reports its peer gone.
///
/// Retries on EINTR.
pub fn recv(sock: RawFd) -> Result<RawFd> {
    let mut byte = 0u8;
    let mut iov = libc::iovec { iov_base: (&mut byte as *mut u8).cast::<c_void>(), iov_len: 1 };
    let mut control = Control([0; 512]);
    debug_assert!(space(MAX_FDS) <= control.0.len());
    // SAFETY: as in send.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let n = loop {
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr().cast();
        msg.msg_controllen = space(MAX_FDS) as _;
        msg.msg_flags = 0;
        // SAFETY: msg points to live, writable buffers of the sizes given.
        let n = unsafe { libc::recvmsg(sock, &mut msg, CMSG_CLOEXEC) };
        if n == -1 && Errno::last() == Errno(libc::EINTR) {
            continue;
        }
        break n;
    };
    if n == -1 {
        return Err(Errno::last());
    }
    let fds = collect(&msg);
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        close_all(&fds);
        // The kernel installs descriptors until one fails or the buffer is
        // full: short of the buffer's room, the table was full.
        if fds.len() < MAX_FDS {
            let what = "this process's descriptor table is full (RLIMIT_NOFILE): the descriptor sent was dropped by the kernel and is lost";
            return Err(note(Errno(libc::EMFILE), what.into()));
        }
        return Err(note(Errno(libc::EBADMSG), format!("a message with more than {MAX_FDS} descriptors; all closed")));
    }
    if fds.is_empty() {
        if n == 0 && peer_gone(sock)? {
            return Err(note(Errno(libc::ECONNRESET), "the peer closed its end".into()));
        }
        let what = if n == 0 { "an empty message, with no descriptor" } else { "a message without a descriptor" };
        return Err(note(Errno(libc::EBADMSG), what.into()));
    }
    close_all(&fds[1..]);
    let fd = fds[0];
    set_cloexec(fd).inspect_err(|_| close_all(&[fd]))?;
    Ok(fd)
}

/// After an empty read with no descriptor: whether that was the end of
/// the connection rather than an empty message. On SOCK_STREAM a read of 0
/// is always the end; message sockets deliver empty messages, so the
/// socket is asked whether its peer has gone (poll: POLLHUP or POLLRDHUP).
fn peer_gone(sock: RawFd) -> Result<bool> {
    let mut kind: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: kind and len are writable and len is kind's size.
    let r =
        unsafe { libc::getsockopt(sock, libc::SOL_SOCKET, libc::SO_TYPE, (&mut kind as *mut c_int).cast(), &mut len) };
    crate::errno::cvt(r)?;
    if kind == libc::SOCK_STREAM {
        return Ok(true);
    }
    let mut p = libc::pollfd { fd: sock, events: libc::POLLIN | RDHUP, revents: 0 };
    // SAFETY: p is one writable pollfd; a zero timeout never blocks.
    crate::errno::cvt(unsafe { libc::poll(&mut p, 1, 0) })?;
    Ok(p.revents & (libc::POLLHUP | RDHUP) != 0)
}

#[cfg(target_os = "linux")]
const RDHUP: libc::c_short = libc::POLLRDHUP;
/// macOS has no POLLRDHUP; a peer gone is POLLHUP there.
#[cfg(target_os = "macos")]
const RDHUP: libc::c_short = 0;

/// Every descriptor in the SCM_RIGHTS control messages of `msg`.
fn collect(msg: &libc::msghdr) -> Vec<RawFd> {
    let mut fds = Vec::new();
    // SAFETY: msg was filled by recvmsg; msg_controllen tells the CMSG
    // macros how far they may walk, and each header they return lies within
    // the control buffer with cmsg_len bytes of it valid.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg);
                let header = data.offset_from(cmsg.cast::<u8>()) as usize;
                let bytes = ((*cmsg).cmsg_len as usize).saturating_sub(header);
                for i in 0..bytes / std::mem::size_of::<c_int>() {
                    fds.push(std::ptr::read_unaligned(data.cast::<c_int>().add(i)));
                }
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    fds
}

fn close_all(fds: &[RawFd]) {
    for &fd in fds {
        // SAFETY: these descriptors were just installed for us by recvmsg
        // and never handed out.
        unsafe { libc::close(fd) };
    }
}

#[cfg(target_os = "linux")]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;
#[cfg(target_os = "linux")]
const CMSG_CLOEXEC: c_int = libc::MSG_CMSG_CLOEXEC;

/// MSG_CMSG_CLOEXEC was set atomically by the kernel.
#[cfg(target_os = "linux")]
fn set_cloexec(_fd: RawFd) -> Result<()> {
    Ok(())
}

/// macOS honours MSG_NOSIGNAL on send as Linux does.
#[cfg(target_os = "macos")]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;
/// macOS has no MSG_CMSG_CLOEXEC: the flag is set just after, which leaves a
/// window in which a concurrent fork+exec can inherit the descriptor.
#[cfg(target_os = "macos")]
const CMSG_CLOEXEC: c_int = 0;

#[cfg(target_os = "macos")]
fn set_cloexec(fd: RawFd) -> Result<()> {
    // SAFETY: fd is ours; F_SETFD takes an int.
    crate::errno::cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(kind: c_int) -> [RawFd; 2] {
        let mut sv = [-1; 2];
        // SAFETY: sv is writable for two ints.
        assert_eq!(unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, sv.as_mut_ptr()) }, 0);
        sv
    }

    #[test]
    fn a_descriptor_crosses_stream_and_seqpacket() {
        for kind in [libc::SOCK_STREAM, libc::SOCK_SEQPACKET] {
            let [a, b] = pair(kind);
            let fd = crate::memfd::create(Some(c"fdpass"), 0).unwrap();
            crate::fd::truncate(fd, 1234).unwrap();
            send(a, fd).unwrap();
            let got = recv(b).unwrap();
            assert_ne!(got, fd);
            assert_eq!(crate::stat::fstat(got).unwrap().size, 1234);
            for f in [a, b, fd, got] {
                crate::fd::close(f).unwrap();
            }
        }
    }

    /// An empty message is not the end of a message socket: EBADMSG while
    /// the peer is there, ECONNRESET once it has gone.
    #[test]
    fn an_empty_message_is_ebadmsg_until_the_peer_goes() {
        for kind in [libc::SOCK_SEQPACKET, libc::SOCK_DGRAM] {
            let [a, b] = pair(kind);
            // SAFETY: a zero-length send reads nothing.
            assert_eq!(unsafe { libc::send(a, std::ptr::null(), 0, 0) }, 0);
            assert_eq!(recv(b), Err(Errno(libc::EBADMSG)), "kind {kind}");
            // The next message is whole.
            let fd = crate::memfd::create(Some(c"after"), 0).unwrap();
            send(a, fd).unwrap();
            let got = recv(b).unwrap();
            crate::fd::close(got).unwrap();
            crate::fd::close(fd).unwrap();
            crate::fd::close(a).unwrap();
            if kind == libc::SOCK_SEQPACKET {
                assert_eq!(recv(b), Err(Errno(libc::ECONNRESET)));
            }
            crate::fd::close(b).unwrap();
        }
    }

    /// A full descriptor table is EMFILE (the descriptor is lost, as the
    /// kernel drops it), and the socket works again once there is room. In
    /// a child, whose descriptor limit is lowered.
    #[test]
    fn a_full_descriptor_table_is_emfile() {
        let [a, b] = pair(libc::SOCK_SEQPACKET);
        let fd = crate::memfd::create(Some(c"full"), 0).unwrap();
        // SAFETY: the child makes system calls only and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let lim = libc::rlimit { rlim_cur: 256, rlim_max: 256 };
            // SAFETY: lim is readable.
            let mut ok = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0;
            let mut last = -1;
            // SAFETY: dup of an open descriptor; -1 once the table is full.
            while let Ok(d) = crate::errno::cvt(unsafe { libc::dup(b) }) {
                last = d;
            }
            ok &= send(a, fd).is_ok() && recv(b) == Err(Errno(libc::EMFILE));
            ok &= crate::fd::close(last).is_ok() && send(a, fd).is_ok();
            ok &= recv(b).is_ok_and(|got| got == last);
            // SAFETY: _exit is always safe.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: status is writable; pid is our child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status:#x}");
        for f in [a, b, fd] {
            crate::fd::close(f).unwrap();
        }
    }

    #[test]
    fn eof_is_econnreset_and_payload_without_fd_is_ebadmsg() {
        let [a, b] = pair(libc::SOCK_STREAM);
        // SAFETY: writing one byte from a live buffer.
        assert_eq!(unsafe { libc::write(a, b"x".as_ptr().cast(), 1) }, 1);
        assert_eq!(recv(b), Err(Errno(libc::EBADMSG)));
        crate::fd::close(a).unwrap();
        assert_eq!(recv(b), Err(Errno(libc::ECONNRESET)));
        assert_eq!(send(b, 0), Err(Errno(libc::EPIPE)));
        crate::fd::close(b).unwrap();
        assert_eq!(send(-1, 0), Err(Errno(libc::EBADF)));
        assert_eq!(send(0, -1), Err(Errno(libc::EBADF)));
    }
}
