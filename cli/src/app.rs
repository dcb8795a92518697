//! The command line and how a run ends: its arguments, its failures, its exit status.

use crate::{cmd, escape, parse};
use clap::{Parser, Subcommand};
use rshm::errno::Errno;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "rshm", version, about = "See, inspect and clean up POSIX shared memory objects (/dev/shm)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every entry of /dev/shm: name, size, memory used, owner, mode,
    /// modification time, rshm kind (or the type: fifo, symlink, directory),
    /// holders ("unknown (why)" when some process could not be inspected);
    /// under a topic, its publisher and each subscriber's lag, under a
    /// value, its version and writer.
    Ls {
        /// Print JSON (an array of objects) instead of a table.
        #[arg(long)]
        json: bool,
        /// Only objects whose name starts with this (leading '/' optional).
        #[arg(long, default_value = "")]
        prefix: OsString,
    },
    /// Show one entry with the processes that hold it open or mapped.
    /// A symbolic link is shown as the link, never followed.
    Stat {
        /// The object's name, with or without the leading '/'.
        name: OsString,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove names, or every object that no process holds.
    ///
    /// --unused lists the names first, then scans every process's
    /// descriptors and mappings (matched by device and inode), then looks
    /// at each name again right before removing it. It fails closed: an
    /// object that a process it cannot inspect could hold (another user's,
    /// when the object's mode lets that user open it; anyone's in a child
    /// pid namespace or under hidepid) is kept, with the reason printed.
    ///
    /// No scan sees a descriptor in flight over a unix socket (sent with
    /// SCM_RIGHTS, not yet received): a program that creates an object,
    /// sends its descriptor and closes its own loses the object if the
    /// sweep runs before the peer receives it. --older-than guards against
    /// that: only objects unchanged for that long go.
    Rm {
        /// Names to remove (a link or FIFO itself, never a link's target).
        #[arg(required_unless_present = "unused", conflicts_with = "unused")]
        names: Vec<OsString>,
        /// Remove every object that no process holds open or mapped.
        #[arg(long)]
        unused: bool,
        /// With --unused: only objects not modified or changed for this long (30s, 10m, 2h, 7d).
        #[arg(long, requires = "unused", value_parser = parse::duration)]
        older_than: Option<std::time::Duration>,
        /// With --unused: only objects whose name starts with this.
        #[arg(long, requires = "unused", default_value = "")]
        prefix: OsString,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove what crashed rshm programs left (as rshm_reap does): rshm
    /// objects whose creator is dead and that no process holds, and
    /// temporaries "rshm-tmp.PID.*" of dead PIDs. Objects not made by rshm
    /// are never touched.
    Reap {
        /// Only objects whose name starts with this (leading '/' optional).
        #[arg(default_value = "")]
        prefix: OsString,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Create an object of SIZE bytes (suffixes K, M, G: powers of 1024),
    /// failing if it exists. Its pages are reserved now: a full /dev/shm is
    /// ENOSPC here, never SIGBUS later.
    Create {
        name: OsString,
        #[arg(value_parser = parse::size)]
        size: u64,
        /// Permission bits, in octal.
        #[arg(long, default_value = "0600", value_parser = parse::mode)]
        mode: u32,
    },
    /// Copy the object's bytes to standard output.
    Cat { name: OsString },
    /// Hex dump of the object (or of --length bytes from --offset), as
    /// `hexdump -C` prints it: a run of equal lines is one "*".
    Dump {
        name: OsString,
        #[arg(long, default_value = "0", value_parser = parse::size)]
        offset: u64,
        #[arg(long, value_parser = parse::size)]
        length: Option<u64>,
    },
    /// Write standard input into the object from offset 0, growing it if the
    /// input is longer. On failure the object is shrunk back to its size.
    Write { name: OsString },
    /// Print this command's manual page as roff: rshm(1), or with a
    /// subcommand's name its own page, rshm-NAME(1) (make builds and
    /// installs them all).
    #[command(hide = true)]
    ManPage { subcommand: Option<String> },
}

/// The roff of rshm(1), or of rshm-SUB(1); EINVAL for no such subcommand.
fn man_page(out: &mut impl Write, sub: Option<&str>) -> Result<(), Vec<Failure>> {
    let top = <Cli as clap::CommandFactory>::command();
    let page = match sub {
        None => top,
        Some(name) => {
            let found = top.get_subcommands().find(|c| c.get_name() == name && !c.is_hide_set()).cloned();
            let Some(c) = found else {
                return Err(vec![Failure::new(
                    format!("man-page {}", escape::text(name.as_bytes())),
                    Errno(libc::EINVAL),
                )]);
            };
            // clap names are &'static str; the process prints one page and exits.
            c.name(&*Box::leak(format!("rshm-{name}").into_boxed_str()))
        }
    };
    clap_mangen::Man::new(page).render(out).map_err(cmd::stdout_failed)
}

/// A failed operation: what was attempted, on what (already escaped), the
/// errno, and what was found, when there is more to say.
pub struct Failure {
    what: String,
    errno: Errno,
    detail: Option<String>,
    /// rshm's advice for the errno fits: not for standard output's errors.
    help: bool,
}

impl Failure {
    pub fn new(what: impl Into<String>, errno: Errno) -> Failure {
        Failure { what: what.into(), errno, detail: None, help: true }
    }

    pub fn detail(self, detail: String) -> Failure {
        Failure { detail: Some(detail), ..self }
    }

    pub fn without_help(self) -> Failure {
        Failure { help: false, ..self }
    }
}

fn report(f: &Failure) {
    let e = f.errno.0;
    let s = |p: &'static std::ffi::CStr| p.to_string_lossy();
    let name = rshm::errno::name(e).map_or("EUNKNOWN".into(), s);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "rshm: {}: {} ({})", f.what, name, s(rshm::errno::text(e)));
    if let Some(d) = &f.detail {
        let _ = writeln!(err, "  {d}");
    }
    if f.help {
        let _ = writeln!(err, "  help: {}", s(rshm::errno::help(e)));
    }
}

/// The command line, or the exit for help, version and usage errors
/// (which may quote an argument: escaped).
fn parse_args() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        use clap::error::ErrorKind::*;
        let code = ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        match e.kind() {
            DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand if e.exit_code() == 0 => {
                if e.print().is_err() || std::io::stdout().flush().is_err() {
                    return ExitCode::from(1);
                }
            }
            _ => {
                let _ = write!(std::io::stderr(), "{}", escape::message(&e.render().to_string()));
            }
        }
        code
    })
}

