//! The proxy: `devloop supervise RUN_DIR` for a run whose spec names a
//! target. It runs here, detached like any supervisor, and:
//! 1. checks the target (same OS and architecture), places the devloop
//!    binary there once per version (a versioned path, checked by hash),
//!    mirrors the project to its workdir (rsync: only changes travel) and
//!    writes the run's folder there (spec with the target's paths, config
//!    snapshot);
//! 2. starts `devloop supervise` there: detached over ssh, or as a Slurm job
//!    (`pending` with Slurm's reason until it runs);
//! 3. replicates the remote `log.jsonl` into the local one by seq, one
//!    long-lived `devloop remote-follow` stream, resumed after the last local
//!    seq whenever it drops, with backoff; a target unreachable for longer
//!    than `lost_after_secs` ends the run `lost`;
//! 4. mirrors back the result folder the run announces, while it runs and
//!    at the end;
//! 5. forwards a stop (SIGTERM to the proxy) to the remote supervisor, or
//!    `scancel`s the job;
//! 6. writes `exit.json` from the remote one, or from Slurm's account of a
//!    job that ended without one (time limit, node failure, cancelled).
//!
//! The local log is the remote log, record for record; the proxy's own
//! notes go first into the remote spec (written there before the command's
//! output) or, when the target is gone, after the last remote record.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::slurm;
use super::{remote_command, ssh_argv, RemoteInfo, TargetConfig};
use crate::log::{now_ms, LogWriter};
use crate::runs::folder::{ExitInfo, RunFolder, Spec};

/// The target part of a run's spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    pub name: String,
    pub config: TargetConfig,
}

const RESULTS_SYNC_EVERY: Duration = Duration::from_secs(5);
const SLURM_POLL_EVERY: Duration = Duration::from_secs(2);
/// How long a Slurm job may be gone from the queue before its missing exit
/// record is taken as Slurm having ended it.
const GONE_GRACE: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Shared between the proxy's threads.
#[derive(Default)]
struct Shared {
    /// A stop was asked for (SIGTERM to the proxy).
    stop: AtomicBool,
    /// Slurm ended the job without an exit record: its state and reason.
    slurm_end: Mutex<Option<(String, String)>>,
    /// The pid of the running follow stream, to end it.
    follow_pid: Mutex<Option<u32>>,
    /// The results folder the run announced (project-relative).
    result_dir: Mutex<Option<String>>,
    done: AtomicBool,
}

struct Proxy {
    folder: RunFolder,
    spec: Spec,
    target: TargetSpec,
    project: PathBuf,
    /// ssh up to the destination; `None` for a Slurm cluster reached here.
    ssh: Option<Vec<String>>,
    workdir: String,
    run_dir: String,
    bin: String,
    remote: RemoteInfo,
    shared: Arc<Shared>,
    /// The highest line number replicated, for notes after the last line.
    max_lineno: std::cell::Cell<u64>,
}

/// Runs the proxy for the run in `folder`; returns how the run ended.
pub fn run(folder: &RunFolder, spec: &Spec, target: &TargetSpec) -> anyhow::Result<ExitInfo> {
    let mut log = LogWriter::open(&folder.log_path())?;
    let shared = Arc::new(Shared::default());
    watch_signals(shared.clone())?;
    let mut proxy = Proxy {
        folder: folder.clone(),
        spec: spec.clone(),
        target: target.clone(),
        project: spec.cwd.clone(),
        ssh: None,
        workdir: String::new(),
        run_dir: String::new(),
        bin: String::new(),
        remote: RemoteInfo {
            target: target.name.clone(),
            kind: target.config.kind().into(),
            state: "starting".into(),
            ..Default::default()
        },
        shared: shared.clone(),
        max_lineno: Default::default(),
    };
    proxy.write_remote();
    let exit = match proxy.prepare() {
        Err(message) => {
            log.note(
                1,
                format!(
                    "$ {} (on {})",
                    crate::supervisor::display_command(&spec.argv),
                    target.name
                ),
            );
            log.note(2, message.clone());
            let _ = log.sync();
            return Ok(ExitInfo {
                ended_at: now_ms(),
                spawn_error: Some(message),
                ..Default::default()
            });
        }
        Ok(()) => {
            let sync = proxy.start_results_sync();
            let exit = proxy.start_and_follow(&mut log);
            shared.done.store(true, Ordering::Relaxed);
            let _ = sync.join();
            proxy.sync_results();
            exit
        }
    };
    let _ = log.sync();
    Ok(exit)
}

