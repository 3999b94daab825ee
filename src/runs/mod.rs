//! Runs: launching, the queue, watching supervisors, stopping and deleting.
//! `Runs` is shared by the HTTP handlers and two background loops (the
//! scheduler, kicked on every change, and the monitor, which notices runs
//! that ended or whose supervisor vanished). The store's lock is never held
//! across an `.await`.

pub mod folder;
pub mod store;

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;

use crate::bus::Bus;
use crate::error::{ApiError, ApiResult};
use crate::log::now_ms;
use crate::log::LogIndex;
use crate::settings::{expand, Placeholders, Settings};
use crate::status::RunStatus;
use folder::{ExitInfo, RunFolder, RunInfo, Spec};
pub use store::Run;
use store::RunStore;

const MONITOR_EVERY: Duration = Duration::from_millis(200);

pub struct Runs {
    settings: Arc<Settings>,
    store: Mutex<RunStore>,
    exe: PathBuf,
    bus: Bus,
    /// Supervisors this server started, kept so they are reaped when they exit.
    children: Mutex<HashMap<String, std::process::Child>>,
    indexes: Mutex<HashMap<String, Arc<Mutex<LogIndex>>>>,
    /// The last `remote.json` state seen of each running remote run.
    remote_seen: Mutex<HashMap<String, String>>,
    /// How much of each running run's `alerts.jsonl` was announced.
    alerts_read: Mutex<HashMap<String, u64>>,
    /// When this server started: alerts raised before were told already.
    opened_at: u64,
}

impl Runs {
    pub fn open(settings: Arc<Settings>, bus: Bus, exe: PathBuf) -> anyhow::Result<Arc<Runs>> {
        std::fs::create_dir_all(settings.runs_dir())
            .with_context(|| format!("creating {}", settings.runs_dir().display()))?;
        let store = RunStore::open(&settings.state_dir().join("devloop.db"))?;
        clean_unfinished_launches(&settings.runs_dir());
        let rebuilt = store.rebuild_missing(&settings.runs_dir())?;
        if rebuilt > 0 {
            tracing::info!("rebuilt {rebuilt} runs from their folders");
        }
        Ok(Arc::new(Runs {
            settings,
            store: Mutex::new(store),
            exe,
            bus,
            children: Mutex::new(HashMap::new()),
            indexes: Mutex::new(HashMap::new()),
            remote_seen: Mutex::new(HashMap::new()),
            alerts_read: Mutex::new(HashMap::new()),
            opened_at: now_ms(),
        }))
    }

