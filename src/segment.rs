//! Named segments that open without races: a shared-memory object whose
//! size, header and initial data are in place before any opener can see it.
//!
//! Linux: the creator builds the object under a temporary unique name
//! ("rshm-tmp.PID.N.T", `O_CREAT | O_EXCL`), reserves its pages, writes the
//! header, runs the caller's initialiser, marks it ready, and only then
//! link(2)s "/dev/shm/TMP" to "/dev/shm/NAME". link never replaces a name
//! that exists (EEXIST), so the segment appears complete or not at all.
//!
//! macOS has no file-system path for shm objects: the creator makes the name
//! itself with `O_EXCL`, and openers wait for the header's ready state,
//! which the creator stores (Release) after everything else.
//!
//! The header is the first page ([`crate::object::header`]); the data
//! follows, page-aligned.

use crate::errno::detail::{note, quoted};
use crate::errno::{Errno, Result};
use crate::object::header::{self, Header, HEADER_LEN, MAGIC, MAGIC_AT, STATE_AT, STATE_READY};
use crate::object::{Identity, KIND_SEGMENT};
use crate::{fd, mman, name, page, shm};
use libc::c_void;
use std::ffi::CStr;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest pause between two looks for a segment that is not there yet.
const MAX_PAUSE: Duration = Duration::from_millis(10);
/// The first pause.
const FIRST_PAUSE: Duration = Duration::from_micros(100);

/// An open, mapped named segment, from `rshm_segment_create` or
/// `rshm_segment_open`; `rshm_segment_close` releases it (in Rust, dropping
/// it does). The name stays until `rshm_segment_unlink`.
#[derive(Debug)]
pub struct Segment {
    fd: RawFd,
    base: *mut c_void,
    map_len: usize,
    data_offset: usize,
    size: usize,
    kind: u32,
    creator: Identity,
}

// SAFETY: the handle owns a descriptor and a mapping, both usable from any
// thread; it never changes after construction, and what the data holds is
// the users' to synchronise, as with any shared memory.
unsafe impl Send for Segment {}
// SAFETY: as above: &Segment only reads immutable fields.
unsafe impl Sync for Segment {}

impl Segment {
    /// Creates the segment `name` with `size` bytes of zeroed data and the
    /// permission bits `mode` (0600 is the usual choice; the umask applies).
    pub fn create(name: &CStr, size: usize, mode: u32) -> Result<Segment> {
        Segment::create_kind(name, size, mode, KIND_SEGMENT, |_, _| true)
    }

    /// As [`create`](Self::create), running `init(data, size)` before any
    /// opener can see the segment. `init` returning false is ECANCELED and
    /// leaves nothing behind.
    pub fn create_init(
        name: &CStr,
        size: usize,
        mode: u32,
        init: impl FnOnce(*mut u8, usize) -> bool,
    ) -> Result<Segment> {
        Segment::create_kind(name, size, mode, KIND_SEGMENT, init)
    }

    /// The creator behind every segment type: `kind` goes into the header
    /// and an opener must ask for the same kind. For types built on
    /// segments (not exported to C).
    pub fn create_kind(
        name: &CStr,
        size: usize,
        mode: u32,
        kind: u32,
        init: impl FnOnce(*mut u8, usize) -> bool,
    ) -> Result<Segment> {
        let bare = name::normalize(name)?;
        if size == 0 {
            return Err(note(Errno(libc::EINVAL), "size is 0".into()));
        }
        // The header has the first page to itself so that the data is
        // page-aligned.
        let data_offset = page::size().max(HEADER_LEN);
        let total = data_offset.checked_add(size).filter(|&t| t <= i64::MAX as usize).ok_or(Errno(libc::EOVERFLOW))?;
        let build = |fd: RawFd| -> Result<Segment> {
            fd::allocate(fd, 0, total as i64)?;
            let base = map(fd, total, true)?;
            let creator = Identity::me();
            let mut seg = Segment { fd: -1, base, map_len: total, data_offset, size, kind, creator };
            let hdr = Header::new(kind, data_offset as u64, size as u64, creator).encode();
            // SAFETY: base maps `total` > HEADER_LEN writable bytes, unseen
            // by openers until the state below says ready (macOS) or the
            // name is linked (Linux). The magic goes last (Release) so that
            // an opener that sees it sees the other fields whole.
            unsafe {
                std::ptr::copy_nonoverlapping(hdr.as_ptr().add(8), base.cast::<u8>().add(8), HEADER_LEN - 8);
                atomic_u64(base, MAGIC_AT).store(u64::from_ne_bytes(MAGIC), Ordering::Release);
            }
            if !init(seg.data(), size) {
                seg.fd = fd;
                seg.unmap_only();
                return Err(Errno(libc::ECANCELED));
            }
            // SAFETY: the state word lies in the mapped header page.
            unsafe { atomic_u32(base, STATE_AT) }.store(STATE_READY, Ordering::Release);
            seg.fd = fd;
            Ok(seg)
        };
        imp::create(name, bare, mode, build)
    }

