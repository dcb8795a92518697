//! The entries of /dev/shm and what each one is, as `ls` and `stat` show them.
//!
//! Every entry is listed, whatever its type or name: FIFOs, links and
//! directories with their type (a link's target is read, never followed;
//! only regular files are opened), names that are not UTF-8 with a
//! lossless form in JSON (`name_hex`).

use crate::escape;
use crate::Failure;
use rshm::errno::Errno;
use rshm::reap::dir::{self, Entry, FileType, ShmDir};
use rshm::reap::holders::{Holder, Scan};
use serde::Serialize;
use std::ffi::{CStr, CString};
use std::os::fd::AsRawFd;

/// One process holding one object, for output.
#[derive(Debug, Serialize)]
pub struct HolderView {
    pub pid: i32,
    /// /proc/PID/comm, escaped as names are.
    pub command: String,
    pub fds: u32,
    pub maps: u32,
}

impl From<&Holder> for HolderView {
    fn from(h: &Holder) -> HolderView {
        HolderView { pid: h.pid, command: escape::text(&h.command), fds: h.fds, maps: h.maps }
    }
}

/// One entry, as `ls` and `stat` show it.
#[derive(Debug, Serialize)]
pub struct Object {
    /// The name without its leading '/': exact when it is UTF-8; otherwise
    /// its escaped text form, and `name_hex` holds the bytes.
    pub name: String,
    /// The name's bytes in hex, only for a name that is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_hex: Option<String>,
    #[serde(skip)]
    pub raw: CString,
    /// "regular", "fifo", "symlink", "directory", "socket", "char-device", "block-device".
    #[serde(rename = "type")]
    pub file_type: &'static str,
    /// A link's target, escaped (never followed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    pub size: u64,
    /// Bytes of memory the object really uses (allocated blocks).
    pub resident: u64,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    /// "[0600] rw-------".
    pub mode_string: String,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub mtime_utc: String,
    /// "plain", "rshm-segment", "rshm-channel", "rshm-value", "rshm-topic",
    /// "rshm-unknown", "unreadable"; for other types the type.
    pub kind: String,
    /// The rshm layout version, for rshm objects.
    pub version: Option<u32>,
    /// "ready" or "building", for rshm objects.
    pub state: Option<String>,
    /// The creating process, for rshm objects.
    pub creator_pid: Option<u32>,
    /// The holders, or null when they are unknown (see `holders_unknown`).
    pub holders: Option<Vec<HolderView>>,
    /// Why the holders are unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holders_unknown: Option<String>,
    /// For a topic: its publisher and subscribers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<TopicView>,
    /// For a value: its size, version and writer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ValueView>,
}

/// A topic as `ls` and `stat` show it: numbers read from memory any
/// sharer may have written (the library clamps them; they are printed,
/// never used).
#[derive(Debug, Serialize)]
pub struct TopicView {
    /// The topic's own layout ("rshm-topic v1").
    pub layout: u32,
    pub capacity: u64,
    pub max_subscribers: u32,
    /// Created with RSHM_TOPIC_BLOCK.
    pub block: bool,
    /// The pid in the publisher's role word, null when none holds it.
    pub publisher: Option<u32>,
    /// Whether that pid still runs (null when there is none).
    pub publisher_running: Option<bool>,
    /// Messages published in all.
    pub published: u64,
    pub subscribers: Vec<SubscriberView>,
}

/// One held subscriber place.
#[derive(Debug, Serialize)]
pub struct SubscriberView {
    pub slot: u32,
    pub pid: u32,
    pub running: bool,
    /// Messages published that it has not read yet (nor lost).
    pub lag_messages: u64,
    pub lag_bytes: u64,
    pub lost: u64,
}

/// A value as `ls` and `stat` show it.
#[derive(Debug, Serialize)]
pub struct ValueView {
    /// The value's own layout ("rshm-value v2").
    pub layout: u32,
    /// The longest value in bytes.
    pub size: u64,
    /// The version published last.
    pub version: u64,
    /// The pid in the writer's role word, null when none holds it.
    pub writer: Option<u32>,
    /// Whether that pid still runs (null when there is none).
    pub writer_running: Option<bool>,
}

/// Whether `pid` still runs (a zombie does not). The role words hold no
/// start time, so a pid that another process took since reads as running.
fn running(pid: u32) -> bool {
    rshm::object::Identity { pid, start: 0 }.liveness() != rshm::object::Liveness::Dead
}

/// The most bytes read to describe a topic or a value: its whole object,
/// which the library checks against its header. Read, not mapped: another
/// process can shrink a mapped object under its reader (SIGBUS), not a
/// copy.
pub const READ_MAX: u64 = 64 << 20;

/// The bytes of the open object `file`, of `size` bytes, if at most `READ_MAX`.
fn object_bytes(file: &std::fs::File, size: u64) -> Option<Vec<u8>> {
    if size > READ_MAX {
        return None;
    }
    let mut bytes = vec![0u8; size as usize];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut bytes, 0).ok()?;
    Some(bytes)
}

/// The topic open as `file`, of `size` bytes, if it reads as one.
fn topic_view(file: &std::fs::File, size: u64) -> Option<TopicView> {
    let d = rshm::topic::describe_bytes(&object_bytes(file, size)?).ok()?;
    Some(TopicView {
        layout: d.version,
        capacity: d.capacity,
        max_subscribers: d.max_subscribers,
        block: d.block,
        publisher: d.publisher,
        publisher_running: d.publisher.map(running),
        published: d.published,
        subscribers: d
            .subscribers
            .iter()
            .map(|s| SubscriberView {
                slot: s.slot,
                pid: s.pid,
                running: running(s.pid),
                lag_messages: s.lag_messages,
                lag_bytes: s.lag_bytes,
                lost: s.lost,
            })
            .collect(),
    })
}

