//! Faults: the server SIGKILLed at random moments while runs
//! flood, tick and redraw progress bars; a supervisor SIGKILLed; a full disk;
//! a run that is silent for a long time and one that prints a lot. Every run
//! must end with its complete log and its true exit status.
//!
//! The random moments come from a seeded source; a failure prints
//! `DEVLOOP_TEST_SEED=N` to replay it. Long variants are `#[ignore]`:
//! `cargo test --test integration faults -- --ignored`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::helper::chaos::{
    final_lines, read_log, rss_kib, run_dir, supervisor_pid, RawSse, Rng, Tmpfs,
};
use crate::helper::{is_alive, wait_for, workload, Project, Server, Sse};

/// What one run of the chaos test runs, and what its log must then hold.
#[derive(Clone, Debug)]
enum Kind {
    Flood { lines: u64 },
    Ticker { count: u64 },
    Progress { steps: u64 },
}

fn chaos_config(p: &Project, name: &str, kind: &Kind, exit_code: u8) {
    let (program, args) = match kind {
        Kind::Flood { lines } => (
            "flood.py",
            vec![
                "--lines".into(),
                lines.to_string(),
                "--bytes".into(),
                "80".into(),
            ],
        ),
        Kind::Ticker { count } => (
            "ticker.py",
            vec![
                "--rate".into(),
                "250".into(),
                "--count".into(),
                count.to_string(),
            ],
        ),
        Kind::Progress { steps } => (
            "progress.py",
            vec![
                "--steps".into(),
                steps.to_string(),
                "--delay".into(),
                "0.004".into(),
            ],
        ),
    };
    let argv: Vec<String> = std::iter::once(program.to_string()).chain(args).collect();
    p.config(
        name,
        &format!(
            "import runpy, sys\nsys.argv = {argv:?}\nrunpy.run_path({:?}, run_name='__main__')\nraise SystemExit({exit_code})\n",
            workload(program).to_string_lossy()
        ),
    );
}

/// Checks a finished run: status and exit code as the program ended, a log
/// whose records are numbered without gaps, every line once and in order,
/// and a replay over SSE that carries exactly the log's records.
fn check_run(s: &Server, project: &Path, id: &str, kind: &Kind, exit_code: u8) {
    let run = s.wait_ended(id);
    let want_status = if exit_code == 0 {
        "succeeded"
    } else {
        "failed"
    };
    assert_eq!(run["status"], want_status, "{id} ({kind:?}): {run}");
    assert_eq!(run["exit_code"], exit_code, "{id} ({kind:?}): {run}");
    let log = read_log(project, id);
    assert_eq!(
        run["records"].as_u64(),
        Some(log.len() as u64),
        "{id}: records in the index and in the log"
    );
    let out = final_lines(&log, "stdout");
    match kind {
        Kind::Flood { lines } => {
            assert_eq!(out.len() as u64, *lines, "{id}: flood lines");
            for (i, line) in out.iter().enumerate() {
                assert!(
                    line.starts_with(&format!("{:012} ", i + 1)),
                    "{id}: line {} is {:?}",
                    i + 1,
                    &line[..line.len().min(20)]
                );
            }
        }
        Kind::Ticker { count } => {
            assert_eq!(out.len() as u64, *count, "{id}: ticks");
            for (i, line) in out.iter().enumerate() {
                assert!(
                    line.starts_with(&format!("tick {} ", i + 1)),
                    "{id}: {line}"
                );
            }
        }
        Kind::Progress { steps } => {
            assert_eq!(
                out.last().map(String::as_str),
                Some(format!("done: {steps} steps").as_str()),
                "{id}"
            );
            let bars: Vec<_> = final_lines(&log, "stderr")
                .into_iter()
                .filter(|l| l.starts_with("samples:"))
                .collect();
            assert_eq!(bars.len(), 1, "{id}: the bar is one line: {bars:?}");
            assert!(bars[0].contains("100%"), "{id}: {bars:?}");
        }
    }
    let notes = final_lines(&log, "devloop");
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.contains("exit") || n.contains("exited"))
            .count(),
        1,
        "{id}: one exit note: {notes:?}"
    );
    let replay = s.stream_all(id, None);
    let want: Vec<u64> = (1..=log.len() as u64).collect();
    assert_eq!(replay.seqs(), want, "{id}: replay");
}