/// SIGTERM, SIGINT or SIGHUP to the proxy asks for a stop.
fn watch_signals(shared: Arc<Shared>) -> anyhow::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ])?;
    std::thread::spawn(move || {
        for _ in signals.forever() {
            shared.stop.store(true, Ordering::Relaxed);
        }
    });
    Ok(())
}

impl Proxy {
    fn cfg(&self) -> &TargetConfig {
        &self.target.config
    }

    fn run_id(&self) -> String {
        self.folder
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn write_remote(&self) {
        let path = self.folder.dir.join("remote.json");
        if let Err(e) = crate::fsutil::write_json(&path, &self.remote) {
            eprintln!("devloop proxy: writing remote.json: {e:#}");
        }
    }

    /// `argv` to run on the target: through ssh, or here.
    fn remote_argv(&self, argv: &[String]) -> Vec<String> {
        match &self.ssh {
            Some(ssh) => {
                let mut a = ssh.clone();
                a.push(remote_command(argv));
                a
            }
            None => argv.to_vec(),
        }
    }

    fn run_remote(&self, argv: &[String]) -> Result<String, String> {
        run_argv(&self.remote_argv(argv))
    }

    /// Checks the target, places the binary, mirrors the project and writes
    /// the run's folder there; an error is a message for the user.
    fn prepare(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let cfg = self.cfg().clone();
        if let Some(ssh) = &cfg.ssh {
            self.ssh = Some(ssh_argv(&cfg)?);
            self.remote.host = Some(super::SshDest::parse(ssh)?.host);
        }
        let name = self.target.name.clone();
        let probe = self
            .run_remote(&["sh".into(), "-c".into(), "uname -sm; pwd".into()])
            .map_err(|e| format!("target {name} does not answer: {e}"))?;
        let mut lines = probe.lines();
        let uname = lines.next().unwrap_or("").trim().to_string();
        let home = lines.next().unwrap_or("").trim().to_string();
        let here = local_uname();
        if uname != here {
            return Err(format!(
                "target {name} is {uname}, but this devloop is built for {here}: install devloop for {uname} there (cargo install --path . on that machine) and point a target at it, or use a target of the same kind"
            ));
        }
        let workdir = cfg.workdir_for(
            &self
                .project
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "project".into()),
        );
        self.workdir = absolute_on_target(&workdir, &home);
        self.run_dir = format!("{}/.devloop/runs/{}", self.workdir, self.run_id());
        self.remote.run_dir = Some(PathBuf::from(&self.run_dir));
        let placed = self.place_binary(&home)?;
        let mirrored = Instant::now();
        self.mirror_project()?;
        let mirror_secs = mirrored.elapsed().as_secs_f64();
        // The note becomes the remote log's first record, so the local log
        // stays the remote log record for record.
        let note = format!(
            "on {name} ({}): project mirrored to {} in {mirror_secs:.1}s; {placed}; ready in {:.1}s",
            self.remote.host.as_deref().unwrap_or("this machine"),
            self.workdir,
            started.elapsed().as_secs_f64()
        );
        self.write_remote_folder(vec![note])?;
        self.write_remote();
        Ok(())
    }