    /// Re-attaches to what was running before a restart, then starts the
    /// monitor loop and whatever the queue allows.
    pub fn start_background(self: &Arc<Self>) {
        self.check_running();
        self.schedule();
        let runs = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(MONITOR_EVERY);
            loop {
                tick.tick().await;
                let runs = runs.clone();
                let _ = tokio::task::spawn_blocking(move || runs.check_running()).await;
            }
        });
    }

    pub fn folder(&self, id: &str) -> RunFolder {
        RunFolder::new(self.settings.runs_dir().join(id))
    }

    fn store(&self) -> std::sync::MutexGuard<'_, RunStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str) -> ApiResult<Run> {
        crate::names::check_run_id(id)?;
        let run = self
            .store()
            .get(id)?
            .ok_or_else(|| ApiError::NotFound(format!("no run {id:?}")))?;
        Ok(self.fresh(run))
    }

    pub fn list(&self, limit: usize) -> ApiResult<Vec<Run>> {
        let runs = self.store().list(limit)?;
        Ok(runs.into_iter().map(|r| self.fresh(r)).collect())
    }

    /// Runs as the index has them, with only the result folder a running
    /// run announced (the index learns it at the end): for linking runs to
    /// results and configs, where line counts and metrics do not matter.
    pub fn list_indexed(&self, limit: usize) -> ApiResult<Vec<Run>> {
        let mut runs = self.store().list(limit)?;
        for run in runs.iter_mut().filter(|r| r.status == RunStatus::Running) {
            run.result_dir = self.folder(&run.run_id).read_result_dir();
        }
        Ok(runs)
    }

    /// Adds what only the run folder knows yet (line count, result folder),
    /// and records an end the monitor has not noticed yet, so a client that
    /// saw `complete` never reads `running` afterwards.
    fn fresh(&self, run: Run) -> Run {
        if run.status == RunStatus::Running && self.folder(&run.run_id).has_exit() {
            self.check_running();
            if let Ok(Some(updated)) = self.store().get(&run.run_id) {
                return updated;
            }
        }
        self.with_folder_facts(run)
    }

    /// What only the run folder knows yet: line count, result folder,
    /// metrics so far, and where a remote run is.
    fn with_folder_facts(&self, mut run: Run) -> Run {
        if run.status == RunStatus::Running {
            let folder = self.folder(&run.run_id);
            run.records = self.record_count(&run.run_id);
            run.result_dir = folder.read_result_dir();
            if let Some(m) = folder.read_metrics() {
                run.peak_rss_bytes = Some(m.peak_rss_bytes);
                run.cpu_seconds = Some(m.cpu_seconds);
            }
        }
        if run.target.is_some() {
            run.remote = self.folder(&run.run_id).read_remote();
            let pending = run.remote.as_ref().is_some_and(|r| r.state == "pending");
            if run.status == RunStatus::Running && pending {
                run.status = RunStatus::Pending;
            }
        }
        run
    }

    /// Tells pages of output lines that matched `[notify] patterns` (the
    /// supervisor appends them to `alerts.jsonl`), each once.
    fn announce_alerts(&self, running: &[Run]) {
        use std::io::{Read, Seek};
        let mut read = self.alerts_read.lock().unwrap_or_else(|p| p.into_inner());
        for run in running {
            let path = self.folder(&run.run_id).dir.join("alerts.jsonl");
            let Ok(mut f) = std::fs::File::open(&path) else {
                continue;
            };
            let from = match read.get(&run.run_id) {
                Some(&n) => n,
                // A run that was going before this server started: what it
                // raised then was told by the server before.
                None if run.started_at.is_some_and(|t| t < self.opened_at) => {
                    f.metadata().map(|m| m.len()).unwrap_or(0)
                }
                None => 0,
            };
            let mut text = String::new();
            if f.seek(std::io::SeekFrom::Start(from)).is_err()
                || f.read_to_string(&mut text).is_err()
            {
                continue;
            }
            let complete = text.rfind('\n').map_or(0, |i| i + 1);
            for line in text[..complete].lines() {
                if let Ok(alert) = serde_json::from_str::<crate::supervisor::notify::Alert>(line) {
                    self.bus.send(serde_json::json!({
                        "type": "alert",
                        "run_id": run.run_id,
                        "config_name": run.config_name,
                        "lineno": alert.lineno,
                        "pattern": alert.pattern,
                        "text": alert.text,
                    }));
                }
            }
            read.insert(run.run_id.clone(), from + complete as u64);
        }
        read.retain(|id, _| running.iter().any(|r| &r.run_id == id));
    }

    /// Tells pages when a remote run moved on (pending → running) or its
    /// proxy learnt where it runs.
    fn notice_remote_changes(&self, running: &[Run]) {
        let mut changed = Vec::new();
        {
            let mut seen = self.remote_seen.lock().unwrap_or_else(|p| p.into_inner());
            for run in running.iter().filter(|r| r.target.is_some()) {
                let now = self.folder(&run.run_id).read_remote();
                let key = now
                    .as_ref()
                    .map(|r| format!("{}|{:?}|{:?}|{:?}", r.state, r.reason, r.host, r.job_id))
                    .unwrap_or_default();
                if seen.get(&run.run_id) != Some(&key) {
                    seen.insert(run.run_id.clone(), key);
                    changed.push(run.clone());
                }
            }
            seen.retain(|id, _| running.iter().any(|r| &r.run_id == id));
        }
        // Not `fresh`: it may call back into the monitor (this function's
        // caller) for a run that has just ended.
        for run in changed {
            self.announce(&self.with_folder_facts(run));
        }
    }

    pub fn log_index(&self, id: &str) -> Arc<Mutex<LogIndex>> {
        let mut map = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_string()).or_default().clone()
    }

    pub fn record_count(&self, id: &str) -> u64 {
        let index = self.log_index(id);
        let mut index = index.lock().unwrap_or_else(|p| p.into_inner());
        let _ = index.update(&self.folder(id).log_path());
        index.records()
    }

    fn announce(&self, run: &Run) {
        self.bus
            .send(serde_json::json!({"type": "run_changed", "run": run}));
    }

    /// Queues a run of `config_name` and starts it if a slot is free.
    /// Queues a run of `config_name` on `target` (the config's own when
    /// `None`; `"local"` for this machine) and starts it if a slot is free.
    pub fn launch(&self, config_name: &str, target: Option<&str>) -> ApiResult<Run> {
        let config_path = crate::names::resolve_existing(&self.settings.configs_dir, config_name)
            .map_err(|_| {
            ApiError::NotFound(format!(
                "no config {config_name:?} in {}",
                self.settings.display_path(&self.settings.configs_dir)
            ))
        })?;
        if !config_path.is_file() {
            return Err(ApiError::BadRequest(format!(
                "{config_name:?} is not a file"
            )));
        }
        let text = std::fs::read_to_string(&config_path).unwrap_or_default();
        let target = crate::targets::choose(&self.settings.targets, target, config_name, &text)
            .map_err(ApiError::BadRequest)?
            .map(|(name, config)| crate::targets::proxy::TargetSpec { name, config });
        let created_at = now_ms();
        let run_id = crate::ids::new_run_id(created_at);
        let folder = self.folder(&run_id);
        std::fs::create_dir_all(&folder.dir)?;
        let rel_config = config_path
            .strip_prefix(&self.settings.project)
            .unwrap_or(&config_path)
            .to_string_lossy()
            .into_owned();
        let run_dir = folder.dir.to_string_lossy().into_owned();
        let command = expand(
            &self.settings.command,
            &Placeholders {
                config: &rel_config,
                config_name,
                run_id: &run_id,
                run_dir: &run_dir,
                project: &self.settings.project.to_string_lossy(),
            },
        );
        folder.write_info(&RunInfo {
            run_id: run_id.clone(),
            config_name: config_name.to_string(),
            command: command.clone(),
            created_at,
            target: target.clone(),
        })?;
        let run = Run {
            target: target.map(|t| t.name),
            remote: None,
            peak_rss_bytes: None,
            cpu_seconds: None,
            run_id: run_id.clone(),
            config_name: config_name.to_string(),
            status: RunStatus::Queued,
            command,
            created_at,
            started_at: None,
            ended_at: None,
            exit_code: None,
            signal: None,
            records: 0,
            start_time: created_at as f64 / 1000.0,
            result_dir: None,
            sup_pid: None,
            sup_start: None,
        };
        self.store().insert(&run)?;
        self.announce(&run);
        self.schedule();
        self.get(&run_id)
    }

    /// Starts queued runs, oldest first, while slots are free.
    pub fn schedule(&self) {
        let store = self.store();
        let (running, queued) = match (
            store.with_status(RunStatus::Running),
            store.with_status(RunStatus::Queued),
        ) {
            (Ok(r), Ok(q)) => (r.len(), q),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!("reading the queue: {e:#}");
                return;
            }
        };
        let free = self.settings.max_concurrent.saturating_sub(running);
        for run in queued.into_iter().take(free) {
            let updated = self.start(run);
            if let Err(e) = store.insert(&updated) {
                tracing::error!("recording start of {}: {e:#}", updated.run_id);
            }
            self.announce(&updated);
        }
    }

    fn start(&self, mut run: Run) -> Run {
        let folder = self.folder(&run.run_id);
        // A server killed between starting a supervisor and recording it
        // left the run `queued`: adopt what is there rather than start twice.
        if let Some(sup) = folder.read_supervisor() {
            run.sup_pid = Some(sup.pid);
            run.sup_start = Some(sup.start_time);
            run.started_at = Some(sup.started_at);
            run.status = RunStatus::Running;
            if !crate::procinfo::is_same_process(sup.pid, sup.start_time) && !folder.has_exit() {
                let exit = ExitInfo {
                    ended_at: now_ms(),
                    lost: true,
                    ..Default::default()
                };
                let _ = folder.write_exit(&exit);
            }
            if let Some(exit) = folder.read_exit() {
                apply_exit(&mut run, &exit);
            }
            return run;
        }
        match self.spawn_supervisor(&run, &folder) {
            Ok(child) => {
                let pid = child.id() as i32;
                run.sup_pid = Some(pid);
                run.sup_start = crate::procinfo::start_time(pid);
                run.status = RunStatus::Running;
                run.started_at = Some(now_ms());
                self.children
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(run.run_id.clone(), child);
            }
            Err(e) => {
                tracing::error!("starting supervisor for {}: {e:#}", run.run_id);
                let exit = ExitInfo {
                    ended_at: now_ms(),
                    spawn_error: Some(format!("could not start the supervisor: {e:#}")),
                    ..Default::default()
                };
                let _ = folder.write_exit(&exit);
                apply_exit(&mut run, &exit);
            }
        }
        run
    }

    fn spawn_supervisor(
        &self,
        run: &Run,
        folder: &RunFolder,
    ) -> anyhow::Result<std::process::Child> {
        // The snapshot is taken when the run starts, so it is what really ran.
        let config_src = self.settings.configs_dir.join(&run.config_name);
        let snapshot = folder.config_dir().join(&run.config_name);
        if let Some(parent) = snapshot.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if let Err(e) = std::fs::copy(&config_src, &snapshot) {
            tracing::warn!("config snapshot of {}: {e}", run.run_id);
        }
        let mut env: Vec<(String, String)> = self.settings.env.clone().into_iter().collect();
        env.push(("DEVLOOP_RUN_ID".into(), run.run_id.clone()));
        env.push((
            "DEVLOOP_RUN_DIR".into(),
            folder.dir.to_string_lossy().into_owned(),
        ));
        env.push((
            "DEVLOOP_EVENTS".into(),
            folder.events_path().to_string_lossy().into_owned(),
        ));
        folder.write_spec(&Spec {
            argv: run.command.clone(),
            cwd: self.settings.project.clone(),
            env,
            stop_grace_secs: self.settings.stop_grace_secs,
            merge_stderr: self.settings.merge_stderr,
            keep_daemons: self.settings.keep_daemons,
            target: folder.read_info().ok().and_then(|i| i.target),
            notes: Vec::new(),
            notify: self.settings.notify.clone(),
        })?;
        let errors = std::fs::File::create(folder.supervisor_log_path())?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("supervise")
            .arg(&folder.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(errors);
        // Its own session: the supervisor outlives the server and never gets
        // the terminal's signals.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        cmd.spawn().context("spawning devloop supervise")
    }

    /// Notices runs that ended, and supervisors that vanished without
    /// recording an exit (those runs are `lost`).
    pub fn check_running(&self) {
        let running = match self.store().with_status(RunStatus::Running) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("reading running runs: {e:#}");
                return;
            }
        };
        self.notice_remote_changes(&running);
        self.announce_alerts(&running);
        let mut changed = false;
        for run in running {
            let folder = self.folder(&run.run_id);
            if !folder.dir.exists() {
                self.forget_deleted(&run);
                changed = true;
                continue;
            }
            let exit = match folder.read_exit() {
                Some(exit) => exit,
                None if self.supervisor_alive(&run) => continue,
                // It may have written its exit just before it went.
                None => match folder.read_exit() {
                    Some(exit) => exit,
                    None => {
                        let exit = ExitInfo {
                            ended_at: now_ms(),
                            lost: true,
                            ..Default::default()
                        };
                        if let Err(e) = folder.write_exit(&exit) {
                            tracing::error!("marking {} lost: {e:#}", run.run_id);
                        }
                        // Without its supervisor nothing else would end
                        // what the run started.
                        if let Ok(cg) = std::fs::read_to_string(folder.cgroup_path()) {
                            let cg = std::path::Path::new(cg.trim());
                            crate::supervisor::kill_cgroup(cg);
                            crate::supervisor::remove_cgroup(cg);
                        }
                        exit
                    }
                },
            };
            // Reaped when it goes, never waited for here: a supervisor may
            // outlive its exit record (a slow notify command) and this runs
            // under request handlers.
            if let Some(mut c) = self
                .children
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&run.run_id)
            {
                if !matches!(c.try_wait(), Ok(Some(_))) {
                    std::thread::spawn(move || c.wait());
                }
            }
            let mut run = run;
            apply_exit(&mut run, &exit);
            run.records = self.record_count(&run.run_id);
            run.result_dir = folder.read_result_dir();
            if let Err(e) = self.store().insert(&run) {
                tracing::error!("recording end of {}: {e:#}", run.run_id);
            }
            self.announce(&run);
            changed = true;
        }
        if changed {
            self.schedule();
        }
    }

    /// A running run whose folder was deleted from outside: what it runs is
    /// stopped (its supervisor ends the whole tree) and it leaves the list,
    /// as a delete from the page would.
    fn forget_deleted(&self, run: &Run) {
        if let (Some(pid), Some(start)) = (run.sup_pid, run.sup_start) {
            if crate::procinfo::is_same_process(pid, start) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        tracing::warn!(
            "the folder of running run {} was deleted; stopping it",
            run.run_id
        );
        if let Err(e) = self.store().delete(&run.run_id) {
            tracing::error!("forgetting {}: {e:#}", run.run_id);
        }
        self.indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&run.run_id);
        self.bus
            .send(serde_json::json!({"type": "run_deleted", "run_id": run.run_id}));
    }

    fn supervisor_alive(&self, run: &Run) -> bool {
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = children.get_mut(&run.run_id) {
            return matches!(child.try_wait(), Ok(None));
        }
        match (run.sup_pid, run.sup_start) {
            (Some(pid), Some(start)) => crate::procinfo::is_same_process(pid, start),
            _ => false,
        }
    }

    /// Stops a run: a queued one never starts; a running one gets SIGTERM to
    /// its process group and SIGKILL after the grace period (the supervisor
    /// does that, so it happens even if the server goes away meanwhile).
    pub fn stop(&self, id: &str) -> ApiResult<Run> {
        let run = self.get(id)?;
        match run.status {
            RunStatus::Queued => {
                // The scheduler starts runs while holding the store: with it
                // held here, the run is either still queued (and never starts)
                // or already started (and gets SIGTERM below), never both.
                let store = self.store();
                let run = match store.get(id) {
                    Ok(Some(fresh)) => fresh,
                    _ => run,
                };
                if run.status != RunStatus::Queued {
                    drop(store);
                    return self.stop(id);
                }
                let exit = ExitInfo {
                    ended_at: now_ms(),
                    stopped: true,
                    ..Default::default()
                };
                self.folder(id).write_exit(&exit)?;
                let mut run = run;
                apply_exit(&mut run, &exit);
                store.insert(&run)?;
                drop(store);
                self.announce(&run);
                Ok(run)
            }
            RunStatus::Running | RunStatus::Pending => {
                if let (Some(pid), Some(start)) = (run.sup_pid, run.sup_start) {
                    if crate::procinfo::is_same_process(pid, start) {
                        let _ = nix::sys::signal::kill(
                            nix::unistd::Pid::from_raw(pid),
                            nix::sys::signal::Signal::SIGTERM,
                        );
                    }
                }
                Ok(run)
            }
            _ => Ok(run),
        }
    }

    pub fn delete(&self, id: &str) -> ApiResult<()> {
        let run = self.get(id)?;
        if run.is_active() {
            return Err(ApiError::Conflict(format!(
                "run {id} is {}; stop it before deleting it",
                run.status
            )));
        }
        let folder = self.folder(id);
        if folder.dir.exists() {
            std::fs::remove_dir_all(&folder.dir)?;
        }
        self.store().delete(id)?;
        self.indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.bus
            .send(serde_json::json!({"type": "run_deleted", "run_id": id}));
        Ok(())
    }
}

