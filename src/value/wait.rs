//! Waiting for a new version, and the writer's wake-up.
//!
//! A waiter that can write the object announces itself on the sleepers
//! word and sleeps there (`object::handshake`, many waiters, with the
//! protocol the creator picked and recorded in the block: `Asymmetric`
//! where it can, so the writer's half is a plain load with no barrier);
//! the writer loads the word after each write and makes a system call
//! only when it is set. So a write with no waiter makes none.
//!
//! A reader maps the object read-only and `read` never writes to it. To
//! wait, a reader whose user may write the object opens it again
//! read-write through /proc/self/fd (the same inode, checked; Linux) and
//! maps it only to announce itself: the value's bytes stay untouched.
//!
//! A reader that may only read it (mode 0644, another user) cannot
//! announce. It sleeps on the tick word (the low 32 bits of the version;
//! FUTEX_WAIT works on a read-only mapping) for at most `POLL` at a time,
//! so it sees a new version within `POLL` whatever the writer does. The
//! writer wakes it sooner when the object's mode, read when the writer's
//! handle is made, lets some class of users read without writing: then
//! such waiters may exist, and it wakes the tick word after a write
//! ([`TickWake`]). A wake that finds nobody asleep there makes it skip
//! the wakes of the next 1, 2, 4 ... up to `MAX_QUIET` writes; one that
//! finds a sleeper makes it wake after every write again. So a writer flat
//! out pays one futex_wake per `MAX_QUIET` writes while nobody waits, and
//! a waiter that may only read is woken by the first write after it slept
//! that does not fall in a skipped run, else by its own `POLL`. Objects
//! that every reader may write (0600, 0660) never pay any of it.

use super::layout::View;
use crate::errno::{Errno, Result};
use crate::sync::{futex, Timeout};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The longest sleep between looks at the version and the clock.
const SLICE: Duration = Duration::from_millis(100);
/// The longest sleep of a waiter that cannot announce itself.
const POLL: Duration = Duration::from_millis(1);
/// The most writes whose wake-up of such waiters a writer skips.
const MAX_QUIET: u32 = 1024;

/// The writer's half, after publishing.
#[inline]
pub(super) fn wake(view: &View, tick: &mut TickWake) {
    view.hs.wake(&view.shared.sleepers);
    tick.after_write(&view.shared.tick);
}

/// `wake` as leaf code, for the writer's short path: whether a waiter may
/// sleep on either word (the tick's only when its wake is `due`); if so
/// the caller goes on with [`woken`].
#[inline(always)]
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
pub(super) fn waiting(view: &View, due: bool) -> bool {
    view.hs.waiting(&view.shared.sleepers) || due
}

/// The rest of `wake` after [`waiting`] said so: wakes the announced
/// sleepers, and the tick's if `due`.
#[cold]
#[inline(never)]
pub(super) fn woken(view: &View, tick: &mut TickWake, due: bool) {
    view.hs.wake(&view.shared.sleepers);
    if due {
        tick.wake(&view.shared.tick);
    }
}

/// A writer's wake-ups of the waiters that cannot announce themselves
/// (see the top): off, or on with a back-off while they find nobody.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TickWake {
    on: bool,
    /// Writes whose wake-up is still to be skipped.
    skip: u32,
    /// The length of the last skipped run; 0 after a wake found a sleeper.
    quiet: u32,
}

impl TickWake {
    pub fn new(on: bool) -> TickWake {
        TickWake { on, skip: 0, quiet: 0 }
    }

    #[inline]
    fn after_write(&mut self, tick: &AtomicU32) {
        if self.due() {
            self.wake(tick);
        }
    }

    /// Counts a write: whether its wake of the tick is due.
    #[inline(always)]
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
    pub fn due(&mut self) -> bool {
        if !self.on {
            return false;
        }
        if self.skip > 0 {
            self.skip = self.skip.wrapping_sub(1);
            return false;
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn wake(&mut self, tick: &AtomicU32) {
        match futex::wake(tick, i32::MAX) {
            Ok(0) => {
                self.quiet = (self.quiet * 2).clamp(1, MAX_QUIET);
                self.skip = self.quiet;
            }
            // A sleeper was there (or the wake failed, and the sleepers'
            // POLL covers it): wake after the next write too.
            _ => self.quiet = 0,
        }
    }
}

/// Whether a writer of an object with permission bits `mode` wakes the
/// waiters that cannot announce themselves: some class may read it
/// without writing it.
pub(super) fn must_wake_always(mode: u32) -> bool {
    let read = mode & 0o444;
    let write = mode & 0o222;
    read & !(write << 1) != 0
}

/// Waits until the published version differs from `version`. `announce`
/// is the sleepers word in a writable mapping, if the caller has one.
pub(super) fn wait(view: &View, announce: Option<&AtomicU32>, version: u64, timeout: Timeout) -> Result<()> {
    let changed = || view.shared.published.load(Ordering::Acquire) != version;
    if changed() {
        return Ok(());
    }
    if timeout == Timeout::Try {
        return Err(Errno(libc::EAGAIN));
    }
    let deadline = timeout.deadline();
    loop {
        let slice = match deadline {
            None => SLICE,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(SLICE),
                _ => return Err(Errno(libc::ETIMEDOUT)),
            },
        };
        if round(view, announce, version, slice, || false)? {
            return Ok(());
        }
    }
}

/// One round of [`wait`]: true once the version differs from `version`;
/// false after at most `slice` (less without `announce`: `POLL`), or
/// sooner when woken, interrupted, or `stop` holds. A caller that makes
/// `stop` true wakes a round on `announce` with [`wake_round`].
pub(super) fn round(
    view: &View,
    announce: Option<&AtomicU32>,
    version: u64,
    slice: Duration,
    stop: impl Fn() -> bool,
) -> Result<bool> {
    let s = view.shared;
    let changed = || s.published.load(Ordering::Acquire) != version;
    match announce {
        Some(word) => {
            view.hs.sleep(word, slice, || Ok(changed() || stop()))?;
        }
        None => {
            // The tick before the version: a write between the two
            // changes the tick, and the futex then returns at once.
            let tick = s.tick.load(Ordering::Acquire);
            if changed() || stop() {
                return Ok(changed());
            }
            // Timeouts, signals and spurious wake-ups come back here.
            let _ = futex::wait(&s.tick, tick, Timeout::After(slice.min(POLL)));
        }
    }
    Ok(changed())
}

/// Ends a [`round`] asleep on `announce` after its `stop` was made true.
pub(super) fn wake_round(view: &View, announce: &AtomicU32) {
    view.hs.wake(announce);
}

/// A read-write mapping of a reader's object, made only to announce
/// waits; unmapped on drop.
pub(super) struct Announce {
    base: *mut libc::c_void,
    len: usize,
    word: *const AtomicU32,
}

// SAFETY: the pointers are into the handle's own mapping, which moves
// with it; nothing is tied to a thread.
unsafe impl Send for Announce {}
// SAFETY: shared, it only hands out `&AtomicU32`.
unsafe impl Sync for Announce {}

impl Announce {
    pub fn word(&self) -> &AtomicU32 {
        // SAFETY: word lies in the mapping, which lives as long as self.
        unsafe { &*self.word }
    }

