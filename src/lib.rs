//! rshm: POSIX shared memory with a C ABI.
//!
//! The crate has two layers. The safe core (`shm`, `mman`, `fd`, `stat`,
//! `memfd`, `page`, `errno`, `name`, and beyond the raw calls `seal`,
//! `fdpass`, `memctl`, `mode`, `segment`, and `object`, what every named
//! object shares) holds the logic and reports errors as
//! [`errno::Errno`]. The C layer (`capi`) exports the `rshm_*` symbols: it
//! only checks and converts arguments, calls the core, and turns results
//! into the POSIX convention, inside a panic boundary. `include/rshm.h` is
//! generated from it by cbindgen.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod channel;
pub mod consts;
pub mod errno;
pub mod fd;
pub mod fdpass;
pub mod memctl;
pub mod memfd;
pub mod mman;
pub mod mode;
pub mod name;
pub mod object;
pub mod page;
pub mod seal;
pub mod segment;
pub mod shm;
pub mod stat;
pub mod sync;
pub mod topic;

mod capi;
#[cfg(test)]
mod test_names;
