//! The `rshm` binary end to end: create, write, cat, dump, stat, ls with and
//! without a holder, rm --unused, rm; JSON parsed.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// "rshm-test-PID-N-tag": this test's own name.
fn unique(tag: &str) -> String {
    format!("rshm-test-{}-{}-{tag}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn rshm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rshm")).args(args).output().expect("run rshm")
}

fn rshm_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rshm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rshm");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Removes the object when the test ends, pass or fail.
struct Cleanup(String);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = rshm::shm::unlink(&std::ffi::CString::new(format!("/{}", self.0)).unwrap());
    }
}

#[test]
fn create_write_cat_dump_stat_rm() {
    let name = unique("life");
    let _c = Cleanup(name.clone());
    assert!(rshm(&["create", &name, "8K", "--mode", "0640"]).status.success());

    let st = json(&rshm(&["stat", &name, "--json"]));
    assert_eq!(st["size"], 8192);
    assert_eq!(st["mode"], 0o640);
    assert_eq!(st["mode_string"], "[0640] rw-r-----");
    assert_eq!(st["kind"], "plain");
    assert_eq!(st["holders"].as_array().map(Vec::len), Some(0));

    assert!(rshm_stdin(&["write", &name], b"hello, shm").status.success());
    let cat = rshm(&["cat", &name]);
    assert!(cat.status.success());
    assert_eq!(cat.stdout.len(), 8192);
    assert_eq!(&cat.stdout[..10], b"hello, shm");

    let dump = rshm(&["dump", &name, "--offset", "0", "--length", "5"]);
    assert_eq!(
        String::from_utf8_lossy(&dump.stdout).lines().next(),
        Some("00000000  68 65 6c 6c 6f                                    |hello|")
    );

    // Input longer than the object grows it.
    assert!(rshm_stdin(&["write", &name], &[7u8; 10000]).status.success());
    assert_eq!(json(&rshm(&["stat", &name, "--json"]))["size"], 10000);

    assert!(rshm(&["rm", &name]).status.success());
    assert!(!std::path::Path::new(&format!("/dev/shm/{name}")).exists());
}

#[test]
fn errors_name_the_errno_and_help() {
    let name = unique("missing");
    let out = rshm(&["rm", &name]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ENOENT (No such file or directory)") && err.contains("help: "), "{err}");

    let dup = unique("dup");
    let _c = Cleanup(dup.clone());
    assert!(rshm(&["create", &dup, "1"]).status.success());
    let again = rshm(&["create", &dup, "1"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("EEXIST"));

    assert_eq!(rshm(&["create", &dup]).status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn ls_shows_holders_and_rm_unused_spares_held_objects() {
    let prefix = unique("ls");
    let held = format!("{prefix}-held");
    let free = format!("{prefix}-free");
    let (_c1, _c2) = (Cleanup(held.clone()), Cleanup(free.clone()));
    assert!(rshm(&["create", &held, "4K"]).status.success());
    assert!(rshm(&["create", &free, "4K"]).status.success());

    // This test process holds `held` open.
    let c = std::ffi::CString::new(format!("/{held}")).unwrap();
    let fd = rshm::shm::open(&c, libc::O_RDONLY, 0).unwrap();

    let list = json(&rshm(&["ls", "--json", "--prefix", &prefix]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let entry = |n: &str| list.iter().find(|o| o["name"] == n).unwrap().clone();
    let me = std::process::id();
    assert!(entry(&held)["holders"].as_array().unwrap().iter().any(|h| h["pid"] == me && h["fds"] == 1));
    assert_eq!(entry(&free)["holders"].as_array().unwrap().len(), 0);

    let table = rshm(&["ls", "--prefix", &prefix]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("NAME") && text.contains(&held) && text.contains(&free), "{text}");

    let dry = rshm(&["rm", "--unused", "--prefix", &prefix, "--dry-run"]);
    let dry = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.contains(&format!("would remove /{free}")) && !dry.contains(&held), "{dry}");
    assert!(std::path::Path::new(&format!("/dev/shm/{free}")).exists(), "dry run removed nothing");

    // Not old enough: nothing goes.
    assert!(rshm(&["rm", "--unused", "--prefix", &prefix, "--older-than", "1h"]).status.success());
    assert!(std::path::Path::new(&format!("/dev/shm/{free}")).exists());

    assert!(rshm(&["rm", "--unused", "--prefix", &prefix]).status.success());
    assert!(!std::path::Path::new(&format!("/dev/shm/{free}")).exists());
    assert!(std::path::Path::new(&format!("/dev/shm/{held}")).exists(), "a held object stays");
    rshm::fd::close(fd).unwrap();
}

#[test]
fn rshm_segments_are_recognised() {
    let name = unique("seg");
    let _c = Cleanup(name.clone());
    let c = std::ffi::CString::new(format!("/{name}")).unwrap();
    let seg = rshm::segment::Segment::create(&c, 100, 0o600).unwrap();
    let st = json(&rshm(&["stat", &name, "--json"]));
    assert_eq!(st["kind"], "rshm-segment");
    assert_eq!(st["version"], 2);
    assert_eq!(st["state"], "ready");
    assert!(st["holders"].as_array().unwrap().iter().any(|h| h["pid"] == std::process::id() && h["maps"] == 1), "{st}");
    drop(seg);
    assert_eq!(json(&rshm(&["stat", &name, "--json"]))["holders"].as_array().map(Vec::len), Some(0));
}

#[test]
fn rshm_channels_are_recognised() {
    let name = unique("chan");
    let _c = Cleanup(name.clone());
    let c = std::ffi::CString::new(format!("/{name}")).unwrap();
    let ch = rshm::channel::Channel::create(&c, 4096, 0o600).unwrap();
    let st = json(&rshm(&["stat", &name, "--json"]));
    assert_eq!(st["kind"], "rshm-channel");
    assert_eq!(st["version"], 2);
    assert_eq!(st["state"], "ready");
    let ls = rshm(&["ls", "--prefix", &name]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains("rshm-channel v2 ready"), "{ls:?}");
    drop(ch);
}
