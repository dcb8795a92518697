//! The constants a C caller needs, with the platform's values, so that a
//! program including only `rshm.h` can use every call.
//!
//! cbindgen reads literals, not `libc::` paths, so each value is written out
//! per platform and checked against the libc crate at compile time below.
//! Linux values are the generic ones (x86, x86_64, arm, aarch64, riscv64,
//! loongarch64); an architecture with other values fails to compile rather
//! than hand out wrong numbers.

use libc::{c_int, c_uint};

/// Open for reading only (`shm_open` oflag).
pub const RSHM_O_RDONLY: c_int = 0;
/// Open for writing only (`shm_open` oflag).
pub const RSHM_O_WRONLY: c_int = 1;
/// Open for reading and writing (`shm_open` oflag).
pub const RSHM_O_RDWR: c_int = 2;
/// Pages may not be accessed (`mmap` prot).
pub const RSHM_PROT_NONE: c_int = 0;
/// Pages may be read (`mmap` prot).
pub const RSHM_PROT_READ: c_int = 1;
/// Pages may be written (`mmap` prot).
pub const RSHM_PROT_WRITE: c_int = 2;
/// Pages may be executed (`mmap` prot).
pub const RSHM_PROT_EXEC: c_int = 4;
/// Changes are shared with every other mapping of the object (`mmap` flags).
pub const RSHM_MAP_SHARED: c_int = 1;
/// Changes are private copy-on-write (`mmap` flags).
pub const RSHM_MAP_PRIVATE: c_int = 2;
/// Place the mapping exactly at addr, replacing what is there (`mmap` flags).
pub const RSHM_MAP_FIXED: c_int = 0x10;
/// Close the descriptor on exec (`memfd_create` flags).
pub const RSHM_MFD_CLOEXEC: c_uint = 1;
/// Allow seals to be added to the memfd (`memfd_create` flags).
pub const RSHM_MFD_ALLOW_SEALING: c_uint = 2;
/// Forbid adding further seals (`rshm_add_seals`).
pub const RSHM_F_SEAL_SEAL: c_uint = 0x1;
/// Forbid shrinking the object (`rshm_add_seals`).
pub const RSHM_F_SEAL_SHRINK: c_uint = 0x2;
/// Forbid growing the object (`rshm_add_seals`).
pub const RSHM_F_SEAL_GROW: c_uint = 0x4;
/// Forbid writes and writable shared mappings (`rshm_add_seals`).
pub const RSHM_F_SEAL_WRITE: c_uint = 0x8;
/// Forbid new writable mappings and writes; existing mappings keep writing (`rshm_add_seals`).
pub const RSHM_F_SEAL_FUTURE_WRITE: c_uint = 0x10;
/// The publisher waits for the slowest live subscriber instead of
/// overwriting what it has not read (`rshm_topic_create` flags).
pub const RSHM_TOPIC_BLOCK: c_int = 1;

#[cfg(target_os = "linux")]
mod platform {
    use libc::{c_int, c_uint};
    /// Create the object if it does not exist (`shm_open` oflag).
    pub const RSHM_O_CREAT: c_int = 0o100;
    /// With `RSHM_O_CREAT`: fail with EEXIST if the object exists (`shm_open` oflag).
    pub const RSHM_O_EXCL: c_int = 0o200;
    /// Truncate an existing object to size 0 (`shm_open` oflag).
    pub const RSHM_O_TRUNC: c_int = 0o1000;
    /// Close on exec; `rshm_shm_open` sets it always, as POSIX requires (`shm_open` oflag).
    pub const RSHM_O_CLOEXEC: c_int = 0o2000000;
    /// MAP_SHARED that fails with EOPNOTSUPP on unknown flags (`mmap` flags).
    pub const RSHM_MAP_SHARED_VALIDATE: c_int = 0x03;
    /// Map zero-filled memory backed by no file; fd is ignored, use -1 (`mmap` flags).
    pub const RSHM_MAP_ANONYMOUS: c_int = 0x20;
    /// Reserve no swap for the mapping (`mmap` flags).
    pub const RSHM_MAP_NORESERVE: c_int = 0x4000;
    /// Fault every page in now rather than on first touch (`mmap` flags).
    pub const RSHM_MAP_POPULATE: c_int = 0x8000;
    /// Back the mapping with huge pages (`mmap` flags).
    pub const RSHM_MAP_HUGETLB: c_int = 0x40000;
    /// Like `RSHM_MAP_FIXED` but fail with EEXIST instead of replacing a mapping (`mmap` flags).
    pub const RSHM_MAP_FIXED_NOREPLACE: c_int = 0x100000;
    /// Back the memfd with huge pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGETLB: c_uint = 4;
}

