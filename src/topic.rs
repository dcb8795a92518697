//! The topic: one publisher, many subscribers, variable-length messages,
//! in a named segment of kind `KIND_TOPIC` whose data holds a broadcast
//! ring (`ring`: the protocol; `header`: its shared layout). What every
//! named object shares (header, role words and liveness, the sleep
//! handshake, the waiting loop) is `object`'s. The creator formats the
//! ring inside the segment's initialiser, holding the publisher's role from
//! the start, so an opener never sees it unformatted or without publisher.

mod describe;
mod header;
mod publisher;
mod ring;
mod subscriber;
#[cfg(test)]
mod tests;

pub(crate) use crate::object::leaf::{Got, Sent};
pub use describe::{describe, describe_bytes, Description, SubscriberInfo};

use crate::errno::{Errno, Result};
use crate::object::handshake::{Handshake, Waiters};
use crate::object::KIND_TOPIC;
use crate::segment::{self, Segment};
use crate::sync::Timeout;
use header::Shape;
use publisher::Publisher;
use ring::Area;
use std::ffi::CStr;
use std::time::Duration;
use subscriber::Subscriber;

/// `RSHM_TOPIC_BLOCK`: the publisher waits for the slowest live subscriber.
pub const FLAG_BLOCK: u32 = header::FLAG_BLOCK;
/// The most subscribers a topic may have.
pub const MAX_SUBSCRIBERS: u32 = header::MAX_SUBSCRIBERS;

enum End {
    Pub(Publisher),
    Sub(Subscriber),
}

/// A handle on a named topic: its publisher (from `create`, or `open` with
/// O_RDWR) or one of its subscribers (`open` with O_RDONLY). Dropping or
/// closing it gives its role up. The name stays until `unlink`. A handle is
/// used by one thread at a time, in the process that made it.
pub struct Topic {
    // Declared first so that it is dropped (giving its role up) while the
    // segment is still mapped.
    end: End,
    seg: Segment,
}

impl Topic {
    /// Creates the topic `name` with a record area of `capacity` bytes
    /// (rounded up to 16, and to at least 64), room for `max_subscribers`
    /// at once, `flags` 0 or [`FLAG_BLOCK`], permission bits `mode`; the
    /// handle is its publisher. EINVAL for a capacity or subscriber count
    /// of 0, more than [`MAX_SUBSCRIBERS`], or unknown flags; EOVERFLOW past
    /// what maps; otherwise as [`Segment::create`].
    pub fn create(name: &CStr, capacity: usize, max_subscribers: u32, flags: u32, mode: u32) -> Result<Topic> {
        Topic::create_shaped(name, Shape::new(capacity, max_subscribers, flags)?, mode)
    }

    fn create_shaped(name: &CStr, shape: Shape, mode: u32) -> Result<Topic> {
        let len = shape.region_len().ok_or(Errno(libc::EOVERFLOW))?;
        let me = crate::object::peer::me();
        let seg = Segment::create_kind(name, len, mode, KIND_TOPIC, |data, size| {
            debug_assert!(len <= size);
            // SAFETY: the initialiser gets the new segment's data range (page
            // aligned), writable and unseen by anyone else until it returns;
            // it holds `len` bytes, which region_len says the shape needs.
            unsafe { header::init(data, shape, me) };
            true
        })?;
        // SAFETY: init formatted this shape at the segment's data, mapped
        // writable while the topic lives (the end is dropped first).
        let area = unsafe { Area::new(seg.data(), shape) };
        crate::object::pages::populate(&seg, seg.size(), None)?;
        let hs = Handshake::new(shape.protocol, Waiters::Many);
        Ok(Topic { end: End::Pub(Publisher::fresh(area, hs)), seg })
    }

