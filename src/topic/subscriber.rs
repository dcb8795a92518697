//! A subscriber's end of the broadcast ring (the protocol is ring.rs's).

use super::header::JOINING;
use super::ring::{committed, published, record, Area, HDR, PAD};
use crate::errno::{Errno, Result};
use crate::object::copy;
use crate::object::doorbell::Bell;
use crate::object::handshake::{self, Handshake, Round};
use crate::object::leaf::{self, Got};
use crate::object::peer::{self, Peer, Watch};
use crate::object::wait::{self, Pace, Spin};
use crate::sync::Timeout;
use std::sync::atomic::{
    fence, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed, Ordering::Release, Ordering::SeqCst,
};
use std::time::Duration;

/// The longest sleep before this side looks whether the publisher lives.
const SLICE: Duration = Duration::from_millis(50);
/// Tries at a consistent look at `low` before a call gives up for now (a
/// publisher that laps this side again while it looks).
const TRIES: u32 = 64;

pub(super) struct Subscriber {
    area: Area,
    me: u32,
    hs: Handshake,
    slot: u32,
    /// Byte counter of the next record, and its place `cursor % capacity`.
    cursor: u64,
    pos: u64,
    /// Number of the next message.
    seq: u64,
    /// The last head read: records below it are published, known without
    /// reading `head` again (ring.rs, Reading under head).
    seen: u64,
    lost: u64,
    /// Payload length of the message handed out by `peek`.
    peeked: Option<u64>,
    watch: Watch,
    spin: Spin,
    /// Whether this side's last wait was short (within the wait's first
    /// spins, which read no clock): then `polls` lets the short path
    /// poll a little before the long way.
    quick: bool,
    /// The descriptor's doorbell, once `fd` asked for it.
    bell: Option<Bell>,
}

impl Subscriber {
    /// Takes a free slot and joins at the next message. EUSERS when every
    /// slot is held by a live process (or by another handle of this one);
    /// EPROTO when the shared counters are corrupt.
    pub fn join(area: Area, hs: Handshake) -> Result<Subscriber> {
        let me = peer::me();
        let slot = (0..area.shape.max_subscribers)
            .find(|&i| peer::claim(&area.slot(i).pid, me).is_ok())
            .ok_or(Errno(libc::EUSERS))?;
        let s = area.slot(slot);
        s.cursor.store(JOINING, SeqCst);
        // Pairs with the publisher's fence before it scans (ring.rs, Joining).
        fence(SeqCst);
        let mut sub = Subscriber {
            area,
            me,
            hs,
            slot,
            cursor: 0,
            pos: 0,
            seq: 0,
            seen: 0,
            lost: 0,
            peeked: None,
            watch: Watch::default(),
            spin: Spin::default(),
            quick: true,
            bell: None,
        };
        let start = (0..TRIES).find_map(|_| sub.start_at_head().transpose());
        match start {
            Some(Ok(())) => {
                s.lost.store(0, Relaxed);
                sub.publish();
                Ok(sub)
            }
            e => {
                peer::give_up(&s.pid, me);
                Err(e.map_or(Errno(libc::EAGAIN), |r| r.unwrap_err()))
            }
        }
    }

    /// Places this side at head, numbered as the header there says: None
    /// when the publisher lapped it meanwhile.
    fn start_at_head(&mut self) -> Result<Option<()>> {
        let (h, cap) = (self.area.hdr(), self.area.cap());
        let head = h.head.0.load(Acquire);
        if head % HDR != 0 {
            return Err(Errno(libc::EPROTO));
        }
        let w = self.area.commit_word(head % cap).load(Acquire);
        if !self.intact(head) {
            return Ok(None);
        }
        (self.cursor, self.pos, self.seq, self.seen) = (head, head % cap, w / 2, head);
        Ok(Some(()))
    }

    /// Whether the record at counter `c`, read before this call, was whole
    /// while it was read (ring.rs, Overwrite detection).
    fn intact(&self, c: u64) -> bool {
        fence(Acquire);
        self.area.hdr().low.0.load(Relaxed) <= c
    }

