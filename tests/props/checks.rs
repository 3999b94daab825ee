//! Invariants of the parsers that read untrusted bytes, shared by the
//! property tests (`tests/props`) and the cargo-fuzz targets (`fuzz/`), so a
//! crash found by one is a regression test for the other.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use devloop::log::{OutputLine, Stream};
use devloop::supervisor::{LineNumbers, LineSplitter, MAX_LINE};

/// One step of what a pipe does to the supervisor.
#[derive(Debug, Clone)]
pub enum Op {
    /// Bytes read from the pipe in one `read`.
    Feed(Vec<u8>),
    /// Time passes (ms) and the supervisor's poll loop calls `tick`.
    Tick(u16),
}

/// Runs `ops` through one splitter, then `finish`.
pub fn split(ops: &[Op]) -> Vec<OutputLine> {
    let mut s = LineSplitter::new(Stream::Stdout);
    let mut nums = LineNumbers::default();
    let mut out = Vec::new();
    let mut now = Instant::now();
    for op in ops {
        match op {
            Op::Feed(b) => s.feed(b, now, &mut nums, &mut out),
            Op::Tick(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                s.tick(now, &mut nums, &mut out);
            }
        }
    }
    s.finish(&mut nums, &mut out);
    out
}

/// The final state of every display line, in line order: (text, wrap).
pub fn final_lines(out: &[OutputLine]) -> Vec<(String, bool)> {
    let mut lines = BTreeMap::new();
    for l in out {
        lines.insert(l.lineno, (l.text.clone(), l.wrap));
    }
    lines.into_values().collect()
}

/// Checks every invariant of the line splitter on `ops`; panics with the
/// broken one.
pub fn check_splitter(ops: &[Op]) {
    let input: Vec<u8> = ops
        .iter()
        .flat_map(|op| match op {
            Op::Feed(b) => b.clone(),
            Op::Tick(_) => Vec::new(),
        })
        .collect();
    let out = split(ops);

    // No record carries more than MAX_LINE characters (a character per
    // input byte at most: an invalid byte becomes one U+FFFD).
    for l in &out {
        assert!(
            l.text.chars().count() <= MAX_LINE,
            "line {} has {} chars",
            l.lineno,
            l.text.chars().count()
        );
        assert!(!l.text.contains('\n'), "a record's text holds a newline");
        assert!(!(l.partial && l.wrap), "a wrapped piece is never partial");
    }
    // Line numbers: a new one is always the next one (1, 2, 3, ...); a
    // record for a number seen before replaces that line.
    let mut last_new = 0;
    let mut seen = std::collections::HashSet::new();
    for l in &out {
        if seen.insert(l.lineno) {
            assert_eq!(l.lineno, last_new + 1, "line numbers skip or go back");
            last_new = l.lineno;
        }
    }
    // Every line ends in a final (not partial) state.
    let mut last_state = BTreeMap::new();
    for l in &out {
        last_state.insert(l.lineno, l.partial);
    }
    for (lineno, partial) in &last_state {
        assert!(!partial, "line {lineno} was left partial after finish");
    }
    // A partial line is only ever followed, for its number, by later states
    // of the same line, never by an unrelated earlier number.
    let finals = final_lines(&out);

    // Without carriage returns, the lines are the input: joining the final
    // texts (a newline after each unwrapped line) gives the input's text.
    if !input.contains(&b'\r') {
        let mut joined = String::new();
        for (text, wrap) in &finals {
            joined.push_str(text);
            if !wrap {
                joined.push('\n');
            }
        }
        let mut want = String::from_utf8_lossy(&input).into_owned();
        if !input.is_empty() && !input.ends_with(b"\n") {
            want.push('\n');
        }
        assert_eq!(
            joined
                .chars()
                .filter(|&c| c != '\u{FFFD}')
                .collect::<String>(),
            want.chars()
                .filter(|&c| c != '\u{FFFD}')
                .collect::<String>(),
            "the lines are not the input"
        );
    }

    // How the bytes were cut into reads, and when ticks came, changes only
    // what is shown on the way, never the final lines -- as long as no line
    // is long enough to be wrapped (a wrapped piece is out before the rest
    // of its line is known).
    let longest = input.split(|&b| b == b'\n').map(<[u8]>::len).max();
    if longest.unwrap_or(0) <= MAX_LINE {
        let whole = final_lines(&split(&[Op::Feed(input.clone())]));
        assert_eq!(finals, whole, "chunking changed the final lines");
        // And the final text of each line is what a terminal still shows:
        // the last non-empty `\r` segment, decoded lossily.
        let mut want: Vec<String> = input
            .split(|&b| b == b'\n')
            .map(|seg| {
                let vis = seg
                    .split(|&b| b == b'\r')
                    .rev()
                    .find(|s| !s.is_empty())
                    .unwrap_or(&[]);
                String::from_utf8_lossy(vis).into_owned()
            })
            .collect();
        // The piece after the last newline is a line only if it shows
        // something (or was already shown).
        if want.last().is_some_and(String::is_empty) {
            want.pop();
        }
        let got: Vec<String> = whole.into_iter().map(|(t, _)| t).collect();
        if got.len() == want.len() {
            assert_eq!(got, want, "final text is not the visible text");
        } else {
            // Only an unterminated tail made of carriage returns may differ.
            assert!(
                got.len() == want.len() + 1 && got.last().is_some_and(String::is_empty),
                "{} lines, expected {}",
                got.len(),
                want.len()
            );
        }
    }
}

