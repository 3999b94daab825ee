//! `devloop supervise RUN_DIR`: the process that owns one run. Started detached
//! by the server (its own session), it starts the command in a new process
//! group, reads stdout and stderr as they come, writes numbered records to the
//! run's log, follows its events file, stops the whole group when asked
//! (SIGTERM to the supervisor), and records how the command ended. It keeps
//! going when the server stops or dies, so no output and no exit status is lost.

mod events;
mod lines;
mod metrics;
pub mod notify;
mod tree;

pub use lines::{LineNumbers, LineSplitter, MAX_LINE, PARTIAL_DELAY};
use metrics::Sampler;
pub use metrics::Totals;
pub use tree::{kill_cgroup, remove_cgroup};

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::log::{now_ms, LogWriter, OutputLine, Payload, Stream};
use crate::runs::folder::{ExitInfo, RunFolder, Spec, SupervisorInfo};
use events::{EventLine, EventTail};
use tree::{Cgroup, RunTree};

/// How long output may keep coming after the command exited (from children
/// that inherited its pipes) before the rest of its group is killed.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
const EVENTS_EVERY: Duration = Duration::from_millis(20);
/// How long the supervisor waits at the end for killed children to be reaped.
const REAP_FOR: Duration = Duration::from_secs(2);
const RESULTS_MARKER: &str = "Results directory:";
const IDLE_WAKE: Duration = Duration::from_millis(100);
const METRICS_EVERY: Duration = Duration::from_secs(1);

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

    if let Some(target) = &spec.target {
        let exit = crate::targets::proxy::run(&folder, &spec, target)?;
        let name = run_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let notify =
            notify::start_command(&spec.notify, &exit, &name, &config_name(&folder), run_dir);
        let later = settle_notify(notify, |e| eprintln!("devloop proxy: {e}"));
        folder.write_exit(&exit)?;
        if let Some(Err(e)) = later.map(notify::Pending::finish) {
            eprintln!("devloop proxy: {e}");
        }
        return Ok(0);
    }
    let mut log = LogWriter::open(&folder.log_path())?;
    let mut nums = LineNumbers::default();
    for note in &spec.notes {
        log.note(nums.take(), note.clone());
    }
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cgroup = if spec.keep_daemons {
        None
    } else {
        Cgroup::create(&format!("devloop-{name}"))
    };
    if let Some(cg) = &cgroup {
        // So the server can end the run's processes if we die.
        let _ = std::fs::write(
            folder.cgroup_path(),
            cg.dir().as_os_str().as_encoded_bytes(),
        );
    }
    let exit = match spawn(&spec, cgroup) {
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
    let notify = notify::start_command(&spec.notify, &exit, &name, &config_name(&folder), run_dir);
    let later = settle_notify(notify, |e| log.note(nums.take(), e));
    // A full disk must not keep the exit status from being recorded.
    if let Err(e) = log.sync() {
        eprintln!("devloop supervisor: writing log: {e}");
    }
    folder.write_exit(&exit)?;
    // A slow notify command is waited for after the run is marked ended; how
    // it went still goes in the log (seen on reopening the run).
    if let Some(Err(e)) = later.map(notify::Pending::finish) {
        log.note(nums.take(), e);
        let _ = log.sync();
    }
    Ok(0)
}

/// How long the end of a run waits for its notify command before it is
/// marked ended anyway: long enough for a webhook to answer (and a failure
/// to be in the log when viewers get `complete`), short enough that the run
/// never looks like it is still running.
const NOTIFY_GRACE: Duration = Duration::from_secs(2);

/// Waits up to [`NOTIFY_GRACE`] for a started notify command; a failure in
/// that time goes to `note`. Returns the command if it still runs.
fn settle_notify(
    started: Option<Result<notify::Pending, String>>,
    mut note: impl FnMut(String),
) -> Option<notify::Pending> {
    match started? {
        Err(e) => {
            note(e);
            None
        }
        Ok(p) => match p.wait(NOTIFY_GRACE) {
            Some(Err(e)) => {
                note(e);
                None
            }
            Some(Ok(())) => None,
            None => Some(p),
        },
    }
}

