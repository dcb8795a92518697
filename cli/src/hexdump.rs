//! `hexdump -C` style lines.

use std::fmt::Write;

/// 16 bytes a line: offset, hex in two groups of 8, printable ASCII.
pub fn lines(bytes: &[u8], start: u64) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", start + 16 * i as u64);
        for j in 0..16 {
            match chunk.get(j) {
                Some(b) => write!(out, "{b:02x} "),
                None => write!(out, "   "),
            }
            .ok();
            if j == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }));
        out.push_str("|\n");
    }
    let _ = writeln!(out, "{:08x}", start + bytes.len() as u64);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_hexdump_c() {
        let s = super::lines(b"hello, shared memory!", 0);
        assert_eq!(
            s,
            "00000000  68 65 6c 6c 6f 2c 20 73  68 61 72 65 64 20 6d 65  |hello, shared me|\n\
             00000010  6d 6f 72 79 21                                    |mory!|\n\
             00000015\n"
        );
    }
}
