//! Runs on other machines, with the real things: an `sshd` on 127.0.0.1
//! whose user `devloop-remote` has a home of its own (the other machine's
//! disk), and a single-node Slurm (`tests/targets/*.sh up` start them; the
//! test command does). Everything a user sees of a remote run must be as
//! for a local one: every line once, in order, resume, stop, exit codes,
//! results.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helper::chaos::{final_lines, read_log, run_dir, wait_for_output};
use crate::helper::{wait_for, Project, Server};

const REMOTE_HOME: &str = "/home/devloop-remote";

/// The facts `tests/targets/NAME.sh env` prints.
fn target_env(script: &str) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(script);
    let out = Command::new("bash").arg(&path).arg("env").output().unwrap();
    assert!(
        out.status.success(),
        "{script} is not up: run `{} up` as root (./run-tests does): {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches(['"', '\'']).to_string()))
        .collect()
}

fn env_of(vars: &[(String, String)], key: &str) -> String {
    vars.iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}"))
        .1
        .clone()
}

/// A project with a target `box` on the test sshd; the workloads are copied
/// into it, so they reach the target with the mirror.
fn ssh_project() -> Project {
    let ssh = target_env("sshd.sh");
    let p = Project::new(&format!(
        "[targets.box]\nssh = \"{}\"\nssh_config = \"{}\"\nlost_after_secs = 60\n",
        env_of(&ssh, "DEVLOOP_SSH_HOST"),
        env_of(&ssh, "DEVLOOP_SSH_CONFIG")
    ));
    let workloads = p.path().join("workloads");
    std::fs::create_dir_all(&workloads).unwrap();
    for w in ["flood.py", "tree.py", "events.py"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/workloads")
                .join(w),
            workloads.join(w),
        )
        .unwrap();
    }
    p
}

/// A config that runs `tests/workloads/PROGRAM` from the project's own copy
/// (so it reaches the target with the mirror), after `prelude`.
fn workload_config(p: &Project, name: &str, program: &str, args: &[&str], prelude: &str) {
    let argv: Vec<&str> = std::iter::once(program)
        .chain(args.iter().copied())
        .collect();
    p.config(
        name,
        &format!("import runpy, sys\n{prelude}sys.argv = {argv:?}\nrunpy.run_path('workloads/{program}', run_name='__main__')\n"),
    );
}

fn remote_workdir(p: &Project) -> PathBuf {
    Path::new(REMOTE_HOME)
        .join("devloop")
        .join(p.path().file_name().unwrap())
}

fn launch_on(s: &Server, config: &str, target: &str) -> String {
    let (code, body) = s.post(
        "/api/launch",
        json!({"configName": config, "target": target}),
    );
    assert_eq!(code, 200, "{body}");
    body["run_id"].as_str().unwrap().to_string()
}

fn numbered(lines: &[String], prefix: &str) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn a_flood_on_the_ssh_target_arrives_whole_in_order_as_the_ssh_user() {
    let p = ssh_project();
    workload_config(
        &p,
        "flood.py",
        "flood.py",
        &["--lines", "200000", "--bytes", "60"],
        "import os\nprint('user', os.environ.get('USER'), os.getcwd(), flush=True)\n",
    );
    let s = Server::start(p.path());
    let id = launch_on(&s, "flood.py", "box");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["target"], "box");
    let log = read_log(p.path(), &id);
    let out = final_lines(&log, "stdout");
    let who = out.iter().find(|l| l.starts_with("user ")).unwrap();
    assert!(
        who.contains("devloop-remote") && who.contains(REMOTE_HOME),
        "{who}"
    );
    let numbers: Vec<u64> = out
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(
        numbers,
        (1..=200_000).collect::<Vec<_>>(),
        "every line once, in order"
    );
    // A viewer sees the same, and resumes the same, as for a local run.
    let sse = s.stream_all(&id, None);
    assert_eq!(sse.seqs(), (1..=log.len() as u64).collect::<Vec<_>>());
    let resumed = s.stream_all(&id, Some(150_000));
    assert_eq!(resumed.seqs().first(), Some(&150_001));
}

#[test]
fn the_connection_killed_five_times_and_the_server_once_loses_no_line() {
    let p = ssh_project();
    p.config(
        "tick.py",
        "import time\nfor i in range(1, 401):\n    print('tick', i, flush=True)\n    time.sleep(0.02)\n",
    );
    let mut s = Server::start(p.path());
    let id = launch_on(&s, "tick.py", "box");
    let run_dir = run_dir(p.path(), &id);
    let mut killed = 0;
    let mut restarted = false;
    while killed < 5 {
        // The proxy's follow stream is an ssh running `devloop remote-follow`.
        let pids = follow_pids(&id);
        if let Some(pid) = pids.first() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            killed += 1;
            std::thread::sleep(Duration::from_millis(700));
        } else {
            assert!(
                !run_dir.join("exit.json").exists(),
                "the run ended after {killed} kills"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        if killed == 3 && !restarted {
            let port = s.port;
            s.kill();
            s = Server::start_on(p.path(), port);
            restarted = true;
        }
    }
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded", "{run}");
    let out = final_lines(&read_log(p.path(), &id), "stdout");
    assert_eq!(numbered(&out, "tick "), (1..=400).collect::<Vec<_>>());
    let sse = s.stream_all(&id, None);
    let total = read_log(p.path(), &id).len() as u64;
    assert_eq!(sse.seqs(), (1..=total).collect::<Vec<_>>());
}

/// Local `ssh … remote-follow …` processes of run `id`.
fn follow_pids(id: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd);
        if cmd.starts_with("ssh\0") && cmd.contains("remote-follow") && cmd.contains(id) {
            pids.push(pid);
        }
    }
    pids
}

