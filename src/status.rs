//! The states a run and a result can be in. One type each, used by the
//! server, the store and the CLI alike; the README and the page's JSDoc
//! typedefs (`assets/js/api.js`) list the same names.

use serde::{Deserialize, Serialize};

/// `queued → running → succeeded | failed | stopped`, or `lost` when the
/// supervisor vanished without recording an exit (or its target stopped
/// answering). A run on another machine is `pending` between `queued` and
/// `running` while it waits there for resources (a Slurm job in the queue);
/// the index stores it as running, the API shows `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Pending,
    Running,
    Succeeded,
    Failed,
    Stopped,
    Lost,
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Queued,
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Stopped,
        RunStatus::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Stopped => "stopped",
            RunStatus::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Queued, pending or running: not ended yet.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RunStatus::Queued | RunStatus::Pending | RunStatus::Running
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a result folder holds: `complete` (a report), `running` (events
/// but no report yet, its run still going), `incomplete` (no report and its
/// run ended, or its events went stale), `malformed` (see its `error`),
/// `empty` (nothing in the folder yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Complete,
    Running,
    Incomplete,
    Malformed,
    Empty,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Complete => "complete",
            ResultStatus::Running => "running",
            ResultStatus::Incomplete => "incomplete",
            ResultStatus::Malformed => "malformed",
            ResultStatus::Empty => "empty",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_states_round_trip_through_their_names() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(RunStatus::parse("paused"), None);
    }
}
