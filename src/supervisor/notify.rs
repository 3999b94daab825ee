//! Being told when it matters: output lines that match the project's
//! `[notify] patterns` are written to `alerts.jsonl` in the run folder (the
//! server turns each into an `alert` notice for the page), and `[notify]
//! command` runs when the run ends (argv, no shell; for Slack or mail
//! scripts). A failing command is noted in the run's log and changes nothing
//! else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::log::OutputLine;
use crate::runs::folder::ExitInfo;

/// `[notify]` as the supervisor needs it (copied into the run's spec).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySpec {
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default)]
    pub command: Vec<String>,
}

/// One matching line, a line of `alerts.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub lineno: u64,
    pub pattern: String,
    pub text: String,
}

/// Alerts one run may raise at most: a line that matches on every step of
/// a loop must not bury the user.
const MAX_ALERTS: usize = 20;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Watcher {
    patterns: Vec<(String, regex::Regex)>,
    path: PathBuf,
    raised: usize,
}

impl Watcher {
    pub fn new(spec: &NotifySpec, run_dir: &Path) -> Watcher {
        Watcher {
            patterns: spec
                .patterns
                .iter()
                .filter_map(|p| Some((p.clone(), regex::Regex::new(p).ok()?)))
                .collect(),
            path: run_dir.join("alerts.jsonl"),
            raised: 0,
        }
    }

    /// Checks finished lines against the patterns.
    pub fn check(&mut self, lines: &[OutputLine]) {
        if self.patterns.is_empty() || self.raised >= MAX_ALERTS {
            return;
        }
        for line in lines.iter().filter(|l| !l.partial) {
            let Some((pattern, _)) = self.patterns.iter().find(|(_, re)| re.is_match(&line.text))
            else {
                continue;
            };
            let alert = Alert {
                lineno: line.lineno,
                pattern: pattern.clone(),
                text: strip_ansi_escapes::strip_str(&line.text)
                    .chars()
                    .take(500)
                    .collect(),
            };
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .and_then(|mut f| {
                    let mut bytes = serde_json::to_vec(&alert).unwrap_or_default();
                    bytes.push(b'\n');
                    f.write_all(&bytes)
                });
            if let Err(e) = appended {
                eprintln!("devloop supervisor: writing alerts: {e}");
            }
            self.raised += 1;
            if self.raised >= MAX_ALERTS {
                return;
            }
        }
    }
}

/// `[notify] command` for a run that ended, started: `None` when there is
/// none, `Err` (for the run's log) when it could not start.
pub fn start_command(
    spec: &NotifySpec,
    exit: &ExitInfo,
    run_id: &str,
    config_name: &str,
    run_dir: &Path,
) -> Option<Result<Pending, String>> {
    let (program, args) = spec.command.split_first()?;
    let status = exit.status();
    let exit_code = exit.exit_code.map(|c| c.to_string()).unwrap_or_default();
    let fill = |a: &str| {
        a.replace("{run_id}", run_id)
            .replace("{status}", status.as_str())
            .replace("{config_name}", config_name)
            .replace("{exit_code}", &exit_code)
            .replace("{run_dir}", &run_dir.to_string_lossy())
    };
    let started = crate::command::Running::start(
        std::process::Command::new(fill(program)).args(args.iter().map(|a| fill(a))),
    );
    Some(match started {
        Ok(running) => Ok(Pending {
            running,
            program: program.clone(),
            deadline: std::time::Instant::now() + COMMAND_TIMEOUT,
        }),
        Err(e) => Err(format!("notify command {program:?} {e}")),
    })
}

/// A notify command on its way.
pub struct Pending {
    running: crate::command::Running,
    program: String,
    deadline: std::time::Instant,
}

impl Pending {
    /// How it went, if it ends within `within` (`Err` says what went wrong,
    /// for the run's log); `None` while it still runs.
    pub fn wait(&self, within: Duration) -> Option<Result<(), String>> {
        let left = self
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        match self.running.wait(within.min(left)) {
            Some(out) => Some(self.judge(out)),
            None if within >= left => {
                self.running.kill();
                Some(Err(format!(
                    "notify command {:?} took longer than {}s and was killed",
                    self.program,
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
            None => None,
        }
    }

    /// Waits out the rest of its time limit.
    pub fn finish(self) -> Result<(), String> {
        self.wait(COMMAND_TIMEOUT).unwrap_or(Ok(()))
    }

    fn judge(&self, out: std::io::Result<std::process::Output>) -> Result<(), String> {
        let program = &self.program;
        let out = out.map_err(|e| format!("notify command {program:?} could not start: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let why = crate::command::last_error_line(&out);
        Err(format!(
            "notify command {program:?} failed ({}){}",
            out.status,
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        ))
    }
}