/// Processes of the ssh user still running something of this project.
fn remote_leftovers(workdir: &Path) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-u", "devloop-remote", "-o", "pid=,args="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("tree.py") || l.contains(&*workdir.to_string_lossy()))
        .filter(|l| !l.contains("sshd"))
        .map(str::to_string)
        .collect()
}

#[test]
fn stop_ends_a_remote_tree_that_ignores_sigterm_and_exit_codes_come_back() {
    let p = ssh_project();
    workload_config(&p, "tree.py", "tree.py", &["--children", "3"], "");
    p.config("three.py", "print('failing'); raise SystemExit(3)\n");
    let s = Server::start(p.path());
    let id = launch_on(&s, "tree.py", "box");
    wait_for_output(p.path(), &id, "the tree to print", |l| l.len() > 20);
    assert!(
        !remote_leftovers(&remote_workdir(&p)).is_empty(),
        "the tree runs there"
    );
    let (code, _) = s.post(&format!("/api/runs/{id}/stop"), json!({}));
    assert_eq!(code, 200);
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "stopped", "{run}");
    let left = remote_leftovers(&remote_workdir(&p));
    assert!(left.is_empty(), "left on the target: {left:?}");

    let id = launch_on(&s, "three.py", "box");
    let run = s.wait_ended(&id);
    assert_eq!(
        (run["status"].as_str(), run["exit_code"].as_i64()),
        (Some("failed"), Some(3)),
        "{run}"
    );
}

#[test]
fn a_result_written_on_the_target_is_listed_here_and_opens_sample_by_sample() {
    let p = ssh_project();
    workload_config(&p, "eval.py", "events.py", &["--samples", "4"], "");
    let s = Server::start(p.path());
    let id = launch_on(&s, "eval.py", "box");
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded", "{run}");
    let result_dir = run["result_dir"]
        .as_str()
        .expect("the run announced its results")
        .to_string();
    let name = Path::new(&result_dir)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        p.path().join(&result_dir).join("report.json").exists(),
        "mirrored back"
    );
    let listed: Value = wait_for("the result in the list", || {
        let (_, list) = s.get("/api/results");
        list["results"]
            .as_array()?
            .iter()
            .find(|r| r["name"] == name.as_str())
            .cloned()
    });
    assert_eq!(listed["run_id"], id.as_str());
    let (code, page) = s.get(&format!(
        "/api/results/{}/samples",
        devloop::cli::segment(&name)
    ));
    assert_eq!(code, 200, "{page}");
    let samples = page["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 4);
    for sample in samples {
        let sid = sample["id"].as_str().unwrap();
        let (code, one) = s.get(&format!(
            "/api/results/{}/samples/{}",
            devloop::cli::segment(&name),
            devloop::cli::segment(sid)
        ));
        assert_eq!(code, 200, "{one}");
        assert_eq!(one["id"], sid);
        assert!(!one["messages"].as_array().unwrap().is_empty(), "{one}");
    }
    // The Samples view of the run works from the replicated event records:
    // every listed sample ended there.
    let log = read_log(p.path(), &id);
    let mut ended: Vec<&str> = log
        .iter()
        .filter(|r| r["type"] == "event" && r["event"]["type"] == "sample_end")
        .map(|r| r["event"]["sample_id"].as_str().unwrap())
        .collect();
    let mut listed: Vec<&str> = samples.iter().map(|x| x["id"].as_str().unwrap()).collect();
    ended.sort();
    listed.sort();
    assert_eq!(ended, listed);
}

#[test]
fn an_unknown_target_is_refused_and_targets_are_listed_with_what_they_are() {
    let p = ssh_project();
    p.config("x.py", "print(1)\n");
    let s = Server::start(p.path());
    let (code, body) = s.post(
        "/api/launch",
        json!({"configName": "x.py", "target": "nowhere"}),
    );
    assert_eq!(code, 400);
    assert!(
        body["error"].as_str().unwrap().contains("known: box"),
        "{body}"
    );
    let (code, list) = s.get("/api/targets");
    assert_eq!(code, 200);
    let t = &list["targets"][0];
    assert_eq!(t["name"], "box");
    assert_eq!(t["answers"], true, "{t}");
    assert!(t["arch"].as_str().unwrap().starts_with("Linux"), "{t}");
}