    /// Lapped: goes on at the oldest whole record, counting what was
    /// overwritten as lost. Ok(false) when the publisher moved again while
    /// this side looked; EPROTO for a number behind this side's.
    fn resync(&mut self) -> Result<bool> {
        let (h, cap) = (self.area.hdr(), self.area.cap());
        let low = h.low.0.load(Acquire);
        if low <= self.cursor {
            return Ok(true);
        }
        if low % HDR != 0 {
            return Err(Errno(libc::EPROTO));
        }
        let w = self.area.commit_word(low % cap).load(Acquire);
        fence(Acquire);
        if h.low.0.load(Relaxed) != low {
            return Ok(false);
        }
        let seq = w / 2;
        if seq < self.seq {
            return Err(Errno(libc::EPROTO));
        }
        self.lost += seq - self.seq;
        (self.cursor, self.pos, self.seq) = (low, low % cap, seq);
        self.area.slot(self.slot).lost.store(self.lost, Relaxed);
        self.publish();
        Ok(true)
    }

    /// The next message's length, this side at its record, or None when
    /// there is none yet. Steps over padding and resynchronises when lapped.
    fn poll(&mut self) -> Result<Option<u64>> {
        let (h, cap) = (self.area.hdr(), self.area.cap());
        for _ in 0..TRIES {
            let (pos, cursor) = (self.pos, self.cursor);
            let head = if published(cursor, self.seen, cap) { self.seen } else { h.head.0.load(Acquire) };
            if !published(cursor, head, cap) {
                if !self.intact(cursor) {
                    if !self.resync()? {
                        return Ok(None);
                    }
                    continue;
                }
                // Not lapped, so head is at most the ring ahead: one
                // behind this side, or further ahead, is corrupt.
                if head != cursor {
                    return Err(Errno(libc::EPROTO));
                }
                return Ok(None);
            }
            self.seen = head;
            // Under head: written before it (Acquire above).
            let w = self.area.commit_word(pos).load(Relaxed);
            let len = self.area.len_word(pos).load(Relaxed);
            if !self.intact(cursor) {
                if !self.resync()? {
                    return Ok(None);
                }
                continue;
            }
            if w != committed(self.seq) {
                return Err(Errno(libc::EBADMSG));
            }
            if len == PAD {
                // The publisher never pads at 0, which also bounds this
                // loop to one padding a lap.
                if pos == 0 {
                    return Err(Errno(libc::EBADMSG));
                }
                self.advance(cap - pos, false);
                continue;
            }
            if len > self.area.max_message() || pos + record(len) > cap {
                return Err(Errno(libc::EBADMSG));
            }
            return Ok(Some(len));
        }
        Ok(None)
    }

    /// Whether something changed at this side's place: the sleep's check.
    /// It loads `head`, the publisher's store that its wake follows.
    fn changed(&self) -> bool {
        self.area.hdr().head.0.load(Acquire) != self.cursor || !self.intact(self.cursor)
    }

    /// Moves past the record at the cursor and says so in the slot.
    fn advance(&mut self, rec: u64, message: bool) {
        let cap = self.area.cap();
        self.cursor += rec;
        self.pos = if self.pos + rec == cap { 0 } else { self.pos + rec };
        if message {
            self.seq += 1;
        }
        self.publish();
    }

    /// Stores cursor and number in the slot; RSHM_TOPIC_BLOCK wakes a
    /// publisher waiting for room.
    fn publish(&self) {
        let s = self.area.slot(self.slot);
        s.seq.store(self.seq, Relaxed);
        s.cursor.store(self.cursor, Release);
        if self.area.block() {
            self.hs.wake(&self.area.hdr().pub_wait.0);
        }
    }

    pub fn peek(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        let r = self.peek_msg(timeout);
        self.after(r)
    }

    fn peek_msg(&mut self, timeout: Timeout) -> Result<(*const u8, usize)> {
        if let Some(len) = self.peeked {
            return Ok((self.area.payload(self.pos), len as usize));
        }
        let hs = self.hs;
        let word = &self.area.hdr().sub_wait.0;
        let poll = |s: &mut Subscriber| {
            if !s.changed() {
                return Ok(None);
            }
            s.poll()
        };
        let gone = |s: &mut Subscriber| s.watch.peer(&s.area.hdr().publisher.0) == Peer::Gone;
        let len = match self.poll()? {
            Some(len) => len,
            None => {
                let pace = Pace { spin: self.spin.limit(), slice: SLICE };
                let learn = |s: &mut Subscriber, waited: Duration| {
                    s.spin.learn(waited);
                    s.quick = waited.is_zero();
                };
                wait::until(self, hs, word, pace, timeout, poll, gone, learn)?
            }
        };
        self.peeked = Some(len);
        Ok((self.area.payload(self.pos), len as usize))
    }

