//! The command line client against a real server.

use std::process::Command;

use crate::helper::{bin, Project, Server};

fn cli(s: &Server, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .env("DEVLOOP_URL", &s.url)
        .output()
        .unwrap()
}

#[test]
fn launch_follow_prints_the_output_and_exits_with_the_runs_code() {
    let p = Project::new("");
    p.config(
        "fail.py",
        "print('\\x1b[31mred\\x1b[0m line'); import sys; sys.exit(7)",
    );
    let s = Server::start(p.path());
    let out = cli(&s, &["launch", "fail.py", "--follow"]);
    assert_eq!(out.status.code(), Some(7));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("red line"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour codes when not a terminal"
    );

    let out = cli(&s, &["runs"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("fail.py") && table.contains("failed"),
        "{table}"
    );
}

#[test]
fn logs_and_stop_work_on_a_running_run() {
    let p = Project::new("");
    p.config(
        "slow.py",
        "import time\nfor i in range(600):\n    print(f'step {i}', flush=True); time.sleep(0.1)",
    );
    let s = Server::start(p.path());
    let id = s.launch("slow.py");
    let follower = {
        let url = s.url.clone();
        let id = id.clone();
        std::thread::spawn(move || {
            Command::new(bin())
                .args(["logs", "-f", &id])
                .env("DEVLOOP_URL", url)
                .output()
                .unwrap()
        })
    };
    s.wait_status(&id, |st| st == "running");
    crate::helper::chaos::wait_for_output(p.path(), &id, "some output", |l| {
        l.iter().any(|x| x == "step 2")
    });
    let out = cli(&s, &["stop", &id]);
    assert!(out.status.success());
    let followed = follower.join().unwrap();
    assert_eq!(followed.status.code(), Some(128 + 15), "killed by SIGTERM");
    assert!(String::from_utf8_lossy(&followed.stdout).contains("step 0"));
    let logs = cli(&s, &["logs", &id]);
    assert!(String::from_utf8_lossy(&logs.stdout).contains("step 1"));
    let bad = cli(&s, &["stop", "no-such-run"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no run"));
}