/// A viewer that follows one run across server restarts, reconnecting with
/// `Last-Event-ID`; returns every seq it received.
fn follow_across_restarts(port: Arc<AtomicU16>, id: String, stop: Arc<AtomicBool>) -> Vec<u64> {
    let mut seqs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        let url = format!(
            "http://127.0.0.1:{}/api/runs/{id}/stream",
            port.load(Ordering::Relaxed)
        );
        let Ok(mut sse) = RawSse::try_open(&url, seqs.last().copied()) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        while let Some((seq, v)) = sse.next_event() {
            if let Some(seq) = seq {
                seqs.push(seq);
            }
            if v["type"] == "complete" {
                return seqs;
            }
        }
    }
    panic!("the follower of {id} never saw complete");
}

fn server_killed_at_random_moments(runs: usize, max_kills: usize, scale: u64) {
    let mut rng = Rng::new("server_killed_at_random_moments");
    let p = Project::new("max_concurrent = 4\n");
    let mut plan = Vec::new();
    for k in 0..runs {
        let kind = match k % 3 {
            0 => Kind::Flood {
                lines: rng.range(5_000, 30_000) * scale,
            },
            1 => Kind::Ticker {
                count: rng.range(100, 500) * scale,
            },
            _ => Kind::Progress {
                steps: rng.range(100, 300) * scale,
            },
        };
        let code = (rng.next() % 4) as u8;
        let name = format!("r{k:02}.py");
        chaos_config(&p, &name, &kind, code);
        plan.push((name, kind, code));
    }
    let mut s = Server::start(p.path());
    let port = s.port;
    let shared_port = Arc::new(AtomicU16::new(port));
    let stop = Arc::new(AtomicBool::new(false));
    let mut ids: Vec<String> = Vec::new();
    let mut follower = None;
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(60 * scale);
    while kills < max_kills && Instant::now() < deadline {
        // Launch a few more, then let the runs (and the server) go on for a
        // random moment, then SIGKILL the server and start it again.
        for _ in 0..rng.range(1, 6) {
            if ids.len() < plan.len() {
                ids.push(s.launch(&plan[ids.len()].0));
            }
        }
        if follower.is_none() {
            if let Some(i) = plan
                .iter()
                .position(|(_, k, _)| matches!(k, Kind::Ticker { .. }))
            {
                if i < ids.len() {
                    let (port, id, stop) = (shared_port.clone(), ids[i].clone(), stop.clone());
                    follower = Some((
                        i,
                        std::thread::spawn(move || follow_across_restarts(port, id, stop)),
                    ));
                }
            }
        }
        // A chaos moment, not a wait: anything from "just started" to
        // "well into a run".
        std::thread::sleep(Duration::from_millis(rng.range(0, 1200)));
        s.kill();
        kills += 1;
        s = Server::start_on(p.path(), port);
        let (_, list) = s.get("/api/runs");
        let active = list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| matches!(r["status"].as_str(), Some("queued" | "running")))
            .count();
        if ids.len() == plan.len() && active == 0 {
            break;
        }
    }
    while ids.len() < plan.len() {
        ids.push(s.launch(&plan[ids.len()].0));
    }
    for (id, (_, kind, code)) in ids.iter().zip(&plan) {
        check_run(&s, p.path(), id, kind, *code);
    }
    if let Some((i, handle)) = follower {
        let seqs = handle.join().unwrap();
        let total = read_log(p.path(), &ids[i]).len() as u64;
        assert_eq!(
            seqs,
            (1..=total).collect::<Vec<_>>(),
            "the viewer that reconnected across {kills} restarts saw a gap or a duplicate"
        );
    }
    stop.store(true, Ordering::Relaxed);
    eprintln!(
        "server_killed_at_random_moments: {} runs, server SIGKILLed {kills} times, every run complete",
        ids.len()
    );
}

#[test]
fn server_killed_at_random_moments_loses_no_record_and_no_exit_status() {
    server_killed_at_random_moments(20, 12, 1);
}