/// The value open as `file`, of `size` bytes, if it reads as one.
fn value_view(file: &std::fs::File, size: u64) -> Option<ValueView> {
    let d = rshm::value::describe(&object_bytes(file, size)?).ok()?;
    Some(ValueView {
        layout: d.layout,
        size: d.size,
        version: d.version,
        writer: d.writer,
        writer_running: d.writer.map(running),
    })
}

pub fn io_errno(e: &std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

/// A name from the command line, as it lives in /dev/shm: leading '/'s
/// dropped; empty, "." and "..", an inner '/' or a NUL are EINVAL.
pub fn arg_name(arg: &[u8]) -> Result<CString, Failure> {
    let shown = escape::text(arg);
    let bare = dir::bare(arg).map_err(|e| Failure::new(format!("name \"{shown}\""), e))?;
    CString::new(bare).map_err(|_| Failure::new(format!("name \"{shown}\""), Errno(libc::EINVAL)))
}

/// "/name", escaped, for messages.
pub fn shown(name: &CStr) -> String {
    escape::name(name.to_bytes())
}

pub fn open_dir() -> Result<ShmDir, Failure> {
    ShmDir::open().map_err(|e| Failure::new("open /dev/shm", e))
}

/// Opens the object `name` if it is a regular file (O_NOFOLLOW,
/// O_NONBLOCK: see [`ShmDir::open_regular`]); the failure says what it found.
pub fn open(dir: &ShmDir, name: &CStr, oflag: libc::c_int, mode: u32) -> Result<std::fs::File, Failure> {
    match dir.open_regular(name, oflag, mode) {
        Ok(fd) => Ok(std::fs::File::from(fd)),
        Err(e) => Err(not_an_object(dir, name, e)),
    }
}

/// The failure of opening `name`, naming the type when it is not a regular file.
pub fn not_an_object(dir: &ShmDir, name: &CStr, e: Errno) -> Failure {
    let f = Failure::new(format!("open {}", shown(name)), e);
    match dir.stat(name) {
        Ok(m) if m.kind != FileType::Regular => {
            f.detail(format!("/dev/shm{} is a {}, not a shared memory object", shown(name), m.kind.name()))
        }
        _ => f,
    }
}

/// What the first bytes of a regular object, open as `fd` (None: it could
/// not be opened), say it is.
fn classify(fd: Option<&std::fs::File>) -> (String, Option<u32>, Option<String>, Option<u32>) {
    let Some(fd) = fd else {
        return ("unreadable".to_owned(), None, None, None);
    };
    let mut head = [0u8; 64];
    // SAFETY: head is writable for its length.
    let n = unsafe { libc::pread(fd.as_raw_fd(), head.as_mut_ptr().cast(), head.len(), 0) };
    match rshm::object::header::parse(&head[..n.max(0) as usize]) {
        Ok(h) => {
            let state = if h.is_ready() { "ready" } else { "building" };
            (h.kind_name().to_owned(), Some(h.version), Some(state.to_owned()), Some(h.creator.pid))
        }
        Err(Errno(libc::EPROTO)) => ("rshm-unknown".to_owned(), None, None, None),
        Err(_) => ("plain".to_owned(), None, None, None),
    }
}

/// Describes one listed entry; its holders come from `scan` (None: the
/// scan itself failed, with that errno).
pub fn describe(dir: &ShmDir, entry: &Entry, scan: &Result<Scan, Errno>) -> Object {
    let m = &entry.meta;
    let bytes = entry.name.to_bytes();
    let utf8 = std::str::from_utf8(bytes).ok();
    // Only regular files are opened, once, for all that is read of them.
    let file = (m.kind == FileType::Regular)
        .then(|| dir.open_regular(&entry.name, libc::O_RDONLY, 0).ok().map(std::fs::File::from))
        .flatten();
    let (kind, version, state, creator_pid) = match m.kind {
        FileType::Regular => classify(file.as_ref()),
        other => (other.name().to_owned(), None, None, None),
    };
    let link_target =
        (m.kind == FileType::Symlink).then(|| dir.read_link(&entry.name).map(|t| escape::text(&t)).unwrap_or_default());
    let topic = file.as_ref().filter(|_| kind == "rshm-topic").and_then(|f| topic_view(f, m.size));
    let value = file.as_ref().filter(|_| kind == "rshm-value").and_then(|f| value_view(f, m.size));
    let (holders, holders_unknown) = match scan {
        Ok(s) => match s.holders(m.id, m.uid, m.gid, m.mode) {
            Ok(hs) => (Some(hs.iter().map(HolderView::from).collect()), None),
            Err(why) => (None, Some(why.to_string())),
        },
        Err(e) => (None, Some(format!("the scan of /proc failed (errno {})", e.0))),
    };
    Object {
        name: utf8.map_or_else(|| escape::text(bytes), str::to_owned),
        name_hex: utf8.is_none().then(|| escape::hex_bytes(bytes)),
        raw: entry.name.clone(),
        file_type: m.kind.name(),
        link_target,
        size: m.size,
        resident: m.allocated,
        uid: m.uid,
        gid: m.gid,
        mode: m.mode,
        mode_string: String::from_utf8_lossy(&rshm::mode::format(m.mode)).into_owned(),
        mtime: m.mtime,
        mtime_utc: crate::time::utc(m.mtime),
        kind,
        version,
        state,
        creator_pid,
        holders,
        holders_unknown,
        topic,
        value,
    }
}
