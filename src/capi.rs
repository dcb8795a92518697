//! The C ABI: every `rshm_*` symbol. Each function only checks and converts
//! its arguments, calls the core, and maps the result the POSIX way (-1,
//! `RSHM_MAP_FAILED` or NULL, with errno set) inside a panic boundary.

mod args;
mod boundary;
mod errno;
mod fd;
mod futex;
mod memfd;
mod mmap;
mod mutex;
mod page;
mod shm;
mod stat;