/// Checks the name rules on `name`, against a fixture `base` that holds
/// `configs/ok.py`, `configs/sub/deep.py`, `configs/out.py -> ../secret.py`
/// and `configs/outdir -> ..` (see [`names_fixture`]).
pub fn check_name(base: &Path, name: &str) {
    use devloop::names::{check_relative, resolve_existing};
    let configs = base.join("configs");
    if check_relative(name).is_ok() {
        assert!(!name.is_empty() && name.len() <= devloop::names::MAX_NAME);
        let p = Path::new(name);
        assert!(p.is_relative(), "{name:?} accepted though absolute");
        assert!(
            p.components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{name:?} accepted with a non-plain part"
        );
        assert!(!name.contains('\0'));
        assert!(name
            .split('/')
            .all(|part| part.len() <= devloop::names::MAX_PART));
    }
    match resolve_existing(&configs, name) {
        Ok(path) => {
            let root = configs.canonicalize().unwrap();
            assert!(path.starts_with(&root), "{name:?} resolved to {path:?}");
            assert!(check_relative(name).is_ok());
            assert!(path.exists());
        }
        Err(_) => {
            // Refusing is always allowed; nothing to check.
        }
    }
}

/// Makes the fixture [`check_name`] expects under `base`.
pub fn names_fixture(base: &Path) {
    let configs = base.join("configs");
    std::fs::create_dir_all(configs.join("sub")).unwrap();
    std::fs::write(configs.join("ok.py"), "").unwrap();
    std::fs::write(configs.join("sub/deep.py"), "").unwrap();
    std::fs::write(base.join("secret.py"), "").unwrap();
    let _ = std::os::unix::fs::symlink("../secret.py", configs.join("out.py"));
    let _ = std::os::unix::fs::symlink("..", configs.join("outdir"));
    let _ = std::os::unix::fs::symlink("sub", configs.join("insub"));
}

/// What a hostile result folder holds.
#[derive(Debug, Clone, Default)]
pub struct ResultFiles {
    pub report: Option<Vec<u8>>,
    pub sample: Option<Vec<u8>>,
    pub trajectory: Option<Vec<u8>>,
    pub events: Option<Vec<u8>>,
    /// The sample id (file name) used, if it is a valid name.
    pub id: String,
    /// Search text for `q`.
    pub q: String,
}

/// Writes `files` as result `r` under `base/results` and reads it every way
/// the API does. Bad files may give 4xx errors or a `malformed`/`error`
/// field; they never panic and never give an internal (5xx) error.
pub fn check_results(base: &Path, files: &ResultFiles) {
    use devloop::error::ApiError;
    use devloop::results::{Results, SampleQuery};
    let dir = base.join("results");
    let r = dir.join("r");
    let _ = std::fs::remove_dir_all(&r);
    std::fs::create_dir_all(r.join("samples")).unwrap();
    std::fs::create_dir_all(r.join("trajectories")).unwrap();
    let id = if devloop::names::check_part(&files.id).is_ok() {
        files.id.as_str()
    } else {
        "s1"
    };
    if let Some(b) = &files.report {
        std::fs::write(r.join("report.json"), b).unwrap();
    }
    if let Some(b) = &files.sample {
        std::fs::write(r.join("samples").join(format!("{id}.json")), b).unwrap();
    }
    if let Some(b) = &files.trajectory {
        std::fs::write(r.join("trajectories").join(format!("{id}.jsonl")), b).unwrap();
    }
    if let Some(b) = &files.events {
        std::fs::write(r.join("events.jsonl"), b).unwrap();
    }
    let results = Results::open(dir.clone(), &base.join("index.db")).unwrap();
    let not_internal = |what: &str, e: &ApiError| {
        assert!(
            !matches!(e, ApiError::Internal(_)),
            "{what}: internal error on bad input: {e:?}"
        );
    };
    let list = results.list().expect("list never fails on bad files");
    assert!(
        list.iter().any(|s| s.summary.name == "r"),
        "the result is listed"
    );
    if let Err(e) = results.summary("r") {
        not_internal("summary", &e);
    }
    for sort in ["index", "-reward", "status", "-turns", "id"] {
        let q = SampleQuery {
            sort: Some(sort.into()),
            q: (!files.q.is_empty()).then(|| files.q.clone()),
            limit: Some(50),
            ..Default::default()
        };
        match results.samples("r", &q) {
            Ok(v) => {
                let total = v["total"].as_u64().unwrap();
                let n = v["samples"].as_array().unwrap().len() as u64;
                assert!(n <= total.min(50), "{n} samples of {total}");
            }
            Err(e) => not_internal("samples", &e),
        }
    }
    if let Err(e) = results.sample("r", id, &SampleQuery::default()) {
        not_internal("sample", &e);
    }
    if let Err(e) = results.sample("r", &files.id, &SampleQuery::default()) {
        not_internal("sample by raw id", &e);
    }
    if let Err(e) = results.distribution("r", None) {
        not_internal("distribution", &e);
    }
    if let Err(e) = results.compare("r", "r") {
        not_internal("compare", &e);
    }
}
