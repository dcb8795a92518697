//! Bytes from /dev/shm and /proc made safe to print.
//!
//! Names and process names are any bytes a local user chose: an escape
//! sequence, a newline that forges a row, invalid UTF-8. Text output
//! writes them so that nothing reaches the terminal as a control:
//! - every byte of a control character (C0, DEL, and the C1 controls
//!   U+0080..U+009F), of a bidirectional control (U+061C, U+200E, U+200F,
//!   U+202A..U+202E, U+2066..U+2069) and every byte that is not valid
//!   UTF-8 is written `\xNN`, lower-case hex;
//! - a backslash is written `\\`, so that the text reads back to exactly
//!   one name;
//! - everything else is written as it is.
//!
//! JSON output is plain ASCII: every character beyond it is a `\uXXXX`
//! escape (see [`json_ascii`]), so a name's characters cannot act on a
//! terminal that shows the JSON either.

/// Whether a character must not reach a terminal as itself.
fn hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `bytes` as safe text (see the module's rules).
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (good, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                let bad_len = e.error_len().unwrap_or(after.len());
                // The prefix was checked by from_utf8.
                (std::str::from_utf8(good).unwrap_or_default(), &after[..bad_len])
            }
        };
        for c in good.chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if hostile(c) {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf).bytes().for_each(|b| hex(&mut out, b));
            } else {
                out.push(c);
            }
        }
        bad.iter().for_each(|&b| hex(&mut out, b));
        rest = &rest[good.len() + bad.len()..];
    }
    out
}

fn hex(out: &mut String, b: u8) {
    out.push_str(&format!("\\x{b:02x}"));
}

/// "/name", escaped.
pub fn name(bare: &[u8]) -> String {
    format!("/{}", text(bare))
}

/// A message of ours that may quote user input (clap's usage errors):
/// newlines stay, every other control is escaped.
pub fn message(s: &str) -> String {
    s.split('\n').map(|l| text(l.as_bytes())).collect::<Vec<_>>().join("\n")
}

/// JSON text made plain ASCII: every non-ASCII character (only ever inside
/// a string) and DEL become `\uXXXX` (a surrogate pair beyond U+FFFF).
pub fn json_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Lower-case hex of raw bytes: the lossless JSON form of a name that is not UTF-8.
pub fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_invalid_utf8_and_backslash_are_escaped() {
        assert_eq!(text(b"plain-name.1"), "plain-name.1");
        assert_eq!(text(b"a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(text(b"row\nforged"), "row\\x0aforged");
        assert_eq!(text(b"bad\xff\xfeutf8"), "bad\\xff\\xfeutf8");
        assert_eq!(text(b"\xe2\x82"), "\\xe2\\x82", "a truncated sequence");
        assert_eq!(text("C1 \u{9b}2J".as_bytes()), "C1 \\xc2\\x9b2J");
        assert_eq!(text("rtl\u{202e}txt".as_bytes()), "rtl\\xe2\\x80\\xaetxt");
        assert_eq!(text(b"back\\slash\x7f"), "back\\\\slash\\x7f");
        assert_eq!(text("caf\u{e9} \u{1F600}".as_bytes()), "caf\u{e9} \u{1F600}");
        for b in 0u8..=255 {
            let t = text(&[b, b'x', b]);
            assert!(t.bytes().all(|c| c >= 0x20 && c != 0x7f), "{b:#x}: {t:?}");
        }
    }

    #[test]
    fn messages_keep_their_lines() {
        assert_eq!(message("error: '\x1b[2J'\n\nUsage"), "error: '\\x1b[2J'\n\nUsage");
    }

    #[test]
    fn json_is_plain_ascii() {
        let j = serde_json::to_string(&serde_json::json!({"n": "a\u{9b}\u{7f}\u{1F600}\u{e9}\n"})).unwrap();
        let a = json_ascii(&j);
        assert!(a.bytes().all(|b| (0x20..0x7f).contains(&b)), "{a}");
        let back: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(back["n"], "a\u{9b}\u{7f}\u{1F600}\u{e9}\n");
        assert_eq!(hex_bytes(b"\xff\x00a"), "ff0061");
    }
}