    /// Maps the object behind `fd` (a value whose data is `size` bytes)
    /// read-write, if the caller may write it; None otherwise.
    #[cfg(target_os = "linux")]
    pub fn open(fd: std::os::fd::RawFd, size: usize) -> Option<Announce> {
        use crate::object::header::{self, HEADER_LEN};
        use crate::object::KIND_VALUE;
        let path = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).ok()?;
        // SAFETY: path is NUL-terminated; the new descriptor is closed below.
        let rw = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if rw < 0 {
            return None;
        }
        let mapped = (|| {
            let (a, b) = (crate::stat::fstat(fd).ok()?, crate::stat::fstat(rw).ok()?);
            if (a.dev, a.ino) != (b.dev, b.ino) {
                return None;
            }
            let len = usize::try_from(b.size).ok().filter(|&l| l >= HEADER_LEN)?;
            // SAFETY: no MAP_FIXED: the kernel picks the range.
            let base = unsafe {
                crate::mman::map(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, rw, 0)
            }
            .ok()?;
            let mut this = Announce { base, len, word: std::ptr::null() };
            let mut bytes = [0u8; HEADER_LEN];
            // SAFETY: the mapping holds len >= HEADER_LEN bytes.
            unsafe { std::ptr::copy_nonoverlapping(base.cast::<u8>(), bytes.as_mut_ptr(), HEADER_LEN) };
            let h = header::parse(&bytes).ok()?;
            if h.kind != KIND_VALUE
                || h.size != size as u64
                || h.matches(len as u64, crate::page::size() as u64).is_err()
            {
                return None;
            }
            let at = h.data_offset as usize + std::mem::offset_of!(super::layout::Shared, sleepers);
            if at + 4 > len {
                return None;
            }
            // The data offset is a multiple of 64 (parse checks) and so is
            // the field's: the word is aligned and inside the mapping.
            this.word = base.cast::<u8>().wrapping_add(at).cast();
            Some(this)
        })();
        let _ = crate::fd::close(rw);
        mapped
    }

    #[cfg(not(target_os = "linux"))]
    pub fn open(_fd: std::os::fd::RawFd, _size: usize) -> Option<Announce> {
        None
    }
}

impl Drop for Announce {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and dies with self.
        let _ = unsafe { crate::mman::unmap(self.base, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wakes that find nobody back off (1, 2, 4 ... MAX_QUIET skipped
    /// writes); one that finds a sleeper wakes after every write again.
    #[test]
    fn the_writer_backs_off_while_nobody_sleeps_on_the_tick() {
        let word = AtomicU32::new(0);
        let mut t = TickWake::new(true);
        let mut wakes = 0;
        for _ in 0..10_000 {
            if t.skip == 0 {
                wakes += 1;
            }
            t.after_write(&word);
        }
        // 1 + 1 + 2 + 4 + ... + 512 + 1024 * k writes per wake.
        assert!((10..=25).contains(&wakes), "{wakes} wakes");
        assert_eq!(t.quiet, MAX_QUIET);
        let word = std::sync::Arc::new(word);
        let w2 = std::sync::Arc::clone(&word);
        let sleeper = std::thread::spawn(move || futex::wait(&w2, 0, Timeout::After(Duration::from_secs(10))));
        let deadline = Instant::now() + Duration::from_secs(10);
        // Write until a wake finds the sleeper.
        while t.quiet != 0 && Instant::now() < deadline {
            t.after_write(&word);
            std::thread::sleep(Duration::from_micros(50));
        }
        assert_eq!(t.quiet, 0);
        assert_eq!(sleeper.join().unwrap(), Ok(()));
        let mut off = TickWake::new(false);
        off.after_write(&word);
        assert_eq!((off.skip, off.quiet), (0, 0));
    }

    #[test]
    fn who_can_only_read_makes_the_writer_wake_always() {
        for (mode, always) in [
            (0o600, false),
            (0o660, false),
            (0o666, false),
            (0o644, true),
            (0o640, true),
            (0o400, true),
            (0o604, true),
            (0o200, false),
            (0, false),
        ] {
            assert_eq!(must_wake_always(mode), always, "{mode:o}");
        }
    }
}
