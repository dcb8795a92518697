//! The pages of a named object's data, faulted in ahead of use.

use crate::segment::Segment;

/// Faults the object's data pages in now, in this process: a ring's pages
/// are written lap after lap, and a fault costs a few microseconds on the
/// path of the message that first touches the page. Best effort: kernels
/// before 5.14 answer EINVAL and the pages are faulted in on first use
/// instead. The segment must be mapped read-write.
pub(crate) fn populate(seg: &Segment) {
    #[cfg(target_os = "linux")]
    // SAFETY: the range is the segment's own data mapping, page-aligned and
    // writable (the caller's contract); populating it changes no byte in it.
    let _ = unsafe { crate::memctl::advise(seg.data().cast(), seg.size(), libc::MADV_POPULATE_WRITE) };
    #[cfg(not(target_os = "linux"))]
    let _ = seg;
}
