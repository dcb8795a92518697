//! What every CLI test shares: its own names, running `rshm` with a
//! deadline, and removing whatever a test made in /dev/shm.
#![allow(dead_code)] // each test file uses its own part of this

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// No subcommand may take longer, whatever it meets in /dev/shm.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// "rshm-test-PID-N-tag": this test's own name.
pub fn unique(tag: &str) -> String {
    format!("rshm-test-{}-{}-{tag}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rshm")
}

/// Runs `cmd` to its end, killed and failed past [`DEADLINE`]; `input`
/// goes to its standard input.
pub fn run(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let outs = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let errs = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = feeder.join();
    Output { status, stdout: outs.join().unwrap(), stderr: errs.join().unwrap() }
}

/// `rshm ARGS` (any bytes), with standard input `input`.
pub fn rshm_in<S: AsRef<OsStr>>(args: &[S], input: &[u8]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    run(cmd, input)
}

pub fn rshm<S: AsRef<OsStr>>(args: &[S]) -> Output {
    rshm_in(args, b"")
}

/// An argument of raw bytes.
pub fn raw(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The path of a name in /dev/shm.
pub fn path(name: &[u8]) -> std::path::PathBuf {
    let mut p = b"/dev/shm/".to_vec();
    p.extend_from_slice(name);
    std::path::PathBuf::from(OsString::from_vec(p))
}

pub fn exists(name: &[u8]) -> bool {
    std::fs::symlink_metadata(path(name)).is_ok()
}

/// Removes the name when the test ends, pass or fail, whatever it is: an
/// object, a FIFO, a link (never its target) or an empty directory.
pub struct Cleanup(pub Vec<u8>);

impl Cleanup {
    pub fn new(name: impl AsRef<[u8]>) -> Cleanup {
        Cleanup(name.as_ref().to_vec())
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let p = path(&self.0);
        if std::fs::remove_file(&p).is_err() {
            let _ = std::fs::remove_dir(&p);
        }
    }
}

/// The errno name `rshm` reported ("ENOENT" in "rshm: ...: ENOENT (...)").
pub fn errno_of(out: &Output) -> String {
    let err = text(&out.stderr);
    err.split(": ")
        .find(|w| w.starts_with('E') && w.contains(" ("))
        .map(|w| w.split(' ').next().unwrap().to_owned())
        .unwrap_or_else(|| format!("no errno in {err:?}"))
}

/// A line saying a test was skipped, and how to get what it needs; under
/// CI=true a skip is a failure.
pub fn skip(why: &str) {
    eprintln!("SKIP: {why}");
    assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "skipped under CI: {why}");
}

pub fn os(s: &str) -> &OsStr {
    OsStr::from_bytes(s.as_bytes())
}

/// For tests that need every process in view: true (after a SKIP line)
/// when `rshm` cannot inspect some process that could hold a fresh object
/// of this test's, as in a sandbox whose init hides its maps even from
/// root. Such a machine rightly keeps everything; the tests of holders
/// and removal need a private /dev/shm there (see the guide).
pub fn skip_if_blind(test: &str) -> bool {
    let probe = unique("blind-probe");
    let _c = Cleanup::new(&probe);
    assert!(rshm(&["create", &probe, "1"]).status.success());
    let st = json(&rshm(&["stat", &probe, "--json"]));
    let Some(why) = st["holders_unknown"].as_str() else { return false };
    skip(&format!(
        "{test}: rshm's holder scan is blind here ({why}); run it with a private /dev/shm: \
         unshare -m sh -c 'mount -t tmpfs tmpfs /dev/shm && exec cargo test'"
    ));
    true
}
