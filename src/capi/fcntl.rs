//! `rshm_fcntl`.

use super::boundary::run;
use crate::fd;
use libc::c_int;

/// fcntl(2) with an int argument, for what the rest of rshm does not
/// cover: e.g. F_GETFL/F_SETFL, F_GETFD/F_SETFD, F_DUPFD_CLOEXEC,
/// `RSHM_F_ADD_SEALS`. `cmd` is the platform's F_* value (from
/// <fcntl.h>, or `RSHM_F_*`); `arg` is passed as the int argument and
/// ignored by commands that take none.
///
/// Commands whose argument is a pointer are refused with EINVAL, since an
/// int cannot carry one: record locks (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*),
/// F_GETOWN_EX/F_SETOWN_EX and the write-life hints; on macOS every command
/// except F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL,
/// F_GETOWN, F_SETOWN, F_RDAHEAD, F_NOCACHE, F_FULLFSYNC, F_BARRIERFSYNC,
/// F_SETNOSIGPIPE and F_GETNOSIGPIPE.
///
/// Returns what fcntl returns for `cmd` (a new descriptor for F_DUPFD*,
/// the flags for F_GET*, otherwise 0). On failure returns -1 and sets errno:
/// - `EBADF`: `fd` is not an open descriptor.
/// - `EINVAL`: `cmd` is unknown, takes a pointer, or `arg` is out of range.
/// - other values as fcntl(2) documents for `cmd`.
///
/// Thread safety: safe to call from any thread.
#[no_mangle]
pub extern "C" fn rshm_fcntl(fd: c_int, cmd: c_int, arg: c_int) -> c_int {
    run("rshm_fcntl", -1, || fd::fcntl(fd, cmd, arg))
}
