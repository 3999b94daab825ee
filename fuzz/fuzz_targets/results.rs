//! Result folders with hostile report, sample, trajectory and events files.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/checks.rs"]
mod checks;

#[derive(Debug, Arbitrary)]
struct Input {
    report: Option<Vec<u8>>,
    sample: Option<Vec<u8>>,
    trajectory: Option<Vec<u8>>,
    events: Option<Vec<u8>>,
    id: String,
    q: String,
}

fn base() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir_in("/dev/shm").unwrap())
        .path()
}

fuzz_target!(|input: Input| {
    checks::check_results(
        base(),
        &checks::ResultFiles {
            report: input.report,
            sample: input.sample,
            trajectory: input.trajectory,
            events: input.events,
            id: input.id,
            q: input.q,
        },
    );
});