struct Child {
    pid: Pid,
    stdout: OwnedFd,
    /// `None` when stderr shares stdout's pipe.
    stderr: Option<OwnedFd>,
    cgroup: Option<Cgroup>,
}

fn spawn(spec: &Spec, cgroup: Option<Cgroup>) -> anyhow::Result<Child> {
    let (program, args) = spec.argv.split_first().context("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0);
    if let Some(fd) = cgroup.as_ref().map(Cgroup::procs_fd) {
        // SAFETY: only write(2), which is async-signal-safe, runs between
        // fork and exec; the child joins the cgroup before it runs anything.
        unsafe {
            cmd.pre_exec(move || {
                let _ = libc::write(fd, b"0".as_ptr().cast(), 1);
                Ok(())
            });
        }
    }
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
    for fd in std::iter::once(&stdout).chain(stderr.as_ref()) {
        widen_pipe(fd);
    }
    Ok(Child {
        pid,
        stdout,
        stderr,
        cgroup,
    })
}

/// Bytes a command may write ahead of us. The default 64 KiB makes a fast
/// writer and this loop take turns (it blocks while we format a read); a
/// roomier pipe lets both run at once. Where the system allows less, the
/// default stays.
const PIPE_BYTES: i32 = 1 << 20;

fn widen_pipe(fd: &OwnedFd) {
    let _ = nix::fcntl::fcntl(
        fd.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_BYTES),
    );
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventSource {
    Devloop,
    Results,
}

/// Where the run's structured events come from: `$DEVLOOP_EVENTS`, or the
/// `events.jsonl` of the results folder it announced (rollouts writes its
/// events there and knows nothing of `$DEVLOOP_EVENTS`). Whichever gives
/// events first is followed; the other is then ignored, so a run that writes
/// both is not shown twice.
struct Events {
    own: EventTail,
    results: Option<EventTail>,
    source: Option<EventSource>,
    buf: Vec<EventLine>,
}

impl Events {
    fn poll(&mut self, last: bool) {
        if self.source != Some(EventSource::Results) {
            self.own.poll(last, &mut self.buf);
            if !self.buf.is_empty() {
                self.source = Some(EventSource::Devloop);
                return;
            }
        }
        if self.source != Some(EventSource::Devloop) {
            if let Some(tail) = self.results.as_mut() {
                tail.poll(last, &mut self.buf);
                if !self.buf.is_empty() {
                    self.source = Some(EventSource::Results);
                }
            }
        }
    }
}

/// How the run is being brought to an end, once it is.
#[derive(Clone, Copy)]
enum Ending {
    /// The user asked to stop: SIGTERM went to everything at `since`.
    Stopping { kill_at: Instant },
    /// The command exited; what it left running gets SIGTERM, then SIGKILL.
    Exited {
        at: Instant,
        kill_at: Option<Instant>,
    },
}

/// One output pipe of the command and what has been read of it.
struct Pipe {
    fd: OwnedFd,
    lines: LineSplitter,
    open: bool,
}

struct Supervision {
    tree: RunTree,
    argv: Vec<String>,
    cwd: std::path::PathBuf,
    folder: RunFolder,
    result_dir_found: bool,
    grace: Duration,
    keep_daemons: bool,
    events: Events,
    signals: std::os::unix::net::UnixStream,
    stdout: Pipe,
    stderr: Option<Pipe>,
    /// Lines read and not yet written to the log.
    lines: Vec<OutputLine>,
    buf: Vec<u8>,
    /// The command's own exit status, once reaped.
    status: Option<WaitStatus>,
    stop_requested: bool,
    ending: Option<Ending>,
    last_events: Instant,
    write_error_reported: bool,
    sampler: Sampler,
    last_sample: Instant,
    alerts: notify::Watcher,
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
        let tree = RunTree::new(child.pid, child.cgroup);
        let sampler = Sampler::new(tree.cgroup_dir());
        Supervision {
            tree,
            argv: spec.argv.clone(),
            cwd: spec.cwd.clone(),
            folder: folder.clone(),
            result_dir_found: false,
            grace: Duration::from_secs(spec.stop_grace_secs),
            keep_daemons: spec.keep_daemons,
            events: Events {
                own: EventTail::new(folder.events_path()),
                results: None,
                source: None,
                buf: Vec::new(),
            },
            signals: read,
            stdout: Pipe {
                fd: child.stdout,
                lines: LineSplitter::new(Stream::Stdout),
                open: true,
            },
            stderr: child.stderr.map(|fd| Pipe {
                fd,
                lines: LineSplitter::new(Stream::Stderr),
                open: true,
            }),
            lines: Vec::new(),
            buf: vec![0u8; 256 * 1024],
            status: None,
            stop_requested: false,
            ending: None,
            last_events: Instant::now(),
            write_error_reported: false,
            sampler,
            alerts: notify::Watcher::new(&spec.notify, &folder.dir),
            last_sample: Instant::now() - METRICS_EVERY,
        }
    }

    /// The supervision loop, as named steps: show partial lines that waited
    /// long enough, follow the events file, write what was read, notice the
    /// command's exit and bring the rest of the run to an end, then wait for
    /// output or a signal and read it.
    fn run(mut self, log: &mut LogWriter, nums: &mut LineNumbers) -> anyhow::Result<ExitInfo> {
        log.note(nums.take(), format!("$ {}", display_command(&self.argv)));
        loop {
            let now = Instant::now();
            let mut wake = now + IDLE_WAKE;
            // A stop that arrived with the command's end (Slurm's scancel
            // signals both at once) is still a stop.
            if self.drain_signals() {
                self.stop(now, log, nums);
            }
            self.show_partial_lines(now, nums, &mut wake);
            self.follow_events(now, log, nums, &mut wake);
            self.sample_metrics(now, log, &mut wake);
            self.write(log, nums);
            self.reap();
            if self.end_step(now, log, nums, &mut wake) {
                break;
            }
            let ready = self.wait(wake)?;
            let now = Instant::now();
            if ready.signal && self.drain_signals() {
                self.stop(now, log, nums);
            }
            self.read_output(&ready, now, nums);
            self.find_result_dir();
            self.alerts.check(&self.lines);
            self.write(log, nums);
        }
        self.finish(log, nums)
    }

    fn pipes(&mut self) -> impl Iterator<Item = &mut Pipe> {
        std::iter::once(&mut self.stdout).chain(self.stderr.as_mut())
    }

    fn show_partial_lines(&mut self, now: Instant, nums: &mut LineNumbers, wake: &mut Instant) {
        let mut lines = std::mem::take(&mut self.lines);
        for pipe in self.pipes() {
            if let Some(at) = pipe.lines.tick(now, nums, &mut lines) {
                *wake = (*wake).min(at);
            }
        }
        self.lines = lines;
    }

    fn follow_events(
        &mut self,
        now: Instant,
        log: &mut LogWriter,
        nums: &mut LineNumbers,
        wake: &mut Instant,
    ) {
        if now >= self.last_events + EVENTS_EVERY {
            self.events.poll(false);
            self.last_events = now;
            push_events(log, nums, &mut self.events.buf);
        }
        *wake = (*wake).min(self.last_events + EVENTS_EVERY);
    }

    /// Once a second: what the run's process tree uses, as a record of the
    /// log, and the totals so far in `metrics.json` (read by the server).
    fn sample_metrics(&mut self, now: Instant, log: &mut LogWriter, wake: &mut Instant) {
        if now >= self.last_sample + METRICS_EVERY {
            self.last_sample = now;
            let pids = self.tree.members_to_sample();
            if !pids.is_empty() {
                let m = self.sampler.sample(&pids);
                log.push(Payload::Metrics(m));
                let _ = crate::fsutil::write_json_unsynced(
                    &self.folder.metrics_path(),
                    &self.sampler.totals,
                );
            }
        }
        *wake = (*wake).min(self.last_sample + METRICS_EVERY);
    }

    /// Appends what was read to the log. A write error (a full disk) is said
    /// once; the records lost meanwhile are counted in the log once it can
    /// be written again.
    fn write(&mut self, log: &mut LogWriter, nums: &mut LineNumbers) {
        log.push_lines(&mut self.lines);
        match log.flush() {
            Err(e) if !self.write_error_reported => {
                eprintln!("devloop supervisor: writing log: {e}");
                self.write_error_reported = true;
            }
            Err(_) => {}
            Ok(()) => {
                self.write_error_reported = false;
                let dropped = log.take_dropped();
                if dropped > 0 {
                    log.note(
                        nums.take(),
                        format!("warning: {dropped} records were lost: the log could not be written (disk full?)"),
                    );
                }
            }
        }
    }

    /// A user's stop: SIGTERM to everything the run started, SIGKILL after
    /// the grace period.
    fn stop(&mut self, now: Instant, log: &mut LogWriter, nums: &mut LineNumbers) {
        if self.stop_requested {
            return;
        }
        self.stop_requested = true;
        log.note(
            nums.take(),
            format!(
                "stop requested: SIGTERM to every process of the run, SIGKILL after {}s",
                self.grace.as_secs()
            ),
        );
        self.tree.signal(Signal::SIGTERM);
        self.ending = Some(Ending::Stopping {
            kill_at: now + self.grace,
        });
    }

    /// Moves the end of the run along; true once the loop may stop.
    ///
    /// After the command exits, output may still come for a moment from
    /// processes that inherited its pipes. Then whatever it left running
    /// (unless `keep_daemons`) gets SIGTERM and, after the grace period,
    /// SIGKILL, while the pipes are still read, so what those processes
    /// write before they die is kept.
    fn end_step(
        &mut self,
        now: Instant,
        log: &mut LogWriter,
        nums: &mut LineNumbers,
        wake: &mut Instant,
    ) -> bool {
        let drained = !self.pipes().any(|p| p.open);
        if self.status.is_some() && !matches!(self.ending, Some(Ending::Exited { .. })) {
            let kill_at = match self.ending {
                Some(Ending::Stopping { kill_at }) => Some(kill_at),
                _ => None,
            };
            self.ending = Some(Ending::Exited { at: now, kill_at });
        }
        match self.ending {
            None => false,
            Some(Ending::Stopping { kill_at }) => {
                if now >= kill_at {
                    self.tree.kill_all(Duration::from_millis(200));
                } else {
                    *wake = (*wake).min(kill_at);
                }
                false
            }
            Some(Ending::Exited { at, kill_at }) => {
                let left = if self.keep_daemons {
                    0
                } else {
                    self.tree.members_to_sample().len()
                };
                if left == 0 && (drained || now >= at + DRAIN_AFTER_EXIT) {
                    return true;
                }
                match kill_at {
                    None if now >= at + DRAIN_AFTER_EXIT => {
                        if left > 0 {
                            log.note(
                                nums.take(),
                                format!("the command exited; ending the {left} processes it left running (SIGTERM, SIGKILL after {}s)", self.grace.as_secs()),
                            );
                            self.tree.signal(Signal::SIGTERM);
                        }
                        self.ending = Some(Ending::Exited {
                            at,
                            kill_at: Some(now + self.grace),
                        });
                    }
                    None => *wake = (*wake).min(at + DRAIN_AFTER_EXIT),
                    Some(k) if now >= k + DRAIN_AFTER_EXIT => return true,
                    Some(k) if now >= k => self.tree.kill_all(Duration::from_millis(200)),
                    Some(k) => *wake = (*wake).min(k),
                }
                *wake = (*wake).min(now + Duration::from_millis(50));
                false
            }
        }
    }

    fn wait(&mut self, wake: Instant) -> anyhow::Result<Ready> {
        let timeout = wake.saturating_duration_since(Instant::now());
        let open: Vec<bool> = self.pipes().map(|p| p.open).collect();
        let mut fds = vec![PollFd::new(self.signals.as_fd(), PollFlags::POLLIN)];
        let (out_fd, err_fd) = (
            self.stdout.fd.as_fd(),
            self.stderr.as_ref().map(|p| p.fd.as_fd()),
        );
        for (fd, open) in std::iter::once(out_fd).chain(err_fd).zip(&open) {
            if *open {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
        }
        let ms = timeout.as_millis().min(1000) as u16;
        match nix::poll::poll(&mut fds, PollTimeout::from(ms.max(1))) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e).context("poll"),
        }
        let mut ready = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()));
        let signal = ready.next().unwrap_or(false);
        let mut pipes = [false; 2];
        for (i, open) in open.iter().enumerate() {
            if *open {
                pipes[i] = ready.next().unwrap_or(false);
            }
        }
        Ok(Ready { signal, pipes })
    }

    fn read_output(&mut self, ready: &Ready, now: Instant, nums: &mut LineNumbers) {
        let mut lines = std::mem::take(&mut self.lines);
        let mut buf = std::mem::take(&mut self.buf);
        for (pipe, ready) in self.pipes().zip(ready.pipes) {
            if pipe.open && ready {
                pipe.open = read_into(
                    pipe.fd.as_fd(),
                    &mut buf,
                    &mut pipe.lines,
                    now,
                    nums,
                    &mut lines,
                );
            }
        }
        self.lines = lines;
        self.buf = buf;
    }

    /// The last lines and events, then every child reaped: a killed process
    /// is a zombie until its parent (us, the subreaper, for orphans) waits.
    fn finish(mut self, log: &mut LogWriter, nums: &mut LineNumbers) -> anyhow::Result<ExitInfo> {
        let mut lines = std::mem::take(&mut self.lines);
        for pipe in self.pipes() {
            pipe.lines.finish(nums, &mut lines);
        }
        log.push_lines(&mut lines);
        self.events.poll(true);
        push_events(log, nums, &mut self.events.buf);
        if !self.keep_daemons {
            self.tree.kill_all(Duration::from_millis(500));
        }
        self.reap_all(REAP_FOR);
        let mut exit = ExitInfo {
            ended_at: now_ms(),
            stopped: self.stop_requested,
            peak_rss_bytes: Some(self.sampler.totals.peak_rss_bytes),
            cpu_seconds: Some(self.sampler.final_cpu_seconds()),
            ..Default::default()
        };
        match self.status {
            Some(WaitStatus::Exited(_, code)) => exit.exit_code = Some(code),
            Some(WaitStatus::Signaled(_, sig, _)) => exit.signal = Some(sig as i32),
            _ => {}
        }
        Ok(exit)
    }

    /// Remembers the results folder the run announces (rollouts prints
    /// `Results directory: PATH`), relative to the project when inside it.
    fn find_result_dir(&mut self) {
        if self.result_dir_found {
            return;
        }
        // Searched in every line until found: a prepared finder, not
        // `str::find`, which sets up its searcher on each call.
        static MARKER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
            std::sync::OnceLock::new();
        let marker = MARKER.get_or_init(|| memchr::memmem::Finder::new(RESULTS_MARKER));
        for line in self.lines.iter().filter(|l| !l.partial) {
            let Some(pos) = marker.find(line.text.as_bytes()) else {
                continue;
            };
            let path =
                strip_ansi_escapes::strip_str(line.text[pos + RESULTS_MARKER.len()..].trim());
            let path = std::path::Path::new(path.trim());
            let rel = path.strip_prefix(&self.cwd).unwrap_or(path);
            self.events.results = Some(EventTail::new(self.cwd.join(rel).join("events.jsonl")));
            if let Err(e) = self.folder.write_result_dir(&rel.to_string_lossy()) {
                eprintln!("devloop supervisor: recording results folder: {e:#}");
            }
            self.result_dir_found = true;
            return;
        }
    }

    /// Reaps until no child is left, or `limit` has passed (with
    /// `keep_daemons`, what the run left may still be running).
    fn reap_all(&mut self, limit: Duration) {
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
                    if ws.pid() == Some(self.tree.group) {
                        self.status = Some(ws);
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Reaps every exited child; remembers the command's own status.
    fn reap(&mut self) {
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(ws) => {
                    if ws.pid() == Some(self.tree.group) {
                        self.status = Some(ws);
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

/// What `poll` found ready: the signal pipe, and stdout/stderr.
struct Ready {
    signal: bool,
    pipes: [bool; 2],
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

fn config_name(folder: &RunFolder) -> String {
    folder
        .read_info()
        .map(|i| i.config_name)
        .unwrap_or_default()
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
