//! Any bytes through the segment header parser: a header or EINVAL/EPROTO,
//! never a panic; what it accepts satisfies the layout's rules and round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rshm::object::header::{parse, Header};

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(h) => {
            assert!(data.len() >= 64);
            assert!(h.data_offset >= 64 && h.data_offset % 64 == 0 && h.size > 0, "{h:?}");
            let end = h.data_offset.checked_add(h.size).expect("parse checked the end");
            assert_eq!(h.fits(end), Ok(()));
            assert!(h.fits(end - 1).is_err());
            let again: Header = parse(&h.encode()).expect("an encoded header parses");
            assert_eq!(again, h);
            let _ = (h.is_ready(), h.kind_name());
        }
        Err(e) => assert!(e.0 == libc::EINVAL || e.0 == libc::EPROTO, "{e}"),
    }
});