#[test]
#[ignore = "long: run with --ignored"]
fn server_killed_at_random_moments_long() {
    server_killed_at_random_moments(60, 60, 3);
}

#[test]
fn a_killed_supervisor_makes_only_its_run_lost_and_the_queue_moves_on() {
    let p = Project::new("max_concurrent = 2\n");
    p.workload_config("tick.py", "ticker.py", &["--rate", "100", "--count", "300"]);
    p.config(
        "victim.py",
        "import os, sys, time\nprint('pid', os.getpid(), flush=True)\nfor i in range(600):\n    print('still here', i, flush=True)\n    time.sleep(0.1)\n",
    );
    let s = Server::start(p.path());
    let a = s.launch("tick.py");
    let victim = s.launch("victim.py");
    let queued = s.launch("tick.py");
    assert_eq!(s.run(&queued)["status"], "queued");
    let mut sse = Sse::open(&s.url, &victim, None, None);
    let pid_line = sse.read_until(|v| v["text"].as_str().is_some_and(|t| t.starts_with("pid ")));
    let child: i32 = pid_line["text"].as_str().unwrap()[4..]
        .trim()
        .parse()
        .unwrap();
    sse.read_until(|v| {
        v["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("still here 3"))
    });
    let sup = supervisor_pid(p.path(), &victim);
    kill(Pid::from_raw(sup), Signal::SIGKILL).unwrap();
    let lost = s.wait_ended(&victim);
    assert_eq!(lost["status"], "lost", "{lost}");
    // The viewer of the lost run is told and its stream ends.
    let end = sse.read_until(|v| v["type"] == "complete");
    assert_eq!(end["status"], "lost");
    // Its log is still whole: every record parses, no gaps.
    let log = read_log(p.path(), &victim);
    assert!(final_lines(&log, "stdout").len() >= 4);
    // The others carry on, and the queued run gets the freed slot.
    for id in [&a, &queued] {
        let run = s.wait_ended(id);
        assert_eq!(run["status"], "succeeded", "{run}");
        let ticks = final_lines(&read_log(p.path(), id), "stdout");
        assert_eq!(ticks.len(), 300);
    }
    // The user command of the lost run has nobody reading its output.
    let orphan_alive = is_alive(child);
    eprintln!("after its supervisor was killed, the lost run's command (pid {child}) alive: {orphan_alive}");
    if orphan_alive {
        let _ = kill(Pid::from_raw(-child), Signal::SIGKILL);
        let _ = kill(Pid::from_raw(child), Signal::SIGKILL);
    }
}

/// Free bytes on the file system holding `path`.
fn free_bytes(path: &Path) -> u64 {
    let st = nix::sys::statvfs::statvfs(path).unwrap();
    st.blocks_available() as u64 * st.fragment_size() as u64
}

#[test]
fn a_full_disk_is_reported_to_the_run_and_corrupts_nothing() {
    let Some(fs) = Tmpfs::mount("4m") else {
        return;
    };
    let root = fs.path();
    std::fs::create_dir_all(root.join("configs")).unwrap();
    std::fs::write(
        root.join("devloop.toml"),
        "[launch]\ncommand = [\"python3\", \"{config}\"]\nstop_grace_secs = 1\n",
    )
    .unwrap();
    let outside = tempfile::tempdir().unwrap();
    let flooded = outside.path().join("flooded");
    let freed = outside.path().join("freed");
    std::fs::write(
        root.join("configs/ok.py"),
        "for i in range(100): print('ok', i)\n",
    )
    .unwrap();
    std::fs::write(
        root.join("configs/fill.py"),
        format!(
            "import sys, os, time\nout = sys.stdout.buffer\n\
             for i in range(1, 100001):\n    out.write(b'%012d ' % i + b'x' * 87 + b'\\n')\nout.flush()\n\
             open({flooded:?}, 'w').close()\n\
             while not os.path.exists({freed:?}): time.sleep(0.02)\n\
             for i in range(1, 101): print('after', i, flush=True)\n",
            flooded = flooded.to_string_lossy(),
            freed = freed.to_string_lossy(),
        ),
    )
    .unwrap();
    let s = Server::start(root);
    let ok = s.launch("ok.py");
    assert_eq!(s.wait_ended(&ok)["status"], "succeeded");
    let ok_log = std::fs::read(run_dir(root, &ok).join("log.jsonl")).unwrap();
    // Leave about 1.5 MiB free, held by a file we can delete later.
    let filler = root.join("filler");
    let spare = free_bytes(root).saturating_sub(1536 * 1024);
    std::fs::write(&filler, vec![0u8; spare as usize]).unwrap();

    let id = s.launch("fill.py");
    wait_for("the flood to be written", || flooded.exists().then_some(()));
    eprintln!("disk full: {} bytes free after the flood", free_bytes(root));
    // The server keeps serving while the disk is full.
    assert_eq!(s.get("/api/health").0, 200);
    assert_eq!(s.get("/api/runs").0, 200);
    assert_eq!(s.run(&id)["status"], "running");
    let log_while_full = read_log(root, &id);
    assert!(!log_while_full.is_empty());
    // Space comes back; the run goes on and ends.
    std::fs::remove_file(&filler).unwrap();
    std::fs::write(&freed, "").unwrap();
    let run = s.wait_ended(&id);
    let log = read_log(root, &id);
    let notes = final_lines(&log, "devloop");
    let warned = notes
        .iter()
        .any(|n| n.contains("lost") || n.contains("could not be written"));
    eprintln!(
        "disk full: status {}, {} records in the log, notes {notes:?}",
        run["status"],
        log.len()
    );
    assert!(
        warned || run["status"] == "failed",
        "records were lost to the full disk but the run was not told: status {}, notes {notes:?}",
        run["status"]
    );
    // What was written before stays as it was.
    assert_eq!(
        log[..log_while_full.len()],
        log_while_full[..],
        "records written before changed"
    );
    assert_eq!(
        std::fs::read(run_dir(root, &ok).join("log.jsonl")).unwrap(),
        ok_log
    );
    let out = final_lines(&log, "stdout");
    let after: Vec<_> = out.iter().filter(|l| l.starts_with("after ")).collect();
    assert_eq!(
        after.len(),
        100,
        "output after the disk had room again is kept"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("exited") || n.contains("exit")),
        "the exit note is in the log: {notes:?}"
    );
    let replay = s.stream_all(&id, None);
    assert_eq!(replay.seqs(), (1..=log.len() as u64).collect::<Vec<_>>());
    // And a new run works.
    let again = s.launch("ok.py");
    assert_eq!(s.wait_ended(&again)["status"], "succeeded");
    assert_eq!(final_lines(&read_log(root, &again), "stdout").len(), 100);
}

