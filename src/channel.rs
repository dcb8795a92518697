//! The message channel: one sender, one receiver, variable-length messages,
//! in a named segment of kind `KIND_CHANNEL` whose data holds the ring.
//!
//! The machinery is independent of how its shared memory is obtained: a
//! single-producer single-consumer ring of variable-length messages inside
//! a caller-provided region (`ring`) and its shared header (`header`); who
//! holds each end is `object::peer`'s. [`Channel`] puts a ring in a named segment: the
//! creator formats the ring inside the segment's initialiser, so an opener
//! (which only finds segments that are complete) never sees it unformatted.

#[cfg(all(test, target_os = "linux"))]
mod fd_tests;
mod header;
mod ring;
#[cfg(test)]
mod stress;
#[cfg(test)]
mod tests;

pub use ring::Ring;

use crate::errno::{Errno, Result};
use crate::object::KIND_CHANNEL;
use crate::segment::{self, Segment};
use crate::sync::Timeout;
use std::ffi::CStr;
use std::time::Duration;

/// A handle on a named message channel, from `rshm_channel_create` or
/// `rshm_channel_open`; `rshm_channel_close` releases it (in Rust, dropping
/// it does). It becomes the sender on its first send or reserve and the
/// receiver on its first receive or peek. The name stays until
/// `rshm_channel_unlink`. A handle is used by one thread at a time, in the
/// process that made it.
pub struct Channel {
    // Declared first so that it is dropped (giving its roles up) while the
    // segment is still mapped.
    ring: Ring,
    seg: Segment,
}

impl Channel {
    /// Creates the channel `name` with a record area of `capacity` bytes
    /// (rounded up to a multiple of 8, and to at least 64) in a segment of
    /// whole pages, and the permission bits `mode`. The area is not grown
    /// to fill the last page: a small ring keeps a request/response
    /// exchange on a few cache lines. EINVAL for a `capacity` of 0,
    /// EOVERFLOW when it cannot be mapped; otherwise as [`Segment::create`].
    pub fn create(name: &CStr, capacity: usize, mode: u32) -> Result<Channel> {
        if capacity == 0 {
            return Err(Errno(libc::EINVAL));
        }
        let ring_len = Ring::ring_len(capacity).ok_or(Errno(libc::EOVERFLOW))?;
        let len = crate::page::round_up(ring_len).ok_or(Errno(libc::EOVERFLOW))?;
        let mut formatted = Ok(());
        let seg = Segment::create_kind(name, len, mode, KIND_CHANNEL, |data, size| {
            // SAFETY: the initialiser gets the new segment's data range,
            // writable and unseen by anyone else until it returns; the ring
            // takes its first ring_len bytes (size is ring_len rounded up
            // to pages). The ring handle made here is dropped at once,
            // having taken no role.
            debug_assert!(ring_len <= size);
            formatted = unsafe { Ring::init(data, ring_len) }.map(drop);
            formatted.is_ok()
        });
        let seg = match (seg, formatted) {
            (_, Err(e)) => return Err(e),
            (seg, Ok(())) => seg?,
        };
        Channel::attach(seg)
    }

    /// Opens the channel `name`, waiting up to `timeout` for it to exist.
    /// EINVAL when `name` is not a channel (a plain segment, any other
    /// object); EPROTO when it comes from another layout version or uses a
    /// sleep handshake this process cannot run ([`Ring::attach`]);
    /// otherwise as [`Segment::open`].
    pub fn open(name: &CStr, timeout: Duration) -> Result<Channel> {
        let seg = Segment::open_kind(name, libc::O_RDWR, timeout, KIND_CHANNEL)?;
        Channel::attach(seg)
    }

    fn attach(seg: Segment) -> Result<Channel> {
        // SAFETY: the segment maps its data read-write for as long as the
        // channel lives, and the ring is dropped before it (field order).
        let ring = unsafe { Ring::attach(seg.data(), seg.size()) }.map_err(|e| match e {
            // A complete segment whose ring is unformatted was not made by
            // Channel::create: not a channel this build understands.
            Errno(libc::EAGAIN) => Errno(libc::EPROTO),
            e => e,
        })?;
        crate::object::pages::populate(&seg);
        Ok(Channel { ring, seg })
    }

    /// Bytes in the record area.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// The largest message the channel can ever hold.
    pub fn max_message(&self) -> usize {
        self.ring.max_message()
    }

    /// See [`Ring::send`].
    pub fn send(&mut self, msg: &[u8], timeout: Timeout) -> Result<()> {
        self.ring.send(msg, timeout)
    }

    /// See [`Ring::send_with`].
    pub fn send_with(&mut self, len: usize, timeout: Timeout, fill: impl FnOnce(*mut u8)) -> Result<()> {
        self.ring.send_with(len, timeout, fill)
    }

