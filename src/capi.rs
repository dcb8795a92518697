//! The C ABI: every `rshm_*` symbol. Each function only checks and converts
//! its arguments, calls the core, and maps the result the POSIX way (-1,
//! `RSHM_MAP_FAILED` or NULL, with errno set) inside a panic boundary.

mod args;
mod boundary;
mod channel;
mod errno;
mod events;
mod fallocate;
mod fcntl;
mod fd;
mod fdpass;
mod futex;
mod memctl;
mod memfd;
mod mmap;
mod mode;
mod mutex;
mod page;
mod seal;
mod segment;
mod shm;
mod stat;
mod topic;
mod version;
