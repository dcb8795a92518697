//! The sentence behind `rshm_error_detail`: which call failed, on which
//! argument, and what it found, kept per thread like dlerror(3).
//!
//! Two halves, so that no failing path has to remember it. The core says
//! what it found where it finds it ([`note`], tagged with the errno it
//! explains); the C layer's panic boundary, which knows the call's name and
//! its name argument, records every failure ([`failed`]) and takes the
//! core's note only when the errno it returns is the one the note explains
//! (a note about an error the core recovered from, or mapped to another
//! errno, is dropped). Nothing is formatted until someone asks
//! ([`render`]), so a failing call in a polling loop (EAGAIN) costs a few
//! stores, and a succeeding call costs nothing: the detail stays about the
//! last failure, as errno does.

use super::Errno;
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::fmt::Write;

/// The longest part of a name argument shown; longer ones end in "...".
const SUBJECT_MAX: usize = 64;

struct Note {
    errnum: i32,
    what: String,
}

#[derive(Default)]
struct Last {
    call: &'static str,
    /// The name argument, escaped and quoted, or "NULL".
    subject: Option<String>,
    errnum: i32,
    /// The core's words, or the panic's.
    what: Option<String>,
    /// `render`'s result for this failure, NUL-terminated; empty until asked.
    text: Vec<u8>,
}

thread_local! {
    static NOTE: RefCell<Option<Note>> = const { RefCell::new(None) };
    static LAST: RefCell<Last> = RefCell::new(Last::default());
}

/// Records what the core found behind the errno `e` it is about to return,
/// and returns `e`: `return Err(note(Errno(libc::ENODEV), format!(...)))`.
/// `what` is a clause about the object or argument ("/dev/shm/x is a FIFO,
/// not a shared memory object"); the call's name goes before it. Names in
/// it go through [`quoted`]. Call it only where the error is final.
pub fn note(e: Errno, what: String) -> Errno {
    // try_with: a thread being torn down has nowhere to keep it.
    let _ = NOTE.try_with(|n| *n.borrow_mut() = Some(Note { errnum: e.0, what }));
    e
}

/// For Rust callers of the core (the CLI): what the core found behind the
/// error `e` it just returned, if it said anything, taken (a second call
/// gets None). The C layer's equivalent is `rshm_error_detail`.
pub fn explain(e: Errno) -> Option<String> {
    NOTE.try_with(|n| n.borrow_mut().take()).ok().flatten().filter(|n| n.errnum == e.0).map(|n| n.what)
}

/// Records the failure of the exported call `call` with `errnum`: its
/// subject (see [`subject`]) and, if the core explained that errno, its
/// note; or, for a panic, `panic` as what was found.
pub(crate) fn failed(call: &'static str, subject: Option<String>, errnum: i32, panic: Option<String>) {
    let what = explain(Errno(errnum));
    let _ = LAST.try_with(|l| {
        let mut l = l.borrow_mut();
        l.call = call;
        l.subject = subject;
        l.errnum = errnum;
        l.what = panic.or(what);
        l.text.clear();
    });
}

/// The sentence about the thread's last failure, NUL-terminated, owned by
/// the thread: valid until its next failing rshm call (or its exit); the
/// empty string when no call of this thread has failed.
pub fn render() -> *const c_char {
    LAST.try_with(|l| {
        let mut l = l.borrow_mut();
        if l.call.is_empty() {
            return c"".as_ptr();
        }
        if l.text.is_empty() {
            let mut s = String::with_capacity(128);
            s.push_str(l.call);
            if let Some(subject) = &l.subject {
                let _ = write!(s, "({subject})");
            }
            s.push_str(": ");
            match &l.what {
                Some(what) => s.push_str(what),
                None => s.push_str(&super::text(l.errnum).to_string_lossy()),
            }
            // Whatever the core or a panic wrote, no NUL cuts it short.
            let mut bytes = s.into_bytes();
            bytes.retain(|&b| b != 0);
            bytes.push(0);
            l.text = bytes;
        }
        l.text.as_ptr().cast()
    })
    .unwrap_or(c"".as_ptr())
}

