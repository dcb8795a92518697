//! The sentence behind `rshm_error_detail`: which call failed, on which
//! argument, and what it found, kept per thread like dlerror(3).
//!
//! Two halves, so that no failing path has to remember it. The core says
//! what it found where it finds it ([`note`], tagged with the errno it
//! explains); the C layer's panic boundary, which knows the call's name and
//! its name argument, records every failure (`failed`) and takes the
//! core's note only when the errno it returns is the one the note explains
//! (a note about an error the core recovered from, or mapped to another
//! errno, is dropped). Nothing is formatted until someone asks
//! ([`render`]), and a failure with nothing more to say (a poll that found
//! nothing: EAGAIN) is one read and one write of a thread-local `Cell` of
//! plain data: about 40 instructions more per failing call (callgrind, an
//! EAGAIN poll of an empty channel: 245 against 204 before). The owned
//! strings are touched only when there are some. A succeeding call costs
//! nothing: the detail stays about the last failure, as errno does.

use super::Errno;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr};
use std::fmt::Write;

/// The longest part of a name argument shown; longer ones end in "...".
const SUBJECT_MAX: usize = 64;

/// The last failure, as plain data in a `Cell`: what every failure writes,
/// without a destructor to register or a borrow to check.
#[derive(Clone, Copy)]
struct Last {
    call: &'static str,
    errnum: i32,
    /// Counts failures: which one `Words::text` was rendered for.
    seq: u32,
    /// The errno the pending note in `Words` explains; 0: none pending.
    note_for: i32,
    /// Whether `Words` holds this failure's subject, and its what.
    subject: bool,
    what: bool,
}

/// The owned strings, touched only when a failure has any (a name
/// argument, a note, a panic) and when the detail is read.
struct Words {
    note: String,
    subject: String,
    what: String,
    /// `render`'s result, NUL-terminated, for failure number `text_seq`.
    text: Vec<u8>,
    text_seq: u32,
}

thread_local! {
    static LAST: Cell<Last> =
        const { Cell::new(Last { call: "", errnum: 0, seq: 0, note_for: 0, subject: false, what: false }) };
    static WORDS: RefCell<Words> = const {
        RefCell::new(Words { note: String::new(), subject: String::new(), what: String::new(), text: Vec::new(), text_seq: 0 })
    };
}

/// Records what the core found behind the errno `e` it is about to return,
/// and returns `e`: `return Err(note(Errno(libc::ENODEV), format!(...)))`.
/// `what` is a clause about the object or argument ("/dev/shm/x is a FIFO,
/// not a shared memory object"); the call's name goes before it. Names in
/// it go through [`quoted`]. Call it only where the error is final.
pub fn note(e: Errno, what: String) -> Errno {
    // try_with: a thread being torn down has nowhere to keep it.
    if WORDS.try_with(|w| w.borrow_mut().note = what).is_ok() {
        let _ = LAST.try_with(|l| l.set(Last { note_for: e.0, ..l.get() }));
    }
    e
}

/// For Rust callers of the core (the CLI): what the core found behind the
/// error `e` it just returned, if it said anything, taken (a second call
/// gets None). The C layer's equivalent is `rshm_error_detail`.
pub fn explain(e: Errno) -> Option<String> {
    let last = LAST.try_with(Cell::get).ok()?;
    if last.note_for == 0 {
        return None;
    }
    let _ = LAST.try_with(|l| l.set(Last { note_for: 0, ..last }));
    let note = WORDS.try_with(|w| std::mem::take(&mut w.borrow_mut().note)).ok()?;
    (last.note_for == e.0).then_some(note)
}

/// Records the failure of the exported call `call` with `errnum`: its
/// subject (see [`subject`]) and, if the core explained that errno, its
/// note; or, for a panic, `panic` as what was found. Without a subject, a
/// note or a panic (a poll that found nothing: EAGAIN), one `Cell` store.
#[inline]
pub(crate) fn failed(call: &'static str, subject: Option<String>, errnum: i32, panic: Option<String>) {
    // The common case, a failure with nothing more to say (a poll that
    // found nothing: EAGAIN), is one read and one write of the Cell.
    if subject.is_none() && panic.is_none() {
        let done = LAST.try_with(|l| {
            let last = l.get();
            if last.note_for != 0 && last.note_for == errnum {
                return false;
            }
            let seq = last.seq.wrapping_add(1);
            l.set(Last { call, errnum, seq, note_for: 0, subject: false, what: false });
            true
        });
        if done != Ok(false) {
            return;
        }
    }
    failed_with_words(call, subject, errnum, panic);
}

#[cold]
#[inline(never)]
fn failed_with_words(call: &'static str, subject: Option<String>, errnum: i32, panic: Option<String>) {
    let Ok(last) = LAST.try_with(Cell::get) else { return };
    let noted = last.note_for != 0 && last.note_for == errnum;
    let (has_subject, has_what) = (subject.is_some(), panic.is_some() || noted);
    let kept = WORDS.try_with(|w| {
        let w = &mut *w.borrow_mut();
        if let Some(s) = subject {
            w.subject = s;
        }
        match panic {
            Some(p) => w.what = p,
            None if noted => w.what = std::mem::take(&mut w.note),
            None => {}
        }
    });
    let kept = kept.is_ok();
    let next = Last {
        call,
        errnum,
        seq: last.seq.wrapping_add(1),
        note_for: 0,
        subject: kept && has_subject,
        what: kept && has_what,
    };
    let _ = LAST.try_with(|l| l.set(next));
}

/// The sentence about the thread's last failure, NUL-terminated, owned by
/// the thread: valid until its next failing rshm call (or its exit); the
/// empty string when no call of this thread has failed.
pub fn render() -> *const c_char {
    let Ok(l) = LAST.try_with(Cell::get) else { return c"".as_ptr() };
    if l.call.is_empty() {
        return c"".as_ptr();
    }
    WORDS
        .try_with(|w| {
            let w = &mut *w.borrow_mut();
            if w.text.is_empty() || w.text_seq != l.seq {
                let mut s = String::with_capacity(128);
                s.push_str(l.call);
                if l.subject {
                    let _ = write!(s, "({})", w.subject);
                }
                s.push_str(": ");
                if l.what {
                    s.push_str(&w.what);
                } else {
                    s.push_str(&super::text(l.errnum).to_string_lossy());
                }
                // Whatever the core or a panic wrote, no NUL cuts it short.
                w.text.clear();
                w.text.extend(s.bytes().filter(|&b| b != 0));
                w.text.push(0);
                w.text_seq = l.seq;
            }
            w.text.as_ptr().cast()
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
