//! The publisher's end of the broadcast ring (the protocol is ring.rs's).

use super::header::JOINING;
use super::ring::{committed, empty, record, Area, HDR, PAD};
use crate::errno::{Errno, Result};
use crate::object::copy;
use crate::object::handshake::{self, Handshake};
use crate::object::leaf::Sent;
use crate::object::peer::{self, Peer, Watch, CLOSED, NOBODY};
use crate::object::wait::{self, Pace, Spin};
use crate::sync::Timeout;
use std::sync::atomic::{fence, Ordering::Acquire, Ordering::Relaxed, Ordering::Release, Ordering::SeqCst};
use std::time::Duration;

/// A blocked publisher looks again at least this often: a subscriber that
/// dies cannot wake it.
const SLICE: Duration = Duration::from_millis(10);

pub(super) struct Publisher {
    area: Area,
    me: u32,
    hs: Handshake,
    head: u64,
    /// The head at which the publisher last started at offset 0: its
    /// position is `head - lap`, which reaches `capacity` (not 0) when a
    /// record ends the area, until `wrap` starts the next lap.
    lap: u64,
    /// Bytes free at the position, for a record and the next empty
    /// header, without moving `low`: up to the area's end and up to what
    /// `low` frees. The short path's one check (`publish_now`).
    room: u64,
    low: u64,
    /// The number of the next message.
    seq: u64,
    /// Payload length of the open reservation.
    reserved: Option<u64>,
    /// RSHM_TOPIC_BLOCK: how far `low` may move without looking at the
    /// cursors again (the least cursor of the last look).
    free_to: u64,
    /// One per slot: whether its holder lives.
    watches: Vec<Watch>,
    spin: Spin,
}

/// Publishes the record of `rec` bytes at `at` (its payload written) whose
/// length word is `len` (a message's, or PAD), numbered `seq`, and `head`
/// past it: the length word, the next place's empty header announcing the
/// next number, the commit word, then `head` (Release: subscribers read
/// only under it). No call and no panic, as for `advance`.
///
/// # Safety
/// `at` is a multiple of 16 and `rec` a multiple of 16 with
/// `at + rec <= capacity`.
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
unsafe fn announce(area: &Area, at: u64, rec: u64, len: u64, seq: u64, head: u64) {
    let next = at.wrapping_add(rec);
    let next = if next == area.cap() { 0 } else { next };
    let after = if len == PAD { seq } else { seq.wrapping_add(1) };
    // SAFETY: at + 8 and next are multiples of 8 below the capacity (the
    // caller's contract; next < capacity as at + rec <= capacity).
    unsafe {
        area.word_at(at.wrapping_add(8)).store(len, Relaxed);
        area.word_at(next).store(empty(after), Relaxed);
        // Release: a publisher that takes over after this one died reads
        // it, and then the record, without head's Release.
        area.word_at(at).store(committed(seq), Release);
    }
    area.hdr().head.0.store(head, Release);
}

impl Publisher {
    /// The publisher of a topic `init` just made with the role held by
    /// this process.
    pub fn fresh(area: Area, hs: Handshake) -> Publisher {
        let n = area.shape.max_subscribers as usize;
        Publisher {
            area,
            me: peer::me(),
            hs,
            head: 0,
            lap: 0,
            room: 0,
            low: 0,
            seq: 0,
            reserved: None,
            free_to: 0,
            watches: (0..n).map(|_| Watch::default()).collect(),
            spin: Spin::default(),
        }
        .with_room()
    }

    fn with_room(mut self) -> Publisher {
        self.set_room();
        self
    }

    /// Takes the publisher's role of an existing topic and goes on where
    /// the last publisher stopped. EBUSY while a live one holds it; EPROTO
    /// when the shared counters are corrupt.
    pub fn claim(area: Area, hs: Handshake) -> Result<Publisher> {
        let h = area.hdr();
        let me = peer::me();
        peer::claim(&h.publisher.0, me)?;
        let mut p = Publisher::fresh(area, hs);
        match p.resume() {
            Ok(()) => Ok(p),
            Err(e) => {
                peer::give_up(&h.publisher.0, me);
                Err(e)
            }
        }
    }

    fn resume(&mut self) -> Result<()> {
        let (h, cap) = (self.area.hdr(), self.area.cap());
        let mut head = h.head.0.load(Acquire);
        let low = h.low.0.load(Acquire);
        if head % HDR != 0 || low % HDR != 0 || low > head || head - low > cap {
            return Err(Errno(libc::EPROTO));
        }
        let mut pos = head % cap;
        let mut w = self.area.commit_word(pos).load(Acquire);
        if w & 1 == 1 {
            // Committed, but its publisher died before publishing head: it
            // counts as published (subscribers may have taken it).
            let len = self.area.len_word(pos).load(Relaxed);
            let rec = match len {
                PAD => cap - pos,
                l if l <= self.area.max_message() && pos + record(l) <= cap => record(l),
                _ => return Err(Errno(libc::EPROTO)),
            };
            if head - low + rec > cap {
                return Err(Errno(libc::EPROTO));
            }
            head += rec;
            pos = head % cap;
            w = self.area.commit_word(pos).load(Acquire);
            if w & 1 == 1 {
                return Err(Errno(libc::EPROTO));
            }
            h.head.0.store(head, Release);
        }
        (self.head, self.lap, self.low, self.seq, self.free_to) = (head, head - pos, low, w / 2, low);
        self.set_room();
        Ok(())
    }

