//! `devloop supervise RUN_DIR`: the process that owns one run. Started detached
//! by the server (its own session), it starts the command in a new process
//! group, reads stdout and stderr as they come, writes numbered records to the
//! run's log, follows its events file, stops the whole group when asked
//! (SIGTERM to the supervisor), and records how the command ended. It keeps
//! going when the server stops or dies, so no output and no exit status is lost.

mod events;
mod lines;

pub use lines::{LineNumbers, LineSplitter, MAX_LINE, PARTIAL_DELAY};

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::log::{now_ms, LogWriter, OutputLine, Payload, Stream};
use crate::runs::folder::{ExitInfo, RunFolder, Spec, SupervisorInfo};
use events::{EventLine, EventTail};

/// How long output may keep coming after the command exited (from children
/// that inherited its pipes) before the rest of its group is killed.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
const EVENTS_EVERY: Duration = Duration::from_millis(20);
/// How long the supervisor waits at the end for killed children to be reaped.
const REAP_FOR: Duration = Duration::from_secs(2);
const RESULTS_MARKER: &str = "Results directory:";
const IDLE_WAKE: Duration = Duration::from_millis(100);

pub fn main(run_dir: &Path) -> anyhow::Result<i32> {
    let folder = RunFolder::new(run_dir.to_path_buf());
    let spec = folder.read_spec()?;
    let pid = std::process::id() as i32;
    let start_time = crate::procinfo::start_time(pid).context("reading own start time")?;
    folder.write_supervisor(&SupervisorInfo {
        pid,
        start_time,
        started_at: now_ms(),
    })?;
    // Orphaned grandchildren are re-parented to us, so we can reap them and
    // none stays a zombie.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };

    let mut log = LogWriter::open(&folder.log_path())?;
    let mut nums = LineNumbers::default();
    let exit = match spawn(&spec) {
        Ok(child) => Supervision::new(child, &spec, &folder).run(&mut log, &mut nums)?,
        Err(e) => {
            let message = format!("could not start {}: {e:#}", display_command(&spec.argv));
            log.note(nums.take(), message.clone());
            ExitInfo {
                ended_at: now_ms(),
                spawn_error: Some(message),
                ..Default::default()
            }
        }
    };
    log.note(nums.take(), describe_exit(&exit));
    // A full disk must not keep the exit status from being recorded.
    if let Err(e) = log.sync() {
        eprintln!("devloop supervisor: writing log: {e}");
    }
    folder.write_exit(&exit)?;
    Ok(0)
}

struct Child {
    pid: Pid,
    stdout: OwnedFd,
    /// `None` when stderr shares stdout's pipe.
    stderr: Option<OwnedFd>,
}

