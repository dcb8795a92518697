//! The latest value: one writer keeps a value of up to `size` bytes up to
//! date, any number of readers in any processes copy it, never torn and
//! never waiting for each other, in a named segment of kind `KIND_VALUE`.
//!
//! `layout` is the shared block, `seqlock` the protocol (and its ordering
//! argument), `wait` the waiting, `ready` a reader's descriptor; the writer's role word is
//! `object::peer`'s, the sleep handshake `object::handshake`'s.

mod block;
mod inline;
mod layout;
mod ready;
mod seqlock;
mod wait;

use crate::errno::{Errno, Result};
use crate::object::header::{self};
use crate::object::{peer, Identity, Liveness, KIND_VALUE};
use crate::segment::{self, Segment};
use crate::sync::Timeout;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub use block::{Block, Written};
pub use inline::*;
pub use layout::LAYOUT;

/// A handle on a named value, from [`Value::create`] (the writer) or
/// [`Value::open`] (a reader, or the writer). Dropping it closes it. A
/// handle is used by one thread at a time, in the process that made it.
pub struct Value {
    // Declared before the segment, whose mapping they point into, so that
    // they are dropped (the watcher joined, the role given up) while it is
    // still mapped.
    ready: Option<ready::Ready>,
    block: Block,
    /// The writer's role, held by the writer's handle only.
    role: Option<Role>,
    announce: Option<Option<wait::Announce>>,
    /// A reader's cursor is out (`lend_reader`): the handle's own reads
    /// wait for it (EBUSY).
    lent: bool,
    seg: Segment,
}

