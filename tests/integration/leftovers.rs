//! Processes a run leaves behind: children in a session of their own
//! (`start_new_session=True`, `setsid`), double-forked daemons. Everything a
//! run started ends when the run ends or is stopped, and what those
//! processes print before they die is kept; `keep_daemons = true` opts out.

use crate::helper::chaos::{final_lines, read_log, wait_for_output};
use crate::helper::{is_alive, wait_for, Project, Server};

/// A program that starts three kinds of escapee, writes their pids to
/// `pids.txt`, and (with `late`) leaves one that prints after it exits.
fn escapees(then: &str) -> String {
    format!(
        r#"import os, subprocess, sys, time
pids = []
pids.append(subprocess.Popen(["sleep", "1000"], start_new_session=True).pid)
pids.append(subprocess.Popen(["setsid", "sleep", "1000"]).pid)
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode()); os.close(w)
        while True:
            time.sleep(1)
    os._exit(0)
os.close(w)
pids.append(int(os.read(r, 64)))
late = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.4); print('late line', flush=True); time.sleep(1000)"], start_new_session=True)
pids.append(late.pid)
time.sleep(0.3)
open("pids.txt", "w").write(" ".join(map(str, pids)))
print("ready", flush=True)
{then}
"#
    )
}

fn pids(p: &Project) -> Vec<i32> {
    let text = wait_for("pids.txt", || {
        std::fs::read_to_string(p.path().join("pids.txt"))
            .ok()
            .filter(|t| !t.is_empty())
    });
    text.split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect()
}

#[test]
fn what_a_run_leaves_running_ends_with_it_and_its_late_output_is_kept() {
    let p = Project::new("");
    p.config("leave.py", &escapees("print('parent done')"));
    let s = Server::start(p.path());
    let id = s.launch("leave.py");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded", "{run}");
    let left: Vec<i32> = pids(&p).into_iter().filter(|&pid| is_alive(pid)).collect();
    assert!(
        left.is_empty(),
        "still running after the run ended: {left:?}"
    );
    let lines = final_lines(&read_log(p.path(), &id), "stdout");
    assert!(lines.contains(&"late line".to_string()), "{lines:?}");
}

#[test]
fn stop_ends_processes_that_left_the_group() {
    let p = Project::new("");
    p.config("stay.py", &escapees("time.sleep(1000)"));
    let s = Server::start(p.path());
    let id = s.launch("stay.py");
    let pids = pids(&p);
    assert!(pids.iter().all(|&pid| is_alive(pid)));
    let (code, _) = s.post(&format!("/api/runs/{id}/stop"), serde_json::json!({}));
    assert_eq!(code, 200);
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "stopped", "{run}");
    let left: Vec<i32> = pids.into_iter().filter(|&pid| is_alive(pid)).collect();
    assert!(left.is_empty(), "still running after stop: {left:?}");
}

#[test]
fn keep_daemons_leaves_them_running() {
    let p = Project::new("keep_daemons = true\n");
    p.config("leave.py", &escapees("print('parent done')"));
    let s = Server::start(p.path());
    let id = s.launch("leave.py");
    s.wait_ended(&id);
    let pids = pids(&p);
    let alive: Vec<i32> = pids.iter().copied().filter(|&pid| is_alive(pid)).collect();
    for &pid in &pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert_eq!(alive.len(), pids.len(), "kept: {alive:?} of {pids:?}");
}

#[test]
fn stop_sends_sigterm_once_to_each_process() {
    let p = Project::new("");
    p.config(
        "count.py",
        "import signal, subprocess, sys, time\n\
         child = subprocess.Popen([sys.executable, '-c', \"import signal, time\\nsignal.signal(signal.SIGTERM, lambda *a: print('child got SIGTERM', flush=True))\\nprint('child ready', flush=True)\\ntime.sleep(3)\"])\n\
         signal.signal(signal.SIGTERM, lambda *a: print('got SIGTERM', flush=True))\n\
         print('ready', flush=True)\n\
         time.sleep(3)\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("count.py");
    // Both have their SIGTERM handlers in place once they said so.
    wait_for_output(p.path(), &id, "ready", |l| {
        l.iter().any(|x| x == "ready") && l.iter().any(|x| x == "child ready")
    });
    let (code, _) = s.post(&format!("/api/runs/{id}/stop"), serde_json::json!({}));
    assert_eq!(code, 200);
    s.wait_ended(&id);
    let lines = final_lines(&read_log(p.path(), &id), "stdout");
    let count = |what: &str| lines.iter().filter(|l| l.as_str() == what).count();
    assert_eq!(count("got SIGTERM"), 1, "{lines:?}");
    assert_eq!(count("child got SIGTERM"), 1, "{lines:?}");
}
