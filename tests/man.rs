//! The section 3 man pages in man/man3/ are generated from include/rshm.h's
//! doc comments, one page per group of functions (the functions of one
//! src/capi/ file), and committed: this test fails when they are stale.
//! `make man` (RSHM_BLESS=1) writes them anew.
//!
//! Why a generator of our own: the doc comments are already written as man
//! pages are (what it does, what it returns, an errno list, thread safety),
//! in a small Markdown subset (paragraphs, `- ` lists, backticks, fenced C
//! examples). Turning that into roff takes the hundred lines below, while
//! pandoc or scdoc would be one more tool for every machine that builds,
//! and would still need the same grouping and synopsis extraction.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One line on what each group does, for the NAME section. A new group in
/// src/capi/ needs its line here (the test says so).
const GROUPS: &[(&str, &str)] = &[
    ("channel", "a one-to-one message channel in shared memory"),
    ("errno", "name, describe and explain errno values"),
    ("events", "descriptors an event loop polls instead of blocking"),
    ("error", "what the last failed rshm call of this thread found"),
    ("fallocate", "reserve the pages of a shared memory object"),
    ("fcntl", "descriptor flags and seals of a shared memory object"),
    ("fd", "size, own, change the mode of, and close shared memory descriptors"),
    ("fdpass", "pass descriptors between processes over unix sockets"),
    ("futex", "wait for and wake a 32-bit word in shared memory"),
    ("memctl", "protect, sync, advise and lock mapped memory"),
    ("memfd", "create an anonymous shared memory file"),
    ("mmap", "map and unmap shared memory"),
    ("mode", "format permission bits as text"),
    ("mutex", "a robust mutex in shared memory"),
    ("page", "the size of a page"),
    ("reap", "remove the objects of programs that crashed"),
    ("seal", "seal a memfd against changes"),
    ("segment", "named shared memory segments that open without races"),
    ("shm", "open and remove POSIX shared memory objects"),
    ("stat", "the status of a shared memory object"),
    ("topic", "one publisher, many subscribers"),
    ("value", "a latest value for many readers"),
    ("version", "the version of the library loaded"),
];

/// A function of the header: its doc comment, prototype and platform guard.
struct Func {
    name: String,
    doc: String,
    proto: String,
    only: Option<&'static str>,
}

/// Every function declared in `header`, in order.
fn functions(header: &str) -> Vec<Func> {
    let mut out = Vec::new();
    let (mut doc, mut in_doc, mut only) = (String::new(), false, None);
    let mut lines = header.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        match t {
            "/**" => {
                doc.clear();
                in_doc = true;
            }
            "*/" if in_doc => in_doc = false,
            _ if in_doc => {
                let body = t.strip_prefix('*').unwrap_or(t);
                doc.push_str(body.strip_prefix(' ').unwrap_or(body));
                doc.push('\n');
            }
            "#if defined(__linux__)" => only = Some("Linux"),
            "#if defined(__APPLE__)" => only = Some("macOS"),
            "#endif" => only = None,
            // A header-inline function (the trailer in cbindgen.toml): its
            // signature is the prototype. Helpers named with a trailing `_`
            // are the header's own, not API.
            _ if line.starts_with("static inline ") && line.ends_with('{') => {
                let proto = format!("{};", line.trim_end_matches('{').trim_end());
                let name = proto[..proto.find('(').unwrap()].rsplit([' ', '*']).next().unwrap().to_owned();
                let doc = std::mem::take(&mut doc);
                if !name.ends_with('_') {
                    out.push(Func { name, doc, proto, only });
                }
            }
            _ if line.starts_with(|c: char| c.is_ascii_lowercase()) && line.contains("rshm_") && line.contains('(') => {
                let mut proto = line.to_owned();
                while !proto.ends_with(';') {
                    let Some(next) = lines.next() else { break };
                    proto.push(' ');
                    proto.push_str(next.trim());
                }
                let name = proto[..proto.find('(').unwrap()].rsplit([' ', '*']).next().unwrap().to_owned();
                out.push(Func { name, doc: std::mem::take(&mut doc), proto, only });
            }
            _ => {}
        }
    }
    out
}