    /// Opens the segment `name` with `oflag` `O_RDONLY` (mapped read-only;
    /// read permission suffices) or `O_RDWR`, waiting up to `timeout` for it
    /// to appear and be ready. See `rshm_segment_open` for the errors.
    pub fn open(name: &CStr, oflag: libc::c_int, timeout: Duration) -> Result<Segment> {
        Segment::open_kind(name, oflag, timeout, KIND_SEGMENT)
    }

    /// As [`open`](Self::open) for a segment of type `kind`; another kind is EINVAL.
    ///
    /// Every object an opener finds is checked before it is trusted: the
    /// name is opened with O_NOFOLLOW and O_NONBLOCK (a symbolic link is
    /// ELOOP, and a FIFO squatting the name cannot block the call), and
    /// what is not a regular file (a FIFO, directory, socket or device) is
    /// ENODEV at once; the object's length must be the one its header
    /// implies (EPROTO otherwise), and only that length is mapped.
    pub fn open_kind(name: &CStr, oflag: libc::c_int, timeout: Duration, kind: u32) -> Result<Segment> {
        let bare = name::normalize(name)?;
        let writable = match oflag {
            libc::O_RDONLY => false,
            libc::O_RDWR => true,
            _ => return Err(note(Errno(libc::EINVAL), format!("oflag {oflag:#x} is neither O_RDONLY nor O_RDWR"))),
        };
        let deadline = Instant::now().checked_add(timeout);
        let mut pause = FIRST_PAUSE;
        loop {
            let why = match try_open(name, bare, writable, kind)? {
                Attempt::Done(seg) => return Ok(seg),
                Attempt::Wait(why) => why,
            };
            let now = Instant::now();
            let left = match deadline {
                Some(d) if d > now => d - now,
                Some(_) if timeout.is_zero() => return Err(waited(why, bare, kind, None)),
                Some(_) => return Err(waited(Errno(libc::ETIMEDOUT), bare, kind, Some((why, timeout)))),
                None => MAX_PAUSE,
            };
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The first byte of the data: page-aligned in the creator, at least
    /// 64-byte aligned everywhere.
    pub fn data(&self) -> *mut u8 {
        self.base.cast::<u8>().wrapping_add(self.data_offset)
    }

    /// The data size the creator asked for.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The segment's kind, from its header.
    pub fn kind(&self) -> u32 {
        self.kind
    }

    /// The process that created the object, as its header records it (a
    /// peer may have written anything there: use it to decide, never to
    /// index).
    pub fn creator(&self) -> Identity {
        self.creator
    }

    /// The descriptor of the object, owned by the segment.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Unmaps and closes, reporting the first failure (the rest is still released).
    pub fn close(mut self) -> Result<()> {
        let r = self.release();
        std::mem::forget(self);
        r
    }

    fn release(&mut self) -> Result<()> {
        // SAFETY: the mapping is ours and dies with the handle.
        let unmapped = unsafe { mman::unmap(self.base, self.map_len) };
        let closed = if self.fd >= 0 { fd::close(self.fd) } else { Ok(()) };
        self.fd = -1;
        unmapped.and(closed)
    }

    /// Unmaps without closing: the descriptor belongs to the caller.
    fn unmap_only(&mut self) {
        self.fd = -1;
        // SAFETY: the mapping is ours and dies with the handle.
        let _ = unsafe { mman::unmap(self.base, self.map_len) };
        self.map_len = 0;
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.map_len > 0 {
            let _ = self.release();
        }
    }
}

/// Removes the name `name`, as shm_unlink(3) does; open handles and
/// mappings stay valid. Whether the object is a segment is not checked.
pub fn unlink(name: &CStr) -> Result<()> {
    shm::unlink(name)
}

enum Attempt {
    Done(Segment),
    /// Not there or not ready yet: the errno to give if there is no time left.
    Wait(Errno),
}

/// The detail of an open that found no complete object in time: `e`, after
/// waiting `timeout` while the last look said `last`.
fn waited(e: Errno, bare: &[u8], kind: u32, waited: Option<(Errno, Duration)>) -> Errno {
    let path = quoted(&imp::shown_path(bare));
    let what = kind_name(kind);
    let found = match waited.map_or(e, |(last, _)| last) {
        Errno(libc::ENOENT) => format!("no object {path}"),
        _ => format!("{path} is not marked ready (its creator is still making it, or died doing so)"),
    };
    match waited {
        None => note(e, found),
        Some((_, t)) => note(e, format!("no complete {what} within {} ms: {found}", t.as_millis())),
    }
}

/// "rshm-segment", "rshm-channel", ... for a kind.
fn kind_name(kind: u32) -> &'static str {
    Header::new(kind, 0, 0, Identity::default()).kind_name()
}

/// Opens the existing object `name` the way rshm opens every name, for
/// tools that read objects they did not make (the CLI's stat, cat, dump):
/// without following a link (ELOOP), without blocking on whatever sits
/// under the name, and only if it is a regular object (ENODEV for a FIFO,
/// directory, socket or device; Linux). `writable` opens O_RDWR, else
/// O_RDONLY; the descriptor is close-on-exec and blocking, and the
/// caller's. Errors are noted for [`crate::errno::detail::explain`].
pub fn open_existing(name: &CStr, writable: bool) -> Result<RawFd> {
    let bare = name::normalize(name)?;
    open_regular(name, bare, writable).map(|(guard, _)| guard.take())
}

/// [`open_existing`] for a normalized name, with what fstat said.
fn open_regular(name: &CStr, bare: &[u8], writable: bool) -> Result<(CloseOnDrop, crate::stat::Stat)> {
    let guard = CloseOnDrop(imp::open_existing(name, bare, writable)?);
    let st = crate::stat::fstat(guard.0)?;
    imp::check_regular(guard.0, st.mode, &|| quoted(&imp::shown_path(bare)))?;
    Ok((guard, st))
}

fn try_open(name: &CStr, bare: &[u8], writable: bool, kind: u32) -> Result<Attempt> {
    let (guard, st) = match open_regular(name, bare, writable) {
        Err(Errno(libc::ENOENT)) => return Ok(Attempt::Wait(Errno(libc::ENOENT))),
        r => r?,
    };
    let fd = guard.0;
    let path = || quoted(&imp::shown_path(bare));
    let len = st.size;
    if len < HEADER_LEN as i64 {
        if imp::SEEN_HALF_BUILT {
            return Ok(Attempt::Wait(Errno(libc::EAGAIN)));
        }
        let what = format!("{} is {len} bytes, too small for an rshm header: not an rshm object", path());
        return Err(note(Errno(libc::EINVAL), what));
    }
    // The header alone first: nothing the object's length says is mapped
    // before the header has vouched for it.
    let head = map(fd, HEADER_LEN, false)?;
    let mut seg = Segment {
        fd: -1,
        base: head,
        map_len: HEADER_LEN,
        data_offset: 0,
        size: 0,
        kind,
        creator: Identity::default(),
    };
    // SAFETY: the mapping holds HEADER_LEN bytes; the words are aligned.
    let magic = unsafe { atomic_u64(head, MAGIC_AT) }.load(Ordering::Acquire);
    if magic == 0 && imp::SEEN_HALF_BUILT {
        return Ok(Attempt::Wait(Errno(libc::EAGAIN)));
    }
    let mut bytes = [0u8; HEADER_LEN];
    // SAFETY: as above; after the magic (Acquire) no field but the state changes.
    unsafe { std::ptr::copy_nonoverlapping(head.cast::<u8>(), bytes.as_mut_ptr(), HEADER_LEN) };
    let h = header::parse(&bytes).map_err(|e| match e {
        Errno(libc::EPROTO) => {
            let version = u32::from_ne_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            let what =
                format!("{} has rshm layout version {version}; this rshm reads only {}", path(), header::VERSION);
            note(e, what)
        }
        e if bytes[..8] != MAGIC => note(e, format!("{} has no rshm header: not an object rshm made", path())),
        e => note(e, format!("{} has a damaged rshm header (its data offset or size is impossible)", path())),
    })?;
    if h.kind != kind {
        let what = format!("{} is an {}, not an {}", path(), h.kind_name(), kind_name(kind));
        return Err(note(Errno(libc::EINVAL), what));
    }
    let end = h.matches(len as u64, page::size() as u64).map_err(|e| {
        let what = format!(
            "{} is {len} bytes, but its header describes {} + {} bytes: resized after its creation, or not made by rshm",
            path(),
            h.data_offset,
            h.size
        );
        note(e, what)
    })?;
    // SAFETY: as above.
    if unsafe { atomic_u32(head, STATE_AT) }.load(Ordering::Acquire) != STATE_READY {
        return Ok(Attempt::Wait(Errno(libc::EAGAIN)));
    }
    let map_len = usize::try_from(end).map_err(|_| Errno(libc::EOVERFLOW))?;
    let base = map(fd, map_len, writable)?;
    // SAFETY: the header mapping is ours and nothing refers to it any more.
    let _ = unsafe { mman::unmap(head, HEADER_LEN) };
    seg.base = base;
    seg.map_len = map_len;
    // matches() bounded both by the mapped length, a usize.
    seg.data_offset = h.data_offset as usize;
    seg.size = h.size as usize;
    seg.creator = h.creator;
    seg.fd = guard.take();
    Ok(Attempt::Done(seg))
}

fn map(fd: RawFd, len: usize, writable: bool) -> Result<*mut c_void> {
    let prot = if writable { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_READ };
    // SAFETY: no MAP_FIXED: the kernel picks a free range.
    unsafe { mman::map(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, 0) }
}

/// # Safety
/// `base + at` must be mapped, 8-byte aligned, for as long as the reference is used.
unsafe fn atomic_u64<'a>(base: *mut c_void, at: usize) -> &'a AtomicU64 {
    // SAFETY: forwarded to the caller; other processes touch the word only atomically.
    unsafe { &*base.cast::<u8>().add(at).cast::<AtomicU64>() }
}

/// # Safety
/// As for `atomic_u64`, 4-byte aligned.
unsafe fn atomic_u32<'a>(base: *mut c_void, at: usize) -> &'a AtomicU32 {
    // SAFETY: forwarded to the caller.
    unsafe { &*base.cast::<u8>().add(at).cast::<AtomicU32>() }
}

struct CloseOnDrop(RawFd);

impl CloseOnDrop {
    fn take(self) -> RawFd {
        let fd = self.0;
        std::mem::forget(self);
        fd
    }
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let _ = fd::close(self.0);
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::ffi::CString;
    use std::sync::atomic::AtomicUsize;

