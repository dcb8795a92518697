//! `rshm`: see, inspect and clean up POSIX shared-memory objects, which
//! `ipcs`/`ipcrm` (System V only) do not show.
//!
//! Exit status: 0 success; 1 an operation failed (the errno is printed with
//! its name, text and rshm's advice); 2 the command line is wrong.

mod cmd;
mod hexdump;
mod holders;
mod objects;
mod parse;
mod time;

use clap::{Parser, Subcommand};
use rshm::errno::Errno;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "rshm", version, about = "See, inspect and clean up POSIX shared memory objects (/dev/shm)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every object: name, size, memory used, owner, mode, modification time, rshm kind, holders.
    Ls {
        /// Print JSON (an array of objects) instead of a table.
        #[arg(long)]
        json: bool,
        /// Only objects whose name starts with this (leading '/' optional).
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Show one object with the processes that hold it open or mapped.
    Stat {
        /// The object's name, with or without the leading '/'.
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove objects by name, or every object no process holds.
    Rm {
        /// Names to remove.
        #[arg(required_unless_present = "unused", conflicts_with = "unused")]
        names: Vec<String>,
        /// Remove every object that no process holds open or mapped.
        #[arg(long)]
        unused: bool,
        /// With --unused: only objects not modified for this long (30s, 10m, 2h, 7d).
        #[arg(long, requires = "unused", value_parser = parse::duration)]
        older_than: Option<std::time::Duration>,
        /// With --unused: only objects whose name starts with this.
        #[arg(long, requires = "unused", default_value = "")]
        prefix: String,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Create an object of SIZE bytes (suffixes K, M, G: powers of 1024), failing if it exists.
    Create {
        name: String,
        #[arg(value_parser = parse::size)]
        size: u64,
        /// Permission bits, in octal.
        #[arg(long, default_value = "0600", value_parser = parse::mode)]
        mode: u32,
    },
    /// Copy the object's bytes to standard output.
    Cat { name: String },
    /// Hex dump of the object (or of --length bytes from --offset).
    Dump {
        name: String,
        #[arg(long, default_value = "0", value_parser = parse::size)]
        offset: u64,
        #[arg(long, value_parser = parse::size)]
        length: Option<u64>,
    },
    /// Write standard input into the object from offset 0, growing it if the input is longer.
    Write { name: String },
}

/// A failed operation: what was attempted, on what, and the errno.
pub struct Failure {
    what: String,
    errno: Errno,
}

impl Failure {
    pub fn new(what: impl Into<String>, errno: Errno) -> Failure {
        Failure { what: what.into(), errno }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::new("I/O", Errno(e.raw_os_error().unwrap_or(libc::EIO)))
    }
}

fn report(f: &Failure) {
    let e = f.errno.0;
    let s = |p: &'static std::ffi::CStr| p.to_string_lossy();
    let name = rshm::errno::name(e).map_or("EUNKNOWN".into(), s);
    eprintln!("rshm: {}: {} ({})", f.what, name, s(rshm::errno::text(e)));
    eprintln!("  help: {}", s(rshm::errno::help(e)));
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ls { json, prefix } => cmd::ls(json, &prefix),
        Command::Stat { name, json } => cmd::stat(&name, json),
        Command::Rm { names, unused, older_than, prefix, dry_run } => {
            cmd::rm(&names, unused, older_than, &prefix, dry_run)
        }
        Command::Create { name, size, mode } => cmd::create(&name, size, mode),
        Command::Cat { name } => cmd::cat(&name),
        Command::Dump { name, offset, length } => cmd::dump(&name, offset, length),
        Command::Write { name } => cmd::write(&name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failures) => {
            failures.iter().for_each(report);
            ExitCode::from(1)
        }
    }
}
