//! Permission bits as `ls -l` shows them, with the octal value in front.

/// Bytes of `"[0600] rw-------"` without the NUL.
pub(crate) const LEN: usize = 16;

/// `"[0600] rw-------"` for `mode`: the octal permission bits (file-type bits
/// ignored), then the nine ls letters with setuid/setgid/sticky shown as
/// s/S and t/T in the execute columns.
pub fn format(mode: u32) -> [u8; LEN] {
    let mode = mode & 0o7777;
    let mut out = *b"[0000] ---------";
    for (i, shift) in [9, 6, 3, 0].into_iter().enumerate() {
        out[1 + i] = b'0' + ((mode >> shift) & 7) as u8;
    }
    // (read bit, write bit, exec bit, special bit, letter when special)
    let classes =
        [(0o400, 0o200, 0o100, 0o4000, b's'), (0o40, 0o20, 0o10, 0o2000, b's'), (0o4, 0o2, 0o1, 0o1000, b't')];
    for (i, (r, w, x, special, letter)) in classes.into_iter().enumerate() {
        let at = 7 + 3 * i;
        if mode & r != 0 {
            out[at] = b'r';
        }
        if mode & w != 0 {
            out[at + 1] = b'w';
        }
        out[at + 2] = match (mode & x != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => b'x',
            (false, false) => b'-',
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format;

    fn f(mode: u32) -> String {
        String::from_utf8(format(mode).to_vec()).unwrap()
    }

    #[test]
    fn like_ls() {
        assert_eq!(f(0o600), "[0600] rw-------");
        assert_eq!(f(0o100644), "[0644] rw-r--r--");
        assert_eq!(f(0o4755), "[4755] rwsr-xr-x");
        assert_eq!(f(0o2750), "[2750] rwxr-s---");
        assert_eq!(f(0o1777), "[1777] rwxrwxrwt");
        assert_eq!(f(0o7000), "[7000] --S--S--T");
        assert_eq!(f(0), "[0000] ---------");
        assert_eq!(f(u32::MAX), "[7777] rwsrwsrwt");
    }
}