    /// A linked segment is always complete: anything smaller than a header,
    /// or without the magic, is not a segment at all.
    pub(crate) const SEEN_HALF_BUILT: bool = false;

    /// Where glibc keeps shm objects.
    const SHM_DIR: &str = "/dev/shm/";

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    /// The temporary name and its descriptor; dropping it while armed
    /// (creation failed) removes both.
    struct Tmp {
        name: CString,
        fd: RawFd,
        armed: bool,
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            if self.armed {
                let _ = fd::close(self.fd);
            }
            let _ = shm::unlink(&self.name);
        }
    }

    fn path(bare: &[u8]) -> Result<CString> {
        CString::new(shown_path(bare)).map_err(|_| Errno(libc::EINVAL))
    }

    /// Where the object lives, for messages.
    pub(crate) fn shown_path(bare: &[u8]) -> Vec<u8> {
        let mut p = SHM_DIR.as_bytes().to_vec();
        p.extend_from_slice(bare);
        p
    }

    /// Opens the existing object `bare` ("/dev/shm/" + bare, where glibc's
    /// shm_open looks) without following a link (ELOOP) and without
    /// blocking on a FIFO, a device or anything else a local user may have
    /// put under the name; the caller checks what it got with
    /// [`check_regular`]. A directory or socket is ENODEV here.
    pub(crate) fn open_existing(_name: &CStr, bare: &[u8], writable: bool) -> Result<RawFd> {
        let path = path(bare)?;
        let access = if writable { libc::O_RDWR } else { libc::O_RDONLY };
        let flags = access | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        // SAFETY: path is NUL-terminated; no O_CREAT, so no mode is read.
        let fd = unsafe { libc::open(path.as_ptr(), flags) };
        if fd >= 0 {
            return Ok(fd);
        }
        let shown = || quoted(&shown_path(bare));
        Err(match Errno::last() {
            e @ Errno(libc::ELOOP) => {
                note(e, format!("{} is a symbolic link, and rshm never follows one in /dev/shm", shown()))
            }
            Errno(libc::EISDIR) => not_an_object(&shown(), "a directory"),
            // open(2) of a socket, or of a device with no driver.
            Errno(libc::ENXIO) => not_an_object(&shown(), "a socket or a device"),
            e @ Errno(libc::EACCES) => {
                let want = if writable { "reading and writing" } else { "reading" };
                note(e, format!("{}: its mode does not allow {want} by this process", shown()))
            }
            e => e,
        })
    }