#[cfg(target_os = "macos")]
mod platform {
    use libc::c_int;
    /// Create the object if it does not exist (`shm_open` oflag).
    pub const RSHM_O_CREAT: c_int = 0x200;
    /// With `RSHM_O_CREAT`: fail with EEXIST if the object exists (`shm_open` oflag).
    pub const RSHM_O_EXCL: c_int = 0x800;
    /// Truncate an existing object to size 0 (`shm_open` oflag).
    pub const RSHM_O_TRUNC: c_int = 0x400;
    /// Close on exec; `rshm_shm_open` sets it always, as POSIX requires (`shm_open` oflag).
    pub const RSHM_O_CLOEXEC: c_int = 0x1000000;
    /// Map zero-filled memory backed by no file; fd is ignored, use -1 (`mmap` flags).
    pub const RSHM_MAP_ANONYMOUS: c_int = 0x1000;
    /// Reserve no swap for the mapping (`mmap` flags).
    pub const RSHM_MAP_NORESERVE: c_int = 0x40;
}

pub use platform::*;

/// Each value above is the platform's own: a mismatch stops the build.
const _: () = {
    assert!(RSHM_O_RDONLY == libc::O_RDONLY);
    assert!(RSHM_O_WRONLY == libc::O_WRONLY);
    assert!(RSHM_O_RDWR == libc::O_RDWR);
    assert!(RSHM_O_CREAT == libc::O_CREAT);
    assert!(RSHM_O_EXCL == libc::O_EXCL);
    assert!(RSHM_O_TRUNC == libc::O_TRUNC);
    assert!(RSHM_O_CLOEXEC == libc::O_CLOEXEC);
    assert!(RSHM_PROT_NONE == libc::PROT_NONE);
    assert!(RSHM_PROT_READ == libc::PROT_READ);
    assert!(RSHM_PROT_WRITE == libc::PROT_WRITE);
    assert!(RSHM_PROT_EXEC == libc::PROT_EXEC);
    assert!(RSHM_MAP_SHARED == libc::MAP_SHARED);
    assert!(RSHM_MAP_PRIVATE == libc::MAP_PRIVATE);
    assert!(RSHM_MAP_FIXED == libc::MAP_FIXED);
    assert!(RSHM_MAP_ANONYMOUS == libc::MAP_ANON);
    assert!(RSHM_MAP_NORESERVE == libc::MAP_NORESERVE);
};

#[cfg(target_os = "linux")]
const _: () = {
    assert!(RSHM_MAP_SHARED_VALIDATE == libc::MAP_SHARED_VALIDATE);
    assert!(RSHM_MAP_POPULATE == libc::MAP_POPULATE);
    assert!(RSHM_MAP_HUGETLB == libc::MAP_HUGETLB);
    assert!(RSHM_MAP_FIXED_NOREPLACE == libc::MAP_FIXED_NOREPLACE);
    assert!(RSHM_MFD_CLOEXEC == libc::MFD_CLOEXEC);
    assert!(RSHM_MFD_ALLOW_SEALING == libc::MFD_ALLOW_SEALING);
    assert!(RSHM_MFD_HUGETLB == libc::MFD_HUGETLB);
    assert!(RSHM_F_SEAL_SEAL as c_int == libc::F_SEAL_SEAL);
    assert!(RSHM_F_SEAL_SHRINK as c_int == libc::F_SEAL_SHRINK);
    assert!(RSHM_F_SEAL_GROW as c_int == libc::F_SEAL_GROW);
    assert!(RSHM_F_SEAL_WRITE as c_int == libc::F_SEAL_WRITE);
    assert!(RSHM_F_SEAL_FUTURE_WRITE as c_int == libc::F_SEAL_FUTURE_WRITE);
};

// ---- Memory control, sealing and memfd extras (`rshm_msync`, `rshm_madvise`,
// `rshm_mlockall`, `rshm_add_seals`, `rshm_fcntl`, `rshm_memfd_create`).

/// Start writing dirty pages back and return at once (`rshm_msync` flags).
pub const RSHM_MS_ASYNC: c_int = 1;
/// Invalidate other mappings of the same file so they see the new contents (`rshm_msync` flags).
pub const RSHM_MS_INVALIDATE: c_int = 2;
/// No special treatment (`rshm_madvise` advice).
pub const RSHM_MADV_NORMAL: c_int = 0;
/// Expect random access: read ahead less (`rshm_madvise` advice).
pub const RSHM_MADV_RANDOM: c_int = 1;
/// Expect sequential access: read ahead more (`rshm_madvise` advice).
pub const RSHM_MADV_SEQUENTIAL: c_int = 2;
/// The range will be needed soon: fault it in ahead (`rshm_madvise` advice).
pub const RSHM_MADV_WILLNEED: c_int = 3;
/// The range is not needed now: drop this process's pages; a shared object keeps its
/// contents, a private anonymous range reads back as zeros (`rshm_madvise` advice).
pub const RSHM_MADV_DONTNEED: c_int = 4;
/// Lock the pages mapped now (`rshm_mlockall` flags).
pub const RSHM_MCL_CURRENT: c_int = 1;
/// Lock the pages mapped from now on (`rshm_mlockall` flags).
pub const RSHM_MCL_FUTURE: c_int = 2;
/// Forbid making the object executable (`rshm_add_seals`; Linux 6.3+).
pub const RSHM_F_SEAL_EXEC: c_uint = 0x20;

