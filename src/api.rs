//! The shapes the server sends and the CLI reads, typed once for both, so a
//! field renamed on one side breaks the build instead of a user's terminal.
//! The page's copy of these shapes is the JSDoc in `assets/js/api.js`.

use serde::{Deserialize, Serialize};

use crate::runs::Run;
use crate::status::RunStatus;

/// `POST /api/launch`. `configName` is the file name under `configs/`, or
/// its stem when exactly one config has it (the prototype's page sends that).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchRequest {
    pub config_name: String,
    /// A target from `devloop.toml`, or `"local"`; absent: the config's own
    /// (`target = …` / `ssh_target = …` in it), else this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The reply to a launch, in the prototype's shape plus the run itself.
#[derive(Debug, Serialize, Deserialize)]
pub struct LaunchReply {
    pub success: bool,
    pub run_id: String,
    /// The command line as a person would type it.
    pub command: String,
    pub status: RunStatus,
    pub run: Run,
}

/// `GET /api/runs`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunsReply {
    pub runs: Vec<Run>,
}

/// `GET /api/health`.
#[derive(Debug, Serialize, Deserialize)]
pub struct HealthReply {
    pub ok: bool,
    pub version: String,
    pub project: std::path::PathBuf,
    pub configs_dir: std::path::PathBuf,
    /// How many runs may run at once (`max_concurrent` of `devloop.toml`);
    /// more wait queued, oldest first.
    #[serde(default)]
    pub max_concurrent: usize,
}

/// Every error reply: a status code and this body.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
}

/// The last event of a run's stream.
#[derive(Debug, Serialize, Deserialize)]
pub struct Complete {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub status: RunStatus,
    /// The run as it ended, so a page need not fetch it again.
    pub run: Option<Run>,
}

impl Complete {
    /// What a shell would report: the exit code, or 128 + the signal.
    pub fn shell_code(&self) -> i32 {
        match (self.exit_code, self.signal) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            _ => 1,
        }
    }
}
