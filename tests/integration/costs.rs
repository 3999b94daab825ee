//! What a run costs and being told when it matters: metrics records of the
//! whole process tree, peak memory and CPU time on the run, alerts for
//! output that matches `[notify] patterns`, and `[notify] command` at the end.

use serde_json::json;

use crate::helper::chaos::read_log;
use crate::helper::{wait_for, Project, ProjectEvents, Server};

/// Resident memory of a process and its descendants, as /proc tells it.
fn tree_rss(root: i32) -> u64 {
    let mut pids = vec![root];
    pids.extend(devloop::procinfo::descendants(root));
    let page = 4096u64;
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/statm")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page)
        .sum()
}

#[test]
fn a_busy_run_holding_memory_shows_both_within_two_seconds_children_included() {
    let p = Project::new("");
    p.config(
        "hog.py",
        "import os, subprocess, sys, time\n\
         child = subprocess.Popen([sys.executable, '-c', 'b = bytearray(150 << 20); b[::4096] = b\"x\" * len(b[::4096]); import time; time.sleep(30)'])\n\
         big = bytearray(150 << 20)\nbig[::4096] = b'x' * len(big[::4096])\n\
         open('pids', 'w').write(f'{os.getpid()} {child.pid}')\n\
         print('holding', flush=True)\n\
         t = time.time()\n\
         while time.time() - t < 6: pass\n\
         child.kill()\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("hog.py");
    let pids: Vec<i32> = wait_for("the program to hold its memory", || {
        let text = std::fs::read_to_string(p.path().join("pids")).ok()?;
        Some(
            text.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect(),
        )
    });
    // The next metrics record after the memory is held (the supervisor
    // samples every second).
    let sample = wait_for("a metrics record with the memory", || {
        read_log(p.path(), &id)
            .into_iter()
            .rev()
            .find(|r| r["type"] == "metrics")
            .filter(|m| m["rss_bytes"].as_u64().unwrap_or(0) > 250 << 20)
    });
    let truth = tree_rss(pids[0]);
    let got = sample["rss_bytes"].as_u64().unwrap();
    let diff = (got as f64 - truth as f64).abs() / truth as f64;
    assert!(
        diff < 0.10,
        "metrics {got} vs /proc {truth} for the tree ({:.0}%)",
        diff * 100.0
    );
    assert!(got > 290 << 20, "the child's 150 MiB is counted: {got}");
    assert!(sample["procs"].as_u64().unwrap() >= 2);
    assert_eq!(sample["gpus"], json!([]), "no GPU here, no GPU figures");
    let busy = wait_for("a busy sample", || {
        read_log(p.path(), &id)
            .into_iter()
            .filter(|r| r["type"] == "metrics")
            .find(|m| m["cpu_pct"].as_f64().unwrap_or(0.0) > 40.0)
    });
    assert!(busy["threads"].as_u64().unwrap() >= 2);
    let live = s.run(&id);
    assert!(
        live["peak_rss_bytes"].as_u64().unwrap() > 290 << 20,
        "{live}"
    );
    let run = s.wait_ended(&id);
    assert!(run["peak_rss_bytes"].as_u64().unwrap() > 290 << 20, "{run}");
    assert!(run["cpu_seconds"].as_f64().unwrap() > 1.0, "{run}");
    let table = std::process::Command::new(crate::helper::bin())
        .args(["runs"])
        .env("DEVLOOP_URL", &s.url)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("PEAK MEM") && table.contains(" MiB"),
        "{table}"
    );
}

/// A project whose `devloop.toml` has the `[notify]` lines `notify` makes
/// (given the project's folder), written whole: `Project::new` puts extra
/// settings under `[launch]`.
fn with_notify(notify: impl FnOnce(&std::path::Path) -> String) -> Project {
    let p = Project::new("");
    std::fs::write(
        p.path().join("devloop.toml"),
        format!(
            "[launch]\ncommand = [\"python3\", \"{{config}}\"]\n[notify]\n{}\n",
            notify(p.path())
        ),
    )
    .unwrap();
    p
}

#[test]
fn matching_lines_raise_alerts_and_the_notify_command_gets_the_run() {
    let p = with_notify(|dir| {
        format!(
            "patterns = [\"Traceback\", \"CUDA out of memory\"]\ncommand = [\"sh\", \"-c\", \"echo \\\"$@\\\" > {}\", \"notify\", \"{{run_id}}\", \"{{status}}\", \"{{config_name}}\"]",
            dir.join("notified.txt").display()
        )
    });
    let got = p.path().join("notified.txt");
    p.config(
        "boom.py",
        "print('fine')\nprint('RuntimeError: CUDA out of memory. Tried to allocate', flush=True)\nraise SystemExit(1)\n",
    );
    let s = Server::start(p.path());
    let mut events = ProjectEvents::open(&s.url);
    let id = s.launch("boom.py");
    let alert = events.wait_for(|e| e["type"] == "alert" && e["run_id"] == id.as_str());
    assert_eq!(alert["pattern"], "CUDA out of memory");
    assert_eq!(alert["lineno"], 3, "the line's own number: {alert}");
    assert!(alert["text"]
        .as_str()
        .unwrap()
        .contains("Tried to allocate"));
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "failed");
    let args = std::fs::read_to_string(&got).unwrap();
    assert_eq!(args.trim(), format!("{id} failed boom.py"));
}

#[test]
fn a_failing_notify_command_is_noted_and_changes_nothing_else() {
    let p = with_notify(|_| {
        "command = [\"sh\", \"-c\", \"echo no mail server >&2; exit 4\"]".to_string()
    });
    p.config("ok.py", "print('ok')\n");
    let s = Server::start(p.path());
    let id = s.launch("ok.py");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded");
    let notes = crate::helper::chaos::final_lines(&read_log(p.path(), &id), "devloop");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("notify command") && n.contains("no mail server")),
        "{notes:?}"
    );
}

#[test]
fn a_slow_notify_command_does_not_hold_the_end_of_the_run_back() {
    let p = with_notify(|dir| {
        format!(
            "command = [\"sh\", \"-c\", \"sleep 8; echo \\\"$0\\\" > {}\", \"{{status}}\"]",
            dir.join("notified").display()
        )
    });
    let done = p.path().join("notified");
    p.config("ok.py", "print('ok')\n");
    let s = Server::start(p.path());
    let id = s.launch("ok.py");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded");
    // The run was marked ended while its notify command was still asleep.
    assert!(
        !done.exists(),
        "the run ended only after its notify command"
    );
    // And the command still ran to its end.
    wait_for("the notify command to finish", || {
        done.exists().then_some(())
    });
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "succeeded");
}

#[test]
fn cpu_time_counts_children_that_came_and_went_between_samples() {
    let p = Project::new("");
    p.config(
        "bursts.py",
        "import subprocess, sys\n\
         for _ in range(15):\n    subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.1: pass'])\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("bursts.py");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded");
    // 15 children each used 0.1 s of CPU and lived less than a sample's
    // second; all of it is the run's.
    let cpu = run["cpu_seconds"].as_f64().unwrap();
    assert!(cpu >= 1.5, "cpu_seconds {cpu}");
}