#[cfg(target_os = "linux")]
mod platform_memctl {
    use libc::{c_int, c_uint};
    /// Write dirty pages back and wait until done (`rshm_msync` flags).
    pub const RSHM_MS_SYNC: c_int = 4;
    /// Free the pages lazily: the range may read back as zeros (`rshm_madvise` advice).
    pub const RSHM_MADV_FREE: c_int = 8;
    /// Free the range and its backing store in a shared object: it reads back as zeros
    /// (`rshm_madvise` advice).
    pub const RSHM_MADV_REMOVE: c_int = 9;
    /// Do not map the range into a child after fork (`rshm_madvise` advice).
    pub const RSHM_MADV_DONTFORK: c_int = 10;
    /// Undo `RSHM_MADV_DONTFORK` (`rshm_madvise` advice).
    pub const RSHM_MADV_DOFORK: c_int = 11;
    /// Back the range with transparent huge pages where possible (`rshm_madvise` advice).
    pub const RSHM_MADV_HUGEPAGE: c_int = 14;
    /// Do not use transparent huge pages for the range (`rshm_madvise` advice).
    pub const RSHM_MADV_NOHUGEPAGE: c_int = 15;
    /// Leave the range out of core dumps (`rshm_madvise` advice).
    pub const RSHM_MADV_DONTDUMP: c_int = 16;
    /// Undo `RSHM_MADV_DONTDUMP` (`rshm_madvise` advice).
    pub const RSHM_MADV_DODUMP: c_int = 17;
    /// Fault the range in for reading now (`rshm_madvise` advice; Linux 5.14+).
    pub const RSHM_MADV_POPULATE_READ: c_int = 22;
    /// Fault the range in for writing now (`rshm_madvise` advice; Linux 5.14+).
    pub const RSHM_MADV_POPULATE_WRITE: c_int = 23;
    /// With `RSHM_MCL_CURRENT`/`FUTURE`: lock pages when they are first touched (`rshm_mlockall` flags).
    pub const RSHM_MCL_ONFAULT: c_int = 4;
    /// Add seals (`rshm_fcntl` cmd; `rshm_add_seals` is the checked form).
    pub const RSHM_F_ADD_SEALS: c_int = 1033;
    /// Read the seals (`rshm_fcntl` cmd; `rshm_get_seals` is the checked form).
    pub const RSHM_F_GET_SEALS: c_int = 1034;
    /// Sets the executable bits off and seals them with `RSHM_F_SEAL_EXEC` (`memfd_create` flags; Linux 6.3+).
    pub const RSHM_MFD_NOEXEC_SEAL: c_uint = 8;
    /// The memfd may be made executable (`memfd_create` flags; Linux 6.3+).
    pub const RSHM_MFD_EXEC: c_uint = 0x10;
    /// The huge page size sits in flags bits 26..31 as log2(size) (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_SHIFT: c_uint = 26;
    /// Mask of the log2 huge page size once shifted down (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_MASK: c_uint = 63;
    /// With `RSHM_MFD_HUGETLB`: 64 KiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_64KB: c_uint = 0x4000_0000;
    /// With `RSHM_MFD_HUGETLB`: 512 KiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_512KB: c_uint = 0x4c00_0000;
    /// With `RSHM_MFD_HUGETLB`: 1 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_1MB: c_uint = 0x5000_0000;
    /// With `RSHM_MFD_HUGETLB`: 2 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_2MB: c_uint = 0x5400_0000;
    /// With `RSHM_MFD_HUGETLB`: 8 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_8MB: c_uint = 0x5c00_0000;
    /// With `RSHM_MFD_HUGETLB`: 16 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_16MB: c_uint = 0x6000_0000;
    /// With `RSHM_MFD_HUGETLB`: 32 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_32MB: c_uint = 0x6400_0000;
    /// With `RSHM_MFD_HUGETLB`: 256 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_256MB: c_uint = 0x7000_0000;
    /// With `RSHM_MFD_HUGETLB`: 512 MiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_512MB: c_uint = 0x7400_0000;
    /// With `RSHM_MFD_HUGETLB`: 1 GiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_1GB: c_uint = 0x7800_0000;
    /// With `RSHM_MFD_HUGETLB`: 2 GiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_2GB: c_uint = 0x7c00_0000;
    /// With `RSHM_MFD_HUGETLB`: 16 GiB pages (`memfd_create` flags).
    pub const RSHM_MFD_HUGE_16GB: c_uint = 0x8800_0000;
}

