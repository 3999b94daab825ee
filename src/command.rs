//! Running a helper command to its end within a time limit: a validator, an
//! rsync or ssh call of the proxy, a notify script, a target check. One way
//! for all of them: stdin from /dev/null, both pipes read to the end (a
//! chatty command never blocks on a full pipe), its own process group, and
//! the whole group killed when the limit passes.

use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

#[derive(Debug)]
pub enum RunError {
    /// It could not be started (not found, not executable).
    Start(std::io::Error),
    /// It ran longer than the limit and was killed.
    TimedOut(Duration),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Start(e) => write!(f, "could not start: {e}"),
            RunError::TimedOut(d) => write!(f, "took longer than {}s and was killed", d.as_secs()),
        }
    }
}

/// Runs `cmd` to its end (at most `limit`) and returns what it printed and
/// how it ended.
pub fn run(cmd: &mut Command, limit: Duration) -> Result<Output, RunError> {
    let running = Running::start(cmd)?;
    match running.wait(limit) {
        Some(out) => out.map_err(RunError::Start),
        None => {
            running.kill();
            Err(RunError::TimedOut(limit))
        }
    }
}

/// A command started and being read to its end on a thread of its own, for
/// callers that wait in steps.
pub struct Running {
    pid: nix::unistd::Pid,
    done: std::sync::mpsc::Receiver<std::io::Result<Output>>,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Result<Running, RunError> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(RunError::Start)?;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let (tx, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        Ok(Running { pid, done })
    }

    /// What it printed and how it ended, if it ends within `within`; `None`
    /// while it still runs.
    pub fn wait(&self, within: Duration) -> Option<std::io::Result<Output>> {
        self.done.recv_timeout(within).ok()
    }

    /// Kills its whole process group.
    pub fn kill(&self) {
        let _ = nix::sys::signal::killpg(self.pid, nix::sys::signal::Signal::SIGKILL);
    }
}

/// The last line a failed command wrote to stderr, to say why in one line.
pub fn last_error_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_beyond_a_pipe_buffer_and_a_time_limit_are_handled() {
        let out = run(
            Command::new("sh").args(["-c", "head -c 300000 /dev/zero >&2; echo done"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(out.stderr.len(), 300_000);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "done\n");
        let slow = run(
            Command::new("sh").args(["-c", "sleep 30 & sleep 30"]),
            Duration::from_millis(300),
        );
        assert!(matches!(slow, Err(RunError::TimedOut(_))));
        assert!(matches!(
            run(
                &mut Command::new("no-such-program-xyz"),
                Duration::from_secs(1)
            ),
            Err(RunError::Start(_))
        ));
    }
}
