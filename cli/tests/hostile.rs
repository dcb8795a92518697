//! /dev/shm as an attacker leaves it: FIFOs, links, directories, `..`,
//! names and process names full of escape bytes and invalid UTF-8, and
//! cleanup racing a creator or blind to another user's processes.
#![cfg(target_os = "linux")] // the command reads /dev/shm and /proc: Linux only

mod common;

use common::{bin, errno_of, exists, json, os, raw, rshm, rshm_in, skip, text, unique, Cleanup};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

fn mkfifo(name: &str) {
    let p = CString::new(format!("/dev/shm/{name}")).unwrap();
    // SAFETY: p is NUL-terminated.
    assert_eq!(unsafe { libc::mkfifo(p.as_ptr(), 0o666) }, 0);
}

#[test]
fn fifos_links_directories_and_dotdot_against_every_subcommand() {
    let p = unique("hostile");
    let (target, fifo, link, dir) =
        (format!("{p}-target"), format!("{p}-fifo"), format!("{p}-link"), format!("{p}-dir"));
    let _c: Vec<Cleanup> = [&target, &fifo, &link, &dir].iter().map(Cleanup::new).collect();
    assert!(rshm(&["create", &target, "4K"]).status.success());
    assert!(rshm_in(&["write", &target], b"secret").status.success());
    mkfifo(&fifo);
    std::os::unix::fs::symlink(format!("/dev/shm/{target}"), format!("/dev/shm/{link}")).unwrap();
    std::fs::create_dir(format!("/dev/shm/{dir}")).unwrap();

    for (name, kind, errno) in [(&fifo, "fifo", "EINVAL"), (&link, "symlink", "ELOOP"), (&dir, "directory", "EISDIR")] {
        let st = json(&rshm(&["stat", name, "--json"]));
        assert_eq!(st["type"], kind, "{st}");
        for args in [vec!["cat", name], vec!["dump", name], vec!["write", name]] {
            let out = rshm_in(&args, b"overwritten");
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert_eq!(errno_of(&out), errno, "{args:?}");
            assert!(text(&out.stderr).contains(&format!("is a {kind}, not a shared memory object")), "{out:?}");
        }
        let again = rshm(&["create", name, "1K"]);
        assert_eq!((again.status.code(), errno_of(&again)), (Some(1), "EEXIST".to_owned()), "create {name}");
    }
    // The link was never followed: not by stat, write or create.
    let st = json(&rshm(&["stat", &link, "--json"]));
    assert_eq!(st["link_target"], format!("/dev/shm/{target}"));
    assert_eq!(st["size"], format!("/dev/shm/{target}").len());
    assert_eq!(&rshm(&["cat", &target]).stdout[..6], b"secret");
    assert_eq!(json(&rshm(&["stat", &target, "--json"]))["size"], 4096);

    let ls = json(&rshm(&["ls", "--json", "--prefix", &p]));
    let types: Vec<(String, String)> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_owned(), o["type"].as_str().unwrap().to_owned()))
        .collect();
    let want = |n: &str, t: &str| (n.to_owned(), t.to_owned());
    assert_eq!(types, [want(&dir, "directory"), want(&fifo, "fifo"), want(&link, "symlink"), want(&target, "regular")]);

    let dry = text(&rshm(&["rm", "--unused", "--prefix", &p, "--dry-run"]).stdout);
    for (name, kind) in [(&fifo, "fifo"), (&link, "symlink"), (&dir, "directory")] {
        assert!(dry.contains(&format!("kept /{name}: a {kind}, not a shared memory object")), "{dry}");
    }
    assert!(rshm(&["reap", &p]).status.success());
    assert!(exists(fifo.as_bytes()) && exists(link.as_bytes()) && exists(dir.as_bytes()));

    // Names with ".." or a slash are libc's EINVAL in every subcommand.
    for bad in ["..", "/..", ".", "../../etc/shadow", "a/b", ""] {
        for args in [
            vec!["stat", bad],
            vec!["cat", bad],
            vec!["dump", bad],
            vec!["write", bad],
            vec!["create", bad, "1K"],
            vec!["rm", bad],
        ] {
            let out = rshm(&args);
            assert_eq!((out.status.code(), errno_of(&out)), (Some(1), "EINVAL".to_owned()), "{args:?}");
        }
    }

    // rm takes a link or a FIFO itself away, never the link's target; a
    // directory is EISDIR.
    assert!(rshm(&["rm", &link, &fifo]).status.success());
    assert!(!exists(link.as_bytes()) && !exists(fifo.as_bytes()) && exists(target.as_bytes()));
    let rd = rshm(&["rm", &dir]);
    assert_eq!((rd.status.code(), errno_of(&rd)), (Some(1), "EISDIR".to_owned()));
}

