//! The value's machinery on a region the caller provides: no name, no
//! roles. [`super::Value`] puts it in a named segment; a fuzzer may put it
//! in a heap buffer and scribble over it.

use super::layout::{self, View};
use super::{seqlock, wait};
use crate::errno::{Errno, Result};
use crate::object::copy;
use crate::object::handshake::Protocol;
use crate::sync::Timeout;
use std::sync::atomic::{AtomicU32, Ordering};

/// What [`Block::write_now`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Published; nobody to wake.
    Done,
    /// Published; the steady slot's copy is due, or a waiter may sleep:
    /// call [`Block::finish_write`] with this (whether the tick's wake is
    /// due).
    More(bool),
    /// Nothing written: the long path decides.
    No,
}

/// A writer's or reader's handle on a value's shared block.
pub struct Block {
    pub(super) view: View<'static>,
    writer: bool,
    /// The writer: the version it published last.
    pub(super) version: u64,
    /// The version `read` returned last (0 at first): a reader's versions
    /// never go back past it.
    pub(super) seen: u64,
    tick_wake: wait::TickWake,
}

// SAFETY: the view points into memory the caller keeps mapped for the
// handle's life, wherever the handle goes; nothing is tied to a thread.
unsafe impl Send for Block {}

impl Block {
    /// Bytes of the region for values of up to `capacity` bytes (nine
    /// copies of it, and a few cache lines).
    pub fn region_len(capacity: usize) -> Option<usize> {
        layout::region_len(capacity as u64).and_then(|l| usize::try_from(l).ok())
    }

    /// Formats the region as an empty value (length 0, version 0), its
    /// waiters sleeping with `Protocol::for_new_object()`, and returns its
    /// writer. EINVAL for a `capacity` of 0 or a region too
    /// small ([`region_len`](Self::region_len)) or not 64-byte aligned.
    ///
    /// # Safety
    /// `base..base + len` is writable, used by nobody else meanwhile, and
    /// stays mapped while the block (or any attached to it) is used.
    pub unsafe fn init(base: *mut u8, len: usize, capacity: usize) -> Result<Block> {
        // SAFETY: forwarded.
        unsafe { Block::init_with(base, len, capacity, Protocol::for_new_object()) }
    }

    /// [`init`](Self::init) with the waiters' `protocol` given.
    ///
    /// # Safety
    /// As for `init`.
    pub(super) unsafe fn init_with(base: *mut u8, len: usize, capacity: usize, protocol: Protocol) -> Result<Block> {
        // SAFETY: forwarded.
        let view = unsafe { layout::init(base, len, capacity, protocol) }?;
        Ok(Block { view, writer: true, version: 0, seen: 0, tick_wake: wait::TickWake::default() })
    }

    /// Checks a region formatted by `init` (EPROTO when it is not, or is
    /// corrupt, or names a sleep handshake this process cannot run) and
    /// returns a reader, or with `writer` the writer, which continues from
    /// the published version.
    ///
    /// # Safety
    /// The region stays mapped while the block is used, writable if
    /// `writer`.
    pub unsafe fn attach(base: *mut u8, len: usize, writer: bool) -> Result<Block> {
        // SAFETY: forwarded.
        let view = unsafe { layout::attach(base, len) }?;
        view.hs.protocol().join()?;
        let mut b = Block { view, writer, version: 0, seen: 0, tick_wake: wait::TickWake::default() };
        if writer {
            b.version = view.shared.published.load(Ordering::Acquire);
            if b.version >= layout::MAX_VERSION {
                return Err(Errno(libc::EPROTO));
            }
        }
        Ok(b)
    }

    /// For the writer: whether writes wake the waiters that cannot
    /// announce themselves (wait.rs); said in the block's flags for tools.
    pub(super) fn set_wake_always(&mut self, on: bool) {
        self.tick_wake = wait::TickWake::new(on);
        self.view.shared.flags.store(if on { layout::WAKE_ALWAYS } else { 0 }, Ordering::Relaxed);
    }

    /// The longest value in bytes.
    pub fn capacity(&self) -> usize {
        self.view.capacity
    }

    pub fn is_writer(&self) -> bool {
        self.writer
    }

    /// Publishes `data` as the next version; returns that version. See
    /// [`write_with`](Self::write_with).
    pub fn write(&mut self, data: &[u8]) -> Result<u64> {
        let (src, len) = (data.as_ptr(), data.len());
        // SAFETY: src is len readable bytes.
        match unsafe { self.write_now(src, len) } {
            Written::Done => return Ok(self.version),
            Written::More(due) => {
                // SAFETY: write_now's src and len.
                unsafe { self.finish_write(src, len, due) };
                return Ok(self.version);
            }
            Written::No => {}
        }
        self.write_with(len, |dst| {
            // SAFETY: dst is data.len() writable bytes in a slot.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) }
        })
    }

