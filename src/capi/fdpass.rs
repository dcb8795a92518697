//! `rshm_send_fd`, `rshm_recv_fd`.

use super::boundary::run;
use crate::fdpass;
use libc::c_int;

/// Sends the descriptor `fd` over the connected unix socket `sock`
/// (SCM_RIGHTS), so that the process at the other end gets its own
/// descriptor for the same open file: how two unrelated processes share a
/// memfd, which has no name. Works on `SOCK_STREAM` and `SOCK_SEQPACKET`
/// sockets; one byte of payload travels with the descriptor, which
/// `rshm_recv_fd` consumes.
///
/// `fd` stays open and owned by the caller. Seal a memfd
/// (`rshm_add_seals`) before sending it if the receiver must be able to
/// trust its size or contents. A signal during the call is retried.
///
/// Returns 0. On failure returns -1 and sets errno:
/// - `EBADF`: `sock` or `fd` is not an open descriptor.
/// - `ENOTSOCK`: `sock` is not a socket.
/// - `EINVAL`, `EOPNOTSUPP`: `sock` is not a unix socket.
/// - `ENOTCONN`: `sock` is not connected.
/// - `EPIPE`: the peer has closed its end (no SIGPIPE is raised).
/// - `ECONNRESET`: the peer closed with data unread.
/// - `EAGAIN`: `sock` is non-blocking and its buffer is full.
/// - `ETOOMANYREFS`: too many descriptors in flight.
///
/// Thread safety: safe to call from any thread; concurrent sends on one
/// socket are each whole.
#[no_mangle]
pub extern "C" fn rshm_send_fd(sock: c_int, fd: c_int) -> c_int {
    run("rshm_send_fd", -1, || fdpass::send(sock, fd).map(|()| 0))
}

/// Receives one descriptor sent with `rshm_send_fd` (or any SCM_RIGHTS
/// message with a payload) from the unix socket `sock`, blocking until one
/// arrives unless `sock` is non-blocking.
///
/// Returns the new descriptor, close-on-exec (set atomically on Linux),
/// owned by the caller (`rshm_close`). If the peer smuggled in more than
/// one descriptor the extra ones are closed. A signal during the call is
/// retried.
///
/// On failure returns -1 and sets errno (`rshm_error_detail` says which
/// case it was):
/// - `EBADF`: `sock` is not an open descriptor.
/// - `ENOTSOCK`: `sock` is not a socket.
/// - `EINVAL`: `sock` is a stream socket that is not connected.
/// - `ECONNRESET`: the peer went away: end of stream on a `SOCK_STREAM`
///   socket, or on a `SOCK_SEQPACKET` socket an empty read once the peer
///   has closed its end.
/// - `EBADMSG`: a message arrived without a descriptor (bytes sent without
///   SCM_RIGHTS, or an empty message on a `SOCK_SEQPACKET` or `SOCK_DGRAM`
///   socket whose peer is still connected), or with control data cut
///   short (more than 16 descriptors); whatever arrived with it was closed
///   and the message is consumed.
/// - `EAGAIN`: `sock` is non-blocking and nothing is waiting.
/// - `EMFILE`: the process's descriptor table is full (RLIMIT_NOFILE). The
///   message is consumed and **the descriptor sent is lost**: the kernel
///   drops a descriptor it cannot install and says only that the control
///   data was cut short. Keep room in the table, or have the peer resend.
///
/// Thread safety: safe to call from any thread; each message goes to one caller.
#[no_mangle]
pub extern "C" fn rshm_recv_fd(sock: c_int) -> c_int {
    run("rshm_recv_fd", -1, || fdpass::recv(sock))
}