/// A project with a target `cluster` on the test Slurm: sbatch here, the
/// workdir a folder standing for the cluster's shared filesystem.
fn slurm_project() -> (Project, tempfile::TempDir) {
    target_env("slurm.sh");
    let shared = tempfile::Builder::new()
        .prefix("devloop-cluster-")
        .tempdir_in("/var/tmp")
        .unwrap();
    let p = Project::new(&format!(
        "[targets.cluster]\nslurm = [\"--partition=debug\", \"--cpus-per-task=1\"]\nworkdir = \"{}\"\n",
        shared.path().join("work").display()
    ));
    (p, shared)
}

fn sbatch(args: &[&str]) -> String {
    let out = Command::new("sbatch")
        .args(["--parsable", "--output=/dev/null"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn scancel(job: &str) {
    let _ = Command::new("scancel").arg(job).status();
}

#[test]
fn a_slurm_job_waits_pending_with_its_reason_then_runs_and_streams_exactly() {
    let (p, _shared) = slurm_project();
    p.config(
        "count.py",
        "import socket\nprint('on', socket.gethostname(), flush=True)\nfor i in range(1, 2001):\n    print('n', i)\n",
    );
    let s = Server::start(p.path());
    // Hold every CPU of the only node, so the run has to wait.
    let blocker = sbatch(&["--partition=debug", "--exclusive", "--wrap", "sleep 120"]);
    let id = launch_on(&s, "count.py", "cluster");
    let pending = wait_for("the run to be pending", || {
        let run = s.run(&id);
        (run["status"] == "pending" && run["remote"]["reason"].is_string()).then_some(run)
    });
    assert_eq!(pending["remote"]["reason"], "Resources", "{pending}");
    assert!(pending["remote"]["job_id"].is_string());
    scancel(&blocker);
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "succeeded", "{run}");
    let out = final_lines(&read_log(p.path(), &id), "stdout");
    assert_eq!(numbered(&out, "n "), (1..=2000).collect::<Vec<_>>());
    let sse = s.stream_all(&id, None);
    let total = read_log(p.path(), &id).len() as u64;
    assert_eq!(sse.seqs(), (1..=total).collect::<Vec<_>>());
}

#[test]
fn slurm_stop_cancels_the_job_and_exit_codes_and_outside_cancels_are_told() {
    let (p, _shared) = slurm_project();
    p.config(
        "stay.py",
        "import os, time\nopen('pid', 'w').write(str(os.getpid()))\nprint('ready', flush=True)\ntime.sleep(600)\n",
    );
    p.config("three.py", "print('failing'); raise SystemExit(3)\n");
    let s = Server::start(p.path());

    let id = launch_on(&s, "three.py", "cluster");
    let run = s.wait_ended(&id);
    assert_eq!(
        (run["status"].as_str(), run["exit_code"].as_i64()),
        (Some("failed"), Some(3)),
        "{run}"
    );

    let id = launch_on(&s, "stay.py", "cluster");
    wait_for_output(p.path(), &id, "the job to print", |l| {
        l.iter().any(|x| x == "ready")
    });
    let running = s.run(&id);
    let job = running["remote"]["job_id"].as_str().unwrap().to_string();
    let (code, _) = s.post(&format!("/api/runs/{id}/stop"), json!({}));
    assert_eq!(code, 200);
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "stopped", "{run}");
    let queue = Command::new("squeue")
        .args(["-h", "-j", &job])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&queue.stdout).trim().is_empty(),
        "job {job} still queued"
    );
    let workdir = _shared.path().join("work");
    let pid: i32 = std::fs::read_to_string(workdir.join("pid"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(!crate::helper::is_alive(pid), "the job's process is gone");

    // Cancelled from outside devloop: it ends, and the log says by whom.
    let id = launch_on(&s, "stay.py", "cluster");
    wait_for_output(p.path(), &id, "the job to print", |l| {
        l.iter().any(|x| x == "ready")
    });
    let running = s.run(&id);
    scancel(running["remote"]["job_id"].as_str().unwrap());
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "stopped", "{run}");
    let notes = final_lines(&read_log(p.path(), &id), "devloop");
    assert!(notes.iter().any(|n| n.contains("CANCELLED")), "{notes:?}");
}

#[test]
fn a_target_that_does_not_answer_fails_the_run_with_why_and_the_server_goes_on() {
    let p = Project::new("[targets.gone]\nssh = \"nobody@127.0.0.1:1\"\n");
    p.config("x.py", "print('here')\n");
    let s = Server::start(p.path());
    for _ in 0..3 {
        let id = launch_on(&s, "x.py", "gone");
        let run = s.wait_ended(&id);
        assert_eq!(run["status"], "failed", "{run}");
        let notes = final_lines(&read_log(p.path(), &id), "devloop");
        assert!(
            notes.iter().any(|n| n.contains("does not answer")),
            "{notes:?}"
        );
    }
    // The monitor still moves runs on.
    let id = launch_on(&s, "x.py", "local");
    assert_eq!(s.wait_ended(&id)["status"], "succeeded");
}
