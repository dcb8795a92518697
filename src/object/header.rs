//! The header in the first page of every named rshm object (segments,
//! channels, values, topics), and its parser.
//!
//! Layout 2 (native byte order; the object never leaves the machine):
//!
//! | offset | size | field                                              |
//! |--------|------|----------------------------------------------------|
//! | 0      | 8    | magic, "rshm-seg": written last of the fields       |
//! | 8      | 4    | layout version (`VERSION`)                       |
//! | 12     | 4    | kind (`KIND_SEGMENT`, `KIND_CHANNEL`, ...)     |
//! | 16     | 4    | state: `STATE_READY` once data is initialised    |
//! | 20     | 4    | creator's pid                                      |
//! | 24     | 8    | data offset (a multiple of 64, at least 64)        |
//! | 32     | 8    | data size, as the creator asked for                |
//! | 40     | 8    | creator's start time ([`crate::object::process`]) |
//! | 48     | 16   | reserved, 0                                        |
//!
//! Layout 1 had no creator (bytes 20..24 and 40..48 were 0). It is refused
//! with EPROTO rather than read: cleanup could never tell whether its
//! creator lives, and an object nobody can judge is one nobody may remove.
//!
//! [`parse`] is pure and total: any bytes give a header or an errno, never
//! a panic, so a fuzzer may feed it anything. Nothing parsed is trusted
//! beyond the bounds the opener checks it against ([`Header::matches`]).

use super::process::Identity;
use crate::errno::{Errno, Result};

/// Bytes of the header proper; the data starts at a later, aligned offset.
pub(crate) const HEADER_LEN: usize = 64;
/// The first eight bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"rshm-seg";
/// The layout this build reads and writes; another value is EPROTO.
pub(crate) const VERSION: u32 = 2;
/// A plain segment (`rshm_segment_*`).
pub(crate) const KIND_SEGMENT: u32 = 1;
/// A message channel (`rshm_channel_*`): its data holds the channel's ring.
pub(crate) const KIND_CHANNEL: u32 = 2;
/// A latest value (`rshm_value_*`).
pub(crate) const KIND_VALUE: u32 = 3;
/// A one-to-many topic (`rshm_topic_*`).
pub(crate) const KIND_TOPIC: u32 = 4;
/// The state once the creator has initialised the data: a value garbage
/// is unlikely to hold ("REDY").
pub(crate) const STATE_READY: u32 = 0x5245_4459;
/// The state while the creator builds the segment.
pub(crate) const STATE_BUILDING: u32 = 0;
/// Where the fields live in the header.
pub(crate) const MAGIC_AT: usize = 0;
pub(crate) const STATE_AT: usize = 16;
/// The data is at least this aligned, for any page size of the creator.
pub(crate) const DATA_ALIGN: u64 = 64;

/// A parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub kind: u32,
    pub state: u32,
    pub data_offset: u64,
    pub size: u64,
    /// The process that created the object.
    pub creator: Identity,
}

impl Header {
    /// A header of the current version, still building, made by `creator`.
    pub fn new(kind: u32, data_offset: u64, size: u64, creator: Identity) -> Header {
        Header { version: VERSION, kind, state: STATE_BUILDING, data_offset, size, creator }
    }

    /// The header as bytes, magic included.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.version.to_ne_bytes());
        b[12..16].copy_from_slice(&self.kind.to_ne_bytes());
        b[16..20].copy_from_slice(&self.state.to_ne_bytes());
        b[20..24].copy_from_slice(&self.creator.pid.to_ne_bytes());
        b[24..32].copy_from_slice(&self.data_offset.to_ne_bytes());
        b[32..40].copy_from_slice(&self.size.to_ne_bytes());
        b[40..48].copy_from_slice(&self.creator.start.to_ne_bytes());
        b
    }

    /// Whether the creator has finished: the data is initialised.
    pub fn is_ready(&self) -> bool {
        self.state == STATE_READY
    }

    /// What kind of rshm object this is, for tools that list objects:
    /// "rshm-segment", "rshm-channel", "rshm-value", "rshm-topic", or
    /// "rshm-unknown" for a kind this build does not know.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            KIND_SEGMENT => "rshm-segment",
            KIND_CHANNEL => "rshm-channel",
            KIND_VALUE => "rshm-value",
            KIND_TOPIC => "rshm-topic",
            _ => "rshm-unknown",
        }
    }

    /// Checks the header against the object it came from, `object_len`
    /// bytes long, and returns where the data ends (what an opener maps).
    /// The object must be exactly as long as the header says, to the page
    /// (`page` bytes; macOS rounds an object's size up to one): an object a
    /// peer has shrunk, or grown to charge its openers memory and time they
    /// never asked for, is EPROTO, as is a header whose end overflows.
    pub fn matches(&self, object_len: u64, page: u64) -> Result<u64> {
        let end = self.data_offset.checked_add(self.size).ok_or(Errno(libc::EPROTO))?;
        let slack = end.checked_next_multiple_of(page.max(1)).unwrap_or(end);
        if object_len < end || object_len > slack {
            return Err(Errno(libc::EPROTO));
        }
        Ok(end)
    }
}