fn apply_exit(run: &mut Run, exit: &ExitInfo) {
    run.status = exit.status();
    run.ended_at = Some(exit.ended_at);
    run.exit_code = exit.exit_code;
    run.signal = exit.signal;
    run.peak_rss_bytes = exit.peak_rss_bytes.or(run.peak_rss_bytes);
    run.cpu_seconds = exit.cpu_seconds.or(run.cpu_seconds);
}

/// A server killed in the middle of a launch can leave a run folder with no
/// `run.json`, only a temporary file: such folders are removed, and so are
/// temporary files a crash left in any run folder.
fn clean_unfinished_launches(runs_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(runs_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut only_temporary = true;
        for f in files.flatten() {
            let name = f.file_name();
            let name = name.to_string_lossy();
            let temporary = name.starts_with(".devloop-") && name.ends_with(".partial")
                || name.ends_with(".json.partial");
            // A live supervisor may be writing one right now: only old ones.
            let old = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(60));
            if temporary && old {
                let _ = std::fs::remove_file(f.path());
            } else if !temporary {
                only_temporary = false;
            }
        }
        if only_temporary && !dir.join("run.json").exists() {
            tracing::info!("removing {}: a launch that never finished", dir.display());
            let _ = std::fs::remove_dir(&dir);
        }
    }
}
