//! `rshm`: see, inspect and clean up POSIX shared-memory objects, which
//! `ipcs`/`ipcrm` (System V only) do not show.
//!
//! Exit status: 0 success; 1 an operation failed (the errno is printed with
//! its name, text and rshm's advice), a failed write to standard output
//! included; 2 the command line is wrong.
//!
//! Names are taken as raw bytes, so any name in /dev/shm can be given.
//! Names (and process names) are printed escaped: see `escape.rs` for the
//! rules (`\xNN` for every control byte and invalid UTF-8, `\\` for a
//! backslash). `--json` output is plain ASCII; a name that is not UTF-8
//! carries `name_hex`, its bytes in hex.

#[cfg(target_os = "linux")]
mod app;
#[cfg(target_os = "linux")]
mod cmd;
#[cfg(target_os = "linux")]
mod escape;
#[cfg(target_os = "linux")]
mod hexdump;
#[cfg(target_os = "linux")]
mod objects;
#[cfg(target_os = "linux")]
mod parse;
#[cfg(target_os = "linux")]
mod time;

#[cfg(target_os = "linux")]
pub use app::Failure;

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    app::main()
}

/// The tool reads /dev/shm and /proc: elsewhere it only says so.
#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("rshm: this tool needs Linux (/dev/shm and /proc)");
    std::process::ExitCode::from(1)
}