/// Reads a header from `bytes` (the start of an object).
///
/// EINVAL: fewer than `HEADER_LEN` bytes, a wrong magic, a data offset
/// below the header or not 64-byte aligned, a zero size, or an end that
/// overflows. EPROTO: the magic is right but the layout version is not
/// `VERSION` (layout 1 included). The kind, state and creator are
/// returned, not judged.
pub fn parse(bytes: &[u8]) -> Result<Header> {
    let b = bytes.get(..HEADER_LEN).ok_or(Errno(libc::EINVAL))?;
    if b[0..8] != MAGIC {
        return Err(Errno(libc::EINVAL));
    }
    let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let u64_at = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        u64::from_ne_bytes(a)
    };
    let h = Header {
        version: u32_at(8),
        kind: u32_at(12),
        state: u32_at(16),
        data_offset: u64_at(24),
        size: u64_at(32),
        creator: Identity { pid: u32_at(20), start: u64_at(40) },
    };
    if h.version != VERSION {
        return Err(Errno(libc::EPROTO));
    }
    if h.data_offset < HEADER_LEN as u64 || h.data_offset % DATA_ALIGN != 0 || h.size == 0 {
        return Err(Errno(libc::EINVAL));
    }
    h.data_offset.checked_add(h.size).ok_or(Errno(libc::EINVAL))?;
    Ok(h)
}

/// The data of an object of `kind` from a copy of its bytes (the whole
/// object, header first, as a tool reads it): `parse`'s errors, EINVAL for
/// another kind, EPROTO when the header does not match the copy's length
/// (`Header::matches`).
pub(crate) fn data_of(object: &[u8], kind: u32) -> Result<&[u8]> {
    let h = parse(object)?;
    if h.kind != kind {
        return Err(Errno(libc::EINVAL));
    }
    h.matches(object.len() as u64, crate::page::size() as u64)?;
    // matches() bounded the data by object.len().
    Ok(&object[h.data_offset as usize..][..h.size as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Identity = Identity { pid: 4242, start: 77 };

    #[test]
    fn round_trips() {
        let h = Header::new(KIND_SEGMENT, 4096, 100, ME);
        assert_eq!(parse(&h.encode()), Ok(h));
        assert_eq!(parse(&h.encode()).unwrap().creator, ME);
        assert_eq!(h.matches(4196, 4096), Ok(4196));
        assert_eq!(h.matches(8192, 4096), Ok(4196));
        assert_eq!(h.matches(4195, 4096), Err(Errno(libc::EPROTO)));
        assert_eq!(h.matches(8193, 4096), Err(Errno(libc::EPROTO)));
        assert_eq!(h.matches(1 << 30, 4096), Err(Errno(libc::EPROTO)));
    }

    #[test]
    fn kinds_have_names() {
        assert_eq!(Header::new(KIND_SEGMENT, 4096, 1, ME).kind_name(), "rshm-segment");
        assert_eq!(Header::new(KIND_CHANNEL, 4096, 1, ME).kind_name(), "rshm-channel");
        assert_eq!(Header::new(77, 4096, 1, ME).kind_name(), "rshm-unknown");
    }

    #[test]
    fn rejects_what_is_not_a_segment() {
        let good = Header::new(KIND_SEGMENT, 4096, 100, ME).encode();
        assert_eq!(parse(&good[..HEADER_LEN - 1]), Err(Errno(libc::EINVAL)));
        assert_eq!(parse(&[0u8; 4096]), Err(Errno(libc::EINVAL)));
        let mut b = good;
        b[8] ^= 0xff;
        assert_eq!(parse(&b), Err(Errno(libc::EPROTO)));
        // Layout 1, creator-less: refused, not guessed at.
        let mut b = good;
        b[8..12].copy_from_slice(&1u32.to_ne_bytes());
        assert_eq!(parse(&b), Err(Errno(libc::EPROTO)));
        for bad in [
            Header::new(1, 32, 1, ME),
            Header::new(1, 4100, 1, ME),
            Header::new(1, 4096, 0, ME),
            Header::new(1, u64::MAX - 63, 100, ME),
        ] {
            assert_eq!(parse(&bad.encode()), Err(Errno(libc::EINVAL)), "{bad:?}");
        }
    }

    #[test]
    fn never_panics_on_any_short_or_odd_input() {
        let good = Header::new(KIND_SEGMENT, 4096, 100, ME).encode();
        for len in 0..=HEADER_LEN {
            let _ = parse(&good[..len]);
        }
        let mut b = good;
        for i in 0..HEADER_LEN {
            b[i] = b[i].wrapping_mul(31).wrapping_add(7);
            let _ = parse(&b);
        }
    }
}