    /// Opens the topic `name`, waiting up to `timeout` for it to exist:
    /// with `O_RDONLY` as a new subscriber (EUSERS when all places are
    /// taken), with `O_RDWR` as its publisher (EBUSY while a live one is).
    /// EINVAL for another `oflag` or an object that is not a topic; EPROTO
    /// for another layout or corrupt counters; otherwise as
    /// [`Segment::open`]; EPROTO too when the topic's sleep handshake is
    /// one this process cannot run. Both need read and write permission.
    pub fn open(name: &CStr, oflag: libc::c_int, timeout: Duration) -> Result<Topic> {
        if oflag != libc::O_RDONLY && oflag != libc::O_RDWR {
            return Err(Errno(libc::EINVAL));
        }
        let deadline = std::time::Instant::now().checked_add(timeout);
        let seg = Segment::open_kind(name, libc::O_RDWR, timeout, KIND_TOPIC)?;
        // A creator that lies about its size, or left holes to fill on this
        // process's account, is refused before anything is faulted in.
        crate::object::pages::reserved(&seg)?;
        // SAFETY: the segment maps its data read-write for as long as the
        // topic lives, and the end is dropped before it (field order).
        let (_, shape) = unsafe { header::attach(seg.data(), seg.size()) }?;
        // Before any role: the asymmetric handshake needs this process
        // registered for membarrier(2), and EPROTO if it cannot be.
        let hs = Handshake::new(shape.protocol.join()?, Waiters::Many);
        // SAFETY: attach accepted this shape in this region.
        let area = unsafe { Area::new(seg.data(), shape) };
        let end = if oflag == libc::O_RDWR {
            End::Pub(Publisher::claim(area, hs)?)
        } else {
            End::Sub(Subscriber::join(area, hs)?)
        };
        crate::object::pages::populate(&seg, seg.size(), deadline)?;
        if oflag == libc::O_RDONLY {
            read_only_records(&seg, shape);
        }
        Ok(Topic { end, seg })
    }

    fn area(&self) -> &Area {
        match &self.end {
            End::Pub(p) => p.area(),
            End::Sub(s) => s.area(),
        }
    }

    fn publisher(&mut self) -> Result<&mut Publisher> {
        match &mut self.end {
            End::Pub(p) => Ok(p),
            End::Sub(_) => Err(Errno(libc::EBADF)),
        }
    }

    fn subscriber(&mut self) -> Result<&mut Subscriber> {
        match &mut self.end {
            End::Sub(s) => Ok(s),
            End::Pub(_) => Err(Errno(libc::EBADF)),
        }
    }

    /// Whether this handle is the publisher.
    pub fn is_publisher(&self) -> bool {
        matches!(self.end, End::Pub(_))
    }

    /// Bytes in the record area.
    pub fn capacity(&self) -> usize {
        self.area().cap() as usize
    }

    /// The longest message the topic can ever carry: the capacity minus 32.
    pub fn max_message(&self) -> usize {
        self.area().max_message() as usize
    }

    /// How many subscribers the topic has room for.
    pub fn max_subscribers(&self) -> u32 {
        self.area().shape.max_subscribers
    }

    /// Whether the publisher waits for subscribers (`FLAG_BLOCK`).
    pub fn blocks(&self) -> bool {
        self.area().block()
    }