    /// Publishes a value of `len` bytes, which `fill` stores at the pointer
    /// it gets (`len` writable bytes; it may be called twice, each time to
    /// store the same bytes), as the next version; returns that version.
    /// Never waits; no system call unless a waiter sleeps. EBADF for a
    /// reader, EMSGSIZE for `len` beyond the capacity, EOVERFLOW after
    /// 2^62 versions.
    pub fn write_with(&mut self, len: usize, fill: impl Fn(*mut u8)) -> Result<u64> {
        if !self.writer {
            return Err(Errno(libc::EBADF));
        }
        if len > self.view.capacity {
            return Err(Errno(libc::EMSGSIZE));
        }
        let v = self.version + 1;
        if v > layout::MAX_VERSION {
            return Err(Errno(libc::EOVERFLOW));
        }
        seqlock::store(&self.view, v, len, fill);
        self.version = v;
        wait::wake(&self.view, &mut self.tick_wake);
        Ok(v)
    }

    /// [`write`](Self::write) of `len` bytes at `src` as leaf code (no
    /// call, nothing that can panic) when it needs no check that can fail:
    /// the writer's handle, `len` up to `copy::SHORT` and the capacity.
    /// `Written::No` when it wrote nothing: the caller runs `write`.
    ///
    /// # Safety
    /// `src` is readable for `len` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn write_now(&mut self, src: *const u8, len: usize) -> Written {
        let v = self.version.wrapping_add(1);
        if !self.writer || len > copy::SHORT || len > self.view.capacity || v > layout::MAX_VERSION {
            return Written::No;
        }
        // The handle's own stores first: not queued behind the block's.
        self.version = v;
        let due = self.tick_wake.due();
        // SAFETY: len <= capacity, checked; src is the caller's.
        let steady = unsafe { seqlock::store_short(&self.view, v, src, len) };
        match steady || wait::waiting(&self.view, due) {
            true => Written::More(due),
            false => Written::Done,
        }
    }

    /// The rest of a write after `write_now` said `Written::More(due)`:
    /// the steady slot's copy if due, the waiters' wake-ups.
    ///
    /// # Safety
    /// `src` and `len` are `write_now`'s.
    #[cold]
    pub unsafe fn finish_write(&mut self, src: *const u8, len: usize, due: bool) {
        if self.version % layout::STEADY_EVERY == 0 {
            // SAFETY: forwarded; write_now checked len.
            unsafe { seqlock::store_steady(&self.view, self.version, src, len) };
        }
        wait::woken(&self.view, &mut self.tick_wake, due);
    }

    /// [`read`](Self::read) into `cap` bytes at `buf` as leaf code (no
    /// call, nothing that can panic) when its first attempt succeeds on a
    /// value of up to `copy::SHORT` bytes; None otherwise (nothing
    /// returned: the caller runs `read`).
    ///
    /// # Safety
    /// `buf` is writable for `cap` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn read_now(&mut self, buf: *mut u8, cap: usize) -> Option<(usize, u64)> {
        // SAFETY: forwarded.
        let (len, v) = unsafe { seqlock::load_short(&self.view, buf, cap) }?;
        self.seen = v;
        Some((len, v))
    }

    /// Copies the latest complete value into `buf`; returns its length and
    /// version. Never waits for the writer and never writes to the region;
    /// a reader's versions never go back. EMSGSIZE when the value is
    /// longer than `buf` (nothing is returned); EBADMSG for a corrupt block
    /// (seqlock.rs).
    #[inline]
    pub fn read(&mut self, buf: &mut [u8]) -> Result<(usize, u64)> {
        // SAFETY: buf is buf.len() writable bytes.
        if let Some(r) = unsafe { self.read_now(buf.as_mut_ptr(), buf.len()) } {
            return Ok(r);
        }
        self.read_slow(buf)
    }

    /// [`read`](Self::read) without its leaf attempt: for a caller whose
    /// `read_now` just missed (a value too long for it, a race), so that a
    /// long value is not looked at twice.
    #[inline]
    pub fn read_slow(&mut self, buf: &mut [u8]) -> Result<(usize, u64)> {
        let (len, v) = seqlock::load(&self.view, buf, self.seen)?;
        self.seen = v;
        Ok((len, v))
    }

    /// The version published last (it may change at once).
    pub fn version(&self) -> u64 {
        self.view.shared.published.load(Ordering::Acquire)
    }

    /// Waits until the published version differs from `version` (wait.rs):
    /// `announce` is the sleepers word in a writable mapping of the block
    /// ([`Block::sleepers`] for the writer), or None for a caller that
    /// cannot write it. EAGAIN for `Timeout::Try`, ETIMEDOUT.
    pub fn wait(&self, announce: Option<&AtomicU32>, version: u64, timeout: Timeout) -> Result<()> {
        wait::wait(&self.view, announce, version, timeout)
    }

    /// The writer's announcement word; None for a reader, whose mapping may
    /// be read-only.
    pub fn sleepers(&self) -> Option<&AtomicU32> {
        self.writer.then_some(&self.view.shared.sleepers)
    }

    /// The writer's role word.
    pub(super) fn role_word(&self) -> &'static AtomicU32 {
        &self.view.shared.writer
    }
}