/// macOS has fewer advice values and no seal or huge-page memfd flags: the
/// names it lacks are absent from the header there, so using one fails to
/// compile rather than at run time.
#[cfg(target_os = "macos")]
mod platform_memctl {
    use libc::c_int;
    /// Write dirty pages back and wait until done (`rshm_msync` flags).
    pub const RSHM_MS_SYNC: c_int = 0x10;
    /// Free the pages lazily: the range may read back as zeros (`rshm_madvise` advice).
    pub const RSHM_MADV_FREE: c_int = 5;
}

pub use platform_memctl::*;

const _: () = {
    assert!(RSHM_MS_ASYNC == libc::MS_ASYNC);
    assert!(RSHM_MS_SYNC == libc::MS_SYNC);
    assert!(RSHM_MS_INVALIDATE == libc::MS_INVALIDATE);
    assert!(RSHM_MADV_NORMAL == libc::MADV_NORMAL);
    assert!(RSHM_MADV_RANDOM == libc::MADV_RANDOM);
    assert!(RSHM_MADV_SEQUENTIAL == libc::MADV_SEQUENTIAL);
    assert!(RSHM_MADV_WILLNEED == libc::MADV_WILLNEED);
    assert!(RSHM_MADV_DONTNEED == libc::MADV_DONTNEED);
    assert!(RSHM_MADV_FREE == libc::MADV_FREE);
    assert!(RSHM_MCL_CURRENT == libc::MCL_CURRENT);
    assert!(RSHM_MCL_FUTURE == libc::MCL_FUTURE);
};

#[cfg(target_os = "linux")]
const _: () = {
    assert!(RSHM_MADV_REMOVE == libc::MADV_REMOVE);
    assert!(RSHM_MADV_DONTFORK == libc::MADV_DONTFORK);
    assert!(RSHM_MADV_DOFORK == libc::MADV_DOFORK);
    assert!(RSHM_MADV_HUGEPAGE == libc::MADV_HUGEPAGE);
    assert!(RSHM_MADV_NOHUGEPAGE == libc::MADV_NOHUGEPAGE);
    assert!(RSHM_MADV_DONTDUMP == libc::MADV_DONTDUMP);
    assert!(RSHM_MADV_DODUMP == libc::MADV_DODUMP);
    assert!(RSHM_MADV_POPULATE_READ == libc::MADV_POPULATE_READ);
    assert!(RSHM_MADV_POPULATE_WRITE == libc::MADV_POPULATE_WRITE);
    assert!(RSHM_MCL_ONFAULT == libc::MCL_ONFAULT);
    assert!(RSHM_F_ADD_SEALS == libc::F_ADD_SEALS);
    assert!(RSHM_F_GET_SEALS == libc::F_GET_SEALS);
    assert!(RSHM_F_SEAL_EXEC as c_int == libc::F_SEAL_EXEC);
    assert!(RSHM_MFD_NOEXEC_SEAL == libc::MFD_NOEXEC_SEAL);
    assert!(RSHM_MFD_EXEC == libc::MFD_EXEC);
    assert!(RSHM_MFD_HUGE_SHIFT == libc::MFD_HUGE_SHIFT);
    assert!(RSHM_MFD_HUGE_MASK == libc::MFD_HUGE_MASK);
    assert!(RSHM_MFD_HUGE_64KB == libc::MFD_HUGE_64KB);
    assert!(RSHM_MFD_HUGE_512KB == libc::MFD_HUGE_512KB);
    assert!(RSHM_MFD_HUGE_1MB == libc::MFD_HUGE_1MB);
    assert!(RSHM_MFD_HUGE_2MB == libc::MFD_HUGE_2MB);
    assert!(RSHM_MFD_HUGE_8MB == libc::MFD_HUGE_8MB);
    assert!(RSHM_MFD_HUGE_16MB == libc::MFD_HUGE_16MB);
    assert!(RSHM_MFD_HUGE_32MB == libc::MFD_HUGE_32MB);
    assert!(RSHM_MFD_HUGE_256MB == libc::MFD_HUGE_256MB);
    assert!(RSHM_MFD_HUGE_512MB == libc::MFD_HUGE_512MB);
    assert!(RSHM_MFD_HUGE_1GB == libc::MFD_HUGE_1GB);
    assert!(RSHM_MFD_HUGE_2GB == libc::MFD_HUGE_2GB);
    assert!(RSHM_MFD_HUGE_16GB == libc::MFD_HUGE_16GB);
};
