//! Run lifecycle: stop reaches grandchildren, the queue, delete, and runs that
//! survive the server being killed.

use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::helper::{exists_as_zombie, is_alive, wait_for, Project, Server, Sse};

#[test]
fn stop_kills_grandchildren_that_ignore_sigterm_and_leaves_no_zombie() {
    let p = Project::new("");
    p.workload_config("tree.py", "tree.py", &["--children", "3"]);
    let s = Server::start(p.path());
    let id = s.launch("tree.py");
    let mut sse = Sse::open(&s.url, &id, None, None);
    let pids_line = sse.read_until(|v| v["text"].as_str().is_some_and(|t| t.starts_with("pids ")));
    let pids: Vec<i32> = pids_line["text"].as_str().unwrap()[5..]
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    sse.read_until(|v| v["text"].as_str().is_some_and(|t| t.contains("alive")));
    assert!(pids.iter().all(|&p| is_alive(p)));
    let (code, _) = s.post(&format!("/api/runs/{id}/stop"), serde_json::Value::Null);
    assert_eq!(code, 200);
    let complete = sse.read_until_complete();
    assert_eq!(complete["status"], "stopped");
    assert_eq!(
        complete["signal"], 9,
        "SIGTERM was ignored, so SIGKILL ended it"
    );
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "stopped");
    for pid in pids {
        assert!(!is_alive(pid), "grandchild {pid} survived the stop");
        assert!(!exists_as_zombie(pid), "grandchild {pid} is a zombie");
    }
}

#[test]
fn launches_beyond_max_concurrent_wait_in_order_and_a_stopped_queued_run_never_starts() {
    let p = Project::new("max_concurrent = 1\n");
    p.config(
        "wait.py",
        "import time, os\nwhile not os.path.exists('go'): time.sleep(0.02)\nprint('done')",
    );
    let s = Server::start(p.path());
    let a = s.launch("wait.py");
    let b = s.launch("wait.py");
    let c = s.launch("wait.py");
    assert_eq!(s.run(&a)["status"], "running");
    assert_eq!(s.run(&b)["status"], "queued");
    assert_eq!(s.run(&c)["status"], "queued");
    let (_, stopped) = s.post(&format!("/api/runs/{b}/stop"), serde_json::Value::Null);
    assert_eq!(stopped["status"], "stopped");
    std::fs::write(p.path().join("go"), "").unwrap();
    s.wait_ended(&a);
    let c_run = s.wait_ended(&c);
    assert_eq!(c_run["status"], "succeeded");
    let b_run = s.run(&b);
    assert_eq!(b_run["status"], "stopped");
    assert!(
        b_run["started_at"].is_null(),
        "a stopped queued run never starts"
    );
    // A queued run's stream ends at once with its status.
    let sse = s.stream_all(&b, None);
    assert!(sse.records().is_empty());
}

#[test]
fn delete_refuses_an_active_run_and_removes_a_finished_one() {
    let p = Project::new("");
    p.config("sleep.py", "import time; time.sleep(30)");
    p.config("quick.py", "print('hi')");
    let s = Server::start(p.path());
    let busy = s.launch("sleep.py");
    let (code, err) = s.delete(&format!("/api/runs/{busy}"));
    assert_eq!(code, 409);
    assert!(err["error"].as_str().unwrap().contains("stop it"), "{err}");
    let done = s.launch("quick.py");
    s.wait_ended(&done);
    let folder = p.path().join(".devloop/runs").join(&done);
    assert!(folder.exists());
    let (code, _) = s.delete(&format!("/api/runs/{done}"));
    assert_eq!(code, 200);
    assert!(!folder.exists());
    assert_eq!(s.get(&format!("/api/runs/{done}")).0, 404);
    s.post(&format!("/api/runs/{busy}/stop"), serde_json::Value::Null);
    s.wait_ended(&busy);
}

