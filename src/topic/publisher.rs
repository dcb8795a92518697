//! The publisher's end of the broadcast ring (the protocol is ring.rs's).

use super::header::JOINING;
use super::ring::{committed, empty, record, Area, HDR, PAD};
use crate::errno::{Errno, Result};
use crate::object::handshake::Handshake;
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
    /// `head % capacity`.
    pos: u64,
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
            pos: 0,
            low: 0,
            seq: 0,
            reserved: None,
            free_to: 0,
            watches: (0..n).map(|_| Watch::default()).collect(),
            spin: Spin::default(),
        }
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
        (self.head, self.pos, self.low, self.seq, self.free_to) = (head, pos, low, w / 2, low);
        Ok(())
    }

    pub fn reserve(&mut self, len: usize, timeout: Timeout) -> Result<*mut u8> {
        self.reserved = None;
        let cap = self.area.cap();
        let len = len as u64;
        if len > self.area.max_message() {
            return Err(Errno(libc::EMSGSIZE));
        }
        let rec = record(len);
        if self.pos + rec > cap {
            // No wrapping record: pad out the end and start again at 0.
            let pad = cap - self.pos;
            self.room(pad + HDR, timeout)?;
            self.put(pad, PAD);
        }
        self.room(rec + HDR, timeout)?;
        self.reserved = Some(len);
        Ok(self.area.payload(self.pos))
    }

    pub fn commit(&mut self, len: usize) -> Result<()> {
        match self.reserved {
            Some(r) if len as u64 <= r => {}
            _ => return Err(Errno(libc::EINVAL)),
        }
        self.reserved = None;
        self.put(record(len as u64), len as u64);
        self.wake_subscribers();
        Ok(())
    }

    pub fn publish_with(&mut self, len: usize, timeout: Timeout, fill: impl FnOnce(*mut u8)) -> Result<()> {
        fill(self.reserve(len, timeout)?);
        self.commit(len)
    }

    /// Commits the `rec` bytes at pos (free, with the next header's 16) as
    /// a record whose length word is `len`: a message, or PAD.
    fn put(&mut self, rec: u64, len: u64) {
        let cap = self.area.cap();
        let at = self.pos;
        let next = if at + rec == cap { 0 } else { at + rec };
        let seq = if len == PAD { self.seq } else { self.seq + 1 };
        self.area.len_word(at).store(len, Relaxed);
        self.area.commit_word(next).store(empty(seq), Relaxed);
        self.area.commit_word(at).store(committed(self.seq), Release);
        self.seq = seq;
        self.head += rec;
        self.pos = next;
        self.area.hdr().head.0.store(self.head, Release);
    }

    /// Makes the `need` bytes past head free: waits for blocking
    /// subscribers (RSHM_TOPIC_BLOCK), then moves low past what they hold.
    fn room(&mut self, need: u64, timeout: Timeout) -> Result<()> {
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
        // Freeing an eighth of the ring at a time, not a record, changes
        // low once per many messages: every subscriber reads it after
        // each record, and a line that stays unchanged stays in their caches.
        let mut goal = (target + self.area.cap() / 8).min(self.head);
        if self.area.block() {
            goal = goal.min(self.free_to);
        }
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
        while low < target {
            let off = low % cap;
            let w = self.area.commit_word(off).load(Relaxed);
            let rec = match self.area.len_word(off).load(Relaxed) {
                PAD => cap - off,
                l if l <= self.area.max_message() => record(l),
                _ => 0,
            };
            if w & 1 == 0 || rec == 0 || off + rec > cap || low + rec > self.head {
                // Not what this side wrote: someone scribbled. Give up every
                // old record; the place at head announces the next number.
                self.area.commit_word(self.pos).store(empty(self.seq), Relaxed);
                low = self.head;
                break;
            }
            low += rec;
        }
        self.low = low;
        self.area.hdr().low.0.store(low, Release);
        // No byte below low is written before the store above is visible
        // (ring.rs, Overwrite detection).
        fence(Release);
    }

    pub fn close(&mut self) {
        let h = self.area.hdr();
        peer::give_up(&h.publisher.0, self.me);
        self.wake_subscribers();
    }

    /// Wakes sleeping subscribers and rings polling ones (ring.rs, Doorbells).
    #[inline]
    fn wake_subscribers(&self) {
        let area = &self.area;
        self.hs.wake_ringing_with(&area.hdr().sub_wait.0, || area.ring_armed());
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
