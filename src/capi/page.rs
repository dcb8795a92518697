//! `rshm_getpagesize`.

use super::boundary::run;
use crate::page;
use libc::c_long;

/// The size of a memory page in bytes (4096 on most Linux machines, 16384 on
/// Apple silicon): the mirror of getpagesize(2). mmap offsets and fixed
/// addresses are multiples of it.
///
/// Never fails. Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_getpagesize() -> c_long {
    run("rshm_getpagesize", 4096, || Ok(page::size() as c_long))
}
