//! Copies of short messages without a function call (the channel's and
//! the topic's short paths).
//!
//! A sender streaming to another CPU is bound by the stores it has in
//! flight: each store to a ring line waits for that line to come back from
//! the receiver's cache, and x86 retires stores in order, so every other
//! store behind it (a saved register, a return address) holds a store
//! buffer entry meanwhile. A call to memcpy costs a return address and the
//! registers the caller must save around it; for a short message that is
//! as many stores again as the copy. This copy is loop-free and leaf code:
//! two possibly overlapping 16-byte moves at each end, as libc does for
//! short sizes. Below 16 bytes each word is stored before the next is
//! loaded, so the copy needs one general register, not two: with two,
//! `rshm_value_read` and `rshm_value_write` saved a third callee-saved
//! register (a push and a pop each), and the 64-byte read measured 1.50,
//! 1.67, 1.50x the bare seqlock against 1.30, 1.40, 1.27x without it
//! (bench_value, three runs each, alternating).

use std::ptr::{read_unaligned, write_unaligned};

/// The longest message `short` copies.
pub(crate) const SHORT: usize = 64;

/// 16 bytes, moved through a vector register where there is one: as two
/// u64 the copy would need callee-saved registers, whose saving is stores.
#[cfg(target_arch = "x86_64")]
type Sixteen = std::arch::x86_64::__m128i;
#[cfg(not(target_arch = "x86_64"))]
type Sixteen = u128;

/// Copies `len <= SHORT` bytes from `src` to `dst`.
///
/// # Safety
/// `src` is readable and `dst` writable for `len` bytes, and they do not
/// overlap.
#[inline(always)]
pub(crate) unsafe fn short(dst: *mut u8, src: *const u8, len: usize) {
    debug_assert!(len <= SHORT);
    // SAFETY (every access below): each reads or writes within the first
    // `len` bytes of its buffer, which the caller vouches for; unaligned
    // accesses of plain data.
    unsafe {
        if len >= 16 {
            let (a, b) = (read_unaligned(src.cast::<Sixteen>()), read_unaligned(src.add(len - 16).cast::<Sixteen>()));
            if len > 32 {
                let (c, d) = (
                    read_unaligned(src.add(16).cast::<Sixteen>()),
                    read_unaligned(src.add(len - 32).cast::<Sixteen>()),
                );
                write_unaligned(dst.add(16).cast::<Sixteen>(), c);
                write_unaligned(dst.add(len - 32).cast::<Sixteen>(), d);
            }
            write_unaligned(dst.cast::<Sixteen>(), a);
            write_unaligned(dst.add(len - 16).cast::<Sixteen>(), b);
        } else if len >= 8 {
            write_unaligned(dst.cast::<u64>(), read_unaligned(src.cast::<u64>()));
            write_unaligned(dst.add(len - 8).cast::<u64>(), read_unaligned(src.add(len - 8).cast::<u64>()));
        } else if len >= 4 {
            write_unaligned(dst.cast::<u32>(), read_unaligned(src.cast::<u32>()));
            write_unaligned(dst.add(len - 4).cast::<u32>(), read_unaligned(src.add(len - 4).cast::<u32>()));
        } else if len >= 2 {
            write_unaligned(dst.cast::<u16>(), read_unaligned(src.cast::<u16>()));
            write_unaligned(dst.add(len - 2).cast::<u16>(), read_unaligned(src.add(len - 2).cast::<u16>()));
        } else if len == 1 {
            *dst = *src;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_short_length_copies_exactly_its_bytes() {
        let src: Vec<u8> = (1..=super::SHORT as u8 + 8).collect();
        for len in 0..=super::SHORT {
            let mut dst = vec![0u8; super::SHORT + 16];
            // SAFETY: both buffers hold at least len bytes past offset 1.
            unsafe { super::short(dst.as_mut_ptr().add(1), src.as_ptr().add(1), len) };
            assert_eq!(dst[0], 0, "len {len}: wrote before");
            assert_eq!(&dst[1..=len], &src[1..=len], "len {len}");
            assert!(dst[len + 1..].iter().all(|&b| b == 0), "len {len}: wrote past");
        }
    }
}