/// Whether `out` is free of every byte a terminal acts on (ESC, BEL, any
/// C0 but newline, DEL, C1) and of invalid UTF-8.
fn terminal_safe(out: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(out) else { return false };
    s.chars().all(|c| c == '\n' || !c.is_control())
}

#[test]
fn names_with_escapes_newlines_and_invalid_utf8_are_shown_safely_and_reachable() {
    let p = unique("names");
    let names: Vec<Vec<u8>> =
        [&b"-esc\x1b]0;pwned\x07"[..], b"-nl\nforged row", b"-bad\xff\xfe", "-c1\u{9b}2J".as_bytes()]
            .iter()
            .map(|s| [p.as_bytes(), s].concat())
            .collect();
    let _c: Vec<Cleanup> = names.iter().map(Cleanup::new).collect();
    for n in &names {
        let out = rshm(&[os("create"), &raw(n), os("1K")]);
        assert!(out.status.success(), "{out:?}");
        assert!(terminal_safe(&out.stdout), "{out:?}");
    }

    let ls = rshm(&["ls", "--prefix", &p]);
    assert!(ls.status.success());
    assert!(terminal_safe(&ls.stdout), "{:?}", text(&ls.stdout));
    assert_eq!(text(&ls.stdout).lines().count(), 1 + names.len(), "no forged row");
    assert!(text(&ls.stdout).contains(&format!("{p}-esc\\x1b]0;pwned\\x07")));

    // On a terminal too (script(1) gives the command a pseudo-terminal).
    if Command::new("script").arg("--version").output().is_ok() {
        let cmd = format!("{} ls --prefix {p}", bin());
        let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().unwrap();
        let shown: Vec<u8> = out.stdout.iter().copied().filter(|&b| b != b'\r').collect();
        assert!(terminal_safe(&shown), "{:?}", text(&out.stdout));
        assert!(text(&shown).contains(&format!("{p}-bad\\xff\\xfe")), "{:?}", text(&shown));
    } else {
        skip("script(1) not found: ls on a pseudo-terminal untested (apt-get install bsdutils)");
    }

    // JSON: plain ASCII, every name back exactly (name, or name_hex when not UTF-8).
    let out = rshm(&["ls", "--json", "--prefix", &p]);
    assert!(out.stdout.iter().all(|&b| b == b'\n' || (0x20..0x7f).contains(&b)));
    let mut back: Vec<Vec<u8>> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|o| match o["name_hex"].as_str() {
            Some(h) => (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect(),
            None => o["name"].as_str().unwrap().as_bytes().to_vec(),
        })
        .collect();
    back.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(back, want);

    // stat and error messages escape too.
    for n in &names {
        let st = rshm(&[os("stat"), &raw(n)]);
        assert!(st.status.success() && terminal_safe(&st.stdout), "{st:?}");
        let missing = [n.as_slice(), b"-missing\x1b[2J"].concat();
        let err = rshm(&[os("cat"), &raw(&missing)]);
        assert_eq!(err.status.code(), Some(1));
        assert!(terminal_safe(&err.stderr), "{:?}", text(&err.stderr));
    }
    let usage = rshm(&[os("--bogus\x1b[2J")]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(terminal_safe(&usage.stderr), "{:?}", text(&usage.stderr));

    // Any name is reachable as raw bytes: rm removes exactly that one.
    let bad = &names[2];
    assert!(rshm(&[os("rm"), &raw(bad)]).status.success());
    assert!(!exists(bad) && names.iter().filter(|n| exists(n)).count() == names.len() - 1);
}

#[test]
fn process_names_with_escapes_are_shown_safely() {
    if common::skip_if_blind("process_names_with_escapes_are_shown_safely") {
        return;
    }
    let name = unique("comm");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "1K"]).status.success());
    // comm comes from the executable's file name: a link to sleep named with escapes.
    let dir = std::env::temp_dir().join(unique("comm-dir"));
    std::fs::create_dir(&dir).unwrap();
    let exe = dir.join(OsString::from(std::ffi::OsStr::from_bytes(b"\x1b]0;x\x07\x1b[31mz")));
    std::os::unix::fs::symlink("/bin/sleep", &exe).unwrap();
    let held = std::fs::File::open(format!("/dev/shm/{name}")).unwrap();
    let mut child = Command::new(&exe).arg("30").stdin(held).spawn().unwrap();
    let mut seen = false;
    for _ in 0..200 {
        let ls = rshm(&["ls", "--prefix", &name]);
        assert!(terminal_safe(&ls.stdout), "{:?}", text(&ls.stdout));
        if text(&ls.stdout).contains(&format!("\\x1b]0;x\\x07\\x1b[31mz[{}]:fd", child.id())) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(seen, "the holder appeared under its escaped name");
}