    /// See [`Ring::recv`].
    pub fn recv(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        self.ring.recv(buf, timeout)
    }

    /// See [`Ring::reserve`].
    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        self.ring.reserve(len, timeout)
    }

    /// See [`Ring::commit`].
    pub fn commit(&mut self, len: usize) -> Result<()> {
        self.ring.commit(len)
    }

    /// See [`Ring::peek`].
    pub fn peek(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        self.ring.peek(timeout)
    }

    /// See [`Ring::rx_fd`].
    pub fn fd(&mut self) -> Result<std::os::fd::RawFd> {
        self.ring.rx_fd()
    }

    /// See [`Ring::release`].
    pub fn release(&mut self) -> Result<()> {
        self.ring.release()
    }

    /// Gives up the roles, wakes the peer, unmaps and closes the segment,
    /// reporting the first failure of the last two (all is released anyway).
    pub fn close(self) -> Result<()> {
        let Channel { mut ring, seg } = self;
        ring.close();
        drop(ring);
        seg.close()
    }
}

/// Removes the name of a channel, as shm_unlink(3) does: open handles stay
/// valid. Whether the object is a channel is not checked.
pub fn unlink(name: &CStr) -> Result<()> {
    segment::unlink(name)
}

#[cfg(test)]
mod named {
    use super::*;
    use crate::test_names::name;

    #[test]
    fn create_open_send_recv_unlink() {
        let n = name("chan");
        let mut tx = Channel::create(&n, 1000, 0o600).unwrap();
        assert_eq!(tx.capacity(), 1000);
        assert_eq!(tx.max_message(), 984);
        let mut rx = Channel::open(&n, Duration::ZERO).unwrap();
        assert_eq!(rx.capacity(), tx.capacity());
        tx.send(b"hello", Timeout::Try).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(rx.recv(&mut buf, Timeout::Try), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(Channel::create(&n, 1000, 0o600).err(), Some(Errno(libc::EEXIST)));
        tx.close().unwrap();
        assert_eq!(rx.recv(&mut buf, Timeout::Try), Err(Errno(libc::EPIPE)));
        drop(rx);
        unlink(&n).unwrap();
    }

    /// The ring is as large as asked (to 8 bytes), not as the last page.
    #[test]
    fn the_capacity_is_what_was_asked() {
        assert_eq!(Ring::ring_len(1), Some(Ring::header_size() + 64));
        assert_eq!(Ring::ring_len(100), Some(Ring::header_size() + 104));
        assert_eq!(Ring::ring_len(usize::MAX - 7), None);
        assert_eq!(Ring::ring_len(usize::MAX), None);
        let n = name("cap");
        for (ask, cap) in [(1, 64), (64, 64), (100, 104), (256, 256), (4096, 4096), (5000, 5000)] {
            let mut tx = Channel::create(&n, ask, 0o600).unwrap();
            assert_eq!((tx.capacity(), tx.max_message()), (cap, cap - 16), "asked {ask}");
            let mut rx = Channel::open(&n, Duration::ZERO).unwrap();
            assert_eq!(rx.capacity(), cap);
            // The largest message fits, one byte more never will.
            let msg = vec![7u8; cap - 16];
            assert_eq!(tx.send(&msg, Timeout::Try), Ok(()));
            assert_eq!(tx.send(&[0; 1][..], Timeout::Try), Err(Errno(libc::EAGAIN)));
            let mut big = vec![0u8; cap];
            assert_eq!(tx.reserve(cap - 15, Timeout::Try).err(), Some(Errno(libc::EMSGSIZE)));
            assert_eq!(rx.recv(&mut big, Timeout::Try), Ok(cap - 16));
            assert_eq!(&big[..cap - 16], &msg[..]);
            drop((tx, rx));
            unlink(&n).unwrap();
        }
    }

    #[test]
    fn what_is_not_a_channel_is_refused() {
        let n = name("notchan");
        assert_eq!(Channel::create(&n, 0, 0o600).err(), Some(Errno(libc::EINVAL)));
        assert_eq!(Channel::create(&n, usize::MAX, 0o600).err(), Some(Errno(libc::EOVERFLOW)));
        assert_eq!(Channel::open(&n, Duration::ZERO).err(), Some(Errno(libc::ENOENT)));
        let seg = Segment::create(&n, 4096, 0o600).unwrap();
        assert_eq!(Channel::open(&n, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
        drop(seg);
        unlink(&n).unwrap();
        let ch = Channel::create(&n, 64, 0o600).unwrap();
        assert_eq!(Segment::open(&n, libc::O_RDWR, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
        drop(ch);
        unlink(&n).unwrap();
    }
}