/// The subject of a call from its C string argument: the name quoted and
/// escaped, cut at [`SUBJECT_MAX`] bytes, or "NULL".
///
/// # Safety
/// A non-NULL `p` points to memory readable up to its NUL or `max` bytes
/// (what every name-taking export already requires).
pub(crate) unsafe fn subject(p: *const c_char, max: usize) -> String {
    if p.is_null() {
        return "NULL".to_owned();
    }
    // SAFETY: the caller's promise: readable up to the NUL or max bytes.
    let len = unsafe { libc::strnlen(p, max) };
    // SAFETY: bytes 0..len are readable (strnlen stopped before or at max).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    let shown = &bytes[..len.min(SUBJECT_MAX)];
    let mut s = quoted(shown);
    if len > SUBJECT_MAX {
        s.push_str("...");
    }
    if len == max {
        s.push_str(" (no NUL)");
    }
    s
}

/// `bytes` as a C string literal a terminal shows as it is: in double
/// quotes, with `"` and `\` escaped, and every control character, invalid
/// UTF-8 byte and bidirectional override as `\xNN` (each of its bytes).
/// A name in /dev/shm may hold anything; the detail is printed to
/// terminals.
pub fn quoted(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    let mut rest = bytes;
    while !rest.is_empty() {
        // The valid prefix, then one invalid sequence (or a cut-off end).
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(v) => (v, 0),
            Err(e) => {
                let v = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default();
                (v, e.error_len().unwrap_or(rest.len() - e.valid_up_to()))
            }
        };
        for c in valid.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                c if c.is_control() || is_bidi(c) => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(s, "\\x{b:02x}");
                    }
                }
                c => s.push(c),
            }
        }
        for b in &rest[valid.len()..valid.len() + bad] {
            let _ = write!(s, "\\x{b:02x}");
        }
        rest = &rest[valid.len() + bad..];
    }
    s.push('"');
    s
}

/// The characters that reorder what a terminal shows around them.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// [`quoted`] for a C string.
pub fn quoted_c(name: &CStr) -> String {
    quoted(name.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered() -> String {
        // SAFETY: render returns a NUL-terminated string valid until the next failure.
        unsafe { CStr::from_ptr(render()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn empty_until_a_failure_then_the_call_and_its_subject() {
        std::thread::spawn(|| {
            assert_eq!(rendered(), "");
            failed("rshm_x", None, libc::ENOENT, None);
            assert_eq!(rendered(), "rshm_x: No such file or directory");
            // The same pointer when asked twice.
            assert_eq!(render(), render());
            note(Errno(libc::ENODEV), "/dev/shm/x is a FIFO, not a shared memory object".into());
            failed("rshm_segment_open", Some(quoted(b"/x")), libc::ENODEV, None);
            assert_eq!(rendered(), "rshm_segment_open(\"/x\"): /dev/shm/x is a FIFO, not a shared memory object");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_note_about_another_errno_is_dropped() {
        std::thread::spawn(|| {
            note(Errno(libc::EAGAIN), "not ready".into());
            failed("rshm_y", None, libc::EPROTO, None);
            assert_eq!(rendered(), "rshm_y: Protocol error");
            // ... and not kept for the next failure either.
            failed("rshm_y", None, libc::EAGAIN, None);
            assert_eq!(rendered(), "rshm_y: Resource temporarily unavailable");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn rust_callers_get_the_note_once() {
        std::thread::spawn(|| {
            let e = note(Errno(libc::ENODEV), "a FIFO".into());
            assert_eq!(explain(Errno(libc::EINVAL)), None);
            let e2 = note(e, "a FIFO".into());
            assert_eq!(explain(e2).as_deref(), Some("a FIFO"));
            assert_eq!(explain(e2), None);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn names_are_escaped_and_cut() {
        assert_eq!(quoted(b"/a\x1b]0;x\x07\n\"\\"), "\"/a\\x1b]0;x\\x07\\x0a\\\"\\\\\"");
        assert_eq!(quoted(b"\xff\xc3\xa9\xe2\x80\xae"), "\"\\xffé\\xe2\\x80\\xae\"");
        let long = vec![b'a'; 5000];
        // SAFETY: long is readable for 5000 bytes and max is 4096.
        let s = unsafe { subject(long.as_ptr().cast(), 4096) };
        assert!(s.ends_with("...\" (no NUL)") || s.ends_with("\"... (no NUL)"), "{s}");
        assert!(s.len() < SUBJECT_MAX + 20);
        // SAFETY: NULL is the case under test.
        assert_eq!(unsafe { subject(std::ptr::null(), 10) }, "NULL");
    }
}
