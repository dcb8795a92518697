//! The subcommands. Each writes to `out` (standard output, buffered) and
//! returns its failures; a failed write to `out` is one of them.

use crate::escape;
use crate::objects::{self, arg_name, describe, open, open_dir, shown, HolderView, Object};
use crate::{hexdump, Failure};
use rshm::errno::Errno;
use rshm::reap::{self, dir::Entry, Keep, Outcome as Swept, Rule};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;

pub type Out<'a> = std::io::BufWriter<std::io::StdoutLock<'a>>;
type Outcome = Result<(), Vec<Failure>>;

fn one<T>(r: Result<T, Failure>) -> Result<T, Vec<Failure>> {
    r.map_err(|f| vec![f])
}

/// A failed write to standard output.
pub fn stdout_failed(e: std::io::Error) -> Vec<Failure> {
    vec![Failure::new("write to standard output", objects::io_errno(&e)).without_help()]
}

/// Bytes moved at a time by cat, dump and write.
const CHUNK: usize = 64 << 10;

/// Every entry whose name starts with `prefix`, described, its holders
/// from a scan made after the listing.
fn all_objects(prefix: &[u8]) -> Result<Vec<Object>, Vec<Failure>> {
    let dir = one(open_dir())?;
    let prefix = &prefix[prefix.iter().position(|&b| b != b'/').unwrap_or(prefix.len())..];
    let mut entries = dir.list().map_err(|e| vec![Failure::new("read /dev/shm", e)])?;
    entries.retain(|e| e.name.to_bytes().starts_with(prefix));
    let scan = dir.dev().and_then(rshm::reap::holders::scan);
    Ok(entries.iter().map(|e| describe(&dir, e, &scan)).collect())
}

fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

fn holders_text(o: &Object) -> String {
    let Some(hs) = &o.holders else {
        return format!("unknown ({})", o.holders_unknown.as_deref().unwrap_or(""));
    };
    if hs.is_empty() {
        return "-".to_owned();
    }
    let each = hs.iter().map(|h| {
        let how = match (h.fds > 0, h.maps > 0) {
            (true, true) => "fd+map",
            (true, false) => "fd",
            _ => "map",
        };
        format!("{}[{}]:{how}", h.command, h.pid)
    });
    each.collect::<Vec<_>>().join(",")
}

/// "rshm-channel v2 ready": the kind, its layout and state. For a topic
/// or a value, the layout is the object's own ("rshm-topic v1"), not the
/// shared header's.
fn kind_text(o: &Object) -> String {
    let own = o.topic.as_ref().map(|t| t.layout).or(o.value.as_ref().map(|v| v.layout));
    match (own.or(o.version), &o.state) {
        (Some(v), Some(s)) => format!("{} v{v} {s}", o.kind),
        _ => o.kind.clone(),
    }
}

fn pid_text(pid: Option<u32>, running: Option<bool>) -> String {
    match (pid, running) {
        (Some(p), Some(true)) => format!("pid {p} (running)"),
        (Some(p), _) => format!("pid {p} (gone)"),
        (None, _) => "none".to_owned(),
    }
}

/// What `ls` prints under a topic's or a value's row (None for others).
fn detail_lines(o: &Object) -> Vec<String> {
    if let Some(t) = &o.topic {
        let mut lines = vec![format!(
            "publisher {}, {} published, {} of {} subscribers{}",
            pid_text(t.publisher, t.publisher_running),
            t.published,
            t.subscribers.len(),
            t.max_subscribers,
            if t.block { ", RSHM_TOPIC_BLOCK" } else { "" }
        )];
        lines.extend(t.subscribers.iter().map(|s| {
            format!(
                "subscriber {}: {}, lag {} messages ({} bytes), lost {}",
                s.slot,
                pid_text(Some(s.pid), Some(s.running)),
                s.lag_messages,
                s.lag_bytes,
                s.lost
            )
        }));
        return lines;
    }
    if let Some(v) = &o.value {
        return vec![format!(
            "size {} bytes, version {}, writer {}",
            v.size,
            v.version,
            pid_text(v.writer, v.writer_running)
        )];
    }
    if o.kind == "rshm-topic" || o.kind == "rshm-value" {
        // The KIND column then gives the shared header's layout, not the
        // object's own: say why there is nothing more.
        return vec![format!(
            "not described: larger than {} MiB, still being built, or a layout this rshm does not read",
            objects::READ_MAX >> 20
        )];
    }
    Vec::new()
}