pub fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Ls { json, prefix } => cmd::ls(&mut out, json, &prefix),
        Command::Stat { name, json } => cmd::stat(&mut out, &name, json),
        Command::Rm { unused: true, older_than, prefix, dry_run, .. } => {
            cmd::sweep(&mut out, &prefix, rshm::reap::Rule::Unused { older_than }, dry_run)
        }
        Command::Rm { names, dry_run, .. } => cmd::rm(&mut out, &names, dry_run),
        Command::Reap { prefix, dry_run } => cmd::sweep(&mut out, &prefix, rshm::reap::Rule::Reap, dry_run),
        Command::Create { name, size, mode } => cmd::create(&mut out, &name, size, mode),
        Command::Cat { name } => cmd::cat(&mut out, &name),
        Command::Dump { name, offset, length } => cmd::dump(&mut out, &name, offset, length),
        Command::Write { name } => cmd::write(&name),
        Command::ManPage { subcommand } => man_page(&mut out, subcommand.as_deref()),
    };
    // What is still buffered can fail to go out too (a full disk, a closed pipe).
    let flushed = out.flush().map_err(cmd::stdout_failed);
    let failures: Vec<Failure> =
        result.err().into_iter().flatten().chain(flushed.err().into_iter().flatten()).collect();
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        failures.iter().for_each(report);
        ExitCode::from(1)
    }
}