/// The writer's role word, given up on drop.
struct Role(&'static AtomicU32);

impl Drop for Role {
    fn drop(&mut self) {
        peer::give_up(self.0, peer::me());
    }
}

impl Value {
    /// Creates the value `name` for values of up to `size` bytes (length 0,
    /// version 0 at first) with the permission bits `mode`, and returns its
    /// writer. EINVAL for a `size` of 0, EOVERFLOW when it cannot be
    /// mapped; otherwise as [`Segment::create`].
    pub fn create(name: &CStr, size: usize, mode: u32) -> Result<Value> {
        if size == 0 {
            return Err(Errno(libc::EINVAL));
        }
        let len = Block::region_len(size).ok_or(Errno(libc::EOVERFLOW))?;
        let me = peer::me();
        let mut formatted = Ok(());
        let seg = Segment::create_kind(name, len, mode, KIND_VALUE, |data, n| {
            // SAFETY: the initialiser gets the new segment's data, n bytes,
            // writable and unseen by anyone until it returns. The writer's
            // role is taken before any opener can see the object.
            formatted = unsafe { Block::init(data, n, size) }.map(|b| b.role_word().store(me, Ordering::SeqCst));
            formatted.is_ok()
        });
        let seg = match (seg, formatted) {
            (_, Err(e)) => return Err(e),
            (seg, Ok(())) => seg?,
        };
        Value::attach(seg, Made::Created)
    }

    /// Opens the value `name`, waiting up to `timeout` for it to exist:
    /// `oflag` `O_RDONLY` for a reader (mapped read-only; read permission
    /// suffices), `O_RDWR` for the writer. EBUSY when another live process
    /// (or another handle of this one) is the writer; a dead writer's role
    /// is taken over. EINVAL when `name` is not a value, EPROTO when it
    /// comes from another layout, its shared block is corrupt or its pages
    /// were never reserved (not made by [`Value::create`]); ENOMEM or
    /// ENOSPC when the writer cannot fault a page in (one punched out or
    /// cut off after the check); otherwise as [`Segment::open`].
    pub fn open(name: &CStr, oflag: libc::c_int, timeout: Duration) -> Result<Value> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let seg = Segment::open_kind(name, oflag, timeout, KIND_VALUE)?;
        // A creator that left holes would have the writer fill them on its
        // own account, and take SIGBUS for a write when /dev/shm is full:
        // refused first, so every page exists.
        crate::object::pages::reserved(&seg)?;
        let writer = oflag == libc::O_RDWR;
        let v = Value::attach(seg, if writer { Made::Writer } else { Made::Reader })?;
        if writer {
            // Once the role is ours (an EBUSY costs nothing): the first
            // writes then take no page faults, as far as the timeout
            // allows; a failure drops v, which gives the role up.
            crate::object::pages::populate(&v.seg, v.seg.size(), deadline)?;
        }
        Ok(v)
    }

    fn attach(seg: Segment, made: Made) -> Result<Value> {
        let writer = made != Made::Reader;
        // SAFETY: the segment maps its data (read-write for a writer) for
        // as long as the handle lives, and the block is dropped first.
        let mut block = match unsafe { Block::attach(seg.data(), seg.size(), false) } {
            Ok(b) => b,
            // A complete segment whose block is unformatted was not made
            // by Value::create: not a value this build understands.
            Err(Errno(libc::EINVAL)) => return Err(Errno(libc::EPROTO)),
            Err(e) => return Err(e),
        };
        let role = match made {
            Made::Reader => None,
            Made::Created => Some(Role(block.role_word())),
            Made::Writer => {
                peer::claim(block.role_word(), peer::me())?;
                Some(Role(block.role_word()))
            }
        };
        if writer {
            // SAFETY: as above; the role is ours, so no other writer runs.
            block = unsafe { Block::attach(seg.data(), seg.size(), true) }?;
            let mode = crate::stat::fstat(seg.fd()).map(|s| s.mode).unwrap_or(0o644);
            block.set_wake_always(wait::must_wake_always(mode));
        }
        Ok(Value { ready: None, block, role, announce: None, lent: false, seg })
    }

    /// The longest value in bytes, as the creator asked.
    pub fn size(&self) -> usize {
        self.block.capacity()
    }

    /// Whether this handle is the writer.
    pub fn is_writer(&self) -> bool {
        self.role.is_some()
    }

    /// See [`Block::write`]; EBADF for a reader's handle.
    pub fn write(&mut self, data: &[u8]) -> Result<u64> {
        self.block.write(data)
    }

    /// See [`Block::write_with`].
    pub fn write_with(&mut self, len: usize, fill: impl Fn(*mut u8)) -> Result<u64> {
        self.block.write_with(len, fill)
    }

    /// See [`Block::write_now`]: the C export's short path.
    ///
    /// # Safety
    /// `src` is readable for `len` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn write_now(&mut self, src: *const u8, len: usize) -> Written {
        // SAFETY: forwarded.
        unsafe { self.block.write_now(src, len) }
    }

    /// See [`Block::finish_write`].
    ///
    /// # Safety
    /// As there.
    #[cold]
    pub unsafe fn finish_write(&mut self, src: *const u8, len: usize, due: bool) {
        // SAFETY: forwarded.
        unsafe { self.block.finish_write(src, len, due) }
    }

    /// See [`Block::read_now`]: the C export's short path. None also for a
    /// handle with a descriptor, whose reads tell its watcher.
    ///
    /// # Safety
    /// `buf` is writable for `cap` bytes.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub unsafe fn read_now(&mut self, buf: *mut u8, cap: usize) -> Option<(usize, u64)> {
        if self.ready.is_some() || self.lent {
            return None;
        }
        // SAFETY: forwarded.
        unsafe { self.block.read_now(buf, cap) }
    }

    /// See [`Block::read`]; EBUSY while a reader's cursor is out.
    #[inline]
    pub fn read(&mut self, buf: &mut [u8]) -> Result<(usize, u64)> {
        if self.lent {
            return Err(Errno(libc::EBUSY));
        }
        let r = self.block.read(buf);
        self.tell_ready(r)
    }

    /// See [`Block::read_slow`]: the C export's read after its leaf path
    /// missed. EBUSY while a reader's cursor is out.
    #[inline]
    pub fn read_slow(&mut self, buf: &mut [u8]) -> Result<(usize, u64)> {
        if self.lent {
            return Err(Errno(libc::EBUSY));
        }
        let r = self.block.read_slow(buf);
        self.tell_ready(r)
    }

    #[doc(hidden)]
    /// Lends the handle's reading to the cursor `r` (inline.rs), whose
    /// `v` is `me`, this handle: until [`take_back_reader`](Self::take_back_reader)
    /// the handle's own reads say EBUSY. A handle with a descriptor lends
    /// a cursor that always takes the call, which tells the descriptor's
    /// watcher. EBUSY when a cursor is out already.
    pub fn lend_reader(&mut self, r: &mut Reader, me: *mut Value) -> Result<()> {
        if self.lent {
            return Err(Errno(libc::EBUSY));
        }
        let view = &self.block.view;
        *r = Reader {
            abi: if self.ready.is_some() { RSHM_VALUE_READER_CALLS } else { RSHM_VALUE_READER_ABI },
            unused: 0,
            seen: self.block.seen,
            stride: view.stride as u64,
            copy_max: view.short as u64,
            base: view.base,
            v: me,
        };
        self.lent = true;
        Ok(())
    }

    #[doc(hidden)]
    /// Whether a reader's cursor is out (`lend_reader`).
    pub fn is_lent(&self) -> bool {
        self.lent
    }

    #[doc(hidden)]
    /// A lent cursor's read, which its inline path left to the handle: as
    /// [`read`](Self::read), from the cursor's `seen` (updated). EINVAL when
    /// no cursor is out.
    pub fn read_lent(&mut self, seen: &mut u64, buf: &mut [u8]) -> Result<(usize, u64)> {
        if !self.lent {
            return Err(Errno(libc::EINVAL));
        }
        self.block.seen = *seen;
        // The cursor's inline attempt just missed: no second leaf attempt.
        let r = self.block.read_slow(buf);
        *seen = self.block.seen;
        self.tell_ready(r)
    }

    #[doc(hidden)]
    /// Takes the cursor's reading back, going on from the version it
    /// returned last (`seen`), but never past the published one. EINVAL
    /// when no cursor is out.
    pub fn take_back_reader(&mut self, seen: u64) -> Result<()> {
        if !self.lent {
            return Err(Errno(libc::EINVAL));
        }
        self.lent = false;
        self.block.seen = seen.min(self.block.version());
        self.tell_ready(Ok(()))
    }

    /// After a read: the descriptor's watcher learns what it returned.
    #[inline]
    fn tell_ready<T>(&self, r: T) -> T {
        if let Some(ready) = &self.ready {
            ready.sync(self.block.seen);
        }
        r
    }

    /// A reader's descriptor for poll, epoll and select: readable exactly
    /// while the next `read` would return a version other than the one
    /// this handle read last (0 before its first read). The same
    /// descriptor every time; it belongs to the handle and closes with it
    /// (ready.rs says how, and what it costs). EBADF for the writer's
    /// handle; EBUSY while a reader's cursor lent before it is out;
    /// EMFILE/ENFILE; EAGAIN when no thread can be made; ENOTSUP off Linux.
    pub fn fd(&mut self) -> Result<std::os::fd::RawFd> {
        if self.block.is_writer() {
            return Err(Errno(libc::EBADF));
        }
        // The cursor's inline reads would not tell a watcher made now.
        if self.lent && self.ready.is_none() {
            return Err(Errno(libc::EBUSY));
        }
        if self.ready.is_none() {
            let announce = wait::Announce::open(self.seg.fd(), self.seg.size());
            self.ready = Some(ready::Ready::new(self.block.view, announce, self.block.seen)?);
        }
        Ok(self.ready.as_ref().expect("made above").fd())
    }

    /// The version published last (it may change at once).
    pub fn version(&self) -> u64 {
        self.block.version()
    }

    /// Waits until the published version differs from `version`: at once
    /// if it already does, else as `timeout` allows (EAGAIN for
    /// `Timeout::Try`, ETIMEDOUT). Signals do not end the wait. A reader
    /// that may write the object announces itself through a second,
    /// read-write mapping made on its first wait (wait.rs).
    pub fn wait(&mut self, version: u64, timeout: Timeout) -> Result<()> {
        if self.block.is_writer() {
            return self.block.wait(self.block.sleepers(), version, timeout);
        }
        let (fd, size) = (self.seg.fd(), self.seg.size());
        let word = self.announce.get_or_insert_with(|| wait::Announce::open(fd, size)).as_ref().map(|a| a.word());
        self.block.wait(word, version, timeout)
    }

    /// Gives the writer's role up (a later open may take it), unmaps and
    /// closes, reporting the first failure of the last two.
    pub fn close(self) -> Result<()> {
        let Value { ready, block, role, announce, lent: _, seg } = self;
        drop((ready, block, role, announce));
        seg.close()
    }
}

