//! Bytes in and out in bounded memory: dump and cat of large sparse
//! objects, create reserving its pages, write rolling back, and a standard
//! output that fails.
#![cfg(target_os = "linux")] // the command reads /dev/shm and /proc: Linux only

mod common;

use common::{bin, errno_of, exists, json, rshm, rshm_in, text, unique, Cleanup};
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

const GIB: u64 = 1 << 30;

/// A sparse object of `len` bytes with `what` written at each offset.
fn sparse(name: &str, len: u64, writes: &[(u64, &[u8])]) {
    let f =
        std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(format!("/dev/shm/{name}")).unwrap();
    f.set_len(len).unwrap();
    for (at, what) in writes {
        f.write_all_at(what, *at).unwrap();
    }
}

/// Runs `rshm ARGS` and returns its standard output, exit status and peak
/// resident set (KiB, from wait4).
///
/// The figure must be rshm's own: a process inherits at exec the peak of
/// the memory it was spawned from (the kernel keeps the larger of the
/// two), and this test process is large. So a fresh, small copy of this
/// test binary spawns rshm ([`rss_helper`]) and reports the figure, which
/// then counts the helper's few MiB at most.
fn with_rss(args: &[&str]) -> (Vec<u8>, i32, i64) {
    let out_file = std::env::temp_dir().join(unique("rss-out"));
    let helper = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "rss_helper", "--nocapture", "--test-threads=1"])
        .env("RSHM_TEST_RSS_ARGS", args.join("\x1f"))
        .env("RSHM_TEST_RSS_OUT", &out_file)
        .output()
        .unwrap();
    let said = text(&helper.stdout);
    let out = std::fs::read(&out_file).unwrap_or_default();
    let _ = std::fs::remove_file(&out_file);
    let field = |key: &str| -> i64 {
        // The harness prints "test rss_helper ... " on the same line.
        let after = said.split(key).nth(1).unwrap_or_else(|| panic!("{said}"));
        after.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{said}"))
    };
    (out, field("rshm-exit ") as i32, field("rshm-peak-rss-kib "))
}

#[test]
#[allow(clippy::zombie_processes)] // wait4 reaps the child: Child::wait could not give its rusage
#[ignore = "a helper of with_rss: runs rshm, prints its exit status and peak RSS"]
fn rss_helper() {
    let args = std::env::var("RSHM_TEST_RSS_ARGS").expect("run by with_rss");
    let out = std::fs::File::create(std::env::var("RSHM_TEST_RSS_OUT").unwrap()).unwrap();
    let child = Command::new(bin()).args(args.split('\x1f')).stdout(out).spawn().unwrap();
    let mut status = 0;
    // SAFETY: all-zero bytes are a valid rusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and waited for only here; status and ru are writable.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert_eq!(pid, child.id() as i32);
    println!("rshm-exit {}", libc::WEXITSTATUS(status));
    println!("rshm-peak-rss-kib {}", ru.ru_maxrss);
}

#[test]
fn dump_of_a_64_gib_sparse_object_runs_in_bounded_memory() {
    let name = unique("dump64g");
    let _c = Cleanup::new(&name);
    sparse(&name, 64 * GIB, &[(0, b"hello"), (40 * GIB + 3, b"there")]);
    let (out, code, rss) = with_rss(&["dump", &name]);
    let out = text(&out);
    eprintln!("rshm dump of a 64 GiB sparse object: peak RSS {rss} KiB, {} lines", out.lines().count());
    assert_eq!(code, 0);
    assert!(
        out.starts_with("00000000  68 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  |hello...........|\n"),
        "{out}"
    );
    assert!(out.contains("a00000000  00 00 00 74 68 65 72 65  00 00 00 00 00 00 00 00  |...there........|\n"), "{out}");
    assert!(out.ends_with("*\n1000000000\n"), "{out}");
    assert!(rss < 32 * 1024, "peak RSS {rss} KiB");

    let (out, code, rss) = with_rss(&["dump", &name, "--offset", "39G", "--length", "3G"]);
    eprintln!("rshm dump --offset 39G --length 3G: peak RSS {rss} KiB");
    assert_eq!(code, 0);
    assert!(text(&out).ends_with("a80000000\n"), "{}", text(&out));
    assert!(rss < 32 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn cat_streams_in_bounded_memory() {
    let name = unique("cat");
    let _c = Cleanup::new(&name);
    sparse(&name, 256 << 20, &[(100 << 20, b"x")]);
    let (out, code, rss) = with_rss(&["cat", &name]);
    eprintln!("rshm cat of a 256 MiB object: peak RSS {rss} KiB");
    assert_eq!(code, 0);
    assert_eq!(out.len(), 256 << 20);
    assert_eq!(out[100 << 20], b'x');
    assert!(rss < 32 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn create_reserves_the_pages_and_leaves_nothing_when_it_cannot() {
    let name = unique("huge");
    let _c = Cleanup::new(&name);
    let out = rshm(&["create", &name, "1T"]);
    assert_eq!((out.status.code(), errno_of(&out)), (Some(1), "ENOSPC".to_owned()), "{out:?}");
    assert!(!exists(name.as_bytes()));

    let small = unique("reserved");
    let _c2 = Cleanup::new(&small);
    assert!(rshm(&["create", &small, "1M"]).status.success());
    assert_eq!(json(&rshm(&["stat", &small, "--json"]))["resident"], 1 << 20, "pages reserved at create");
}

#[test]
fn a_failed_write_takes_back_what_it_grew() {
    let name = unique("rollback");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "4K"]).status.success());
    // A file-size limit makes growing past 256 KiB fail (EFBIG; SIGXFSZ ignored).
    let mut cmd = Command::new(bin());
    cmd.args(["write", &name]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 256 << 10, rlim_max: 256 << 10 };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = common::run(cmd, &vec![7u8; 1 << 20]);
    assert_eq!((out.status.code(), errno_of(&out)), (Some(1), "EFBIG".to_owned()), "{out:?}");
    assert!(text(&out.stderr).contains("back to its 4096 bytes"), "{}", text(&out.stderr));
    assert_eq!(json(&rshm(&["stat", &name, "--json"]))["size"], 4096);

    assert!(rshm_in(&["write", &name], &[1u8; 10000]).status.success(), "an ordinary write still grows it");
    assert_eq!(json(&rshm(&["stat", &name, "--json"]))["size"], 10000);
}

#[test]
fn a_failed_write_to_standard_output_is_an_error_not_a_panic() {
    let name = unique("full");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "1M"]).status.success());
    for args in [vec!["ls"], vec!["cat", &name], vec!["dump", &name], vec!["stat", &name], vec!["ls", "--json"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(bin()).args(&args).stdout(full).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("write to standard output: ENOSPC") && !err.contains("panicked"), "{args:?}: {err}");
    }
}