fn print_json<T: serde::Serialize>(out: &mut Out, v: &T) -> Outcome {
    let text = serde_json::to_string_pretty(v).map_err(|_| vec![Failure::new("json", Errno(libc::EINVAL))])?;
    writeln!(out, "{}", escape::json_ascii(&text)).map_err(stdout_failed)
}

pub fn ls(out: &mut Out, json: bool, prefix: &OsString) -> Outcome {
    let objs = all_objects(prefix.as_bytes())?;
    if json {
        return print_json(out, &objs);
    }
    let mut table = || -> std::io::Result<()> {
        writeln!(
            out,
            "{:<32} {:>8} {:>8} {:>11} {:<16} {:<19} {:<22} HOLDERS",
            "NAME", "SIZE", "RESIDENT", "UID:GID", "MODE", "MODIFIED (UTC)", "KIND"
        )?;
        for o in &objs {
            writeln!(
                out,
                "{:<32} {:>8} {:>8} {:>11} {:<16} {:<19} {:<22} {}",
                escape::text(o.raw.to_bytes()),
                human(o.size),
                human(o.resident),
                format!("{}:{}", o.uid, o.gid),
                o.mode_string,
                o.mtime_utc,
                kind_text(o),
                holders_text(o)
            )?;
            for line in detail_lines(o) {
                writeln!(out, "    {line}")?;
            }
        }
        Ok(())
    };
    table().map_err(stdout_failed)
}

pub fn stat(out: &mut Out, name: &OsString, json: bool) -> Outcome {
    let name = one(arg_name(name.as_bytes()))?;
    let dir = one(open_dir())?;
    let meta = dir.stat(&name).map_err(|e| vec![Failure::new(format!("stat {}", shown(&name)), e)])?;
    let scan = dir.dev().and_then(rshm::reap::holders::scan);
    let o = describe(&dir, &Entry { name, meta }, &scan);
    if json {
        return print_json(out, &o);
    }
    let mut text = || -> std::io::Result<()> {
        writeln!(out, "name:     {}", escape::name(o.raw.to_bytes()))?;
        writeln!(out, "type:     {}", o.file_type)?;
        if let Some(t) = &o.link_target {
            writeln!(out, "target:   {t} (not followed)")?;
        }
        writeln!(out, "size:     {} ({} bytes)", human(o.size), o.size)?;
        writeln!(out, "resident: {} ({} bytes)", human(o.resident), o.resident)?;
        writeln!(out, "owner:    uid {} gid {}", o.uid, o.gid)?;
        writeln!(out, "mode:     {}", o.mode_string)?;
        writeln!(out, "modified: {} UTC", o.mtime_utc)?;
        writeln!(out, "kind:     {}", kind_text(&o))?;
        if let Some(pid) = o.creator_pid {
            writeln!(out, "creator:  pid {pid}")?;
        }
        for line in detail_lines(&o) {
            writeln!(out, "detail:   {line}")?;
        }
        match &o.holders {
            None => writeln!(out, "holders:  unknown ({})", o.holders_unknown.as_deref().unwrap_or(""))?,
            Some(hs) if hs.is_empty() => writeln!(out, "holders:  none (unused)")?,
            Some(hs) => {
                writeln!(out, "holders:")?;
                for HolderView { pid, command, fds, maps } in hs {
                    writeln!(out, "  pid {pid:>7}  {command:<16} {fds} fd, {maps} mappings")?;
                }
            }
        }
        Ok(())
    };
    text().map_err(stdout_failed)
}

