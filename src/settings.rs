//! `devloop.toml`: read once at start-up into typed settings the rest trusts.
//! Every key is optional; the defaults fit a `rollouts` project as it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    launch: RawLaunch,
    #[serde(default)]
    paths: RawPaths,
    #[serde(default)]
    validate: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    targets: crate::targets::Targets,
    #[serde(default)]
    notify: crate::supervisor::notify::NotifySpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLaunch {
    command: Option<Vec<String>>,
    max_concurrent: Option<usize>,
    stop_grace_secs: Option<u64>,
    env: Option<BTreeMap<String, String>>,
    merge_stderr: Option<bool>,
    keep_daemons: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    configs: Option<String>,
    results: Option<String>,
    datasets: Option<String>,
    inspect_logs: Option<String>,
}

/// Settings of one project, with defaults applied and paths made absolute.
#[derive(Debug, Clone)]
pub struct Settings {
    pub project: PathBuf,
    pub command: Vec<String>,
    pub max_concurrent: usize,
    pub stop_grace_secs: u64,
    pub env: BTreeMap<String, String>,
    pub merge_stderr: bool,
    /// Processes a run leaves behind keep running after it ends (off: they
    /// are ended with it).
    pub keep_daemons: bool,
    pub configs_dir: PathBuf,
    pub results_dir: PathBuf,
    pub datasets_dir: PathBuf,
    /// Where Inspect AI writes its logs (`[paths] inspect_logs`, default
    /// `logs`); read beside `results/`.
    pub inspect_logs_dir: PathBuf,
    pub validate: BTreeMap<String, Vec<String>>,
    /// Other machines runs can go to, by name (`[targets.NAME]`).
    pub targets: crate::targets::Targets,
    /// `[notify]`: output patterns that raise alerts, a command run when a
    /// run ends.
    pub notify: crate::supervisor::notify::NotifySpec,
}

impl Settings {
    pub fn load(project: &Path) -> anyhow::Result<Settings> {
        let project = project
            .canonicalize()
            .with_context(|| format!("project folder {}", project.display()))?;
        let path = project.join("devloop.toml");
        let raw: RawSettings = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("in {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RawSettings::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let command = raw
            .launch
            .command
            .unwrap_or_else(|| vec!["python".into(), "entrypoint.py".into(), "{config}".into()]);
        anyhow::ensure!(
            !command.is_empty(),
            "[launch] command in {} is empty",
            path.display()
        );
        let max_concurrent = raw.launch.max_concurrent.unwrap_or(2);
        anyhow::ensure!(
            max_concurrent >= 1,
            "[launch] max_concurrent must be at least 1"
        );
        let env = raw
            .launch
            .env
            .unwrap_or_else(|| BTreeMap::from([("PYTHONUNBUFFERED".to_string(), "1".to_string())]));
        for p in &raw.notify.patterns {
            regex::Regex::new(p).map_err(|e| {
                anyhow::anyhow!("[notify] pattern {p:?} in {}: {e}", path.display())
            })?;
        }
        for (name, t) in &raw.targets {
            t.validate(name)
                .map_err(|e| anyhow::anyhow!("{e} (in {})", path.display()))?;
        }
        let dir =
            |p: Option<String>, default: &str| project.join(p.unwrap_or_else(|| default.into()));
        Ok(Settings {
            command,
            max_concurrent,
            stop_grace_secs: raw.launch.stop_grace_secs.unwrap_or(5),
            merge_stderr: raw.launch.merge_stderr.unwrap_or(false),
            keep_daemons: raw.launch.keep_daemons.unwrap_or(false),
            env,
            configs_dir: dir(raw.paths.configs, "configs"),
            results_dir: dir(raw.paths.results, "results"),
            datasets_dir: dir(raw.paths.datasets, "datasets"),
            inspect_logs_dir: dir(raw.paths.inspect_logs, "logs"),
            validate: raw.validate,
            targets: raw.targets,
            notify: raw.notify,
            project,
        })
    }

    pub fn state_dir(&self) -> PathBuf {
        self.project.join(".devloop")
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.state_dir().join("runs")
    }

    /// A path as messages to clients name it: relative to the project, so an
    /// error never tells a page where the project lives on disk.
    pub fn display_path(&self, path: &Path) -> String {
        match path.strip_prefix(&self.project) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

/// Values for the `{placeholders}` of a command.
pub struct Placeholders<'a> {
    pub config: &'a str,
    pub config_name: &'a str,
    pub run_id: &'a str,
    pub run_dir: &'a str,
    pub project: &'a str,
}

/// Expands placeholders in each argument; an argument stays one argument.
pub fn expand(command: &[String], p: &Placeholders) -> Vec<String> {
    command
        .iter()
        .map(|arg| {
            arg.replace("{config}", p.config)
                .replace("{config_name}", p.config_name)
                .replace("{run_id}", p.run_id)
                .replace("{run_dir}", p.run_dir)
                .replace("{project}", p.project)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_a_rollouts_project() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(dir.path()).unwrap();
        assert_eq!(s.command, ["python", "entrypoint.py", "{config}"]);
        assert_eq!(s.max_concurrent, 2);
        assert_eq!(s.env.get("PYTHONUNBUFFERED").map(String::as_str), Some("1"));
        assert!(s.configs_dir.ends_with("configs"));
    }

    #[test]
    fn unknown_keys_are_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("devloop.toml"), "[launch]\ncommnd = []\n").unwrap();
        let err = format!("{:#}", Settings::load(dir.path()).unwrap_err());
        assert!(
            err.contains("devloop.toml") && err.contains("commnd"),
            "{err}"
        );
    }

    #[test]
    fn a_config_name_with_spaces_stays_one_argument() {
        let argv = expand(
            &["python".into(), "run.py".into(), "{config}".into()],
            &Placeholders {
                config: "configs/a b; rm -rf x.py",
                config_name: "a",
                run_id: "r",
                run_dir: "d",
                project: "p",
            },
        );
        assert_eq!(argv.len(), 3);
        assert_eq!(argv[2], "configs/a b; rm -rf x.py");
    }
}