/// The src/capi/ file (its stem) that exports each function.
fn groups(dir: &Path) -> BTreeMap<String, String> {
    let mut of = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("src/capi")).expect("src/capi") {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for part in text.split("extern \"C\" fn ").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            of.insert(name, stem.clone());
        }
    }
    of
}

/// Text for roff: backslashes escaped, `code` in bold, and a line that
/// would start with a control character protected.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.replace('\\', "\\e").split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "\\fB{part}\\fR");
        } else {
            out.push_str(part);
        }
    }
    if out.starts_with(['.', '\'']) {
        out.insert_str(0, "\\&");
    }
    out
}

/// A doc comment as roff: paragraphs, bulleted items (with their indented
/// continuation lines), and fenced code shown as is.
fn body(doc: &str) -> String {
    let mut out = String::new();
    let mut code = false;
    let mut para = true;
    for line in doc.lines() {
        if line.starts_with("```") {
            out.push_str(if code { ".fi\n.in\n" } else { ".PP\n.in +4n\n.nf\n" });
            code = !code;
            para = !code;
            continue;
        }
        if code {
            out.push_str(&inline(line).replace("\\fB", "`").replace("\\fR", "`"));
            out.push('\n');
        } else if line.trim().is_empty() {
            para = true;
        } else if let Some(item) = line.strip_prefix("- ") {
            out.push_str(".IP \\(bu 2\n");
            out.push_str(&inline(item));
            out.push('\n');
            para = false;
        } else {
            if para {
                // After a list, a paragraph goes back to the left margin.
                out.push_str(".PP\n");
                para = false;
            }
            out.push_str(&inline(line.trim_start()));
            out.push('\n');
        }
    }
    out
}

/// The header's functions by src/capi group, in header order within each.
fn grouped(dir: &Path) -> BTreeMap<String, Vec<Func>> {
    let header = std::fs::read_to_string(dir.join("include/rshm.h")).expect("include/rshm.h");
    let of = groups(dir);
    let mut by_group: BTreeMap<String, Vec<Func>> = BTreeMap::new();
    for f in functions(&header) {
        // A header-inline function goes with the exports of its family
        // (`rshm_channel_sender_begin` with `rshm_channel_sender_lend`).
        let family = &f.name[..f.name.rfind('_').unwrap_or(0) + 1];
        let g = of
            .get(&f.name)
            .or_else(|| of.iter().find(|(name, _)| name.starts_with(family)).map(|(_, g)| g))
            .unwrap_or_else(|| panic!("{} is in rshm.h but no src/capi file exports it", f.name));
        by_group.entry(g.clone()).or_default().push(f);
    }
    by_group
}

/// The same doc comments as one Markdown page, docs/reference.md: every
/// function with its prototype, errors, ownership and thread safety.
fn reference(dir: &Path) -> String {
    let mut t = String::from(
        "# C API reference\n\n<!-- Generated from include/rshm.h by tests/man.rs (make man): do not edit. -->\n\n\
         Every function of `rshm.h`, by group, with what its doc comment in the\n\
         header says: what it does, what it returns, its errors, ownership and\n\
         thread safety. The same text is in the man pages (`man 3 NAME`).\n",
    );
    for (g, fs) in grouped(dir) {
        let what = GROUPS.iter().find(|(n, _)| *n == g).map_or("", |p| p.1);
        let _ = writeln!(t, "\n## {g}: {what}");
        for f in fs {
            let _ = writeln!(t, "\n### {}\n\n```c\n{}\n```\n", f.name, f.proto);
            if let Some(os) = f.only {
                let _ = writeln!(t, "Only on {os}.\n");
            }
            t.push_str(f.doc.trim_end());
            t.push('\n');
        }
    }
    t
}

#[test]
fn the_reference_matches_the_header() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("docs/reference.md");
    let fresh = reference(dir);
    if std::env::var_os("RSHM_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == fresh, "docs/reference.md is stale: run `make man` and commit the result");
}