#[test]
fn a_creator_racing_rm_unused_loses_nothing() {
    if common::skip_if_blind("a_creator_racing_rm_unused_loses_nothing") {
        return;
    }
    const N: usize = 300;
    let p = unique("race");
    let names: Vec<String> = (0..N).map(|i| format!("{p}-{i}")).collect();
    let _c: Vec<Cleanup> = names.iter().map(Cleanup::new).collect();
    let creator = {
        let names = names.clone();
        std::thread::spawn(move || {
            // Each segment is held (descriptor and mapping) before its name is linked in.
            names
                .iter()
                .map(|n| {
                    let seg = rshm::segment::Segment::create(&CString::new(n.as_str()).unwrap(), 64, 0o600);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    seg.unwrap()
                })
                .collect::<Vec<_>>()
        })
    };
    let mut sweeps = 0;
    let mut removed = Vec::new();
    while !creator.is_finished() || sweeps < 3 {
        let out = rshm(&["rm", "--unused", "--prefix", &p]);
        assert!(out.status.success(), "{out:?}");
        removed.extend(text(&out.stdout).lines().filter(|l| l.starts_with("removed")).map(str::to_owned));
        sweeps += 1;
    }
    let segs = creator.join().unwrap();
    let missing: Vec<&String> = names.iter().filter(|n| !exists(n.as_bytes())).collect();
    drop(segs);
    eprintln!("{sweeps} sweeps of rm --unused raced {N} creations");
    assert!(removed.is_empty() && missing.is_empty(), "removed {removed:?}, missing {missing:?}");
}

#[test]
fn as_another_user_what_it_cannot_see_or_remove_is_kept() {
    // SAFETY: geteuid has no failure.
    if unsafe { libc::geteuid() } != 0 {
        return skip("needs root to run rshm as another user (setpriv)");
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        return skip("setpriv not found (apt-get install util-linux)");
    }
    let p = unique("blind");
    let (held, roots) = (format!("{p}-held"), format!("{p}-roots"));
    let _c = (Cleanup::new(&held), Cleanup::new(&roots));
    assert!(rshm(&["create", &held, "1K"]).status.success());
    assert!(rshm(&["create", &roots, "1K"]).status.success());
    // `held` belongs to nobody, and this (root) process holds it open.
    std::os::unix::fs::chown(format!("/dev/shm/{held}"), Some(65534), Some(65534)).unwrap();
    let _fd = std::fs::File::open(format!("/dev/shm/{held}")).unwrap();
    let as_nobody = |args: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin()]).args(args);
        common::run(cmd, b"")
    };
    for dry in [true, false] {
        let mut args = vec!["rm", "--unused", "--prefix", &p];
        if dry {
            args.push("--dry-run");
        }
        let out = as_nobody(&args);
        let said = text(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(said.contains(&format!("kept /{held}: cannot see the processes of uid 0")), "{said}");
        assert!(said.contains(&format!("kept /{roots}: owned by uid 0: only its owner may remove it")), "{said}");
    }
    assert!(exists(held.as_bytes()) && exists(roots.as_bytes()));
    let ls = json(&as_nobody(&["ls", "--json", "--prefix", &held]));
    assert!(ls[0]["holders"].is_null(), "{ls}");
    assert!(ls[0]["holders_unknown"].as_str().unwrap().starts_with("cannot see the processes of uid 0"), "{ls}");

    // Under a /proc mounted hidepid, other users' processes are not even
    // listed: everything is kept (a private mount namespace's own /proc).
    let script = format!(
        "mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- {} rm --unused --prefix {p}",
        bin()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c", &script]);
    let out = common::run(cmd, b"");
    if out.status.success() {
        assert!(text(&out.stdout).contains(&format!("kept /{held}: /proc is mounted hidepid")), "{out:?}");
    } else {
        skip(&format!("mounting a hidepid /proc failed: {}", text(&out.stderr)));
    }
    assert!(exists(held.as_bytes()));
}

#[test]
fn at_the_descriptor_limit_nothing_held_is_removed() {
    if common::skip_if_blind("at_the_descriptor_limit_nothing_held_is_removed") {
        return;
    }
    let p = unique("emfile");
    let (held, free) = (format!("{p}-held"), format!("{p}-free"));
    let _c = (Cleanup::new(&held), Cleanup::new(&free));
    assert!(rshm(&["create", &held, "1K"]).status.success());
    let _fd = std::fs::File::open(format!("/dev/shm/{held}")).unwrap();
    for limit in 4..=16u64 {
        assert!(rshm(&["create", &free, "1K"]).status.success() || exists(free.as_bytes()));
        let mut cmd = Command::new(bin());
        cmd.args(["rm", "--unused", "--prefix", &p]);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = common::run(cmd, b"");
        assert!(matches!(out.status.code(), Some(0 | 1)), "limit {limit}: {out:?}");
        assert!(!text(&out.stdout).contains(&format!("removed /{held}")), "limit {limit}: {out:?}");
        assert!(exists(held.as_bytes()), "limit {limit}: {out:?}");
    }
}

#[test]
fn a_holder_through_a_bind_mount_in_another_mount_namespace_is_seen() {
    if common::skip_if_blind("a_holder_through_a_bind_mount_in_another_mount_namespace_is_seen") {
        return;
    }
    // SAFETY: geteuid has no failure.
    if unsafe { libc::geteuid() } != 0 || Command::new("unshare").arg("--version").output().is_err() {
        return skip("needs root and unshare(1) for a private mount namespace (apt-get install util-linux)");
    }
    let name = unique("bind");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "1K"]).status.success());
    let spot = std::env::temp_dir().join(unique("bind-spot"));
    std::fs::write(&spot, b"").unwrap();
    let script = format!("mount --bind /dev/shm/{name} {0} && exec sleep 30 < {0}", spot.display());
    let mut child = Command::new("unshare").args(["-m", "sh", "-c", &script]).spawn().unwrap();
    let pid = child.id();
    let mut seen = false;
    for _ in 0..500 {
        let st = json(&rshm(&["stat", &name, "--json"]));
        if st["holders"].as_array().is_some_and(|hs| hs.iter().any(|h| h["pid"] == pid)) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let swept = rshm(&["rm", "--unused", "--prefix", &name]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&spot);
    assert!(seen, "the holder, whose descriptor names {}, is seen by device and inode", spot.display());
    assert!(text(&swept.stdout).contains(&format!("kept /{name}: held by pid {pid}")), "{swept:?}");
    assert!(exists(name.as_bytes()));
}

