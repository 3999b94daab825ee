//! Output records as a terminal user expects them: partial lines, progress
//! bars, bad bytes, huge lines, unflushed Python, and both streams.

use crate::helper::{Project, Server, Sse};

#[test]
fn a_partial_line_shows_before_its_newline_and_is_completed_not_duplicated() {
    let p = Project::new("");
    p.workload_config("partial.py", "partial.py", &[]);
    let s = Server::start(p.path());
    let id = s.launch("partial.py");
    let mut sse = Sse::open(&s.url, &id, None, None);
    let first = sse.read_until(|v| v["stream"] == "stdout");
    assert_eq!(
        first["partial"], true,
        "first piece arrives as a partial line: {first}"
    );
    assert!(first["text"].as_str().unwrap().starts_with("loading model"));
    // The line is still being written while the viewer already has its start.
    assert_eq!(s.run(&id)["status"], "running");
    sse.read_until_complete();
    let stdout: Vec<_> = sse
        .records()
        .into_iter()
        .filter(|r| r["stream"] == "stdout")
        .collect();
    assert!(stdout
        .iter()
        .all(|r| r["lineno"] == first["lineno"] || r["text"] == "next line"));
    assert_eq!(
        sse.final_lines("stdout"),
        ["loading model... done", "next line"]
    );
    let text = s.get_text(&format!("/api/runs/{id}/log"));
    assert_eq!(text.matches("loading model").count(), 1, "{text}");
}

#[test]
fn a_progress_bar_redrawn_with_carriage_returns_is_one_line() {
    let p = Project::new("");
    p.workload_config(
        "progress.py",
        "progress.py",
        &["--steps", "100", "--delay", "0.01"],
    );
    let s = Server::start(p.path());
    let id = s.launch("progress.py");
    let sse = s.stream_all(&id, None);
    let bars = sse.final_lines("stderr");
    assert_eq!(bars.len(), 1, "one bar line, got {bars:?}");
    assert!(
        bars[0].starts_with("samples: 100%") && bars[0].ends_with("100/100"),
        "{bars:?}"
    );
    let redraws = sse
        .records()
        .iter()
        .filter(|r| r["stream"] == "stderr")
        .count();
    assert!(
        redraws < 101,
        "redraws are coalesced, got {redraws} records for 101 draws"
    );
    let stdout = sse.final_lines("stdout");
    assert!(
        stdout
            .iter()
            .any(|l| l
                == "\u{1b}[1;32mSUCCESS\u{1b}[0m connected to \u{1b}[36mmodel endpoint\u{1b}[0m"),
        "ANSI kept"
    );
    assert!(stdout.iter().any(|l| l.contains("WARNING sample 25")));
    let text = s.get_text(&format!("/api/runs/{id}/log"));
    assert_eq!(text.matches("samples:").count(), 1);
}

#[test]
fn bad_bytes_and_a_huge_line_do_not_break_the_stream() {
    let p = Project::new("");
    p.workload_config("bad.py", "badbytes.py", &["--long-mb", "3"]);
    let s = Server::start(p.path());
    let id = s.launch("bad.py");
    let sse = s.stream_all(&id, None);
    let lines = sse.final_lines("stdout");
    assert_eq!(
        lines[0],
        "before \u{FFFD}\u{FFFD} invalid utf-8 \u{FFFD}( and a NUL \u{0} and a\ttab"
    );
    assert_eq!(
        lines[1],
        "emoji \u{1F680} split across writes: \u{1F680} ok"
    );
    let long: Vec<_> = sse
        .records()
        .into_iter()
        .filter(|r| r["text"].as_str().unwrap().starts_with('y') && r["partial"].is_null())
        .collect();
    let total: usize = long.iter().map(|r| r["text"].as_str().unwrap().len()).sum();
    assert_eq!(total, 3 << 20, "every byte of the long line arrives");
    assert!(
        long.len() >= 48,
        "the long line is split into bounded pieces"
    );
    assert!(long
        .iter()
        .all(|r| r["text"].as_str().unwrap().len() <= 64 * 1024));
    assert_eq!(lines.last().unwrap(), "after the long line");
    assert_eq!(s.run(&id)["status"], "succeeded");
}

#[test]
fn python_that_never_flushes_still_streams_line_by_line() {
    let p = Project::new("");
    p.workload_config("quiet.py", "quiet_buffered.py", &[]);
    let s = Server::start(p.path());
    let id = s.launch("quiet.py");
    let mut sse = Sse::open(&s.url, &id, None, None);
    sse.read_until(|v| v["text"] == "buffered line 2");
    assert_eq!(
        s.run(&id)["status"],
        "running",
        "lines arrive while the run is going"
    );
    sse.read_until_complete();
    assert_eq!(sse.final_lines("stdout").len(), 10);
}

#[test]
fn stdout_and_stderr_lines_all_arrive_in_their_order() {
    let p = Project::new("");
    p.workload_config("inter.py", "interleave.py", &["--lines", "2000"]);
    let s = Server::start(p.path());
    let id = s.launch("inter.py");
    let sse = s.stream_all(&id, None);
    let out = sse.final_lines("stdout");
    let err = sse.final_lines("stderr");
    let want_out: Vec<String> = (1..=2000)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("out {i}"))
        .collect();
    let want_err: Vec<String> = (1..=2000)
        .filter(|i| i % 2 == 0)
        .map(|i| format!("err {i}"))
        .collect();
    assert_eq!(out, want_out);
    assert_eq!(err, want_err);
}

#[test]
fn with_merge_stderr_the_exact_interleaving_is_kept() {
    let p = Project::new("merge_stderr = true\n");
    p.workload_config("inter.py", "interleave.py", &["--lines", "3000"]);
    let s = Server::start(p.path());
    let id = s.launch("inter.py");
    let sse = s.stream_all(&id, None);
    let want: Vec<String> = (1..=3000)
        .map(|i| {
            if i % 2 == 1 {
                format!("out {i}")
            } else {
                format!("err {i}")
            }
        })
        .collect();
    assert_eq!(sse.final_lines("stdout"), want);
    assert!(sse.final_lines("stderr").is_empty());
}
