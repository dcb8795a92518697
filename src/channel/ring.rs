//! A single-producer single-consumer ring of variable-length messages in a
//! caller-provided shared region, for processes that do not trust each other.
//!
//! # Layout
//! The region (64-byte aligned; page-aligned in practice) starts with the
//! `Header` and has its record area at `DATA_OFFSET`, `capacity` bytes, a
//! multiple of 8. A record is an 8-byte length (native endian) and the
//! payload, padded to 8 bytes, so every payload is 8-byte aligned. A length
//! of `PAD` marks the rest of the area up to its end as unused: a record
//! never wraps, so `reserve` always hands out contiguous memory.
//!
//! # Counters
//! `head` (bytes the sender published) and `tail` (bytes the receiver
//! consumed) only grow; a record at counter `c` sits at `c % capacity`,
//! which a padding record keeps true by moving the counter to the next
//! multiple of the capacity. Each side keeps its own counter and position
//! in process memory and only publishes them: it never reads its own
//! counter back, and checks the other's (`head - tail` within
//! `0..=capacity`, multiples of 8) before using it. Every length read from
//! the area is read once and bounds-checked against the published bytes
//! and the area's end. A hostile peer can therefore make calls fail with
//! EPROTO (bad counters) or EBADMSG (bad record), or hand over garbage
//! payload bytes, but never make this side touch memory outside the region.
//!
//! # Ordering
//! The sender writes the record, then publishes `head`; the receiver loads
//! `head`, then reads the record. It releases by publishing `tail`, after
//! which the sender may overwrite the space. Publishing stores and the
//! loads that follow a sleep announcement are SeqCst, which gives the
//! Release/Acquire pairing for the data and also the store-load order the
//! sleep protocol needs.
//!
//! # Sleeping
//! A side that cannot proceed spins for `SPIN`, then stores 1 to its wait
//! word (`rx_wait` / `tx_wait`), re-checks, and futex-waits on the word
//! while it holds 1. The other side, after each publish, loads the word
//! and only when it reads 1 stores 0 and wakes: no system call while
//! nobody sleeps. Either the sleeper's re-check sees the publish or the
//! publisher sees the 1 (both are SeqCst), so no wake-up is lost. Sleeps
//! last at most `SLICE`, after which the sleeper checks its peer is alive:
//! a peer that dies cannot wake it, and then it fails with EPIPE once
//! nothing is left.

use super::header::{self, Header, DATA_OFFSET, MIN_CAPACITY};
use super::peer::{self, Peer, Watch};
use crate::errno::{Errno, Result};
use crate::sync::{futex, Timeout};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// The length that marks a padding record.
const PAD: u64 = u64::MAX;
/// How long a side spins before it sleeps.
const SPIN: Duration = Duration::from_micros(5);
/// The longest sleep between checks that the peer lives.
const SLICE: Duration = Duration::from_millis(50);

/// Bytes a record with `len` payload bytes takes; `len <= capacity - 8`.
fn record(len: u64) -> u64 {
    8 + ((len + 7) & !7)
}

/// The sender's private state.
struct Tx {
    head: u64,
    /// Where head points in the area: `head % capacity`, kept by adding.
    pos: u64,
    /// The last valid tail read: space known free without reading again.
    tail_seen: u64,
    /// Payload length of the open reservation.
    reserved: Option<u64>,
    watch: Watch,
}

/// The receiver's private state.
struct Rx {
    tail: u64,
    pos: u64,
    head_seen: u64,
    /// Payload length of the message handed out by `peek`.
    peeked: Option<u64>,
    watch: Watch,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Tx,
    Rx,
}

/// A timeout, turned into a deadline only once a call has to wait.
struct Wait {
    timeout: Timeout,
    deadline: Option<Option<Instant>>,
}

impl Wait {
    fn new(timeout: Timeout) -> Wait {
        Wait { timeout, deadline: None }
    }