    /// The devloop binary at a versioned path on the target, checked by hash.
    fn place_binary(&mut self, home: &str) -> Result<String, String> {
        let exe = std::env::current_exe().map_err(|e| format!("finding devloop: {e}"))?;
        let hash = sha256_file(&exe).map_err(|e| format!("hashing {}: {e}", exe.display()))?;
        let dir = if self.cfg().is_slurm() {
            format!("{}/.devloop/bin", self.workdir)
        } else {
            format!("{home}/.cache/devloop")
        };
        self.bin = format!(
            "{dir}/devloop-{}-{}",
            env!("CARGO_PKG_VERSION"),
            &hash[..12]
        );
        // A binary checked once leaves its hash beside it, so later runs
        // need not read it whole again.
        let checked = format!("{}.sha256", self.bin);
        let there = self
            .run_remote(&["cat".into(), checked.clone()])
            .ok()
            .map(|o| o.trim().to_string());
        if there.as_deref() == Some(hash.as_str()) {
            return Ok(format!("devloop {} already there", self.bin));
        }
        self.copy_to_target(
            &exe.to_string_lossy(),
            &self.bin.clone(),
            &["--mkpath".into()],
        )?;
        let there = self
            .run_remote(&["sha256sum".into(), self.bin.clone()])?
            .split_whitespace()
            .next()
            .map(str::to_string);
        if there.as_deref() != Some(hash.as_str()) {
            return Err(format!(
                "the devloop copied to {} does not match (hash)",
                self.bin
            ));
        }
        let stamp = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        std::fs::write(stamp.path(), &hash).map_err(|e| e.to_string())?;
        self.copy_to_target(
            &stamp.path().to_string_lossy(),
            &checked,
            &["--chmod=F644".into()],
        )?;
        Ok(format!("devloop placed at {}", self.bin))
    }

    /// rsync `from` to `to` on the target (here, for a local Slurm).
    fn copy_to_target(&self, from: &str, to: &str, extra: &[String]) -> Result<(), String> {
        let mut argv: Vec<String> = vec!["rsync".into(), "-a".into()];
        argv.extend(extra.iter().cloned());
        let dest = match &self.ssh {
            Some(_) => {
                argv.extend(["-e".into(), super::rsync_shell(self.cfg())?]);
                format!("{}:{to}", super::rsync_host(self.cfg())?)
            }
            None => to.to_string(),
        };
        argv.extend(["--".into(), from.to_string(), dest]);
        run_argv(&argv).map(|_| ())
    }

    fn mirror_project(&self) -> Result<(), String> {
        let mut extra: Vec<String> = vec!["--mkpath".into()];
        for e in &self.cfg().exclude {
            extra.push(format!("--exclude=/{}", e.trim_start_matches('/')));
        }
        let from = format!("{}/", self.project.display());
        self.copy_to_target(&from, &format!("{}/", self.workdir), &extra)
            .map_err(|e| format!("mirroring the project to {}: {e}", self.workdir))
    }

    /// The run's folder on the target: its spec (paths of the target) and
    /// config snapshot, sent as one small tree.
    fn write_remote_folder(&self, notes: Vec<String>) -> Result<(), String> {
        let staging = tempfile::tempdir().map_err(|e| e.to_string())?;
        let local_project = self.project.to_string_lossy().into_owned();
        let local_run = self.folder.dir.to_string_lossy().into_owned();
        let map = |s: &str| {
            let s = replace_path(s, &local_run, &self.run_dir);
            replace_path(&s, &local_project, &self.workdir)
        };
        let mut remote = self.spec.clone();
        remote.target = None;
        remote.notes = notes;
        remote.cwd = PathBuf::from(&self.workdir);
        remote.argv = remote.argv.iter().map(|a| map(a)).collect();
        remote.env = remote
            .env
            .iter()
            .map(|(k, v)| (k.clone(), map(v)))
            .collect();
        crate::fsutil::write_json(&staging.path().join("spec.json"), &remote)
            .map_err(|e| e.to_string())?;
        let config = self.folder.config_dir();
        if config.is_dir() {
            let to = staging.path().join("config");
            copy_tree(&config, &to).map_err(|e| format!("config snapshot: {e}"))?;
        }
        self.copy_to_target(
            &format!("{}/", staging.path().display()),
            &format!("{}/", self.run_dir),
            &["--mkpath".into()],
        )
    }

