//! Config, result and dataset names: nothing accepted may leave its folder.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/checks.rs"]
mod checks;

fn fixture() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        checks::names_fixture(d.path());
        d
    })
    .path()
}

fuzz_target!(|data: &[u8]| {
    let name = String::from_utf8_lossy(data);
    checks::check_name(fixture(), &name);
    // The same bytes as a prefix of a known-good name too.
    checks::check_name(fixture(), &format!("sub/{name}"));
});
