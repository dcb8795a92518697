//! What the fuzz targets share: names the fuzzer cannot aim at anyone
//! else's objects, errno, and removal of whatever a run leaves in /dev/shm.

use std::ffi::CString;
use std::sync::Once;

/// errno after a panic inside rshm (src/capi/boundary.rs): always a bug.
pub const PANIC_ERRNO: i32 = libc::ENOTRECOVERABLE;

/// "/rshm-fuzz-PID-": every object name a target makes starts with it, so
/// fuzzed bytes can only ever name this process's own objects.
pub fn prefix() -> String {
    format!("/rshm-fuzz-{}-", std::process::id())
}

/// `prefix()` followed by `tail` up to its first NUL.
pub fn name(tail: &[u8]) -> CString {
    let tail = &tail[..tail.iter().position(|&b| b == 0).unwrap_or(tail.len())];
    let mut v = prefix().into_bytes();
    v.extend_from_slice(tail);
    CString::new(v).expect("no NUL: cut at the first one")
}

/// The calling thread's errno.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Panics unless a failed call set one of `allowed` (never rshm's panic errno).
pub fn expect_errno(what: &str, allowed: &[i32]) {
    let e = errno();
    assert!(e != PANIC_ERRNO, "{what}: rshm panicked");
    assert!(allowed.contains(&e), "{what}: unexpected errno {e} ({})", std::io::Error::from_raw_os_error(e));
}

/// Removes this process's objects from /dev/shm when it exits (libFuzzer
/// exits through exit(3) at the end of a bounded run).
pub fn clean_at_exit() {
    static ONCE: Once = Once::new();
    // SAFETY: clean is an extern "C" fn that lives as long as the program.
    ONCE.call_once(|| unsafe {
        libc::atexit(clean);
    });
}

extern "C" fn clean() {
    remove_leftovers(std::process::id());
}

/// Removes "rshm-fuzz-PID-*" and rshm's temporary names of `pid`.
pub fn remove_leftovers(pid: u32) {
    let mine = format!("rshm-fuzz-{pid}-");
    let tmp = format!("rshm-tmp.{pid}.");
    let Ok(dir) = std::fs::read_dir("/dev/shm") else { return };
    for e in dir.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        if n.starts_with(&mine) || n.starts_with(&tmp) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