    /// Consumes the peeked message. ESTALE when the publisher overwrote it
    /// meanwhile: it counts as lost, and this side goes on at the oldest
    /// message still there.
    pub fn release(&mut self) -> Result<()> {
        let r = self.release_msg();
        self.after(r)
    }

    fn release_msg(&mut self) -> Result<()> {
        let len = self.peeked.take().ok_or(Errno(libc::EINVAL))?;
        if self.intact(self.cursor) {
            self.advance(record(len), true);
            return Ok(());
        }
        // Not resynchronised within the tries: the next call does it, and
        // counts this message with the rest.
        for _ in 0..TRIES {
            if self.resync()? {
                break;
            }
        }
        Err(Errno(libc::ESTALE))
    }

    pub fn receive(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        let r = self.receive_msg(buf, timeout);
        self.after(r)
    }

    fn receive_msg(&mut self, buf: &mut [u8], timeout: Timeout) -> Result<usize> {
        // A message overwritten while copied sends this side round again:
        // the rounds share one deadline, so a publisher that laps it each
        // time cannot keep the call past its timeout.
        let end = timeout.deadline();
        let mut left = timeout;
        loop {
            let (p, len) = self.peek_msg(left)?;
            if len > buf.len() {
                return Err(Errno(libc::EMSGSIZE));
            }
            // SAFETY: peek checked p..p + len lies in the area; buf is ours.
            // The bytes may change while copied: release says whether they did.
            unsafe {
                if len <= copy::SHORT {
                    copy::short(buf.as_mut_ptr(), p, len);
                } else {
                    std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), len);
                }
            }
            match self.release_msg() {
                Err(Errno(libc::ESTALE)) => {}
                r => return r.map(|()| len),
            }
            if let (Timeout::After(_), Some(end)) = (timeout, end) {
                let now = std::time::Instant::now();
                left = Timeout::After(
                    end.checked_duration_since(now).filter(|d| !d.is_zero()).ok_or(Errno(libc::ETIMEDOUT))?,
                );
            }
        }
    }

    /// `receive` of a message of up to `copy::SHORT` bytes into the `room`
    /// bytes at `buf` when one waits, whole, at this side's place and
    /// nothing else is to do (no peek open, no descriptor, no padding, not
    /// lapped): copies it without a call and takes it. Anything else is
    /// left to the long way, which looks again from the start. No call and
    /// no panic, as `Publisher::publish_now`; the caller makes the rare
    /// wake it asks for.
    ///
    /// # Safety
    /// `buf` is writable for `room` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn receive_now(&mut self, buf: *mut u8, room: usize) -> Got {
        if self.peeked.is_some() || self.bell.is_some() {
            return Got::No;
        }
        let (h, cap, cursor, pos) = (self.area.hdr(), self.area.cap(), self.cursor, self.pos);
        if !published(cursor, self.seen, cap) {
            let head = h.head.0.load(Acquire);
            if !published(cursor, head, cap) {
                return if head == cursor { Got::Empty } else { Got::No };
            }
            self.seen = head;
        }
        // The end of a short record often lies on the line after its
        // header's (always for 64 bytes); the copy's loads there depend on
        // the length, which arrives with the header's line: fetch that
        // line meanwhile rather than after, one miss instead of two in a
        // row (a prefetch never faults; the address may lie past the area
        // for a record at its end).
        self.area.prefetch(pos.wrapping_add(HDR).wrapping_add(copy::SHORT as u64).wrapping_sub(1));
        // SAFETY: pos is a multiple of 16 below the capacity (this side's
        // own counter, kept so).
        let (w, len) = unsafe { (self.area.word_at(pos).load(Relaxed), self.area.word_at(pos | 8).load(Relaxed)) };
        // No overflow once len <= SHORT; PAD and garbage go the long way.
        let rec = (len.wrapping_add(15) & !15).wrapping_add(HDR);
        if w != committed(self.seq) || len > copy::SHORT as u64 || len > room as u64 || rec > cap.wrapping_sub(pos) {
            return Got::No;
        }
        // SAFETY: the payload's len bytes lie in the area (checked above);
        // buf holds room >= len bytes. The bytes may change while copied:
        // `intact` says whether they did.
        unsafe { copy::short(buf, self.area.payload(pos), len as usize) };
        if !self.intact(cursor) {
            return Got::No;
        }
        let next = pos.wrapping_add(rec);
        (self.cursor, self.pos, self.seq) =
            (cursor.wrapping_add(rec), if next == cap { 0 } else { next }, self.seq.wrapping_add(1));
        // SAFETY: slot is below max_subscribers (join took it so).
        let s = unsafe { self.area.slot_at(self.slot) };
        s.seq.store(self.seq, Relaxed);
        s.cursor.store(self.cursor, Release);
        match self.area.block() && self.hs.waiting(&h.pub_wait.0) {
            true => Got::Wake(len as usize),
            false => Got::Msg(len as usize),
        }
    }

    /// How many times a call that may wait polls `receive_now` before it
    /// goes the long way (`leaf::POLLS`): some after a short wait, none
    /// after a long one.
    #[inline(always)]
    pub fn polls(&self) -> u32 {
        if self.quick {
            leaf::POLLS
        } else {
            0
        }
    }

    /// The wake-up of a `RSHM_TOPIC_BLOCK` publisher waiting for room
    /// after `receive_now` said so.
    #[cold]
    pub fn wake_publisher(&self) {
        handshake::woken(&self.area.hdr().pub_wait.0);
    }

    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// This subscriber's descriptor: readable exactly when the next
    /// receive would not block (a message, an error to report, or the
    /// publisher closed or died). The same descriptor every time; it
    /// closes with the handle. ENOTSUP off Linux; EMFILE/ENFILE.
    pub fn fd(&mut self) -> Result<std::os::fd::RawFd> {
        if self.bell.is_none() {
            self.bell = Some(Bell::new()?);
        }
        self.bell_sync();
        Ok(self.bell.as_ref().expect("made above").door.fd())
    }

    /// After each receiving call: the descriptor follows what the call
    /// left. A handle without a descriptor pays one branch.
    #[inline]
    fn after<T>(&mut self, r: Result<T>) -> Result<T> {
        if self.bell.is_some() {
            self.bell_sync();
        }
        r
    }

    /// Whether the next receive would not block: a message (or a corrupt
    /// record, reported at once) at this side's place, or the publisher
    /// closed. A publisher that died is the pidfd's to tell.
    fn ready(&mut self) -> bool {
        self.peeked.is_some()
            || !matches!(self.poll(), Ok(None))
            || self.area.hdr().publisher.0.load(Acquire) == peer::CLOSED
    }

    /// Makes the descriptor readable when the next receive would not block
    /// and arms the bell otherwise (ring.rs, Doorbells); no system call
    /// while messages stream and the descriptor is readable already.
    #[cold]
    fn bell_sync(&mut self) {
        let Some(mut b) = self.bell.take() else { return };
        let publisher = self.area.hdr().publisher.0.load(Acquire);
        b.watch(if publisher == peer::NOBODY || publisher == peer::CLOSED { 0 } else { publisher });
        // A publisher gone before it could be watched: the receive says EPIPE.
        let ready = self.ready() || b.door.peer_gone();
        let (hs, s, word) = (self.hs, self.area.slot(self.slot), &self.area.hdr().sub_wait.0);
        let publish = |token| {
            s.bell.store(token, Relaxed);
            s.armed.store(1, Release);
        };
        b.sync(
            ready,
            || s.armed.swap(0, AcqRel) != 0,
            || s.armed.load(Acquire) != 0,
            |token| {
                let r = hs.arm_with(word, || publish(token), || Ok(self.ready()));
                // Ready at once: take the flag back (the BELL it left in
                // sub_wait only costs the next wake a pass over the slots).
                if !matches!(r, Ok(Round::Slept)) {
                    s.armed.store(0, Relaxed);
                }
                r
            },
        );
        self.bell = Some(b);
    }

    pub fn close(&mut self) {
        let s = self.area.slot(self.slot);
        // Nobody rings a bell about to close.
        s.armed.store(0, Relaxed);
        peer::give_up(&s.pid, self.me);
        if self.area.block() {
            self.hs.wake(&self.area.hdr().pub_wait.0);
        }
    }

    pub fn area(&self) -> &Area {
        &self.area
    }
}
