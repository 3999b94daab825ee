//! Property tests for the parsers that read untrusted bytes: the output line
//! splitter, config/result/dataset names and the result readers (report,
//! samples, trajectories, events). Random inputs from a seeded generator
//! (the seed is printed; replay with `DEVLOOP_TEST_SEED=N`), checked against
//! the invariants in `checks.rs`, which the cargo-fuzz targets in `fuzz/`
//! share. Crashes found by fuzzing are kept below as regression tests.
//!
//! `cargo test --test props` (short); `cargo test --test props -- --ignored`
//! (long).

mod checks;

use checks::{check_name, check_results, check_splitter, names_fixture, Op, ResultFiles};
use devloop::supervisor::MAX_LINE;

#[path = "../common/rng.rs"]
mod rng;
use rng::Rng;

/// Pieces a terminal program writes: text, newlines, carriage returns,
/// colours, multi-byte characters (whole and cut), invalid bytes, NUL.
const PIECES: &[&[u8]] = &[
    b"a",
    b"hello world",
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x1b[31m",
    b"\x1b[0m",
    b"\xc3\xa9",
    b"\xc3",
    b"\xa9",
    b"\xf0\x9f\x9a\x80",
    b"\xf0\x9f",
    b"\x9a\x80",
    b"\xe2\x82",
    b"\xac",
    b"\xff",
    b"\xfe\xfe",
    b"\x00",
    b"\t",
    b" 42%|####  |",
];

fn random_ops(rng: &mut Rng) -> Vec<Op> {
    let mut ops = Vec::new();
    for _ in 0..rng.below(40) {
        match rng.below(10) {
            0..=5 => {
                let mut b = Vec::new();
                for _ in 0..=rng.below(6) {
                    b.extend_from_slice(rng.pick(PIECES));
                }
                ops.push(Op::Feed(b));
            }
            6 | 7 => ops.push(Op::Tick(rng.below(120) as u16)),
            8 => {
                // Around the wrap limit, sometimes ending in a cut character.
                let len = MAX_LINE - 8 + rng.below(16) as usize;
                let mut b = vec![rng.pick(b"x\xff\r"); len];
                b.extend_from_slice(rng.pick(PIECES));
                ops.push(Op::Feed(b));
            }
            _ => ops.push(Op::Feed(Vec::new())),
        }
    }
    ops
}

fn splitter_cases(n: usize) {
    let mut rng = Rng::new("splitter");
    for case in 0..n {
        let ops = random_ops(&mut rng);
        let result = std::panic::catch_unwind(|| check_splitter(&ops));
        if let Err(e) = result {
            let shown: Vec<String> = ops
                .iter()
                .map(|op| match op {
                    Op::Feed(b) if b.len() > 80 => {
                        format!("Feed({} bytes of {:?}..)", b.len(), &b[..4])
                    }
                    Op::Feed(b) => format!("Feed({:?})", String::from_utf8_lossy(b)),
                    Op::Tick(ms) => format!("Tick({ms})"),
                })
                .collect();
            eprintln!("case {case} failed: {shown:?}");
            std::panic::resume_unwind(e);
        }
    }
    eprintln!("splitter: {n} random cases hold");
}

#[test]
fn line_splitter_invariants_hold_for_random_reads_and_ticks() {
    splitter_cases(1500);
}

#[test]
#[ignore = "long: run with --ignored"]
fn line_splitter_invariants_long() {
    splitter_cases(100_000);
}

const NAME_PIECES: &[&str] = &[
    "a",
    "ok.py",
    "sub",
    "deep.py",
    "/",
    "/",
    ".",
    "..",
    "%2e",
    "%2f",
    "\\",
    "\0",
    "-",
    "_",
    "~",
    " ",
    "é",
    "out.py",
    "outdir",
    "insub",
    ".py",
    "//",
    "\n",
    ";",
    "$(x)",
    "secret.py",
];

fn names_cases(n: usize) {
    let mut rng = Rng::new("names");
    let dir = tempfile::tempdir().unwrap();
    names_fixture(dir.path());
    for _ in 0..n {
        let mut name = String::new();
        for _ in 0..rng.below(8) {
            name.push_str(rng.pick(NAME_PIECES));
        }
        if rng.below(50) == 0 {
            name = "a".repeat(250 + rng.below(10) as usize);
        }
        check_name(dir.path(), &name);
    }
    // The fixture's own names resolve as expected.
    for good in ["ok.py", "sub/deep.py", "insub/deep.py"] {
        assert!(
            devloop::names::resolve_existing(&dir.path().join("configs"), good).is_ok(),
            "{good}"
        );
    }
    for bad in ["out.py", "outdir/secret.py", "insub/../../secret.py"] {
        assert!(
            devloop::names::resolve_existing(&dir.path().join("configs"), bad).is_err(),
            "{bad}"
        );
    }
    eprintln!("names: {n} random names hold");
}

#[test]
fn names_never_resolve_outside_their_folder() {
    names_cases(20_000);
}

#[test]
#[ignore = "long: run with --ignored"]
fn names_long() {
    names_cases(1_000_000);
}

/// JSON-ish bytes: valid documents of the expected shapes, then damaged.
fn json_doc(rng: &mut Rng) -> Vec<u8> {
    let docs: &[&str] = &[
        r#"{"eval_name":"e","total_samples":2,"summary_metrics":{"mean_reward":0.5},"sample_ids":["s1","s2"],"timestamp":"2026-01-01T00:00:00"}"#,
        r#"{"id":"s1","reward":1.0,"status":"ok","trajectory":{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"**b**"},{"type":"tool_call","name":"f","arguments":"{bad"}]}]}}"#,
        r#"{"messages":[{"role":"assistant","content":"x"}],"rewards":0.25}"#,
        r#"{"type":"sample_end","sample_id":"s1","reward":0.1}"#,
        r#"{"sample_ids":[1,null,{"a":1},"../x","s1"],"summary_metrics":[],"total_samples":-1}"#,
        r#"{"reward":"NaN","status":7,"error":{"deep":[[[[]]]]},"trajectory":[]}"#,
        r#"{"reward":1e400,"turns":18446744073709551616}"#,
        r#"[]"#,
        r#"null"#,
        r#""""#,
    ];
    let mut b = rng.pick(docs).as_bytes().to_vec();
    match rng.below(8) {
        0 => b.truncate(rng.below(b.len() as u64) as usize),
        1 => {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = rng.next() as u8;
        }
        2 => {
            let i = rng.below(b.len() as u64) as usize;
            b.insert(i, 0xff);
        }
        3 => {
            // Deep nesting.
            let depth = 100 + rng.below(200) as usize;
            b = [vec![b'['; depth], vec![b']'; depth]].concat();
        }
        4 => {
            // JSONL: several lines, the last maybe cut.
            let mut lines = Vec::new();
            for _ in 0..rng.below(5) {
                lines.extend_from_slice(rng.pick(docs).as_bytes());
                lines.push(b'\n');
            }
            let cut = rng.below(lines.len() as u64 + 1) as usize;
            lines.truncate(cut);
            b = lines;
        }
        _ => {}
    }
    b
}

fn results_cases(n: usize) {
    let mut rng = Rng::new("results");
    let dir = tempfile::tempdir().unwrap();
    let ids = ["s1", "s2", "../s1", "a b", "", "x.json"];
    let queries = ["", "hi", "é", "%", "\"", "\\", "s1"];
    for _ in 0..n {
        let maybe = |rng: &mut Rng| (rng.below(4) != 0).then(|| json_doc(rng));
        let files = ResultFiles {
            report: maybe(&mut rng),
            sample: maybe(&mut rng),
            trajectory: maybe(&mut rng),
            events: maybe(&mut rng),
            id: rng.pick(&ids).to_string(),
            q: rng.pick(&queries).to_string(),
        };
        let result = std::panic::catch_unwind(|| check_results(dir.path(), &files));
        if let Err(e) = result {
            eprintln!("failed on {files:?}");
            std::panic::resume_unwind(e);
        }
    }
    eprintln!("results: {n} random result folders hold");
}

#[test]
fn result_readers_never_panic_or_fail_internally_on_bad_files() {
    results_cases(300);
}

#[test]
#[ignore = "long: run with --ignored"]
fn result_readers_long() {
    results_cases(20_000);
}
