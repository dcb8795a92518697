//! include/rshm.h is generated from src/ and committed: this test fails when
//! it is stale. `make header` (RSHM_BLESS=1) writes it anew.

use std::path::Path;

#[test]
fn header_matches_the_source() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(dir).join("cbindgen.toml")).expect("cbindgen.toml");
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
