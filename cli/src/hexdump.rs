//! `hexdump -C` style lines, written as the bytes come, in fixed memory.
//!
//! As `hexdump -C` does, a line equal to the one before it is not repeated:
//! a single `*` stands for the run. Runs of zeros can be fed by count
//! ([`Dump::zeros`]): a hole of a sparse object is never read or built,
//! so a 64 GiB object of holes costs a few lines and no memory.

use std::io::{self, Write};

/// The dump in progress: a partial line, the line before it, where it is.
pub struct Dump<W: Write> {
    out: W,
    /// Offset of the first byte of `line`.
    at: u64,
    line: [u8; 16],
    filled: usize,
    last: Option<[u8; 16]>,
    starred: bool,
}

impl<W: Write> Dump<W> {
    /// A dump whose first byte is at offset `start`.
    pub fn new(out: W, start: u64) -> Dump<W> {
        Dump { out, at: start, line: [0; 16], filled: 0, last: None, starred: false }
    }

    /// The next bytes.
    pub fn bytes(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = (16 - self.filled).min(bytes.len());
            self.line[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
            self.filled += n;
            bytes = &bytes[n..];
            if self.filled == 16 {
                self.full_line()?;
            }
        }
        Ok(())
    }

    /// The next `n` bytes, all zero, without building them.
    pub fn zeros(&mut self, mut n: u64) -> io::Result<()> {
        const Z: [u8; 16] = [0; 16];
        let head = n.min(((16 - self.filled) % 16) as u64);
        self.bytes(&Z[..head as usize])?;
        n -= head;
        if n >= 32 {
            // One zero line shown (or starred), the rest of the run skipped.
            self.bytes(&Z)?;
            let lines = n / 16 - 1;
            if lines > 0 {
                self.star()?;
                self.at += lines * 16;
            }
            n -= (lines + 1) * 16;
        }
        while n > 0 {
            let k = n.min(16);
            self.bytes(&Z[..k as usize])?;
            n -= k;
        }
        Ok(())
    }

    fn star(&mut self) -> io::Result<()> {
        if !self.starred {
            self.out.write_all(b"*\n")?;
            self.starred = true;
        }
        Ok(())
    }

    fn full_line(&mut self) -> io::Result<()> {
        if self.last == Some(self.line) {
            self.star()?;
        } else {
            write_line(&mut self.out, self.at, &self.line)?;
            self.last = Some(self.line);
            self.starred = false;
        }
        self.at += 16;
        self.filled = 0;
        Ok(())
    }

    /// The last partial line and the end offset; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.filled > 0 {
            let n = self.filled;
            write_line(&mut self.out, self.at, &self.line[..n])?;
            self.at += n as u64;
        }
        writeln!(self.out, "{:08x}", self.at)?;
        Ok(self.out)
    }
}

/// 16 bytes a line: offset, hex in two groups of 8, printable ASCII.
fn write_line(out: &mut impl Write, at: u64, chunk: &[u8]) -> io::Result<()> {
    let mut s = String::with_capacity(80);
    s.push_str(&format!("{at:08x}  "));
    for j in 0..16 {
        match chunk.get(j) {
            Some(b) => s.push_str(&format!("{b:02x} ")),
            None => s.push_str("   "),
        }
        if j == 7 {
            s.push(' ');
        }
    }
    s.push_str(" |");
    s.extend(chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }));
    s.push_str("|\n");
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::Dump;

    fn dump(f: impl FnOnce(&mut Dump<Vec<u8>>), start: u64) -> String {
        let mut d = Dump::new(Vec::new(), start);
        f(&mut d);
        String::from_utf8(d.finish().unwrap()).unwrap()
    }

    #[test]
    fn formats_like_hexdump_c() {
        let s = dump(|d| d.bytes(b"hello, shared memory!").unwrap(), 0);
        assert_eq!(
            s,
            "00000000  68 65 6c 6c 6f 2c 20 73  68 61 72 65 64 20 6d 65  |hello, shared me|\n\
             00000010  6d 6f 72 79 21                                    |mory!|\n\
             00000015\n"
        );
    }

    #[test]
    fn repeated_lines_are_starred_as_hexdump_does() {
        let s = dump(|d| d.bytes(&[b'a'; 64]).unwrap(), 0);
        assert_eq!(s, "00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n*\n00000040\n");
    }

    #[test]
    fn zeros_by_count_print_as_zeros_by_bytes() {
        for (start, pre, n) in [(0u64, 3usize, 100u64), (5, 0, 16), (0, 16, 1 << 36), (7, 9, 33), (0, 0, 31)] {
            let by_count = dump(
                |d| {
                    d.bytes(&vec![1u8; pre]).unwrap();
                    d.zeros(n).unwrap();
                    d.bytes(b"end").unwrap();
                },
                start,
            );
            if n < 1 << 20 {
                let by_bytes = dump(
                    |d| {
                        d.bytes(&vec![1u8; pre]).unwrap();
                        d.bytes(&vec![0u8; n as usize]).unwrap();
                        d.bytes(b"end").unwrap();
                    },
                    start,
                );
                assert_eq!(by_count, by_bytes, "start {start} pre {pre} n {n}");
            } else {
                assert!(by_count.lines().count() < 10, "{by_count}");
                let end = start + pre as u64 + n + 3;
                assert!(by_count.ends_with(&format!("{end:08x}\n")), "{by_count}");
            }
        }
    }
}
