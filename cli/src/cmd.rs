//! The subcommands.

use crate::holders::{self, Holder};
use crate::objects::{self, bare, describe, open, Object};
use crate::{hexdump, Failure};
use rshm::errno::Errno;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type Outcome = Result<(), Vec<Failure>>;

fn one<T>(r: Result<T, Failure>) -> Result<T, Vec<Failure>> {
    r.map_err(|f| vec![f])
}

fn all_objects(prefix: &str) -> Result<Vec<Object>, Vec<Failure>> {
    let mut held = holders::scan();
    let mut names = one(objects::names())?;
    names.retain(|n| n.starts_with(bare(prefix)));
    // An object removed between the listing and the look is simply gone.
    Ok(names.iter().filter_map(|n| describe(n, &mut held).ok()).collect())
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

fn holders_text(hs: &[Holder]) -> String {
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

fn kind_text(o: &Object) -> String {
    match (&o.version, &o.state) {
        (Some(v), Some(s)) => format!("{} v{v} {s}", o.kind),
        _ => o.kind.clone(),
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> Outcome {
    let text = serde_json::to_string_pretty(v).map_err(|_| vec![Failure::new("json", Errno(libc::EINVAL))])?;
    println!("{text}");
    Ok(())
}

pub fn ls(json: bool, prefix: &str) -> Outcome {
    let objs = all_objects(prefix)?;
    if json {
        return print_json(&objs);
    }
    println!(
        "{:<32} {:>8} {:>8} {:>11} {:<16} {:<19} {:<22} HOLDERS",
        "NAME", "SIZE", "RESIDENT", "UID:GID", "MODE", "MODIFIED (UTC)", "KIND"
    );
    for o in &objs {
        println!(
            "{:<32} {:>8} {:>8} {:>11} {:<16} {:<19} {:<22} {}",
            o.name,
            human(o.size),
            human(o.resident),
            format!("{}:{}", o.uid, o.gid),
            o.mode_string,
            o.mtime_utc,
            kind_text(o),
            holders_text(&o.holders)
        );
    }
    Ok(())
}

pub fn stat(name: &str, json: bool) -> Outcome {
    let o = one(describe(name, &mut holders::scan()))?;
    if json {
        return print_json(&o);
    }
    println!("name:     /{}", o.name);
    println!("size:     {} ({} bytes)", human(o.size), o.size);
    println!("resident: {} ({} bytes)", human(o.resident), o.resident);
    println!("owner:    uid {} gid {}", o.uid, o.gid);
    println!("mode:     {}", o.mode_string);
    println!("modified: {} UTC", o.mtime_utc);
    println!("kind:     {}", kind_text(&o));
    println!("holders:  {}", if o.holders.is_empty() { "none (unused)" } else { "" });
    for h in &o.holders {
        println!("  pid {:>7}  {:<16} {} fd, {} mappings", h.pid, h.command, h.fds, h.maps);
    }
    Ok(())
}

fn unlink(name: &str) -> Result<(), Failure> {
    rshm::shm::unlink(&objects::c_name(name)?).map_err(|e| Failure::new(format!("rm {name}"), e))
}

pub fn rm(names: &[String], unused: bool, older_than: Option<Duration>, prefix: &str, dry_run: bool) -> Outcome {
    let targets: Vec<String> = if unused {
        let cutoff = older_than.map(|d| SystemTime::now() - d);
        all_objects(prefix)?
            .into_iter()
            .filter(|o| o.holders.is_empty())
            .filter(|o| cutoff.map_or(true, |c| UNIX_EPOCH + Duration::from_secs(o.mtime.max(0) as u64) <= c))
            .map(|o| o.name)
            .collect()
    } else {
        names.to_vec()
    };
    let mut failures = Vec::new();
    for name in &targets {
        if dry_run {
            println!("would remove /{}", bare(name));
        } else {
            match unlink(name) {
                Ok(()) => println!("removed /{}", bare(name)),
                Err(f) => failures.push(f),
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

pub fn create(name: &str, size: u64, mode: u32) -> Outcome {
    let file = one(open(name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode))?;
    let fd = file.as_raw_fd();
    // The mode asked for, not the umask's cut of it.
    let sized = rshm::fd::chmod(fd, mode).and_then(|()| rshm::fd::truncate(fd, size as i64));
    if let Err(e) = sized {
        drop(file);
        let _ = unlink(name);
        return Err(vec![Failure::new(format!("create {name}"), e)]);
    }
    println!("created /{} ({} bytes)", bare(name), size);
    Ok(())
}

fn read_range(name: &str, offset: u64, length: Option<u64>) -> Result<Vec<u8>, Failure> {
    let file = open(name, libc::O_RDONLY, 0)?;
    let size = file.metadata().map_err(|e| Failure::new(format!("stat {name}"), objects::io_errno(&e)))?.len();
    let end = length.map_or(size, |l| offset.saturating_add(l).min(size));
    let mut buf = vec![0u8; end.saturating_sub(offset) as usize];
    file.read_exact_at(&mut buf, offset).map_err(|e| Failure::new(format!("read {name}"), objects::io_errno(&e)))?;
    Ok(buf)
}

pub fn cat(name: &str) -> Outcome {
    let mut file = one(open(name, libc::O_RDONLY, 0))?;
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut file, &mut out).map_err(|e| vec![Failure::new(format!("cat {name}"), objects::io_errno(&e))])?;
    Ok(())
}

pub fn dump(name: &str, offset: u64, length: Option<u64>) -> Outcome {
    let bytes = one(read_range(name, offset, length))?;
    print!("{}", hexdump::lines(&bytes, offset));
    Ok(())
}

pub fn write(name: &str) -> Outcome {
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input).map_err(|e| vec![Failure::from(e)])?;
    let file = one(open(name, libc::O_RDWR, 0))?;
    let io = |e: std::io::Error| vec![Failure::new(format!("write {name}"), objects::io_errno(&e))];
    let size = file.metadata().map_err(io)?.len();
    if (input.len() as u64) > size {
        rshm::fd::truncate(file.as_raw_fd(), input.len() as i64)
            .map_err(|e| vec![Failure::new(format!("grow {name}"), e)])?;
    }
    file.write_all_at(&input, 0).map_err(io)?;
    let _ = writeln!(std::io::stderr(), "wrote {} bytes to /{}", input.len(), bare(name));
    Ok(())
}
