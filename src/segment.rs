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
            return Err(Errno(libc::EINVAL));
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
    pub fn open_kind(name: &CStr, oflag: libc::c_int, timeout: Duration, kind: u32) -> Result<Segment> {
        name::normalize(name)?;
        let writable = match oflag {
            libc::O_RDONLY => false,
            libc::O_RDWR => true,
            _ => return Err(Errno(libc::EINVAL)),
        };
        let deadline = Instant::now().checked_add(timeout);
        let mut pause = FIRST_PAUSE;
        loop {
            let why = match try_open(name, writable, kind)? {
                Attempt::Done(seg) => return Ok(seg),
                Attempt::Wait(why) => why,
            };
            let now = Instant::now();
            let left = match deadline {
                Some(d) if d > now => d - now,
                Some(_) if timeout.is_zero() => return Err(why),
                Some(_) => return Err(Errno(libc::ETIMEDOUT)),
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

fn try_open(name: &CStr, writable: bool, kind: u32) -> Result<Attempt> {
    let oflag = if writable { libc::O_RDWR } else { libc::O_RDONLY };
    let fd = match shm::open(name, oflag, 0) {
        Err(Errno(libc::ENOENT)) => return Ok(Attempt::Wait(Errno(libc::ENOENT))),
        r => r?,
    };
    let guard = CloseOnDrop(fd);
    let len = crate::stat::fstat(fd)?.size;
    if len < HEADER_LEN as i64 {
        return if imp::SEEN_HALF_BUILT { Ok(Attempt::Wait(Errno(libc::EAGAIN))) } else { Err(Errno(libc::EINVAL)) };
    }
    let map_len = usize::try_from(len).map_err(|_| Errno(libc::EOVERFLOW))?;
    let base = map(fd, map_len, writable)?;
    let mut seg = Segment { fd: -1, base, map_len, data_offset: 0, size: 0, kind, creator: Identity::default() };
    // SAFETY: the mapping holds at least HEADER_LEN bytes; the words are aligned.
    let magic = unsafe { atomic_u64(base, MAGIC_AT) }.load(Ordering::Acquire);
    if magic == 0 && imp::SEEN_HALF_BUILT {
        return Ok(Attempt::Wait(Errno(libc::EAGAIN)));
    }
    let mut bytes = [0u8; HEADER_LEN];
    // SAFETY: as above; after the magic (Acquire) no field but the state changes.
    unsafe { std::ptr::copy_nonoverlapping(base.cast::<u8>(), bytes.as_mut_ptr(), HEADER_LEN) };
    let h = header::parse(&bytes)?;
    if h.kind != kind {
        return Err(Errno(libc::EINVAL));
    }
    h.fits(len as u64)?;
    // SAFETY: as above.
    if unsafe { atomic_u32(base, STATE_AT) }.load(Ordering::Acquire) != STATE_READY {
        return Ok(Attempt::Wait(Errno(libc::EAGAIN)));
    }
    // fits() bounded both by the mapped length, a usize.
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
        let mut p = SHM_DIR.as_bytes().to_vec();
        p.extend_from_slice(bare);
        CString::new(p).map_err(|_| Errno(libc::EINVAL))
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
        // reserved; link below is what guarantees nothing is replaced.
        // SAFETY: target is NUL-terminated.
        if unsafe { libc::access(target.as_ptr(), libc::F_OK) } == 0 {
            return Err(Errno(libc::EEXIST));
        }
        let tmp = make_tmp(mode)?;
        let mut seg = build(tmp.fd)?;
        let from = path(&tmp.name.as_bytes()[1..])?;
        // SAFETY: both paths are NUL-terminated.
        if unsafe { libc::link(from.as_ptr(), target.as_ptr()) } != 0 {
            let e = Errno::last();
            seg.unmap_only();
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
}