/// How a handle comes to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Made {
    /// By create: the writer, its role taken inside the initialiser.
    Created,
    /// By open read-write: the writer, if it can take the role.
    Writer,
    Reader,
}

/// Removes the name of a value, as shm_unlink(3) does: open handles stay
/// valid. Whether the object is a value is not checked.
pub fn unlink(name: &CStr) -> Result<()> {
    segment::unlink(name)
}

/// What a value object says of itself, for tools that list objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description {
    /// The shared block's layout ("rshm-value v2").
    pub layout: u32,
    /// The longest value in bytes.
    pub size: u64,
    /// The version published last.
    pub version: u64,
    /// The writer's pid, or None when nobody holds the role.
    pub writer: Option<u32>,
}

impl Description {
    /// Whether the writer still runs: `Dead` when there is none or it
    /// exited, `Unknown` when its pid exists (the role word holds no start
    /// time, so a reused pid reads as alive).
    pub fn writer_liveness(&self) -> Liveness {
        match self.writer {
            None => Liveness::Dead,
            Some(pid) => Identity { pid, start: 0 }.liveness(),
        }
    }
}

/// Describes a value object from its bytes (the whole object, header
/// first, as read from it: a copy that may be torn or hostile). EINVAL
/// when it is not a value; EPROTO for another layout or a block that does
/// not fit in the bytes.
pub fn describe(object: &[u8]) -> Result<Description> {
    let data = header::data_of(object, KIND_VALUE)?;
    let u32_at = |i: usize| data.get(i..i + 4).map(|b| u32::from_ne_bytes(b.try_into().expect("4 bytes")));
    let u64_at = |i: usize| data.get(i..i + 8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")));
    use layout::Shared;
    use std::mem::offset_of;
    let bad = Errno(libc::EPROTO);
    let magic = u64_at(offset_of!(Shared, magic)).ok_or(bad)?;
    let layout = u32_at(offset_of!(Shared, layout)).ok_or(bad)?;
    if magic != layout::MAGIC {
        return Err(bad);
    }
    let size = u64_at(offset_of!(Shared, capacity)).ok_or(bad)?;
    let version = u64_at(offset_of!(Shared, published)).ok_or(bad)?;
    let writer = match u32_at(offset_of!(Shared, writer)).ok_or(bad)? {
        peer::NOBODY | peer::CLOSED => None,
        pid => Some(pid),
    };
    Ok(Description { layout, size, version, writer })
}

#[cfg(test)]
mod tests;