/// The pages: file name and text, plus a one-line alias for every function
/// that does not name its page.
fn pages(dir: &Path) -> Vec<(String, String)> {
    let version = env!("CARGO_PKG_VERSION");
    let by_group = grouped(dir);
    let page_of = |g: &str, fs: &[Func]| if fs.len() == 1 { fs[0].name.clone() } else { format!("rshm_{g}") };
    let all: Vec<String> = by_group.iter().map(|(g, fs)| page_of(g, fs)).collect();
    let mut out = Vec::new();
    for (g, fs) in &by_group {
        let what = GROUPS
            .iter()
            .find(|(n, _)| n == g)
            .unwrap_or_else(|| panic!("src/capi/{g}.rs: add its one-line description to GROUPS in tests/man.rs"))
            .1;
        let page = page_of(g, fs);
        let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        let mut t = String::new();
        let _ = writeln!(t, ".\\\" Generated from include/rshm.h by tests/man.rs (make man): do not edit.");
        let _ = writeln!(t, ".TH {} 3 \"\" \"rshm {version}\" \"rshm Programmer's Manual\"", page.to_uppercase());
        let _ = writeln!(t, ".SH NAME\n{} \\- {what}", names.join(", ").replace('_', "\\_"));
        let _ = writeln!(t, ".SH LIBRARY\nrshm (\\fIlibrshm\\fR, \\fI\\-lrshm\\fR; pkg-config: \\fBrshm\\fR)");
        let _ = writeln!(t, ".SH SYNOPSIS\n.nf\n.B #include <rshm.h>");
        for f in fs {
            let _ = writeln!(t, ".PP\n{}", inline(&f.proto));
        }
        let _ = writeln!(t, ".fi\n.SH DESCRIPTION");
        for f in fs {
            let _ = writeln!(t, ".SS {}()", f.name);
            if let Some(os) = f.only {
                let _ = writeln!(t, "Only on {os}.");
            }
            t.push_str(&body(&f.doc));
        }
        let _ = writeln!(t, ".SH SEE ALSO");
        let see: Vec<String> = all.iter().filter(|p| **p != page).map(|p| format!(".BR {p} (3)")).collect();
        let _ = writeln!(t, "{}", see.join(",\n"));
        let _ = writeln!(t, ".PP\nThe C++ wrapper \\fBrshm.hpp\\fR, the Go package, and the \\fBrshm\\fR(1) command.");
        out.push((format!("{page}.3"), t));
        for f in fs.iter().filter(|f| f.name != page) {
            out.push((format!("{}.3", f.name), format!(".so man3/{page}.3\n")));
        }
    }
    out
}

#[test]
fn man_pages_match_the_header() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let man3 = dir.join("man/man3");
    let fresh = pages(dir);
    if std::env::var_os("RSHM_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&man3);
        std::fs::create_dir_all(&man3).unwrap();
        for (name, text) in &fresh {
            std::fs::write(man3.join(name), text).unwrap();
        }
        return;
    }
    let mut stale: Vec<String> = fresh
        .iter()
        .filter(|(n, t)| std::fs::read_to_string(man3.join(n)).ok().as_deref() != Some(t))
        .map(|(n, _)| n.clone())
        .collect();
    let on_disk = std::fs::read_dir(&man3).map(|d| d.count()).unwrap_or(0);
    if on_disk != fresh.len() {
        stale.push(format!("{on_disk} files in man/man3, {} expected", fresh.len()));
    }
    assert!(stale.is_empty(), "man/man3 is stale ({stale:?}): run `make man` and commit the result");
}

/// Every page renders without a warning from groff, where man is installed.
#[test]
fn man_pages_render_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(status) = std::process::Command::new("man").arg("--version").output() else {
        eprintln!("SKIP: man pages not rendered: no man command (apt-get install man-db)");
        return;
    };
    assert!(status.status.success());
    for (name, text) in pages(dir) {
        if text.starts_with(".so") {
            continue;
        }
        let out = std::process::Command::new("man")
            .args(["--warnings=all", "-E", "UTF-8", "-l"])
            .arg(dir.join("man/man3").join(&name))
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "{name}: {err}");
        // Bold text comes as overstrikes when piped: strip them first.
        let text: String = String::from_utf8_lossy(&out.stdout).split('\u{8}').collect::<Vec<_>>().concat();
        assert!(text.len() > 200 && text.contains("#include <rshm.h>"), "{name}: {text}");
    }
}
