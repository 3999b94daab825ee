//! One run's folder, `.devloop/runs/RUN_ID/`, and the small files in it.
//! Who writes what: the server writes `run.json` and `spec.json` (before the
//! supervisor starts) and `exit.json` only for runs that never started or whose
//! supervisor vanished; the supervisor writes `supervisor.json`, `log.jsonl`,
//! `events.jsonl` (the run appends to it) and `exit.json`. Small files are
//! written to `NAME.partial` and renamed, so a reader never sees half a file.
//! The folder alone is enough to rebuild the run's row in the index.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fsutil::{read_json, write_atomic, write_json};
use crate::status::RunStatus;

/// What the run is, fixed at launch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub run_id: String,
    pub config_name: String,
    pub command: Vec<String>,
    pub created_at: u64,
    /// The target chosen at launch; `None`: this machine.
    #[serde(default)]
    pub target: Option<crate::targets::proxy::TargetSpec>,
}

/// What the supervisor needs to start the command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub stop_grace_secs: u64,
    /// stderr into stdout's pipe: exact order, one stream.
    #[serde(default)]
    pub merge_stderr: bool,
    /// Leave running what the command started when it ends.
    #[serde(default)]
    pub keep_daemons: bool,
    /// Run on another machine: this supervisor is then its proxy.
    #[serde(default)]
    pub target: Option<crate::targets::proxy::TargetSpec>,
    /// devloop notes written before the command's output (what the proxy
    /// did to get the run to its target).
    #[serde(default)]
    pub notes: Vec<String>,
    /// `[notify]`: patterns to raise alerts on, a command to run at the end.
    #[serde(default)]
    pub notify: crate::supervisor::notify::NotifySpec,
}

/// Written by the supervisor once it runs; `start_time` tells a live
/// supervisor from an unrelated process that later got the same pid.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SupervisorInfo {
    pub pid: i32,
    pub start_time: u64,
    pub started_at: u64,
}

/// How a run ended; its presence marks the run as over.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExitInfo {
    pub ended_at: u64,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub signal: Option<i32>,
    /// A stop was requested (by the user) before the command ended.
    #[serde(default)]
    pub stopped: bool,
    /// The supervisor vanished without recording an exit.
    #[serde(default)]
    pub lost: bool,
    /// The command could not be started at all.
    #[serde(default)]
    pub spawn_error: Option<String>,
    /// Most resident memory the run's process tree held at once.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
    /// CPU time the run's process tree used.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
}

impl ExitInfo {
    pub fn status(&self) -> RunStatus {
        if self.lost {
            RunStatus::Lost
        } else if self.stopped {
            RunStatus::Stopped
        } else if self.exit_code == Some(0) {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunFolder {
    pub dir: PathBuf,
}

impl RunFolder {
    pub fn new(dir: PathBuf) -> Self {
        RunFolder { dir }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("log.jsonl")
    }
    pub fn events_path(&self) -> PathBuf {
        self.dir.join("events.jsonl")
    }
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("config")
    }
    pub fn supervisor_log_path(&self) -> PathBuf {
        self.dir.join("supervisor.err")
    }

    pub fn read_info(&self) -> anyhow::Result<RunInfo> {
        read_json(&self.dir.join("run.json"))
    }
    pub fn write_info(&self, info: &RunInfo) -> anyhow::Result<()> {
        write_json(&self.dir.join("run.json"), info)
    }
    pub fn read_spec(&self) -> anyhow::Result<Spec> {
        read_json(&self.dir.join("spec.json"))
    }
    pub fn write_spec(&self, spec: &Spec) -> anyhow::Result<()> {
        write_json(&self.dir.join("spec.json"), spec)
    }
    pub fn read_supervisor(&self) -> Option<SupervisorInfo> {
        read_json(&self.dir.join("supervisor.json")).ok()
    }
    pub fn write_supervisor(&self, info: &SupervisorInfo) -> anyhow::Result<()> {
        write_json(&self.dir.join("supervisor.json"), info)
    }
    pub fn read_exit(&self) -> Option<ExitInfo> {
        read_json(&self.dir.join("exit.json")).ok()
    }
    pub fn has_exit(&self) -> bool {
        self.dir.join("exit.json").exists()
    }
    pub fn write_exit(&self, info: &ExitInfo) -> anyhow::Result<()> {
        write_json(&self.dir.join("exit.json"), info)
    }
    /// What the run has used so far (written by its supervisor each second).
    pub fn metrics_path(&self) -> PathBuf {
        self.dir.join("metrics.json")
    }

    pub fn read_metrics(&self) -> Option<crate::supervisor::Totals> {
        read_json(&self.metrics_path()).ok()
    }

    /// The cgroup the run's processes are in, when the machine gave one.
    pub fn cgroup_path(&self) -> PathBuf {
        self.dir.join("cgroup")
    }

    /// Where a run on another machine is (written by its proxy).
    pub fn read_remote(&self) -> Option<crate::targets::RemoteInfo> {
        read_json(&self.dir.join("remote.json")).ok()
    }

    pub fn read_result_dir(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("result_dir"))
            .ok()
            .map(|s| s.trim().to_string())
    }
    pub fn write_result_dir(&self, rel: &str) -> anyhow::Result<()> {
        write_atomic(&self.dir.join("result_dir"), rel.as_bytes())
    }
}