    /// How long one may still sleep: None for no limit, Err once over.
    fn left(&mut self) -> Result<Option<Duration>> {
        if self.timeout == Timeout::Try {
            return Err(Errno(libc::EAGAIN));
        }
        let timeout = self.timeout;
        match *self.deadline.get_or_insert_with(|| timeout.deadline()) {
            None => Ok(None),
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(Errno(libc::ETIMEDOUT)),
            },
        }
    }
}

/// One process's handle on a ring. It becomes the sender on its first
/// `reserve`/`send` and the receiver on its first `peek`/`recv` (one handle
/// may be both); `close` or drop gives the roles up.
///
/// The handle does not own the region: whoever maps it keeps it mapped
/// while the handle lives. A handle is used by one thread at a time, in the
/// process that made it (a child of `fork` makes its own).
pub struct Ring {
    hdr: *const Header,
    data: *mut u8,
    cap: u64,
    me: u32,
    tx: Option<Tx>,
    rx: Option<Rx>,
}

// SAFETY: the region is shared memory made for concurrent use (its header
// is all atomics); the private state moves with the handle.
unsafe impl Send for Ring {}

impl Ring {
    /// Formats `base..base + len` as an empty ring whose record area is the
    /// rest of the region (rounded down to 8 bytes) and returns a handle.
    /// EINVAL for a NULL or not 64-byte-aligned `base`, or a region too
    /// small for the header and `MIN_CAPACITY` bytes.
    ///
    /// # Safety
    /// The region is mapped and writable for the handle's life, and nobody
    /// else uses it while it is formatted.
    pub unsafe fn init(base: *mut u8, len: usize) -> Result<Ring> {
        // SAFETY: forwarded from the caller.
        let (h, cap) = unsafe { header::init(base, len) }?;
        Ok(Ring::new(h, base, cap))
    }

    /// A handle on a ring another handle formatted, perhaps in another
    /// process. EAGAIN while it is not yet formatted, EPROTO when the region
    /// does not hold a ring of this version, EINVAL as for `init`.
    ///
    /// # Safety
    /// The region is mapped and writable for the handle's life.
    pub unsafe fn attach(base: *mut u8, len: usize) -> Result<Ring> {
        // SAFETY: forwarded from the caller.
        let (h, cap) = unsafe { header::attach(base, len) }?;
        Ok(Ring::new(h, base, cap))
    }

    // Functions, not associated constants, which cbindgen would put in rshm.h.

    /// Bytes of the region before the record area (the header).
    pub const fn header_size() -> usize {
        DATA_OFFSET
    }

    /// The smallest record area accepted, in bytes.
    pub const fn min_capacity() -> usize {
        MIN_CAPACITY as usize
    }

    /// The region length that gives a record area of at least `capacity`
    /// bytes, rounded up to whole pages; None when it overflows.
    pub fn region_len(capacity: usize) -> Option<usize> {
        let page = crate::page::size();
        let len = capacity.max(Ring::min_capacity()).checked_add(DATA_OFFSET + page - 1)?;
        Some(len & !(page - 1))
    }

    fn new(hdr: &Header, base: *mut u8, cap: u64) -> Ring {
        // SAFETY: DATA_OFFSET + cap bytes are in the region (checked by init/attach).
        let data = unsafe { base.add(DATA_OFFSET) };
        Ring { hdr, data, cap, me: peer::me(), tx: None, rx: None }
    }

    /// The shared header, borrowed apart from the handle so that the
    /// handle's private state can change meanwhile; never kept beyond it.
    fn hdr<'a>(&self) -> &'a Header {
        // SAFETY: the region outlives the handle (constructor contract) and
        // the result is used only within a method call.
        unsafe { &*self.hdr }
    }

    /// Bytes in the record area.
    pub fn capacity(&self) -> usize {
        self.cap as usize
    }

    /// The largest message the ring can ever hold.
    pub fn max_message(&self) -> usize {
        (self.cap - 8) as usize
    }

    // ---- sending ----