    /// ENODEV unless `mode` (from fstat of `fd`) is a regular file's; then
    /// clears the O_NONBLOCK the open needed, which a regular file ignores
    /// but a caller of `fd` need not see.
    pub(crate) fn check_regular(fd: RawFd, mode: u32, shown: &dyn Fn() -> String) -> Result<()> {
        let kind = match mode & libc::S_IFMT {
            libc::S_IFREG => {
                // SAFETY: fd is ours; F_GETFL/F_SETFL take an int.
                let fl = crate::errno::cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
                // SAFETY: as above.
                crate::errno::cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_NONBLOCK) })?;
                return Ok(());
            }
            libc::S_IFIFO => "a FIFO",
            libc::S_IFDIR => "a directory",
            libc::S_IFSOCK => "a socket",
            libc::S_IFCHR => "a character device",
            libc::S_IFBLK => "a block device",
            _ => "not a regular file",
        };
        Err(not_an_object(&shown(), kind))
    }

    fn not_an_object(shown: &str, kind: &str) -> Errno {
        note(Errno(libc::ENODEV), format!("{shown} is {kind}, not a shared memory object"))
    }

    /// What is at `path` if anything, without following a link.
    fn lstat_kind(path: &CStr) -> Option<&'static str> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: path is NUL-terminated and st is writable.
        if unsafe { libc::fstatat(libc::AT_FDCWD, path.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) } != 0 {
            return None;
        }
        // SAFETY: fstatat succeeded and filled st.
        Some(match unsafe { st.assume_init() }.st_mode & libc::S_IFMT {
            libc::S_IFREG => "an object",
            libc::S_IFLNK => "a symbolic link",
            libc::S_IFIFO => "a FIFO",
            libc::S_IFDIR => "a directory",
            libc::S_IFSOCK => "a socket",
            _ => "a device",
        })
    }

    fn make_tmp(mode: u32) -> Result<Tmp> {
        loop {
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: ts is writable.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
            let name = format!(
                "/rshm-tmp.{}.{}.{:x}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                ts.tv_nsec
            );
            let name = CString::new(name).expect("no NUL in a formatted name");
            match shm::open(&name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode) {
                Ok(fd) => return Ok(Tmp { name, fd, armed: true }),
                Err(Errno(libc::EEXIST)) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub fn create(
        _name: &CStr,
        bare: &[u8],
        mode: u32,
        build: impl FnOnce(RawFd) -> Result<Segment>,
    ) -> Result<Segment> {
        let target = path(bare)?;
        // Only a shortcut, so that a taken name fails before the pages are
        // reserved; link below is what guarantees nothing is replaced. A
        // link, even a dangling one, is a taken name: nothing follows it.
        if let Some(kind) = lstat_kind(&target) {
            return Err(note(Errno(libc::EEXIST), format!("{} exists ({kind})", quoted(target.to_bytes()))));
        }
        let tmp = make_tmp(mode)?;
        let mut seg = build(tmp.fd)?;
        let from = path(&tmp.name.as_bytes()[1..])?;
        // SAFETY: both paths are NUL-terminated.
        if unsafe { libc::link(from.as_ptr(), target.as_ptr()) } != 0 {
            let e = Errno::last();
            seg.unmap_only();
            if e == Errno(libc::EEXIST) {
                return Err(note(
                    e,
                    format!("{} appeared while the segment was being made", quoted(target.to_bytes())),
                ));
            }
            return Err(e);
        }
        // The descriptor now belongs to the segment; dropping tmp removes
        // only the temporary name.
        let mut tmp = tmp;
        tmp.armed = false;
        Ok(seg)
    }
}

#[cfg(target_os = "macos")]
mod imp {
    use super::*;

    /// Openers can find the name while the creator still builds the object:
    /// size 0 or a zero magic means "wait".
    pub(crate) const SEEN_HALF_BUILT: bool = true;

    /// macOS's shm names are not files: the name is shown as given.
    pub(crate) fn shown_path(bare: &[u8]) -> Vec<u8> {
        let mut p = b"/".to_vec();
        p.extend_from_slice(bare);
        p
    }

    /// shm_open: macOS keeps shm objects outside the file system, so no
    /// link, FIFO or device can take their names.
    pub(crate) fn open_existing(name: &CStr, _bare: &[u8], writable: bool) -> Result<RawFd> {
        shm::open(name, if writable { libc::O_RDWR } else { libc::O_RDONLY }, 0)
    }

    /// Nothing to check: see open_existing.
    pub(crate) fn check_regular(_fd: RawFd, _mode: u32, _shown: &dyn Fn() -> String) -> Result<()> {
        Ok(())
    }

    pub fn create(
        name: &CStr,
        _bare: &[u8],
        mode: u32,
        build: impl FnOnce(RawFd) -> Result<Segment>,
    ) -> Result<Segment> {
        let fd = shm::open(name, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode)?;
        match build(fd) {
            Ok(seg) => Ok(seg),
            Err(e) => {
                // The name is ours: O_EXCL created it, and nobody else can
                // have made it since.
                let _ = fd::close(fd);
                let _ = shm::unlink(name);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_names::name;

    #[test]
    fn create_then_open_sees_init_data_and_size() {
        let n = name("seg");
        let seg = Segment::create_init(&n, 100, 0o600, |p, len| {
            // SAFETY: init gets the data range, len bytes.
            unsafe { std::ptr::write_bytes(p, 0xab, len) };
            true
        })
        .unwrap();
        assert_eq!(seg.size(), 100);
        assert_eq!(seg.data() as usize % page::size(), 0);
        let r = Segment::open(&n, libc::O_RDONLY, Duration::ZERO).unwrap();
        assert_eq!(r.size(), 100);
        // SAFETY: the opener's data range holds size bytes.
        assert!(unsafe { std::slice::from_raw_parts(r.data(), 100) }.iter().all(|&b| b == 0xab));
        assert_eq!(Segment::create(&n, 100, 0o600).err(), Some(Errno(libc::EEXIST)));
        assert_eq!(Segment::open_kind(&n, libc::O_RDONLY, Duration::ZERO, 99).err(), Some(Errno(libc::EINVAL)));
        r.close().unwrap();
        drop(seg);
        unlink(&n).unwrap();
    }

    #[test]
    fn bad_arguments_and_failed_init_leave_nothing() {
        let n = name("bad");
        assert_eq!(Segment::create(&n, 0, 0o600).err(), Some(Errno(libc::EINVAL)));
        assert_eq!(Segment::create(&n, usize::MAX, 0o600).err(), Some(Errno(libc::EOVERFLOW)));
        assert_eq!(Segment::create_init(&n, 10, 0o600, |_, _| false).err(), Some(Errno(libc::ECANCELED)));
        assert_eq!(Segment::open(&n, libc::O_RDONLY, Duration::ZERO).err(), Some(Errno(libc::ENOENT)));
        assert_eq!(Segment::open(&n, libc::O_RDONLY, Duration::from_millis(20)).err(), Some(Errno(libc::ETIMEDOUT)));
        assert_eq!(Segment::open(&n, libc::O_WRONLY, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
        assert_eq!(Segment::open(&n, libc::O_RDWR | libc::O_CREAT, Duration::ZERO).err(), Some(Errno(libc::EINVAL)));
        #[cfg(target_os = "linux")]
        let leftovers = std::fs::read_dir("/dev/shm")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(&format!(".{}.", std::process::id())))
            .count();
        #[cfg(target_os = "linux")]
        assert_eq!(leftovers, 0);
    }
    /// What a local user can put under a name in /dev/shm: every open
    /// answers at once, with ENODEV or ELOOP, and follows nothing.
    #[cfg(target_os = "linux")]
    #[test]
    fn fifos_links_and_directories_are_refused_at_once() {
        use std::os::unix::fs::symlink;
        let n = name("hostile");
        let path = format!("/dev/shm/{}", &n.to_str().unwrap()[1..]);
        let c = std::ffi::CString::new(path.clone()).unwrap();
        let target = name("target");
        let seg = Segment::create(&target, 100, 0o600).unwrap();
        let cases: [(&str, i32); 3] = [("fifo", libc::ENODEV), ("link", libc::ELOOP), ("dir", libc::ENODEV)];
        for (what, want) in cases {
            match what {
                // SAFETY: c is NUL-terminated.
                "fifo" => assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0),
                "link" => symlink(format!("/dev/shm/{}", &target.to_str().unwrap()[1..]), &path).unwrap(),
                _ => std::fs::create_dir(&path).unwrap(),
            }
            for oflag in [libc::O_RDONLY, libc::O_RDWR] {
                let t = Instant::now();
                let got = Segment::open(&n, oflag, Duration::from_millis(200)).err();
                assert_eq!(got, Some(Errno(want)), "{what} {oflag}");
                assert!(t.elapsed() < Duration::from_millis(100), "{what}: {:?}", t.elapsed());
            }
            assert_eq!(Segment::create(&n, 100, 0o600).err(), Some(Errno(libc::EEXIST)), "{what}");
            assert_eq!(open_existing(&n, false).err(), Some(Errno(want)), "{what}");
            match what {
                "dir" => std::fs::remove_dir(&path).unwrap(),
                _ => std::fs::remove_file(&path).unwrap(),
            }
        }
        // A dangling link is a taken name too, and its target is not made.
        symlink(format!("/dev/shm/{}-made", &n.to_str().unwrap()[1..]), &path).unwrap();
        assert_eq!(Segment::create(&n, 100, 0o600).err(), Some(Errno(libc::EEXIST)));
        assert!(std::fs::symlink_metadata(format!("{path}-made")).is_err());
        std::fs::remove_file(&path).unwrap();
        // A real object opens, blocking again.
        let fd = open_existing(&target, true).unwrap();
        // SAFETY: fd is ours; F_GETFL takes no argument.
        assert_eq!(unsafe { libc::fcntl(fd, libc::F_GETFL) } & libc::O_NONBLOCK, 0);
        fd::close(fd).unwrap();
        drop(seg);
        unlink(&target).unwrap();
    }

    #[test]
    fn dot_names_are_einval() {
        for n in [c"/..", c"..", c"/.", c"//.."] {
            assert_eq!(Segment::create(n, 100, 0o600).err(), Some(Errno(libc::EINVAL)), "{n:?}");
            assert_eq!(Segment::open(n, libc::O_RDONLY, Duration::ZERO).err(), Some(Errno(libc::EINVAL)), "{n:?}");
        }
    }

    /// An object grown or shrunk after its creation no longer matches its
    /// header: EPROTO, whichever way, and nothing of it is mapped.
    #[test]
    fn an_object_resized_behind_its_header_is_eproto() {
        let n = name("resized");
        let seg = Segment::create(&n, 100, 0o600).unwrap();
        let total = (page::size() + 100) as i64;
        for len in [1 << 30, total + page::size() as i64, total - 1] {
            fd::truncate(seg.fd(), len).unwrap();
            assert_eq!(Segment::open(&n, libc::O_RDONLY, Duration::ZERO).err(), Some(Errno(libc::EPROTO)), "{len}");
        }
        // Within the last page: what macOS does to every object.
        fd::truncate(seg.fd(), page::round_up(total as usize).unwrap() as i64).unwrap();
        Segment::open(&n, libc::O_RDONLY, Duration::ZERO).unwrap().close().unwrap();
        drop(seg);
        unlink(&n).unwrap();
    }
}