/// `rm NAME...`: each name removed as it is (a link itself, never its target).
pub fn rm(out: &mut Out, names: &[OsString], dry_run: bool) -> Outcome {
    let dir = one(open_dir())?;
    let mut failures = Vec::new();
    for arg in names {
        let name = match arg_name(arg.as_bytes()) {
            Ok(n) => n,
            Err(f) => {
                failures.push(f);
                continue;
            }
        };
        let done =
            if dry_run { dir.stat(&name).map(|_| "would remove") } else { dir.unlink(&name).map(|()| "removed") };
        match done {
            Ok(what) => writeln!(out, "{what} {}", shown(&name)).map_err(stdout_failed)?,
            Err(e) => failures.push(Failure::new(format!("rm {}", shown(&name)), e)),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// `rm --unused` and `reap`: one sweep of the library's, each name's
/// outcome printed (reap leaves out the objects rshm did not make).
pub fn sweep(out: &mut Out, prefix: &OsString, rule: Rule, dry_run: bool) -> Outcome {
    let mut failures = Vec::new();
    let mut write_error = None;
    let quiet =
        |o: &Swept| matches!(rule, Rule::Reap) && matches!(o, Swept::Kept(Keep::NotRshm(_) | Keep::NotRegular(_)));
    let swept = reap::sweep(prefix.as_bytes(), rule, dry_run, |entry, outcome| {
        let name = shown(&entry.name);
        let line = match outcome {
            _ if quiet(outcome) => return,
            Swept::Removed => format!("removed {name}"),
            Swept::WouldRemove => format!("would remove {name}"),
            Swept::Kept(why) => format!("kept {name}: {}", escape::message(&why.to_string())),
            Swept::Failed(e) => return failures.push(Failure::new(format!("rm {name}"), *e)),
        };
        if write_error.is_none() {
            write_error = writeln!(out, "{line}").err();
        }
    });
    if let Err(e) = swept {
        let what = if e == Errno(libc::ENOENT) || e == Errno(libc::EACCES) { "read /dev/shm or /proc" } else { "scan" };
        failures.push(Failure::new(what, e).detail("nothing was removed".to_owned()));
    }
    if let Some(e) = write_error {
        failures.extend(stdout_failed(e));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

pub fn create(out: &mut Out, name: &OsString, size: u64, mode: u32) -> Outcome {
    let name = one(arg_name(name.as_bytes()))?;
    let dir = one(open_dir())?;
    let file = one(open(&dir, &name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode))?;
    let fd = file.as_raw_fd();
    // The mode asked for, not the umask's cut of it; the pages reserved
    // now, as the library's create does: a full /dev/shm is ENOSPC here,
    // not SIGBUS later in whoever maps the object.
    let made = rshm::fd::chmod(fd, mode).and_then(|()| match size {
        0 => Ok(()),
        _ => rshm::fd::allocate(fd, 0, size as i64),
    });
    if let Err(e) = made {
        if let Ok(st) = rshm::stat::fstat(fd) {
            let _ = dir.unlink_if_same(&name, rshm::reap::holders::FileId { dev: st.dev, ino: st.ino });
        }
        return Err(vec![Failure::new(format!("create {}", shown(&name)), e).detail("nothing was left behind".into())]);
    }
    writeln!(out, "created {} ({size} bytes)", shown(&name)).map_err(stdout_failed)
}

pub fn cat(out: &mut Out, name: &OsString) -> Outcome {
    let name = one(arg_name(name.as_bytes()))?;
    let dir = one(open_dir())?;
    let mut file = one(open(&dir, &name, libc::O_RDONLY, 0))?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(vec![Failure::new(format!("read {}", shown(&name)), objects::io_errno(&e))]),
        };
        out.write_all(&buf[..n]).map_err(stdout_failed)?;
    }
}

/// Where the next data (not a hole) starts at or after `at`, and where it
/// ends: None when only holes are left. Without SEEK_DATA, all is data.
fn data_run(fd: i32, at: u64, end: u64) -> Option<(u64, u64)> {
    // SAFETY: lseek reads no memory of ours.
    let data = unsafe { libc::lseek(fd, at as i64, libc::SEEK_DATA) };
    if data < 0 {
        return (Errno::last() != Errno(libc::ENXIO)).then_some((at, end));
    }
    // SAFETY: as above.
    let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
    let hole = if hole < 0 { end } else { hole as u64 };
    ((data as u64) < end).then_some((data as u64, hole.min(end)))
}

pub fn dump(out: &mut Out, name: &OsString, offset: u64, length: Option<u64>) -> Outcome {
    let name = one(arg_name(name.as_bytes()))?;
    let dir = one(open_dir())?;
    let file = one(open(&dir, &name, libc::O_RDONLY, 0))?;
    let read_failed = |e: std::io::Error| vec![Failure::new(format!("read {}", shown(&name)), objects::io_errno(&e))];
    let size = file.metadata().map_err(read_failed)?.len();
    let end = length.map_or(size, |l| offset.saturating_add(l).min(size));
    let mut d = hexdump::Dump::new(out, offset);
    let mut buf = vec![0u8; CHUNK];
    let mut at = offset;
    while at < end {
        let Some((data, hole)) = data_run(file.as_raw_fd(), at, end) else {
            d.zeros(end - at).map_err(stdout_failed)?;
            break;
        };
        d.zeros(data - at).map_err(stdout_failed)?;
        at = data;
        while at < hole {
            let want = (hole - at).min(CHUNK as u64) as usize;
            let n = file.read_at(&mut buf[..want], at).map_err(read_failed)?;
            if n == 0 {
                // The object shrank under us: dump what there was.
                let w = d.finish().map_err(stdout_failed)?;
                return w.flush().map_err(stdout_failed);
            }
            d.bytes(&buf[..n]).map_err(stdout_failed)?;
            at += n as u64;
        }
    }
    d.finish().map_err(stdout_failed)?;
    Ok(())
}

/// `write NAME`: standard input into the object from offset 0, growing it
/// (pages reserved) where the input is longer. On a failure the object
/// goes back to its size before the call; bytes already written inside
/// that size stay written.
pub fn write(name: &OsString) -> Outcome {
    let name = one(arg_name(name.as_bytes()))?;
    let dir = one(open_dir())?;
    let file = one(open(&dir, &name, libc::O_RDWR, 0))?;
    let fd = file.as_raw_fd();
    let failed = |what: &str, e: Errno| Failure::new(format!("{what} {}", shown(&name)), e);
    let original = file.metadata().map_err(|e| vec![failed("stat", objects::io_errno(&e))])?.len();
    let mut size = original;
    let mut at = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut input = std::io::stdin().lock();
    let copied = loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(Failure::new("read standard input", objects::io_errno(&e))),
        };
        let end = at + n as u64;
        if end > size {
            if let Err(e) = rshm::fd::allocate(fd, size as i64, (end - size) as i64) {
                break Err(failed("grow", e));
            }
            size = end;
        }
        if let Err(e) = file.write_all_at(&buf[..n], at) {
            break Err(failed("write", objects::io_errno(&e)));
        }
        at = end;
    };
    if let Err(f) = copied {
        let undone = if size > original { rshm::fd::truncate(fd, original as i64) } else { Ok(()) };
        let note = match undone {
            Ok(()) => format!("the object is back to its {original} bytes"),
            Err(e) => format!("and shrinking it back to {original} bytes failed too (errno {})", e.0),
        };
        return Err(vec![f.detail(note)]);
    }
    let _ = writeln!(std::io::stderr(), "wrote {at} bytes to {}", shown(&name));
    Ok(())
}
