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
