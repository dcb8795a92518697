//! A reader's descriptor for event loops: readable exactly while the
//! handle's next read would return a version other than the one it read
//! last.
//!
//! # Design: a watcher thread per descriptor
//! The descriptor is a doorbell (`object::doorbell`). A thread of the
//! handle's own, made by the first `fd` call, waits for the version to
//! move with the same rounds as `rshm_value_wait` (wait.rs): a reader that
//! may write the object announces itself on the sleepers word through its
//! own read-write mapping and the writer wakes it; one that may only read
//! it sleeps on the tick word, at most `POLL` (1 ms) at a time, so its
//! watcher wakes a thousand times a second while the descriptor is quiet. When the version
//! differs from the one the handle read last, the thread rings the bell
//! and parks until the handle's next read takes a version, which tells
//! it so (`seen`, `epoch`).
//!
//! So the writer pays nothing new: it makes a system call only while a
//! waiter (here the watcher) sleeps, as for `rshm_value_wait`, and none
//! while the watcher is parked behind an unread version. The polling
//! reader pays a thread (a small stack, asleep but for one wake-up per
//! version it is shown), one futex_wake to unpark it after a read that
//! took a new version, and one recv to quiet the bell after a read that
//! found the latest version.
//!
//! A writer's bell in the shared block (the channel's `wake_ringing`) would
//! spare the thread for readers that may write the object; it needs a
//! table of slots, as many readers may poll, and is not built yet.
//!
//! # Exactness
//! Only two parties ring: the watcher and the handle itself (a spurious
//! ring by another process is possible, as for every doorbell; the read
//! that follows quiets it). Both decide under `state`, where `queued` says
//! whether a ring is waiting in the bell: the watcher rings only if the
//! version still differs from `seen` under the lock, and the handle after a
//! read either rings (the version moved past what it read) or drains.
//! A write after the handle's look under the lock is a version other than
//! `seen`, which the watcher's next round sees and rings for.

use super::layout::View;
use super::wait::{self, Announce};
use crate::errno::{Errno, Result};
use crate::object::doorbell::{Doorbell, Ringer};
use crate::sync::{futex, Timeout};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest round of the watcher between looks at its stop flag when
/// nothing wakes it (closing wakes it at once).
const SLICE: Duration = Duration::from_millis(100);
/// The watcher's stack: it calls nothing deep.
const STACK: usize = 64 * 1024;

/// The reader's descriptor: the bell and the thread that rings it.
pub(super) struct Ready {
    /// Outside `shared`: a child of fork(2) that closes its copy of the
    /// handle closes the bell, though the thread's share is never dropped.
    door: Doorbell,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The process that made the thread: a child of fork(2) closing its
    /// copy of the handle has no thread to stop.
    owner: u32,
}

/// What the handle and its watcher share.
struct Shared {
    /// What rings the bell: all the watcher needs (the doorbell, outside,
    /// outlives the watcher, which the handle joins before it drops).
    ringer: Ringer,
    view: SendView,
    /// The watcher's read-write mapping, if the user may write the object.
    announce: Option<Announce>,
    /// The version the handle read last.
    seen: AtomicU64,
    /// Moves whenever `seen` does or the watcher must stop: what a parked
    /// watcher sleeps on.
    epoch: AtomicU32,
    stop: AtomicBool,
    /// A ring is waiting in the bell (rung by either side).
    queued: Mutex<bool>,
}

/// The view of the handle's mapping, which outlives the watcher (the
/// handle joins it before unmapping).
struct SendView(View<'static>);
// SAFETY: the view points into shared memory made for concurrent use (all
// atomics), mapped until the watcher is joined.
unsafe impl Send for SendView {}
// SAFETY: as above.
unsafe impl Sync for SendView {}

impl Ready {
    /// The descriptor of a reader that read `seen` last, watching `view`;
    /// `announce` is a read-write mapping for waiting, if it could be had.
    /// EMFILE/ENFILE, EAGAIN when no thread can be made, ENOTSUP off Linux.
    pub fn new(view: View<'static>, announce: Option<Announce>, seen: u64) -> Result<Ready> {
        let door = Doorbell::new()?;
        let shared = Arc::new(Shared {
            ringer: door.ringer(),
            view: SendView(view),
            announce,
            seen: AtomicU64::new(seen),
            epoch: AtomicU32::new(0),
            stop: AtomicBool::new(false),
            queued: Mutex::new(false),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rshm-value-fd".into())
            .stack_size(STACK)
            .spawn(move || s.watch())
            .map_err(|_| Errno(libc::EAGAIN))?;
        let r = Ready { door, shared, thread: Some(thread), owner: std::process::id() };
        r.sync(seen);
        Ok(r)
    }

    pub fn fd(&self) -> RawFd {
        self.door.fd()
    }

    /// Test-only: the bell's token, for a ring from "another process".
    #[cfg(test)]
    pub fn token(&self) -> u64 {
        self.door.token()
    }

    /// After a read (or on `fd`): the handle has read `seen` last. Rings
    /// if the version is past it, else quiets the bell (one recv(2)); unparks
    /// the watcher if `seen` moved (one futex_wake).
    pub fn sync(&self, seen: u64) {
        let s = &self.shared;
        let moved = s.seen.load(Ordering::Relaxed) != seen;
        {
            let mut queued = s.lock();
            s.seen.store(seen, Ordering::Release);
            if s.published() != seen {
                if !*queued {
                    s.ringer.ring();
                    *queued = true;
                }
            } else {
                // Always, not only when `queued`: a ring from another
                // process must not outlive the read that found nothing.
                self.door.drain();
                *queued = false;
            }
        }
        if moved {
            s.epoch.fetch_add(1, Ordering::Release);
            let _ = futex::wake(&s.epoch, 1);
        }
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        if std::process::id() != self.owner {
            // The thread is the parent's; its handle here joins nothing.
            std::mem::forget(self.thread.take());
            return;
        }
        let s = &self.shared;
        s.stop.store(true, Ordering::SeqCst);
        s.epoch.fetch_add(1, Ordering::SeqCst);
        let _ = futex::wake(&s.epoch, 1);
        if let Some(a) = &s.announce {
            wait::wake_round(&s.view.0, a.word());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        // Nothing panics under the lock; a poisoned flag is still right.
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn published(&self) -> u64 {
        self.view.0.shared.published.load(Ordering::Acquire)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// The watcher's loop (see the top).
    fn watch(&self) {
        let announce = self.announce.as_ref().map(Announce::word);
        loop {
            let epoch = self.epoch.load(Ordering::Acquire);
            if self.stopped() {
                return;
            }
            let seen = self.seen.load(Ordering::Acquire);
            if self.published() != seen {
                {
                    let mut queued = self.lock();
                    if !*queued && self.published() != self.seen.load(Ordering::Acquire) {
                        self.ringer.ring();
                        *queued = true;
                    }
                }
                // Parked until the handle reads (or closes).
                let _ = futex::wait(&self.epoch, epoch, Timeout::After(SLICE));
                continue;
            }
            let moved = || self.stopped() || self.seen.load(Ordering::Acquire) != seen;
            if wait::round(&self.view.0, announce, seen, SLICE, moved).is_err() {
                // Not expected (the check cannot fail): do not spin.
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}
