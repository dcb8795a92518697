//! The page size, read once.

use std::sync::atomic::{AtomicUsize, Ordering};

static PAGE: AtomicUsize = AtomicUsize::new(0);

/// The size of a memory page in bytes: the unit of mmap offsets and lengths.
pub fn size() -> usize {
    match PAGE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: sysconf has no preconditions.
            let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            // POSIX systems always have a page size; 4096 keeps us alive if not.
            let p = usize::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096);
            PAGE.store(p, Ordering::Relaxed);
            p
        }
        p => p,
    }
}

/// `len` rounded up to whole pages; None when that overflows.
pub fn round_up(len: usize) -> Option<usize> {
    let page = size();
    Some(len.checked_add(page - 1)? & !(page - 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_size_is_a_power_of_two_and_stable() {
        let p = super::size();
        assert!(p.is_power_of_two() && p >= 4096);
        assert_eq!(super::size(), p);
    }

    #[test]
    fn round_up_gives_whole_pages() {
        let p = super::size();
        assert_eq!(super::round_up(0), Some(0));
        assert_eq!(super::round_up(1), Some(p));
        assert_eq!(super::round_up(p), Some(p));
        assert_eq!(super::round_up(p + 1), Some(2 * p));
        assert_eq!(super::round_up(usize::MAX), None);
    }
}
