//! The pages of a named object's data: reserved by its creator, and
//! faulted in ahead of use by whoever opens it.

use crate::errno::Result;
#[cfg(target_os = "linux")]
use crate::errno::{detail::note, Errno};
use crate::segment::Segment;
use std::time::Instant;

/// EPROTO when the object has fewer pages allocated than its length: the
/// creator reserves them all (`fd::allocate`), so holes mean a creator that
/// lied, and populating them would fill /dev/shm on this process's account.
pub(crate) fn reserved(seg: &Segment) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let st = crate::stat::fstat(seg.fd())?;
        let have = (st.blocks as u64).saturating_mul(512);
        if have < st.size as u64 {
            let what = format!("its pages were never reserved ({have} of {} bytes): not made by rshm", st.size);
            return Err(note(Errno(libc::EPROTO), what));
        }
    }
    // macOS reserves nothing ahead, for creators either.
    #[cfg(not(target_os = "linux"))]
    let _ = seg;
    Ok(())
}

/// Faults the first `len` bytes of the data's pages in now, in this
/// process: every one of them is written lap after lap, and a fault costs a
/// few microseconds on the path of the message that first touches the
/// page. Step by step until `deadline`, the first step always: what is
/// left past it is faulted in on first use. Kernels before 5.14 answer
/// EINVAL and everything is faulted in on first use. A page that cannot be
/// had now would be SIGBUS or the OOM killer later: ENOSPC (the kernel's
/// EFAULT: /dev/shm is full, or the object shrank) or ENOMEM.
pub(crate) fn populate(seg: &Segment, len: usize, deadline: Option<Instant>) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        /// How much is faulted in between two looks at the clock: about 0.25 ms.
        const POPULATE_STEP: usize = 1 << 20;
        let len = crate::page::round_up(len).unwrap_or(len).min(crate::page::round_up(seg.size()).unwrap_or(0));
        let mut at = 0;
        while at < len {
            let step = POPULATE_STEP.min(len - at);
            // SAFETY: the range lies in the segment's own data mapping
            // (len is at most its size to the page), page-aligned and
            // writable (the caller's contract: it maps the data read-write); populating
            // it changes no byte in it.
            let r = unsafe { crate::memctl::advise(seg.data().add(at).cast(), step, libc::MADV_POPULATE_WRITE) };
            match r {
                Ok(()) => at += step,
                Err(Errno(libc::EINVAL)) => return Ok(()),
                Err(Errno(libc::EINTR)) => continue,
                Err(Errno(libc::EFAULT)) => {
                    let what = "a page of its data cannot be had: /dev/shm is full, or the object shrank".into();
                    return Err(note(Errno(libc::ENOSPC), what));
                }
                Err(e @ Errno(libc::ENOMEM)) => {
                    return Err(note(e, "no memory to fault its pages in".into()));
                }
                Err(e) => return Err(e),
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (seg, len, deadline);
    Ok(())
}
