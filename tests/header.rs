//! include/rshm.h is generated from src/ and committed: this test fails when
//! it is stale. `make header` (RSHM_BLESS=1) writes it anew.

use std::path::Path;

/// The version macros, from Cargo.toml's version: written here rather than
/// in cbindgen.toml so that a release cannot forget them (the header is
/// then stale and this test fails).
fn version_macros() -> String {
    format!(
        "
/** The version of rshm this header belongs to (see rshm_version() for the library loaded). */
#define RSHM_VERSION \"{}\"
#define RSHM_VERSION_MAJOR {}
#define RSHM_VERSION_MINOR {}
#define RSHM_VERSION_PATCH {}",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    )
}

#[test]
fn header_matches_the_source() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(Path::new(dir).join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(format!("{}\n{}", config.after_includes.unwrap_or_default(), version_macros()));
    let bindings =
        cbindgen::Builder::new().with_crate(dir).with_config(config).generate().expect("cbindgen could not read src/");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = Path::new(dir).join("include/rshm.h");
    if std::env::var_os("RSHM_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/rshm.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(committed == fresh, "include/rshm.h is stale: run `make header` and commit the result");
}