fn quiet_run(quiet_secs: u64) {
    let p = Project::new("");
    p.config(
        "quiet.py",
        &format!("import time\nprint('before', flush=True)\ntime.sleep({quiet_secs})\nprint('after', flush=True)\n"),
    );
    let s = Server::start(p.path());
    let id = s.launch("quiet.py");
    let mut sse = RawSse::open(&format!("{}/api/runs/{id}/stream", s.url), None);
    let mut saw_before = None;
    let mut saw_after = None;
    while let Some((_, v)) = sse.next_event() {
        match v["text"].as_str() {
            Some("before") => {
                saw_before = Some(Instant::now());
                // While quiet, the run is listed as running.
                assert_eq!(s.run(&id)["status"], "running");
            }
            Some("after") => saw_after = Some(Instant::now()),
            _ => {}
        }
        if v["type"] == "complete" {
            assert_eq!(v["status"], "succeeded");
            break;
        }
    }
    let (before, after) = (saw_before.unwrap(), saw_after.unwrap());
    // A quiet program's run is not silent: its metrics records come each
    // second, and keepalive comments fill any gap of 15 s. What a viewer
    // (or a proxy in between) needs is that the stream never goes quiet
    // for longer than that.
    let mut frames: Vec<Instant> = sse
        .comments
        .iter()
        .map(|(t, _)| *t)
        .chain(sse.events.iter().map(|(t, _, _)| *t))
        .filter(|t| *t >= before && *t <= after)
        .collect();
    frames.sort();
    let longest = frames
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(after - before);
    eprintln!(
        "quiet run: {quiet_secs} s silent, {} frames, longest gap {longest:?}",
        frames.len()
    );
    assert!(
        longest <= Duration::from_millis(16_500),
        "the stream went quiet for {longest:?} during {quiet_secs} s of silence"
    );
    let log = read_log(p.path(), &id);
    assert_eq!(final_lines(&log, "stdout"), ["before", "after"]);
    assert_eq!(sse.seqs(), (1..=log.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_run_silent_for_20_s_keeps_its_viewer_with_heartbeats() {
    quiet_run(20);
}

#[test]
#[ignore = "long: run with --ignored"]
fn a_run_silent_for_10_minutes_keeps_its_viewer_with_heartbeats() {
    quiet_run(600);
}

/// `max_growth`: the most the server's RSS may grow, as a fraction of the
/// output (1/`max_growth`); only asserted where the output dwarfs the
/// server's fixed costs (thread stacks, allocator arenas, caches).
fn loud_run(lines: u64, bytes: u64, max_growth: Option<u64>) {
    let p = Project::new("");
    p.workload_config(
        "flood.py",
        "flood.py",
        &["--lines", &lines.to_string(), "--bytes", &bytes.to_string()],
    );
    let s = Server::start(p.path());
    let rss_before = rss_kib(s.child.id());
    let id = s.launch("flood.py");
    let mut viewer = RawSse::open(&format!("{}/api/runs/{id}/stream?batch=1", s.url), None);
    let mut seqs = Vec::new();
    let mut peak = rss_before;
    let mut n = 0u64;
    while let Some((_, v)) = viewer.next_event() {
        if v["type"] == "batch" {
            seqs.extend(
                v["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["seq"].as_u64().unwrap()),
            );
        }
        n += 1;
        if n.is_multiple_of(64) {
            peak = peak.max(rss_kib(s.child.id()));
        }
        if v["type"] == "complete" {
            assert_eq!(v["status"], "succeeded");
            break;
        }
    }
    viewer.events.clear();
    let log = read_log(p.path(), &id);
    assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>());
    let out = final_lines(&log, "stdout");
    assert_eq!(out.len() as u64, lines);
    for (i, line) in out.iter().enumerate() {
        assert!(
            line.starts_with(&format!("{:012} ", i + 1)),
            "line {}",
            i + 1
        );
    }
    let output_mib = (lines * bytes) >> 20;
    eprintln!(
        "loud run: {lines} lines, {output_mib} MiB; server RSS {} KiB before, peak {} KiB while streaming",
        rss_before, peak
    );
    // Server memory does not grow with output size: it never
    // holds a run's output, only a bounded buffer per viewer.
    if let Some(fraction) = max_growth {
        assert!(
            peak - rss_before < lines * bytes / 1024 / fraction,
            "server RSS grew by {} KiB for {output_mib} MiB of output",
            peak - rss_before
        );
    }
}

#[test]
fn a_run_that_prints_20_mib_streams_whole_without_the_server_growing() {
    loud_run(200_000, 100, None);
}

#[test]
#[ignore = "long: run with --ignored"]
fn a_run_that_prints_500_mib_streams_whole_without_the_server_growing() {
    loud_run(5_000_000, 100, Some(8));
}

#[test]
fn a_damaged_index_is_moved_aside_and_rebuilt_from_the_run_folders() {
    let p = Project::new("");
    p.config("hello.py", "print('hello')\n");
    let mut s = Server::start(p.path());
    let id = s.launch("hello.py");
    assert_eq!(s.wait_ended(&id)["status"], "succeeded");
    s.kill();
    let db = p.path().join(".devloop/devloop.db");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::write(&db, b"this is not a database, just garbage".repeat(100)).unwrap();
    let s = Server::start(p.path());
    let run = s.run(&id);
    assert_eq!(run["status"], "succeeded", "rebuilt from its folder: {run}");
    let replay = s.stream_all(&id, None);
    assert!(replay.final_lines("stdout").contains(&"hello".to_string()));
    let aside: Vec<String> = std::fs::read_dir(p.path().join(".devloop"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("devloop.db.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept beside: {aside:?}");
    let again = s.launch("hello.py");
    assert_eq!(s.wait_ended(&again)["status"], "succeeded");
}