    /// Reserves room for a message of `len` bytes and returns where to
    /// write it: contiguous, 8-byte aligned, valid until `commit` or the
    /// next `reserve` (which abandons this one). Waits for room as
    /// `timeout` allows.
    ///
    /// Errors: EMSGSIZE (`len > max_message()`), EAGAIN (`Try` and no room),
    /// ETIMEDOUT, EPIPE (the receiver closed; or it died, noticed when this
    /// side has to wait for room), EBUSY (another handle is the sender),
    /// EPROTO (the receiver's counter is corrupt).
    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        if len as u64 > self.cap - 8 {
            return Err(Errno(libc::EMSGSIZE));
        }
        if self.tx.is_none() {
            self.tx = Some(self.claim_tx()?);
        }
        if self.hdr().receiver.load(SeqCst) == peer::CLOSED {
            return Err(Errno(libc::EPIPE));
        }
        let rec = record(len as u64);
        let mut wait = Wait::new(timeout);
        let tx = self.tx.as_mut().expect("claimed above");
        tx.reserved = None;
        if tx.pos + rec > self.cap {
            // No wrapping record: pad out the end and start again at 0.
            let pad = self.cap - tx.pos;
            self.tx_room(pad, &mut wait)?;
            let tx = self.tx.as_mut().expect("claimed above");
            // SAFETY: pos is a multiple of 8 below cap, so 8 bytes fit.
            unsafe { self.data.add(tx.pos as usize).cast::<u64>().write(PAD) };
            self.publish_head(pad);
        }
        self.tx_room(rec, &mut wait)?;
        let tx = self.tx.as_mut().expect("claimed above");
        tx.reserved = Some(len as u64);
        // SAFETY: pos + rec <= cap, so the payload lies in the area.
        Ok(unsafe { self.data.add(tx.pos as usize + 8) })
    }

    /// Publishes the first `len` bytes of the open reservation as one
    /// message. EINVAL without a reservation or for `len` beyond it.
    pub fn commit(&mut self, len: usize) -> Result<()> {
        let tx = self.tx.as_mut().ok_or(Errno(libc::EINVAL))?;
        match tx.reserved {
            Some(r) if len as u64 <= r => {}
            _ => return Err(Errno(libc::EINVAL)),
        }
        tx.reserved = None;
        // SAFETY: the reservation checked that the record fits at pos.
        unsafe { self.data.add(tx.pos as usize).cast::<u64>().write(len as u64) };
        self.publish_head(record(len as u64));
        Ok(())
    }

    /// Copies `msg` into the ring as one message: `reserve`, copy, `commit`.
    pub fn send(&mut self, msg: &[u8], timeout: Timeout) -> Result<()> {
        let p = self.reserve(msg.len(), timeout)?;
        // SAFETY: reserve returned msg.len() writable bytes in the region.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), p, msg.len()) };
        self.commit(msg.len())
    }

    fn claim_tx(&self) -> Result<Tx> {
        let h = self.hdr();
        peer::claim(&h.sender.0, self.me)?;
        // A previous sender's published head is where this one goes on.
        let head = h.head.0.load(SeqCst);
        let tail = h.tail.0.load(SeqCst);
        if head % 8 != 0 || tail % 8 != 0 || head.wrapping_sub(tail) > self.cap {
            peer::give_up(&h.sender.0, self.me);
            return Err(Errno(libc::EPROTO));
        }
        Ok(Tx { head, pos: head % self.cap, tail_seen: tail, reserved: None, watch: Watch::default() })
    }

    /// Waits until `need` bytes past head are free.
    fn tx_room(&mut self, need: u64, wait: &mut Wait) -> Result<()> {
        let tx = self.tx.as_ref().expect("sender");
        if self.cap - tx.head.wrapping_sub(tx.tail_seen) >= need {
            return Ok(());
        }
        self.block(Side::Tx, wait, |r| Ok(r.tx_free()? >= need))
    }

    /// Free bytes, from a fresh and checked read of tail.
    fn tx_free(&mut self) -> Result<u64> {
        let tail = self.hdr().tail.0.load(SeqCst);
        let tx = self.tx.as_mut().expect("sender");
        let used = tx.head.wrapping_sub(tail);
        if used > self.cap || tail % 8 != 0 {
            return Err(Errno(libc::EPROTO));
        }
        tx.tail_seen = tail;
        Ok(self.cap - used)
    }

    /// Publishes the `n` bytes at pos, `n <= capacity - pos`.
    fn publish_head(&mut self, n: u64) {
        let h = self.hdr();
        let tx = self.tx.as_mut().expect("sender");
        tx.head = tx.head.wrapping_add(n);
        tx.pos += n;
        if tx.pos == self.cap {
            tx.pos = 0;
        }
        h.head.0.store(tx.head, SeqCst);
        wake(&h.rx_wait.0);
    }

    // ---- receiving ----

    /// The next message, left in the ring: its address (8-byte aligned) and
    /// length, valid until `release`. Calling it again before `release`
    /// returns the same message. Waits for one as `timeout` allows.
    ///
    /// Errors: EAGAIN (`Try` and empty), ETIMEDOUT, EPIPE (empty and the
    /// sender closed or died), EBUSY (another handle is the receiver),
    /// EPROTO (the sender's counter is corrupt), EBADMSG (a corrupt record).
    pub fn peek(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        if self.rx.is_none() {
            self.rx = Some(self.claim_rx()?);
        }
        let mut wait = Wait::new(timeout);
        loop {
            let rx = self.rx.as_ref().expect("claimed above");
            // SAFETY: pos is a multiple of 8 below cap.
            let at = unsafe { self.data.add(rx.pos as usize) };
            if let Some(len) = rx.peeked {
                // SAFETY: checked when it was peeked: the payload is in the area.
                return Ok((unsafe { at.add(8) }, len as usize));
            }
            if rx.head_seen == rx.tail {
                self.block(Side::Rx, &mut wait, |r| Ok(r.rx_avail()? > 0))?;
                continue;
            }
            let avail = rx.head_seen.wrapping_sub(rx.tail);
            // Read once: the sender may rewrite it, the checks hold for this copy.
            // SAFETY: at has 8 readable, aligned bytes in the area.
            let len = unsafe { at.cast::<u64>().read_volatile() };
            let left = self.cap - rx.pos;
            if len == PAD {
                if left > avail {
                    return Err(Errno(libc::EBADMSG));
                }
                self.publish_tail(left);
                continue;
            }
            if len > self.cap - 8 || record(len) > avail.min(left) {
                return Err(Errno(libc::EBADMSG));
            }
            self.rx.as_mut().expect("claimed above").peeked = Some(len);
            // SAFETY: 8 + len <= record(len) <= left: the payload is in the area.
            return Ok((unsafe { at.add(8) }, len as usize));
        }
    }

    /// Consumes the message `peek` returned, making its space free.
    /// EINVAL when no message is peeked.
    pub fn release(&mut self) -> Result<()> {
        let rx = self.rx.as_mut().ok_or(Errno(libc::EINVAL))?;
        let len = rx.peeked.take().ok_or(Errno(libc::EINVAL))?;
        self.publish_tail(record(len));
        Ok(())
    }

    /// Copies the next message into `buf` and consumes it; returns its
    /// length. EMSGSIZE when `buf` is too small: the message stays for a
    /// retry. Other errors as `peek`.
    pub fn recv(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        let (p, len) = self.peek(timeout)?;
        if len > buf.len() {
            return Err(Errno(libc::EMSGSIZE));
        }
        // SAFETY: peek checked p..p + len lies in the region; buf is ours.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len) };
        self.release()?;
        Ok(len)
    }

    fn claim_rx(&self) -> Result<Rx> {
        let h = self.hdr();
        peer::claim(&h.receiver, self.me)?;
        // A previous receiver's published tail is where this one goes on.
        let tail = h.tail.0.load(SeqCst);
        let head = h.head.0.load(SeqCst);
        if head % 8 != 0 || tail % 8 != 0 || head.wrapping_sub(tail) > self.cap {
            peer::give_up(&h.receiver, self.me);
            return Err(Errno(libc::EPROTO));
        }
        Ok(Rx { tail, pos: tail % self.cap, head_seen: tail, peeked: None, watch: Watch::default() })
    }

    /// Published bytes not yet consumed, from a fresh and checked read of head.
    fn rx_avail(&mut self) -> Result<u64> {
        let head = self.hdr().head.0.load(SeqCst);
        let rx = self.rx.as_mut().expect("receiver");
        let avail = head.wrapping_sub(rx.tail);
        if avail > self.cap || head % 8 != 0 {
            return Err(Errno(libc::EPROTO));
        }
        rx.head_seen = head;
        Ok(avail)
    }

    /// Frees the `n` bytes at pos, `n <= capacity - pos`.
    fn publish_tail(&mut self, n: u64) {
        let h = self.hdr();
        let rx = self.rx.as_mut().expect("receiver");
        rx.tail = rx.tail.wrapping_add(n);
        rx.pos += n;
        if rx.pos == self.cap {
            rx.pos = 0;
        }
        h.tail.0.store(rx.tail, SeqCst);
        wake(&h.tx_wait.0);
    }

    // ---- waiting ----

    /// Waits until `ready` holds: spins for SPIN, then sleeps on the side's
    /// wait word in slices, checking between them that the peer lives.
    /// EPIPE when the peer is gone and `ready` still fails; EAGAIN /
    /// ETIMEDOUT as `wait` runs out.
    fn block(&mut self, side: Side, wait: &mut Wait, mut ready: impl FnMut(&mut Ring) -> Result<bool>) -> Result<()> {
        if ready(self)? {
            return Ok(());
        }
        if wait.timeout != Timeout::Try {
            let start = Instant::now();
            let mut i = 0u32;
            loop {
                std::hint::spin_loop();
                if ready(self)? {
                    return Ok(());
                }
                i += 1;
                if i % 64 == 0 && start.elapsed() >= SPIN {
                    break;
                }
            }
        }
        let h = self.hdr();
        let (word, role) = match side {
            Side::Tx => (&h.tx_wait.0, &h.receiver),
            Side::Rx => (&h.rx_wait.0, &h.sender.0),
        };
        loop {
            let watch = match side {
                Side::Tx => &mut self.tx.as_mut().expect("sender").watch,
                Side::Rx => &mut self.rx.as_mut().expect("receiver").watch,
            };
            if watch.peer(role) == Peer::Gone {
                // What the peer published before it went still counts.
                return if ready(self)? { Ok(()) } else { Err(Errno(libc::EPIPE)) };
            }
            let left = wait.left()?;
            word.store(1, SeqCst);
            if ready(self)? {
                word.store(0, SeqCst);
                return Ok(());
            }
            let slice = left.map_or(SLICE, |l| l.min(SLICE));
            // Timeouts, signals and spurious wake-ups all come back here.
            let _ = futex::wait(word, 1, Timeout::After(slice));
            word.store(0, SeqCst);
            if ready(self)? {
                return Ok(());
            }
        }
    }

    // ---- closing ----

    /// Gives up the roles this handle holds and wakes the peer, which then
    /// sees EPIPE once it has taken what is left. Messages already
    /// committed stay in the ring. The handle can take roles again.
    pub fn close(&mut self) {
        let h = self.hdr();
        if self.tx.take().is_some() {
            peer::give_up(&h.sender.0, self.me);
            wake(&h.rx_wait.0);
        }
        if self.rx.take().is_some() {
            peer::give_up(&h.receiver, self.me);
            wake(&h.tx_wait.0);
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.close();
    }
}

/// Wakes the other side if it announced that it sleeps on `word`.
fn wake(word: &AtomicU32) {
    if word.load(SeqCst) != 0 {
        word.store(0, SeqCst);
        // Nothing to do on failure: the sleeper's slice ends anyway.
        let _ = futex::wake(word, i32::MAX);
    }
}