fn spawn(spec: &Spec) -> anyhow::Result<Child> {
    let (program, args) = spec.argv.split_first().context("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0);
    // Two pipes keep the streams apart but cannot say which of two writes
    // made microseconds apart came first; one shared pipe keeps the exact
    // order, with everything marked stdout.
    let merged = if spec.merge_stderr {
        let (reader, writer) = std::io::pipe().context("creating a pipe")?;
        cmd.stdout(writer.try_clone()?).stderr(writer);
        Some(reader)
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        None
    };
    let mut child = cmd.spawn().map_err(anyhow::Error::from)?;
    // Our copies of the write ends must close, or the pipe never reports EOF.
    drop(cmd);
    let pid = Pid::from_raw(child.id() as i32);
    let (stdout, stderr): (OwnedFd, Option<OwnedFd>) = match merged {
        Some(reader) => (reader.into(), None),
        None => (
            child.stdout.take().context("stdout pipe")?.into(),
            Some(child.stderr.take().context("stderr pipe")?.into()),
        ),
    };
    Ok(Child {
        pid,
        stdout,
        stderr,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventSource {
    Devloop,
    Results,
}

struct Supervision {
    child: Child,
    argv: Vec<String>,
    cwd: std::path::PathBuf,
    folder: RunFolder,
    result_dir_found: bool,
    grace: Duration,
    events: EventTail,
    /// `events.jsonl` of the results folder the run announced (rollouts
    /// writes its events there and knows nothing of `$DEVLOOP_EVENTS`).
    result_events: Option<EventTail>,
    /// Which of the two sources gave events first; the other is then ignored,
    /// so a run that writes both is not shown twice.
    event_source: Option<EventSource>,
    signals: std::os::unix::net::UnixStream,
}

impl Supervision {
    fn new(child: Child, spec: &Spec, folder: &RunFolder) -> Self {
        let (read, write) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        read.set_nonblocking(true).ok();
        write.set_nonblocking(true).ok();
        for sig in [
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::low_level::pipe::register(sig, write.try_clone().expect("dup"))
                .expect("signal pipe");
        }
        Supervision {
            child,
            argv: spec.argv.clone(),
            cwd: spec.cwd.clone(),
            folder: folder.clone(),
            result_dir_found: false,
            grace: Duration::from_secs(spec.stop_grace_secs),
            events: EventTail::new(folder.events_path()),
            result_events: None,
            event_source: None,
            signals: read,
        }
    }

    fn run(mut self, log: &mut LogWriter, nums: &mut LineNumbers) -> anyhow::Result<ExitInfo> {
        let mut out = LineSplitter::new(Stream::Stdout);
        let mut err = LineSplitter::new(Stream::Stderr);
        let (mut out_open, mut err_open) = (true, self.child.stderr.is_some());
        let mut lines: Vec<OutputLine> = Vec::new();
        let mut events: Vec<EventLine> = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut status: Option<WaitStatus> = None;
        let mut exited_at: Option<Instant> = None;
        let mut stop_requested = false;
        let mut kill_at: Option<Instant> = None;
        let mut last_events = Instant::now();
        let mut write_error_reported = false;

        log.note(nums.take(), format!("$ {}", display_command(&self.argv)));
        loop {
            let now = Instant::now();
            let mut wake = now + IDLE_WAKE;
            for s in [&mut out, &mut err] {
                if let Some(at) = s.tick(now, nums, &mut lines) {
                    wake = wake.min(at);
                }
            }
            if let Some(at) = kill_at {
                if now >= at {
                    let _ = killpg(self.child.pid, Signal::SIGKILL);
                    kill_at = None;
                } else {
                    wake = wake.min(at);
                }
            }
            if now >= last_events + EVENTS_EVERY {
                self.poll_events(false, &mut events);
                last_events = now;
                push_events(log, nums, &mut events);
            }
            wake = wake.min(last_events + EVENTS_EVERY);
            log.push_lines(&mut lines);
            match log.flush() {
                Err(e) if !write_error_reported => {
                    eprintln!("devloop supervisor: writing log: {e}");
                    write_error_reported = true;
                }
                Err(_) => {}
                Ok(()) => {
                    write_error_reported = false;
                    let dropped = log.take_dropped();
                    if dropped > 0 {
                        log.note(nums.take(), format!("warning: {dropped} records were lost: the log could not be written (disk full?)"));
                    }
                }
            }

            self.reap(&mut status);
            if status.is_some() && exited_at.is_none() {
                exited_at = Some(now);
            }
            let drained = !out_open && !err_open;
            if let Some(at) = exited_at {
                if drained || now >= at + DRAIN_AFTER_EXIT * 2 {
                    break;
                }
                if now >= at + DRAIN_AFTER_EXIT {
                    // Something in the group still holds the pipes open.
                    let _ = killpg(self.child.pid, Signal::SIGKILL);
                }
                wake = wake.min(at + DRAIN_AFTER_EXIT);
            }

            let timeout = wake.saturating_duration_since(Instant::now());
            let mut fds = vec![PollFd::new(self.signals.as_fd(), PollFlags::POLLIN)];
            if out_open {
                fds.push(PollFd::new(self.child.stdout.as_fd(), PollFlags::POLLIN));
            }
            if let (true, Some(fd)) = (err_open, &self.child.stderr) {
                fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
            }
            let ms = timeout.as_millis().min(1000) as u16;
            match nix::poll::poll(&mut fds, PollTimeout::from(ms.max(1))) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e).context("poll"),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            let mut idx = 1;
            let now = Instant::now();
            if ready[0] && self.drain_signals() && !stop_requested {
                stop_requested = true;
                log.note(
                    nums.take(),
                    format!(
                        "stop requested: SIGTERM to the process group, SIGKILL after {}s",
                        self.grace.as_secs()
                    ),
                );
                let _ = killpg(self.child.pid, Signal::SIGTERM);
                kill_at = Some(now + self.grace);
            }
            if out_open {
                if ready[idx] {
                    out_open = read_into(
                        self.child.stdout.as_fd(),
                        &mut buf,
                        &mut out,
                        now,
                        nums,
                        &mut lines,
                    );
                }
                idx += 1;
            }
            if let (true, Some(fd)) = (err_open && ready[idx], &self.child.stderr) {
                err_open = read_into(fd.as_fd(), &mut buf, &mut err, now, nums, &mut lines);
            }
            self.find_result_dir(&lines);
            log.push_lines(&mut lines);
        }

        out.finish(nums, &mut lines);
        err.finish(nums, &mut lines);
        log.push_lines(&mut lines);
        self.poll_events(true, &mut events);
        push_events(log, nums, &mut events);
        // Whatever is left of the group goes now, and every child is reaped:
        // a killed process is a zombie until its parent (us, the subreaper,
        // for orphaned grandchildren) waits for it.
        let _ = killpg(self.child.pid, Signal::SIGKILL);
        self.reap_all(&mut status, REAP_FOR);

        let mut exit = ExitInfo {
            ended_at: now_ms(),
            stopped: stop_requested,
            ..Default::default()
        };
        match status {
            Some(WaitStatus::Exited(_, code)) => exit.exit_code = Some(code),
            Some(WaitStatus::Signaled(_, sig, _)) => exit.signal = Some(sig as i32),
            _ => {}
        }
        Ok(exit)
    }

    /// Remembers the results folder the run announces (rollouts prints
    /// `Results directory: PATH`), relative to the project when inside it.
    fn find_result_dir(&mut self, lines: &[OutputLine]) {
        if self.result_dir_found {
            return;
        }
        for line in lines.iter().filter(|l| !l.partial) {
            let Some(pos) = line.text.find(RESULTS_MARKER) else {
                continue;
            };
            let path =
                strip_ansi_escapes::strip_str(line.text[pos + RESULTS_MARKER.len()..].trim());
            let path = std::path::Path::new(path.trim());
            let rel = path.strip_prefix(&self.cwd).unwrap_or(path);
            self.result_events = Some(EventTail::new(self.cwd.join(rel).join("events.jsonl")));
            if let Err(e) = self.folder.write_result_dir(&rel.to_string_lossy()) {
                eprintln!("devloop supervisor: recording results folder: {e:#}");
            }
            self.result_dir_found = true;
            return;
        }
    }

    fn poll_events(&mut self, last: bool, out: &mut Vec<EventLine>) {
        if self.event_source != Some(EventSource::Results) {
            self.events.poll(last, out);
            if !out.is_empty() {
                self.event_source = Some(EventSource::Devloop);
                return;
            }
        }
        if self.event_source != Some(EventSource::Devloop) {
            if let Some(tail) = self.result_events.as_mut() {
                tail.poll(last, out);
                if !out.is_empty() {
                    self.event_source = Some(EventSource::Results);
                }
            }
        }
    }

    /// Reaps until no child is left, or `limit` has passed (a process that
    /// left the group with setsid may still be running).
    fn reap_all(&self, status: &mut Option<WaitStatus>, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Err(nix::errno::Errno::ECHILD) => return,
                Ok(WaitStatus::StillAlive) => {
                    if Instant::now() >= deadline {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(ws) => {
                    if ws.pid() == Some(self.child.pid) {
                        *status = Some(ws);
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Reaps every exited child; remembers the command's own status.
    fn reap(&self, status: &mut Option<WaitStatus>) {
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(ws) => {
                    if ws.pid() == Some(self.child.pid) {
                        *status = Some(ws);
                    }
                }
            }
        }
    }

    /// True if a stop signal arrived.
    fn drain_signals(&mut self) -> bool {
        let mut got = false;
        let mut b = [0u8; 64];
        while let Ok(n) = self.signals.read(&mut b) {
            if n == 0 {
                break;
            }
            got = true;
        }
        got
    }
}

fn push_events(log: &mut LogWriter, nums: &mut LineNumbers, events: &mut Vec<EventLine>) {
    for e in events.drain(..) {
        match e {
            EventLine::Event(event) => log.push(Payload::Event { event }),
            EventLine::Malformed { line, error } => log.note(
                nums.take(),
                format!("warning: events line {line} ignored: {error}"),
            ),
        }
    }
}

/// Reads what the pipe has now; false once it is closed.
fn read_into(
    fd: BorrowedFd,
    buf: &mut [u8],
    splitter: &mut LineSplitter,
    now: Instant,
    nums: &mut LineNumbers,
    lines: &mut Vec<OutputLine>,
) -> bool {
    match nix::unistd::read(fd.as_raw_fd(), buf) {
        Ok(0) => false,
        Ok(n) => {
            splitter.feed(&buf[..n], now, nums, lines);
            true
        }
        Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => true,
        Err(_) => false,
    }
}

fn describe_exit(exit: &ExitInfo) -> String {
    let how = match (exit.exit_code, exit.signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => {
            let name = Signal::try_from(sig).map(|s| s.as_str()).unwrap_or("?");
            format!("killed by signal {sig} ({name})")
        }
        _ => "did not start".to_string(),
    };
    if exit.stopped {
        format!("{how} (stopped)")
    } else {
        how
    }
}

/// The command as a user would type it, for display only (it never runs through a shell).
pub fn display_command(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