    /// Where head points in the area, once `wrap` ran: `head % capacity`.
    fn pos(&self) -> u64 {
        self.head - self.lap
    }

    /// Starts the next lap when the last record ended the area (the
    /// short path leaves the position at `capacity` then).
    fn wrap(&mut self) {
        if self.pos() == self.area.cap() {
            self.lap = self.head;
            self.set_room();
        }
    }

    fn set_room(&mut self) {
        let cap = self.area.cap();
        self.room = (cap - self.pos()).min((self.low + cap).saturating_sub(self.head + HDR));
    }

    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        self.reserved = None;
        self.wrap();
        let cap = self.area.cap();
        let len = len as u64;
        if len > self.area.max_message() {
            return Err(Errno(libc::EMSGSIZE));
        }
        let rec = record(len);
        if self.pos() + rec > cap {
            // No wrapping record: pad out the end and start again at 0.
            let pad = cap - self.pos();
            self.make_room(pad + HDR, timeout)?;
            self.put(pad, PAD);
        }
        self.make_room(rec + HDR, timeout)?;
        self.reserved = Some(len);
        Ok(self.area.payload(self.pos()))
    }

    pub fn commit(&mut self, len: usize) -> Result<()> {
        match self.reserved {
            Some(r) if len as u64 <= r => {}
            _ => return Err(Errno(libc::EINVAL)),
        }
        self.reserved = None;
        self.put(record(len as u64), len as u64);
        self.wake_subscribers_if();
        Ok(())
    }

    pub fn publish_with(&mut self, len: usize, timeout: Timeout, fill: impl FnOnce(*mut u8)) -> Result<()> {
        fill(self.reserve(len, timeout)?);
        self.commit(len)
    }

    /// Commits the `rec` bytes at pos (free, with the next header's 16) as
    /// a record whose length word is `len`: a message, or PAD.
    fn put(&mut self, rec: u64, len: u64) {
        let (at, seq, head) = self.advance(rec, len != PAD);
        // SAFETY: at is the publisher's position, a multiple of 16 below
        // the capacity, and rec <= capacity - at (the callers' room).
        unsafe { announce(&self.area, at, rec, len, seq, head) };
        self.wrap();
    }

    /// `publish` of a message of up to `copy::SHORT` bytes at `msg` when
    /// `room` holds it (no wait, no padding, `low` stays): copies it
    /// without a call and publishes it. The streaming publisher's path,
    /// written for few stores (`object::copy` says why) and no call: the
    /// caller makes the rare one it asks for. Both policies: `low` moves
    /// only on the long way, so `room` is free whatever the subscribers do.
    ///
    /// # Safety
    /// `msg` is readable for `len` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn publish_now(&mut self, msg: *const u8, len: usize) -> Sent {
        // No overflow: len <= SHORT.
        let rec = ((len as u64).wrapping_add(15) & !15).wrapping_add(HDR);
        if len > copy::SHORT || rec > self.room {
            return Sent::No;
        }
        // A publish abandons an open reservation.
        if self.reserved.is_some() {
            self.reserved = None;
        }
        let (at, seq, head) = self.advance(rec, true);
        // SAFETY: rec <= room <= capacity - at, so the payload's len bytes,
        // after the record's header, lie in the area; msg is the caller's
        // len bytes.
        unsafe { copy::short(self.area.payload(at), msg, len) };
        // SAFETY: as above, and at is a multiple of 16.
        unsafe { announce(&self.area, at, rec, len as u64, seq, head) };
        match self.hs.waiting(&self.area.hdr().sub_wait.0) {
            true => Sent::Wake,
            false => Sent::Done,
        }
    }

    /// The publisher's bookkeeping for a record of `rec <= room` bytes at
    /// its position: moves its private counters past it and returns where
    /// the record starts, its number and the new head. Done before the
    /// record's bytes are written, so that these stores to private memory
    /// are not queued behind the ring's (`object::copy`). No panic: it
    /// runs before the C boundary's, in `publish_now`.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    fn advance(&mut self, rec: u64, message: bool) -> (u64, u64, u64) {
        let (at, seq) = (self.head.wrapping_sub(self.lap), self.seq);
        self.head = self.head.wrapping_add(rec);
        self.room = self.room.saturating_sub(rec);
        if message {
            self.seq = seq.wrapping_add(1);
        }
        (at, seq, self.head)
    }

    /// Makes the `need` bytes past head free: waits for blocking
    /// subscribers (RSHM_TOPIC_BLOCK), then moves low past what they hold.
    fn make_room(&mut self, need: u64, timeout: Timeout) -> Result<()> {
        let target = (self.head + need).saturating_sub(self.area.cap());
        if self.low >= target {
            return Ok(());
        }
        if self.area.block() && target > self.free_to {
            let word = &self.area.hdr().pub_wait.0;
            let hs = self.hs;
            let pace = Pace { spin: self.spin.limit(), slice: SLICE };
            let learn = |p: &mut Publisher, waited| p.spin.learn(waited);
            wait::until(self, hs, word, pace, timeout, |p| Ok(p.scan(target)), |_| false, learn)?;
        }
        // Freeing many records at a time, not one, changes low once per
        // many messages: every subscriber reads it after each record, and a
        // line that stays unchanged stays in their caches (each change
        // costs every subscriber a miss on its path). An eighth of the
        // ring in the default policy, where low also decides what a
        // lapped subscriber loses; with RSHM_TOPIC_BLOCK, whatever the
        // last scan found every live subscriber past, which loses nothing.
        let goal = if self.area.block() { self.free_to } else { (target + self.area.cap() / 8).min(self.head) };
        self.drop_until(goal.max(target));
        Ok(())
    }

    /// RSHM_TOPIC_BLOCK: Some when no live subscriber holds bytes below
    /// `target`, and then free_to is the least cursor seen.
    fn scan(&mut self, target: u64) -> Option<()> {
        // Pairs with the joiner's fence (ring.rs, Joining): the head stored
        // by the last commit comes before the loads below.
        fence(SeqCst);
        let mut least = self.head;
        for i in 0..self.area.shape.max_subscribers {
            let slot = self.area.slot(i);
            let pid = slot.pid.load(SeqCst);
            if pid == NOBODY || pid == CLOSED {
                continue;
            }
            let cursor = slot.cursor.load(SeqCst);
            let holds = cursor == JOINING || (cursor >= self.low && cursor <= self.head);
            if !holds {
                continue; // outside what the publisher wrote: scribbled, ignored
            }
            if cursor == JOINING || cursor < target {
                if self.watches[i as usize].peer(&slot.pid) == Peer::Gone {
                    continue;
                }
                return None;
            }
            least = least.min(cursor);
        }
        self.free_to = least;
        Some(())
    }

    /// Moves low past every record that starts below `target <= head`.
    fn drop_until(&mut self, target: u64) {
        let cap = self.area.cap();
        let mut low = self.low;
        // Kept by adding, not by a division a record.
        let mut off = low % cap;
        while low < target {
            let w = self.area.commit_word(off).load(Relaxed);
            let rec = match self.area.len_word(off).load(Relaxed) {
                PAD => cap - off,
                l if l <= self.area.max_message() => record(l),
                _ => 0,
            };
            if w & 1 == 0 || rec == 0 || off + rec > cap || low + rec > self.head {
                // Not what this side wrote: someone scribbled. Give up every
                // old record; the place at head announces the next number.
                self.area.commit_word(self.pos()).store(empty(self.seq), Relaxed);
                low = self.head;
                break;
            }
            low += rec;
            off = if off + rec == cap { 0 } else { off + rec };
        }
        self.low = low;
        self.set_room();
        self.area.hdr().low.0.store(low, Release);
        // No byte below low is written before the store above is visible
        // (ring.rs, Overwrite detection).
        fence(Release);
    }

    pub fn close(&mut self) {
        let h = self.area.hdr();
        peer::give_up(&h.publisher.0, self.me);
        self.wake_subscribers_if();
    }

    /// Wakes sleeping subscribers and rings polling ones (ring.rs, Doorbells).
    #[inline]
    fn wake_subscribers_if(&self) {
        if self.hs.waiting(&self.area.hdr().sub_wait.0) {
            self.wake_subscribers();
        }
    }

    /// The wake-up after `publish_now` said so, or after the handshake's
    /// look at `sub_wait` (`wake_subscribers_if`) did.
    #[cold]
    pub fn wake_subscribers(&self) {
        let area = &self.area;
        handshake::wake_and_ring(&area.hdr().sub_wait.0, || area.ring_armed());
    }

    pub fn area(&self) -> &Area {
        &self.area
    }

    /// The number of the next message.
    #[cfg(test)]
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// A publisher that dies between a commit and head: commits `msg`
    /// and leaves head behind.
    #[cfg(test)]
    pub fn commit_without_head(&mut self, msg: &[u8]) {
        let head = self.head;
        let p = self.reserve(msg.len(), Timeout::Try).unwrap();
        // SAFETY: reserve handed out msg.len() writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), p, msg.len()) };
        self.commit(msg.len()).unwrap();
        self.area.hdr().head.0.store(head, Release);
    }
}
