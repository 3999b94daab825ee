//! What runs on the target, called by the proxy over ssh (or directly, for a
//! Slurm cluster's shared filesystem): start a supervisor detached, follow a
//! run's log after a seq, and ask a supervisor to stop. Hidden subcommands of
//! the same binary, so the target needs nothing but the binary itself.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;

use crate::log::{Cursor, LogIndex};
use crate::runs::folder::RunFolder;

/// The last line `follow` prints once the run has ended and every record
/// was sent: `{"devloop_exit": EXIT}` (records always start with `{"seq"`).
pub const EXIT_KEY: &str = "devloop_exit";

/// `devloop remote-start RUN_DIR`: starts `devloop supervise RUN_DIR` in a
/// session of its own, detached from the ssh connection, and prints its pid.
pub fn start(run_dir: &Path) -> anyhow::Result<i32> {
    let exe = std::env::current_exe().context("finding the devloop executable")?;
    let errors = std::fs::File::create(run_dir.join("supervisor.log"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("supervise")
        .arg(run_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(errors);
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()?;
            Ok(())
        });
    }
    let child = cmd.spawn().context("starting the supervisor")?;
    println!("{}", child.id());
    Ok(0)
}

/// `devloop remote-follow RUN_DIR --after SEQ`: prints the raw records after
/// `SEQ` as they are written, then, once the run has ended, its exit record
/// as the last line. Ends when the reader goes away.
pub fn follow(run_dir: &Path, after: u64) -> anyhow::Result<i32> {
    let folder = RunFolder::new(run_dir.to_path_buf());
    let index = Mutex::new(LogIndex::default());
    let mut cursor = Cursor::after(&folder.log_path(), &index, after)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut idle = Duration::from_millis(2);
    let mut ended = false;
    loop {
        let mut wrote = false;
        let mut failed = None;
        cursor.read(1 << 20, |_, raw| {
            wrote = true;
            if let Err(e) = out.write_all(raw).and_then(|_| out.write_all(b"\n")) {
                failed = Some(e);
                return false;
            }
            true
        })?;
        if let Some(e) = failed {
            // The reader went away (the connection dropped): nothing to do.
            let _ = e;
            return Ok(0);
        }
        if wrote {
            if out.flush().is_err() {
                return Ok(0);
            }
            idle = Duration::from_millis(2);
            continue;
        }
        if ended {
            let exit = folder.read_exit().unwrap_or_default();
            let line = serde_json::json!({ EXIT_KEY: exit });
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            return Ok(0);
        }
        if folder.has_exit() {
            // exit.json is written after the last record: read once more.
            ended = true;
            continue;
        }
        std::thread::sleep(idle);
        idle = (idle * 2).min(Duration::from_millis(20));
    }
}

/// `devloop remote-signal RUN_DIR`: SIGTERM to the run's supervisor, which
/// stops everything the run started. Nothing to do if it already ended.
pub fn signal(run_dir: &Path) -> anyhow::Result<i32> {
    let folder = RunFolder::new(run_dir.to_path_buf());
    if folder.has_exit() {
        return Ok(0);
    }
    let sup = folder
        .read_supervisor()
        .context("the run's supervisor has not started yet")?;
    if crate::procinfo::is_same_process(sup.pid, sup.start_time) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(sup.pid),
            nix::sys::signal::Signal::SIGTERM,
        )?;
    }
    Ok(0)
}