#[test]
fn in_a_child_pid_namespace_everything_is_kept() {
    // SAFETY: geteuid has no failure.
    if unsafe { libc::geteuid() } != 0 || Command::new("unshare").arg("--version").output().is_err() {
        return skip("needs root and unshare(1) for a child pid namespace (apt-get install util-linux)");
    }
    let name = unique("pidns");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "1K"]).status.success());
    // With the parent's /proc, and with one of its own.
    for flags in [&["-pf"][..], &["-pf", "--mount-proc"]] {
        let mut cmd = Command::new("unshare");
        cmd.args(flags).args([bin(), "rm", "--unused", "--prefix", &name]);
        let out = common::run(cmd, b"");
        if !out.status.success() && text(&out.stderr).starts_with("unshare:") {
            return skip(&format!("unshare {flags:?} failed: {}", text(&out.stderr)));
        }
        assert!(
            text(&out.stdout).contains(&format!("kept /{name}: runs in a child pid namespace")),
            "{flags:?}: {out:?}"
        );
        assert!(exists(name.as_bytes()));
    }
}

#[test]
fn a_descriptor_in_a_threads_own_file_table_is_seen() {
    if common::skip_if_blind("a_descriptor_in_a_threads_own_file_table_is_seen") {
        return;
    }
    let name = unique("thread-fd");
    let _c = Cleanup::new(&name);
    assert!(rshm(&["create", &name, "1K"]).status.success());
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let path = format!("/dev/shm/{name}");
    let thread = std::thread::spawn(move || {
        // This thread's descriptors are its own from here: /proc/PID/fd does not show them.
        // SAFETY: unshare(CLONE_FILES) affects only the calling thread.
        let shared = unsafe { libc::unshare(libc::CLONE_FILES) };
        let file = std::fs::File::open(path).unwrap();
        opened_tx.send(shared).unwrap();
        let _ = done_rx.recv();
        drop(file);
    });
    assert_eq!(opened_rx.recv().unwrap(), 0, "unshare(CLONE_FILES)");
    let swept = rshm(&["rm", "--unused", "--prefix", &name]);
    done_tx.send(()).unwrap();
    thread.join().unwrap();
    let me = std::process::id();
    assert!(text(&swept.stdout).contains(&format!("kept /{name}: held by pid {me}")), "{swept:?}");
    assert!(exists(name.as_bytes()));
}