#[test]
fn a_run_survives_the_server_being_killed_and_keeps_every_line() {
    let p = Project::new("");
    p.workload_config("tick.py", "ticker.py", &["--rate", "100", "--count", "300"]);
    p.config(
        "short.py",
        "import time; time.sleep(0.5); print('finished while away'); raise SystemExit(4)",
    );
    let mut s = Server::start(p.path());
    let port = s.port;
    let id = s.launch("tick.py");
    let short = s.launch("short.py");
    let mut sse = Sse::open(&s.url, &id, None, None);
    sse.read_until(|v| {
        v["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("tick 20 "))
    });
    s.kill(); // SIGKILL
    let last_seen = sse.seqs().last().copied().unwrap_or(0);
    drop(sse);
    std::thread::sleep(Duration::from_millis(800));
    let s = Server::start_on(p.path(), port);
    assert_eq!(
        s.run(&id)["status"],
        "running",
        "the run kept going without the server"
    );
    let mut rest = Sse::open(&s.url, &id, None, Some(last_seen));
    rest.read_until_complete();
    assert_eq!(rest.seqs().first(), Some(&(last_seen + 1)));
    let all = s.stream_all(&id, None);
    let ticks = all.final_lines("stdout");
    assert_eq!(ticks.len(), 300, "every line once");
    assert!(ticks
        .iter()
        .enumerate()
        .all(|(i, t)| t.starts_with(&format!("tick {} ", i + 1))));
    let short_run = s.wait_ended(&short);
    assert_eq!(
        short_run["exit_code"], 4,
        "exit status recorded while the server was down"
    );
}

#[test]
fn a_supervisor_killed_with_sigkill_leaves_the_run_lost() {
    let p = Project::new("");
    p.config(
        "sleep.py",
        "import os, time; open('pid', 'w').write(str(os.getpid())); print('sleeping', flush=True); time.sleep(60)",
    );
    let s = Server::start(p.path());
    let id = s.launch("sleep.py");
    let run_dir = p.path().join(".devloop/runs").join(&id);
    let info_path = p
        .path()
        .join(".devloop/runs")
        .join(&id)
        .join("supervisor.json");
    let pid = wait_for("supervisor.json", || {
        let text = std::fs::read_to_string(&info_path).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?["pid"].as_i64()
    });
    let command_pid: i32 = wait_for("the command to start", || {
        std::fs::read_to_string(p.path().join("pid"))
            .ok()?
            .parse()
            .ok()
    });
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
    let run = s.wait_ended(&id);
    assert_eq!(run["status"], "lost");
    let sse = s.stream_all(&id, None);
    assert_eq!(sse.events.last().unwrap().1["status"], "lost");
    // Where the machine gave the run a cgroup, the server ends what the
    // lost supervisor can no longer end.
    if run_dir.join("cgroup").exists() {
        wait_for("the orphaned command to be ended", || {
            (!crate::helper::is_alive(command_pid)).then_some(())
        });
    } else {
        let _ = kill(Pid::from_raw(command_pid), Signal::SIGKILL);
    }
}

#[test]
fn a_command_that_cannot_start_fails_with_the_reason_in_its_log() {
    let p = Project::new("");
    std::fs::write(
        p.path().join("devloop.toml"),
        "[launch]\ncommand = [\"no-such-program-xyz\", \"{config}\"]\n",
    )
    .unwrap();
    p.config("x.py", "");
    let s = Server::start(p.path());
    let id = s.launch("x.py");
    let sse = s.stream_all(&id, None);
    assert_eq!(sse.events.last().unwrap().1["status"], "failed");
    let notes = sse.final_lines("devloop");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("could not start no-such-program-xyz")),
        "{notes:?}"
    );
}

#[test]
fn the_queue_survives_a_server_restart() {
    let p = Project::new("max_concurrent = 1\n");
    p.config(
        "wait.py",
        "import time, os\nwhile not os.path.exists('go'): time.sleep(0.02)\nprint('done')",
    );
    let mut s = Server::start(p.path());
    let port = s.port;
    let first = s.launch("wait.py");
    let queued = s.launch("wait.py");
    assert_eq!(s.run(&queued)["status"], "queued");
    s.kill();
    let s = Server::start_on(p.path(), port);
    assert_eq!(s.run(&queued)["status"], "queued");
    std::fs::write(p.path().join("go"), "").unwrap();
    assert_eq!(s.wait_ended(&first)["status"], "succeeded");
    assert_eq!(
        s.wait_ended(&queued)["status"],
        "succeeded",
        "the queued run started after the restart"
    );
}

#[test]
fn a_second_server_on_the_same_project_refuses_and_names_the_first() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let out = std::process::Command::new(crate::helper::bin())
        .args(["serve", "--port", "0", "--project"])
        .arg(p.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&s.url) && err.contains(&s.child.id().to_string()),
        "{err}"
    );
    // The first one is untouched.
    assert_eq!(s.get("/api/health").0, 200);
}

#[test]
fn a_run_folder_deleted_from_the_shell_leaves_the_list_and_its_processes_end() {
    let p = Project::new("");
    p.config(
        "sleep.py",
        "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(60)",
    );
    let s = Server::start(p.path());
    let id = s.launch("sleep.py");
    let pid: i32 = wait_for("the command to start", || {
        std::fs::read_to_string(p.path().join("pid"))
            .ok()?
            .parse()
            .ok()
    });
    std::fs::remove_dir_all(p.path().join(".devloop/runs").join(&id)).unwrap();
    wait_for("the run to leave the list", || {
        (s.get(&format!("/api/runs/{id}")).0 == 404).then_some(())
    });
    wait_for("its command to end", || {
        (!crate::helper::is_alive(pid)).then_some(())
    });
}

#[test]
fn a_launch_cut_short_leaves_no_folder_behind_after_a_restart() {
    let p = Project::new("");
    let half = p.path().join(".devloop/runs/20261129-000000-000-abcdef");
    std::fs::create_dir_all(&half).unwrap();
    std::fs::write(half.join("run.json.partial"), "{\"run_id\": \"2026").unwrap();
    let status = std::process::Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(half.join("run.json.partial"))
        .status()
        .unwrap();
    assert!(status.success());
    let s = Server::start(p.path());
    assert!(!half.exists(), "the half-made folder is gone");
    let (_, runs) = s.get("/api/runs");
    assert_eq!(runs["runs"].as_array().unwrap().len(), 0);
}
