//! rshm_reap's cases: what a killed creator leaves goes, what anyone holds
//! or a live creator owns stays, and what rshm did not make is never touched.

use super::*;
use crate::channel::Channel;
use crate::object::header;
use crate::segment::Segment;
use crate::test_names;
use std::ffi::CString;

/// Forks a child that creates a segment `seg` and a channel `chan`, then
/// waits to be killed; returns its pid once both exist.
fn creator(seg: &CStr, chan: &CStr) -> libc::pid_t {
    let mut p = [0; 2];
    // SAFETY: p is writable for two descriptors.
    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    // SAFETY: the child only creates objects, writes a byte and sleeps.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let made = Segment::create(seg, 100, 0o600).is_ok() && Channel::create(chan, 4096, 0o600).is_ok();
        // SAFETY: p[1] is the pipe's write end; the child never returns.
        unsafe {
            libc::write(p[1], [u8::from(made)].as_ptr().cast(), 1);
            loop {
                libc::pause();
            }
        }
    }
    let mut b = [0u8];
    // SAFETY: b is writable; the descriptors are this process's.
    unsafe {
        libc::close(p[1]);
        assert_eq!(libc::read(p[0], b.as_mut_ptr().cast(), 1), 1);
        libc::close(p[0]);
    }
    assert_eq!(b[0], 1, "the child created both objects");
    pid
}

