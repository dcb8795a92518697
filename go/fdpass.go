package rshm

// #include <rshm.h>
import "C"

// SendFd sends the descriptor fd over the connected unix socket sock
// (SCM_RIGHTS, stream or seqpacket), so that the process at the other end
// gets its own descriptor for the same open file: how unrelated processes
// share a memfd, which has no name. fd stays open and owned by the caller;
// seal a memfd (AddSeals) first if the receiver must trust its size or
// contents. One byte of payload travels with it, which RecvFd consumes.
// Signals are retried.
//
// Errors: EBADF (sock or fd not open), ENOTSOCK, EINVAL/EOPNOTSUPP (not a
// unix socket), ENOTCONN, EPIPE (the peer has closed its end; no SIGPIPE
// is raised), ECONNRESET, EAGAIN (non-blocking and full), ETOOMANYREFS.
func SendFd(sock, fd int) error {
	csock, err := cfd(sock)
	if err != nil {
		return err
	}
	cfd, err := cfd(fd)
	if err != nil {
		return err
	}
	if r, err := C.rshm_send_fd(csock, cfd); r != 0 {
		return failed(err)
	}
	return nil
}

// RecvFd receives one descriptor sent with SendFd (or any SCM_RIGHTS
// message with a payload) from the unix socket sock, blocking until one
// arrives unless sock is non-blocking.
//
// It returns a new close-on-exec descriptor the caller owns (Close). Extra
// descriptors a peer smuggles in are closed. Errors: EBADF, ENOTSOCK,
// ECONNRESET (the peer closed its end before sending), EBADMSG (a message
// without a descriptor; it is consumed), EAGAIN (non-blocking, nothing
// waiting), EMFILE.
func RecvFd(sock int) (int, error) {
	csock, err := cfd(sock)
	if err != nil {
		return -1, err
	}
	fd, err := C.rshm_recv_fd(csock)
	if fd < 0 {
		return -1, failed(err)
	}
	return int(fd), nil
}