    /// Publishes `msg` to every subscriber. Waits for room only with
    /// `FLAG_BLOCK`, as `timeout` allows. EMSGSIZE beyond `max_message`,
    /// EAGAIN / ETIMEDOUT (`FLAG_BLOCK` only), EBADF on a subscriber.
    pub fn publish(&mut self, msg: &[u8], timeout: Timeout) -> Result<()> {
        // SAFETY: msg is its len readable bytes.
        match unsafe { self.publish_now(msg.as_ptr(), msg.len()) } {
            Sent::Done => return Ok(()),
            Sent::Wake => {
                self.wake_subscribers();
                return Ok(());
            }
            Sent::No => {}
        }
        self.publish_with(msg.len(), timeout, |p| {
            // SAFETY: p is msg.len() writable bytes in the area (publish_with).
            unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), p, msg.len()) }
        })
    }

    /// The publisher's short path (`Publisher::publish_now`): a short
    /// message published without a wait, a call or a panic, or `Sent::No`
    /// (also on a subscriber's handle) for the long way.
    ///
    /// # Safety
    /// `msg` is readable for `len` bytes.
    #[inline(always)]
    pub(crate) unsafe fn publish_now(&mut self, msg: *const u8, len: usize) -> Sent {
        match &mut self.end {
            // SAFETY: forwarded from the caller.
            End::Pub(p) => unsafe { p.publish_now(msg, len) },
            End::Sub(_) => Sent::No,
        }
    }

    /// The wake-up `Sent::Wake` asks for.
    #[cold]
    pub(crate) fn wake_subscribers(&self) {
        if let End::Pub(p) = &self.end {
            p.wake_subscribers();
        }
    }

    /// Publishes one message of `len` bytes that `fill` writes at the
    /// address it is given (`len` writable bytes, 16-byte aligned), once
    /// there is room. Errors as `publish`.
    pub fn publish_with(&mut self, len: usize, timeout: Timeout, fill: impl FnOnce(*mut u8)) -> Result<()> {
        self.publisher()?.publish_with(len, timeout, fill)
    }

    /// Reserves room for a message of `len` bytes in place: contiguous,
    /// 16-byte aligned, valid until `commit` or the next `reserve` or
    /// `publish`, which abandon it whatever they return. Errors as `publish`.
    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        self.publisher()?.reserve(len, timeout)
    }

    /// Publishes the first `len` bytes of the reservation. EINVAL without
    /// one or for `len` beyond it; EBADF on a subscriber.
    pub fn commit(&mut self, len: usize) -> Result<()> {
        self.publisher()?.commit(len)
    }

    /// This subscriber's next message, copied into `buf`: its length.
    /// EMSGSIZE when `buf` is too short (the message stays), EAGAIN /
    /// ETIMEDOUT, EPIPE once the publisher is gone and nothing is left,
    /// EBADMSG / EPROTO for corrupt shared state, EBADF on the publisher.
    pub fn receive(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        // SAFETY: buf is its len writable bytes.
        match unsafe { self.receive_now(buf.as_mut_ptr(), buf.len()) } {
            Got::Msg(len) => Ok(len),
            Got::Wake(len) => {
                self.wake_publisher();
                Ok(len)
            }
            Got::Empty | Got::No => self.subscriber()?.receive(buf, timeout),
        }
    }

    /// The subscriber's short path (`Subscriber::receive_now`): a short
    /// message that waits taken without a call or a panic, or `Got::No`
    /// (also on the publisher's handle) for the long way.
    ///
    /// # Safety
    /// `buf` is writable for `room` bytes.
    #[inline(always)]
    pub(crate) unsafe fn receive_now(&mut self, buf: *mut u8, room: usize) -> Got {
        match &mut self.end {
            // SAFETY: forwarded from the caller.
            End::Sub(s) => unsafe { s.receive_now(buf, room) },
            End::Pub(_) => Got::No,
        }
    }

    /// How many times to poll `receive_now` before the long way
    /// (`Subscriber::polls`); 0 on the publisher's handle.
    #[inline(always)]
    pub(crate) fn polls(&self) -> u32 {
        match &self.end {
            End::Sub(s) => s.polls(),
            End::Pub(_) => 0,
        }
    }

    /// The wake-up `Got::Wake` asks for.
    #[cold]
    pub(crate) fn wake_publisher(&self) {
        if let End::Sub(s) = &self.end {
            s.wake_publisher();
        }
    }

    /// The next message in place (address, 16-byte aligned, and length),
    /// valid until `release`; again the same one until then. Errors as
    /// `receive` but EMSGSIZE.
    pub fn peek(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        self.subscriber()?.peek(timeout)
    }

    /// Consumes the peeked message. ESTALE when it was overwritten while
    /// peeked (default policy): it counts as lost, and its bytes as read
    /// may be torn. EINVAL when nothing is peeked; EBADF on the publisher.
    pub fn release(&mut self) -> Result<()> {
        self.subscriber()?.release()
    }

    /// The subscriber's descriptor for event loops (`Subscriber::fd`);
    /// EBADF for the publisher's handle.
    pub fn fd(&mut self) -> Result<std::os::fd::RawFd> {
        self.subscriber()?.fd()
    }

    /// Messages this subscriber missed because it fell behind (0 for the
    /// publisher): received + lost = published since it subscribed.
    pub fn lost(&self) -> u64 {
        match &self.end {
            End::Sub(s) => s.lost(),
            End::Pub(_) => 0,
        }
    }

    /// Gives the role up, wakes who waits on it, unmaps and closes the
    /// segment, reporting the first failure of the last two.
    pub fn close(self) -> Result<()> {
        let Topic { end, seg } = self;
        // Gives the role up once, in End's drop: a second give-up could
        // take back a place another handle of this process took meanwhile.
        drop(end);
        seg.close()
    }
}

impl Drop for End {
    fn drop(&mut self) {
        match self {
            End::Pub(p) => p.close(),
            End::Sub(s) => s.close(),
        }
    }
}

/// A subscriber writes its slot and the wait words, never a record: the
/// whole pages of the record area become read-only in its mapping, so that
/// a stray write through a peeked pointer faults in the subscriber instead
/// of corrupting what the others read. (Against a hostile subscriber this
/// is no guard: it can map the object again.) Best effort.
fn read_only_records(seg: &Segment, shape: Shape) {
    let page = crate::page::size();
    let start = seg.data() as usize + shape.data_offset();
    let end = seg.data() as usize + seg.size();
    let first = start.div_ceil(page) * page;
    let last = end / page * page;
    if first < last {
        // SAFETY: whole pages inside the segment's own mapping, which only
        // this handle's subscriber reads (it writes nothing there).
        let _ = unsafe { crate::memctl::protect(first as *mut libc::c_void, last - first, libc::PROT_READ) };
    }
}

/// Removes the name of a topic, as shm_unlink(3) does: open handles stay
/// valid. Whether the object is a topic is not checked.
pub fn unlink(name: &CStr) -> Result<()> {
    segment::unlink(name)
}