    fn start_and_follow(&mut self, log: &mut LogWriter) -> ExitInfo {
        let started = if self.cfg().is_slurm() {
            self.submit()
        } else {
            self.run_remote(&[
                self.bin.clone(),
                "remote-start".into(),
                self.run_dir.clone(),
            ])
            .map(|_| ())
        };
        if let Err(e) = started {
            log.note(
                1,
                format!("could not start the run on {}: {e}", self.target.name),
            );
            return ExitInfo {
                ended_at: now_ms(),
                spawn_error: Some(e),
                ..Default::default()
            };
        }
        if !self.cfg().is_slurm() {
            self.remote.state = "running".into();
            self.write_remote();
        }
        let stopper = self.start_stopper();
        let mut exit = self.follow(log);
        self.shared.done.store(true, Ordering::Relaxed);
        let _ = stopper.join();
        if self.shared.stop.load(Ordering::Relaxed) {
            // The user's stop ended it, however the signal reached it.
            exit.stopped = true;
        } else if exit.stopped {
            self.explain_outside_stop(log, &mut exit);
        }
        exit
    }

    /// A run stopped though nobody here asked: Slurm ended it (time limit,
    /// `scancel` from outside, preemption). Says so in the log; a time limit
    /// or a node failure is a failure, not a stop.
    fn explain_outside_stop(&self, log: &mut LogWriter, exit: &mut ExitInfo) {
        let Some(job) = &self.remote.job_id else {
            return;
        };
        // The job's process may end (and its exit record arrive) while Slurm
        // still says RUNNING or COMPLETING: ask until the state is final, or
        // a cancelled job reads as a failed one.
        const UNSETTLED: [&str; 6] = [
            "RUNNING",
            "COMPLETING",
            "PENDING",
            "CONFIGURING",
            "SIGNALING",
            "STAGE_OUT",
        ];
        let deadline = Instant::now() + Duration::from_secs(10);
        let (state, reason) = loop {
            let Some((state, reason)) = self
                .run_remote(&slurm::scontrol_argv(job))
                .ok()
                .and_then(|o| slurm::parse_scontrol(&o))
            else {
                return;
            };
            if UNSETTLED.iter().any(|u| state.starts_with(u)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(300));
                continue;
            }
            break (state, reason);
        };
        let lineno = self.max_lineno.get() + 1;
        log.note(
            lineno,
            format!("Slurm ended job {job}: {state} ({reason}), not a stop asked for in devloop"),
        );
        let _ = log.flush();
        if !state.starts_with("CANCELLED") {
            exit.stopped = false;
        }
    }

    /// Submits the remote supervisor as a Slurm job, then waits while it is
    /// pending (with Slurm's reason in `remote.json`).
    fn submit(&mut self) -> Result<(), String> {
        let run_id = self.run_id();
        let argv = slurm::sbatch_argv(
            self.cfg().slurm.as_deref().unwrap_or(&[]),
            &self.workdir,
            &self.run_dir,
            &format!("devloop-{run_id}"),
            &[self.bin.clone(), "supervise".into(), self.run_dir.clone()],
        );
        let out = self.run_remote(&argv)?;
        let job =
            slurm::parse_job_id(&out).ok_or_else(|| format!("sbatch said: {}", out.trim()))?;
        self.remote.job_id = Some(job.clone());
        self.remote.state = "pending".into();
        self.write_remote();
        let submitted = Instant::now();
        loop {
            let state = self
                .run_remote(&slurm::squeue_argv(&job))
                .ok()
                .and_then(|o| slurm::parse_squeue(&o));
            match state {
                Some(s) if s.state == "PENDING" || s.state == "CONFIGURING" => {
                    if self.remote.reason.as_deref() != Some(&s.reason) {
                        self.remote.reason = Some(s.reason);
                        self.write_remote();
                    }
                    if self.shared.stop.load(Ordering::Relaxed) {
                        let _ = self.run_remote(&slurm::scancel_argv(&job));
                    }
                }
                Some(s) => {
                    self.remote.state = "running".into();
                    self.remote.reason = None;
                    self.remote.host = Some(s.nodes).filter(|n| !n.is_empty());
                    self.write_remote();
                    return Ok(());
                }
                // Ended already (or cancelled while pending): following
                // finds its exit record, or Slurm's account of it.
                None => {
                    self.remote.state = "running".into();
                    self.write_remote();
                    return Ok(());
                }
            }
            // An idle node starts a job within a second: ask often at first.
            std::thread::sleep(if submitted.elapsed() < Duration::from_secs(10) {
                Duration::from_millis(200)
            } else {
                SLURM_POLL_EVERY
            });
        }
    }

    /// Forwards a stop to the target (again until it is taken), and for
    /// Slurm watches the job for an end without an exit record.
    fn start_stopper(&self) -> std::thread::JoinHandle<()> {
        let shared = self.shared.clone();
        let stop_argv = match &self.remote.job_id {
            Some(job) => self.remote_argv(&slurm::scancel_argv(job)),
            None => self.remote_argv(&[
                self.bin.clone(),
                "remote-signal".into(),
                self.run_dir.clone(),
            ]),
        };
        let watch_job = self.remote.job_id.clone().map(|job| {
            (
                self.remote_argv(&slurm::squeue_argv(&job)),
                self.remote_argv(&slurm::scontrol_argv(&job)),
            )
        });
        std::thread::spawn(move || {
            let mut forwarded = false;
            let mut gone_since: Option<Instant> = None;
            let mut last_poll = Instant::now() - SLURM_POLL_EVERY;
            while !shared.done.load(Ordering::Relaxed) {
                if shared.stop.load(Ordering::Relaxed) && !forwarded {
                    forwarded = run_argv(&stop_argv).is_ok();
                }
                if let Some((squeue, scontrol)) = &watch_job {
                    if last_poll.elapsed() >= SLURM_POLL_EVERY {
                        last_poll = Instant::now();
                        let queued = run_argv(squeue)
                            .ok()
                            .map(|o| slurm::parse_squeue(&o).is_some());
                        match queued {
                            Some(false) => {
                                let since = *gone_since.get_or_insert_with(Instant::now);
                                if since.elapsed() >= GONE_GRACE {
                                    let why = run_argv(scontrol)
                                        .ok()
                                        .and_then(|o| slurm::parse_scontrol(&o))
                                        .unwrap_or_else(|| {
                                            ("GONE".into(), "the job left the queue".into())
                                        });
                                    *shared.slurm_end.lock().unwrap_or_else(|p| p.into_inner()) =
                                        Some(why);
                                    if let Some(pid) =
                                        *shared.follow_pid.lock().unwrap_or_else(|p| p.into_inner())
                                    {
                                        let _ = nix::sys::signal::kill(
                                            nix::unistd::Pid::from_raw(pid as i32),
                                            nix::sys::signal::Signal::SIGKILL,
                                        );
                                    }
                                    return;
                                }
                            }
                            Some(true) => gone_since = None,
                            None => {}
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    }

    /// Replicates the remote log until the run's exit record arrives.
    fn follow(&mut self, log: &mut LogWriter) -> ExitInfo {
        let mut last_seq = log.seq();
        let mut down_since: Option<Instant> = None;
        let mut backoff = Duration::from_millis(200);
        let lost_after = Duration::from_secs(self.cfg().lost_after_secs);
        loop {
            if let Some((state, reason)) = self
                .shared
                .slurm_end
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                return self.ended_by_slurm(log, &state, &reason);
            }
            let argv = self.remote_argv(&[
                self.bin.clone(),
                "remote-follow".into(),
                self.run_dir.clone(),
                "--after".into(),
                last_seq.to_string(),
            ]);
            let before = last_seq;
            let outcome = self.follow_once(&argv, log, &mut last_seq);
            if let Some(exit) = outcome {
                return exit;
            }
            if last_seq > before {
                down_since = None;
                backoff = Duration::from_millis(200);
            }
            let since = *down_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= lost_after
                && self
                    .shared
                    .slurm_end
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_none()
            {
                log.note(
                    self.max_lineno.get() + 1,
                    format!(
                        "lost: target {} did not answer for {}s; the run may still be going there ({})",
                        self.target.name,
                        lost_after.as_secs(),
                        self.run_dir
                    ),
                );
                return ExitInfo {
                    ended_at: now_ms(),
                    lost: true,
                    ..Default::default()
                };
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// One follow stream: appends every record after `last_seq`; returns the
    /// exit once the remote run has ended, `None` when the stream dropped.
    fn follow_once(
        &self,
        argv: &[String],
        log: &mut LogWriter,
        last_seq: &mut u64,
    ) -> Option<ExitInfo> {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        *self
            .shared
            .follow_pid
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(child.id());
        let mut reader = BufReader::with_capacity(1 << 16, child.stdout.take()?);
        let mut line = Vec::new();
        let mut result = None;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.last() != Some(&b'\n') {
                break; // cut off mid-record: the stream dropped
            }
            let raw = &line[..line.len() - 1];
            if let Some(seq) = record_seq(raw) {
                if seq <= *last_seq {
                    continue;
                }
                if seq != *last_seq + 1 {
                    eprintln!(
                        "devloop proxy: expected record {} but got {seq}",
                        *last_seq + 1
                    );
                    break;
                }
                log.push_raw(raw);
                *last_seq = seq;
                if let Some(n) = record_lineno(raw) {
                    self.max_lineno.set(self.max_lineno.get().max(n));
                }
                self.find_result_dir(raw);
                if reader.buffer().is_empty() {
                    let _ = log.flush();
                }
            } else if let Ok(v) = serde_json::from_slice::<serde_json::Value>(raw) {
                if let Some(exit) = v.get(super::remote::EXIT_KEY) {
                    result = serde_json::from_value::<ExitInfo>(exit.clone()).ok();
                    break;
                }
            }
        }
        let _ = log.flush();
        // Forgotten before it is reaped, so its pid is never signalled after
        // another process may have got it.
        *self
            .shared
            .follow_pid
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        let _ = child.kill();
        let _ = child.wait();
        result
    }

    fn ended_by_slurm(&self, log: &mut LogWriter, state: &str, reason: &str) -> ExitInfo {
        log.note(
            self.max_lineno.get() + 1,
            format!("Slurm ended the job without an exit record: {state} ({reason})"),
        );
        let _ = log.flush();
        ExitInfo {
            ended_at: now_ms(),
            stopped: state.starts_with("CANCELLED"),
            ..Default::default()
        }
    }

    /// Remembers the results folder the run announces (`Results directory:`).
    fn find_result_dir(&self, raw: &[u8]) {
        const MARKER: &[u8] = b"Results directory:";
        if memchr::memmem::find(raw, MARKER).is_none() {
            return;
        }
        let mut known = self
            .shared
            .result_dir
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if known.is_some() {
            return;
        }
        let Ok(rec) = serde_json::from_slice::<crate::log::Record>(raw) else {
            return;
        };
        let Some(line) = rec.output().filter(|l| !l.partial) else {
            return;
        };
        let Some(pos) = line.text.find("Results directory:") else {
            return;
        };
        let path = strip_ansi_escapes::strip_str(line.text[pos + 18..].trim());
        let path = path.trim();
        let rel = path
            .strip_prefix(&format!("{}/", self.workdir))
            .unwrap_or(path)
            .to_string();
        if Path::new(&rel).is_absolute() || rel.split('/').any(|p| p == "..") {
            return; // outside the project: nothing to mirror back
        }
        let _ = self.folder.write_result_dir(&rel);
        *known = Some(rel);
    }

    fn results_sync(&self) -> ResultsSync {
        ResultsSync {
            proxy_ssh: self.ssh.clone(),
            cfg: self.cfg().clone(),
            workdir: self.workdir.clone(),
            project: self.project.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Mirrors the results back every few seconds while the run goes.
    fn start_results_sync(&self) -> std::thread::JoinHandle<()> {
        let me = self.results_sync();
        std::thread::spawn(move || {
            let mut last: Option<Instant> = None;
            while !me.shared.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let known = me
                    .shared
                    .result_dir
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_some();
                if known && last.is_none_or(|t| t.elapsed() >= RESULTS_SYNC_EVERY) {
                    last = Some(Instant::now());
                    me.sync();
                }
            }
        })
    }

    fn sync_results(&self) {
        self.results_sync().sync();
    }
}

/// Mirrors the announced result folder back here.
struct ResultsSync {
    proxy_ssh: Option<Vec<String>>,
    cfg: TargetConfig,
    workdir: String,
    project: PathBuf,
    shared: Arc<Shared>,
}

impl ResultsSync {
    fn sync(&self) {
        let Some(rel) = self
            .shared
            .result_dir
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return;
        };
        let to = self.project.join(&rel);
        if std::fs::create_dir_all(&to).is_err() {
            return;
        }
        let mut argv: Vec<String> = vec!["rsync".into(), "-a".into()];
        let from = format!("{}/{rel}/", self.workdir);
        let src = match &self.proxy_ssh {
            Some(_) => match (super::rsync_shell(&self.cfg), super::rsync_host(&self.cfg)) {
                (Ok(shell), Ok(host)) => {
                    argv.extend(["-e".into(), shell]);
                    format!("{host}:{from}")
                }
                _ => return,
            },
            None => from,
        };
        argv.extend(["--".into(), src, format!("{}/", to.display())]);
        if let Err(e) = run_argv(&argv) {
            eprintln!("devloop proxy: mirroring results back: {e}");
        }
    }
}

/// Runs argv, with a time limit; its stdout, or what went wrong.
fn run_argv(argv: &[String]) -> Result<String, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let out = crate::command::run(Command::new(program).args(args), COMMAND_TIMEOUT)
        .map_err(|e| format!("{program} {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let why = crate::command::last_error_line(&out);
    Err(if why.is_empty() {
        format!("{program} failed ({})", out.status)
    } else {
        why
    })
}

/// `s` with the path `from` replaced by `to` where it stands as a whole
/// path or a prefix of one (`/p/x` → `/w/x`, but `/p2/x` is left alone):
/// the next character must not be one that continues a file name.
fn replace_path(s: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        out.push_str(&rest[..at]);
        let continues = after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !continues {
            out.push_str(to);
        } else {
            out.push_str(from);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `{"seq":N,...` → N, without parsing the record.
fn record_seq(raw: &[u8]) -> Option<u64> {
    let rest = raw.strip_prefix(b"{\"seq\":")?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

fn record_lineno(raw: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(raw, b"\"lineno\":")? + 9;
    let rest = &raw[at..];
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// `uname -sm` of this machine as the target would print it.
fn local_uname() -> String {
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "aarch64" if os == "Darwin" => "arm64",
        other => other,
    };
    format!("{os} {arch}")
}

fn absolute_on_target(workdir: &str, home: &str) -> String {
    let w = workdir.strip_prefix("~/").unwrap_or(workdir);
    if w.starts_with('/') {
        w.trim_end_matches('/').to_string()
    } else {
        format!("{}/{}", home.trim_end_matches('/'), w.trim_end_matches('/'))
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(format!("{:x}", h.finalize()))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_and_lineno_are_read_without_parsing() {
        let raw = br#"{"seq":42,"t":1,"type":"stdout","stream":"stdout","lineno":7,"text":"x"}"#;
        assert_eq!(record_seq(raw), Some(42));
        assert_eq!(record_lineno(raw), Some(7));
        assert_eq!(record_seq(br#"{"devloop_exit":{}}"#), None);
        assert_eq!(
            absolute_on_target("devloop/p", "/home/u"),
            "/home/u/devloop/p"
        );
        assert_eq!(absolute_on_target("~/x/", "/home/u"), "/home/u/x");
        assert_eq!(absolute_on_target("/shared/x", "/home/u"), "/shared/x");
        assert_eq!(replace_path("/p/a /p /p2/b", "/p", "/w"), "/w/a /w /p2/b");
    }
}