fn kill(pid: libc::pid_t) {
    // SAFETY: pid is our child; waitpid reaps it.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

fn exists(name: &CStr) -> bool {
    std::path::Path::new(&format!("/dev/shm{}", name.to_str().unwrap())).exists()
}

/// A reap of the names starting with `base`, and what became of those
/// names (tests run in parallel: the sweep also takes any dead pid's
/// temporary, which another test may have left for its own sweep, so only
/// this test's names are counted).
fn reap_mine(base: &CStr) -> Vec<(Vec<u8>, Outcome)> {
    let bare = &base.to_bytes()[1..];
    let mut mine = Vec::new();
    let r = sweep(base.to_bytes(), Rule::Reap, false, |e, o| {
        if e.name.to_bytes().starts_with(bare) {
            mine.push((e.name.to_bytes().to_vec(), o.clone()));
        }
    });
    assert!(r.is_ok(), "{r:?}");
    mine
}

fn removed(outcomes: &[(Vec<u8>, Outcome)]) -> usize {
    outcomes.iter().filter(|(_, o)| *o == Outcome::Removed).count()
}

#[test]
fn a_killed_creators_segment_and_channel_are_reaped() {
    if holders::skip_if_blind("a_killed_creators_segment_and_channel_are_reaped") {
        return;
    }
    let base = test_names::name("reap-killed");
    let seg = CString::new([base.to_bytes(), b"-seg"].concat()).unwrap();
    let chan = CString::new([base.to_bytes(), b"-chan"].concat()).unwrap();
    let pid = creator(&seg, &chan);
    let while_alive = reap_mine(&base);
    kill(pid);
    let after = reap_mine(&base);
    let left = (exists(&seg), exists(&chan));
    let _ = crate::shm::unlink(&seg);
    let _ = crate::shm::unlink(&chan);
    assert_eq!(removed(&while_alive), 0, "a live creator's objects stay: {while_alive:?}");
    assert_eq!(removed(&after), 2, "{after:?}");
    assert_eq!(left, (false, false));
}

#[test]
fn a_dead_creators_segment_still_mapped_is_kept() {
    if holders::skip_if_blind("a_dead_creators_segment_still_mapped_is_kept") {
        return;
    }
    let base = test_names::name("reap-mapped");
    let seg = CString::new([base.to_bytes(), b"-seg"].concat()).unwrap();
    let chan = CString::new([base.to_bytes(), b"-chan"].concat()).unwrap();
    let pid = creator(&seg, &chan);
    let held = Segment::open(&seg, libc::O_RDONLY, Duration::ZERO).unwrap();
    kill(pid);
    let first = reap_mine(&base);
    let seg_left = exists(&seg);
    drop(held);
    let second = reap_mine(&base);
    let _ = crate::shm::unlink(&seg);
    let _ = crate::shm::unlink(&chan);
    assert_eq!(removed(&first), 1, "the channel goes, the mapped segment stays: {first:?}");
    assert!(seg_left);
    let me = std::process::id() as i32;
    assert!(first.iter().any(|(_, o)| matches!(o, Outcome::Kept(Keep::Held(hs)) if hs.iter().any(|h| h.pid == me))));
    assert_eq!(removed(&second), 1, "once unmapped it goes: {second:?}");
}

#[test]
fn plain_objects_and_a_live_creators_segment_are_never_reaped() {
    let base = test_names::name("reap-plain");
    let plain = CString::new([base.to_bytes(), b"-plain"].concat()).unwrap();
    let seg = CString::new([base.to_bytes(), b"-seg"].concat()).unwrap();
    let fd = crate::shm::open(&plain, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
    crate::fd::close(fd).unwrap();
    let mine = Segment::create(&seg, 100, 0o600).unwrap();
    // Unmapped, but its creator (this process) lives.
    drop(mine);
    let r = reap_mine(&base);
    let left = (exists(&plain), exists(&seg));
    let _ = crate::shm::unlink(&plain);
    let _ = crate::shm::unlink(&seg);
    assert_eq!(removed(&r), 0, "{r:?}");
    assert_eq!(left, (true, true));
}

#[test]
fn a_dead_pids_temporary_is_reaped_a_live_ones_kept() {
    if holders::skip_if_blind("a_dead_pids_temporary_is_reaped_a_live_ones_kept") {
        return;
    }
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let n = test_names::name("reap-tmp");
    let n = n.to_str().unwrap().rsplit('-').nth(1).unwrap().to_owned();
    let dead_tmp = CString::new(format!("/rshm-tmp.{dead}.{n}.0")).unwrap();
    let live_tmp = CString::new(format!("/rshm-tmp.{}.{n}.1", std::process::id())).unwrap();
    for t in [&dead_tmp, &live_tmp] {
        let fd = crate::shm::open(t, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
        crate::fd::close(fd).unwrap();
    }
    // Whatever the prefix: temporaries belong to no name. (Another test's
    // sweep running meanwhile may be the one that takes it.)
    let r = reap(b"/no-such-prefix-");
    let left = (exists(&dead_tmp), exists(&live_tmp));
    let _ = crate::shm::unlink(&dead_tmp);
    let _ = crate::shm::unlink(&live_tmp);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(left, (false, true));
}

#[test]
fn headers_rshm_could_not_have_written_are_never_reaped() {
    if holders::skip_if_blind("headers_rshm_could_not_have_written_are_never_reaped") {
        return;
    }
    let base = test_names::name("reap-garbage");
    let me = Identity::me();
    let dead = Identity { pid: u32::MAX, start: 1 };
    let k = header::KIND_SEGMENT;
    let cases = [
        ("no-creator", header::Header::new(k, 4096, 100, Identity::default()), 8192),
        ("unknown-kind", header::Header::new(77, 4096, 100, dead), 8192),
        ("past-the-end", header::Header::new(k, 4096, 1 << 40, dead), 8192),
        ("dead-creator", header::Header::new(k, 4096, 100, dead), 8192),
    ];
    let names: Vec<CString> =
        cases.iter().map(|(tag, ..)| CString::new([base.to_bytes(), b"-", tag.as_bytes()].concat()).unwrap()).collect();
    for ((_, h, len), name) in cases.iter().zip(&names) {
        let fd = crate::shm::open(name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o600).unwrap();
        crate::fd::truncate(fd, *len).unwrap();
        let bytes = h.encode();
        // SAFETY: bytes is readable for its length.
        assert_eq!(unsafe { libc::pwrite(fd, bytes.as_ptr().cast(), bytes.len(), 0) }, bytes.len() as isize);
        crate::fd::close(fd).unwrap();
    }
    let kept = reap_mine(&base);
    let left: Vec<bool> = names.iter().map(|n| exists(n)).collect();
    for n in &names {
        let _ = crate::shm::unlink(n);
    }
    assert_ne!(me.pid, dead.pid);
    assert_eq!(removed(&kept), 1, "{kept:?}");
    assert_eq!(left, [true, true, true, false], "{kept:?}");
    let why: Vec<String> = kept.iter().map(|(_, o)| format!("{o:?}")).collect();
    assert!(
        why.iter().any(|w| w.contains("names no creator")) && why.iter().any(|w| w.contains("unknown kind")),
        "{why:?}"
    );
}
