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
mod inline;
mod ring;
#[cfg(test)]
mod stress;
#[cfg(test)]
mod tests;

pub use crate::object::leaf::{Got, Sent};
pub use inline::*;
pub use ring::Ring;

use crate::errno::detail::note;
use crate::errno::{Errno, Result};
use crate::object::KIND_CHANNEL;
use crate::segment::{self, Segment};
use crate::sync::Timeout;
use std::ffi::CStr;
use std::time::{Duration, Instant};

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
            return Err(note(Errno(libc::EINVAL), "capacity is 0".into()));
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
        // The creator's pages are reserved (fallocate): populating them can
        // fail only for want of page tables, and the name is already linked,
        // so a failure here is not the create's: the pages it did not reach
        // fault in on first use.
        let (ring, used) = Channel::check(&seg)?;
        let _ = crate::object::pages::populate(&seg, used, None);
        Ok(Channel { ring, seg })
    }

    /// Opens the channel `name`, waiting up to `timeout` for it to exist.
    /// EINVAL when `name` is not a channel (a plain segment, any other
    /// object); EPROTO when it comes from another layout version, uses a
    /// sleep handshake this process cannot run ([`Ring::attach`]), or when
    /// its size is not the one its ring implies or its pages were never
    /// reserved (not made by [`Channel::create`]); ENOMEM or ENOSPC when its
    /// ring's pages cannot be faulted in; otherwise as [`Segment::open`].
    pub fn open(name: &CStr, timeout: Duration) -> Result<Channel> {
        let deadline = Instant::now().checked_add(timeout);
        let seg = Segment::open_kind(name, libc::O_RDWR, timeout, KIND_CHANNEL)?;
        let (ring, used) = Channel::check(&seg)?;
        crate::object::pages::reserved(&seg)?;
        crate::object::pages::populate(&seg, used, deadline)?;
        Ok(Channel { ring, seg })
    }

    /// Attaches to the ring in `seg` and checks it against the segment;
    /// returns it and the bytes of the segment it uses.
    fn check(seg: &Segment) -> Result<(Ring, usize)> {
        // SAFETY: the segment maps its data read-write for as long as the
        // ring lives: callers drop the ring first (a channel by field
        // order, a failed open by declaration order).
        let ring = unsafe { Ring::attach(seg.data(), seg.size()) }.map_err(|e| match e {
            // A complete segment whose ring is unformatted was not made by
            // Channel::create: not a channel this build understands.
            Errno(libc::EAGAIN) | Errno(libc::EPROTO) => {
                note(Errno(libc::EPROTO), "its ring header is damaged, or from another rshm version".into())
            }
            e => e,
        })?;
        // The creator sized the segment from the ring, to the page, and
        // reserved every page of it: a segment of another size, or with
        // holes a write would have to fill, was not made that way, and
        // would charge this process time and memory it never asked for.
        let implied = Ring::region_len(ring.capacity()).ok_or(Errno(libc::EPROTO))?;
        if implied != seg.size() {
            let what = format!(
                "its ring of {} bytes implies {implied} bytes of data, but the segment holds {}",
                ring.capacity(),
                seg.size()
            );
            return Err(note(Errno(libc::EPROTO), what));
        }
        let used = Ring::ring_len(ring.capacity()).ok_or(Errno(libc::EPROTO))?;
        Ok((ring, used))
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

    /// See [`Ring::send_now`].
    ///
    /// # Safety
    /// As for [`Ring::send_now`].
    #[inline(always)]
    pub unsafe fn send_now(&mut self, msg: *const u8, len: usize) -> Sent {
        // SAFETY: forwarded from the caller.
        unsafe { self.ring.send_now(msg, len) }
    }

    /// See [`Ring::lend`].
    pub fn lend(&mut self) -> Result<Sender> {
        self.ring.lend()
    }

    /// See [`Ring::take_back`].
    pub fn take_back(&mut self) -> Result<()> {
        self.ring.take_back()
    }

    /// See [`Ring::is_lent`].
    pub fn is_lent(&self) -> bool {
        self.ring.is_lent()
    }

    /// See [`Ring::recv_now`].
    ///
    /// # Safety
    /// As for [`Ring::recv_now`].
    #[inline(always)]
    pub unsafe fn recv_now(&mut self, buf: *mut u8, cap: usize) -> Got {
        // SAFETY: forwarded from the caller.
        unsafe { self.ring.recv_now(buf, cap) }
    }

    /// See [`Ring::polls`].
    #[inline(always)]
    pub fn polls(&self) -> u32 {
        self.ring.polls()
    }

    /// See [`Ring::wake_tx`].
    pub fn wake_tx(&self) {
        self.ring.wake_tx()
    }

    /// See [`Ring::wake_rx`].
    pub fn wake_rx(&self) {
        self.ring.wake_rx()
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
    /// A creator that lies about its size: grown after creation, or a
    /// consistent header and ring over an object it never reserved. The
    /// open is EPROTO at once, and allocates nothing on the liar's behalf.
    #[test]
    fn a_creator_lying_about_its_size_is_refused_at_once() {
        use crate::object::{header::Header, Identity};
        let n = name("liar");
        let ch = Channel::create(&n, 4096, 0o600).unwrap();
        crate::fd::truncate(ch.seg.fd(), 1 << 30).unwrap();
        let t = Instant::now();
        assert_eq!(Channel::open(&n, Duration::ZERO).err(), Some(Errno(libc::EPROTO)));
        assert!(t.elapsed() < Duration::from_millis(50), "{:?}", t.elapsed());
        drop(ch);
        unlink(&n).unwrap();

        // A header and a ring that agree on 256 MiB, in a sparse object.
        let page = crate::page::size();
        let cap = 256 << 20;
        let size = Ring::region_len(cap).unwrap();
        let fd = crate::shm::open(&n, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
        crate::fd::truncate(fd, (page + size) as i64).unwrap();
        let mut h = Header::new(crate::object::KIND_CHANNEL, page as u64, size as u64, Identity::me());
        h.state = crate::object::header::STATE_READY;
        // SAFETY: a fresh shared mapping of two pages of the object, ours alone.
        unsafe {
            let base = crate::mman::map(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
            .unwrap();
            std::ptr::copy_nonoverlapping(h.encode().as_ptr(), base.cast::<u8>(), h.encode().len());
            drop(Ring::init(base.cast::<u8>().add(page), Ring::ring_len(cap).unwrap()).unwrap());
            crate::mman::unmap(base, 2 * page).unwrap();
        }
        let before = crate::stat::fstat(fd).unwrap().blocks;
        let t = Instant::now();
        assert_eq!(Channel::open(&n, Duration::from_millis(500)).err(), Some(Errno(libc::EPROTO)));
        assert!(t.elapsed() < Duration::from_millis(50), "{:?}", t.elapsed());
        assert_eq!(crate::stat::fstat(fd).unwrap().blocks, before);
        crate::fd::close(fd).unwrap();
        unlink(&n).unwrap();
    }
}
