//! Runs on other machines. A target is named in `devloop.toml`: a host
//! reached over SSH, or a Slurm cluster (sbatch here or on a login node). A
//! run sent to one is supervised here by a *proxy* (`proxy.rs`, the same
//! `devloop supervise` process, in its remote mode): it mirrors the project
//! to the target, places the devloop binary there, starts `devloop
//! supervise` there exactly as here (over SSH, or as a Slurm job), and
//! replicates the remote log into the local run folder record by record,
//! resuming after the last local seq whenever the connection drops. So the
//! server, every viewer, resume, the download and the Samples view work on a
//! remote run unchanged. What runs on the target is `remote.rs`.
//!
//! Nothing here builds a shell string from a name: ssh and sbatch get argv,
//! and the one command line ssh hands to the remote shell is made by
//! [`shell_quote`].

pub mod proxy;
pub mod remote;
mod slurm;
pub mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What `[targets.NAME]` says, as the proxy needs it (it is copied into the
/// run's spec, so a running proxy never rereads `devloop.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// `user@host:port` (port and user optional).
    #[serde(default)]
    pub ssh: Option<String>,
    /// A private key for ssh (`-i`).
    #[serde(default)]
    pub identity: Option<String>,
    /// An ssh_config file to use instead of `~/.ssh/config` (`-F`).
    #[serde(default)]
    pub ssh_config: Option<String>,
    /// Where the project is mirrored on the target; `~/devloop/PROJECT` by
    /// default for SSH. For Slurm, on the shared filesystem (required).
    #[serde(default)]
    pub workdir: Option<String>,
    /// Left out of the mirror.
    #[serde(default = "default_exclude")]
    pub exclude: Vec<String>,
    /// sbatch options: this target is a Slurm cluster.
    #[serde(default)]
    pub slurm: Option<Vec<String>>,
    /// A run whose target does not answer for this long ends `lost`.
    #[serde(default = "default_lost_after")]
    pub lost_after_secs: u64,
}

fn default_exclude() -> Vec<String> {
    [".devloop", "results", ".git", ".venv"]
        .map(String::from)
        .to_vec()
}

fn default_lost_after() -> u64 {
    600
}

pub type Targets = BTreeMap<String, TargetConfig>;

impl TargetConfig {
    pub fn is_slurm(&self) -> bool {
        self.slurm.is_some()
    }

    pub fn kind(&self) -> &'static str {
        if self.is_slurm() {
            "slurm"
        } else {
            "ssh"
        }
    }

    /// A target made from a rollouts config's `ssh_target = "user@host:port"`.
    pub fn from_ssh(dest: &str) -> TargetConfig {
        TargetConfig {
            ssh: Some(dest.to_string()),
            identity: None,
            ssh_config: None,
            workdir: None,
            exclude: default_exclude(),
            slurm: None,
            lost_after_secs: default_lost_after(),
        }
    }

    /// The workdir, with the SSH default for a project named `project`.
    pub fn workdir_for(&self, project: &str) -> String {
        self.workdir
            .clone()
            .unwrap_or_else(|| format!("devloop/{project}"))
    }

    /// `argv` as run on this target: through its ssh, or here (a Slurm
    /// cluster without a login node).
    pub fn argv_on_target(&self, argv: &[String]) -> Result<Vec<String>, String> {
        if self.ssh.is_none() {
            return Ok(argv.to_vec());
        }
        let mut a = ssh_argv(self)?;
        a.push(remote_command(argv));
        Ok(a)
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        if self.ssh.is_none() && self.slurm.is_none() {
            return Err(format!(
                "[targets.{name}] needs `ssh = \"user@host:port\"` or `slurm = [...]`"
            ));
        }
        if self.is_slurm() && self.workdir.is_none() {
            return Err(format!(
                "[targets.{name}] is a Slurm cluster: set `workdir` to a folder on its shared filesystem"
            ));
        }
        if let Some(ssh) = &self.ssh {
            SshDest::parse(ssh).map_err(|e| format!("[targets.{name}] ssh: {e}"))?;
        }
        Ok(())
    }
}

/// `user@host:port` taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct SshDest {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl SshDest {
    pub fn parse(s: &str) -> Result<SshDest, String> {
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, s),
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                Some(
                    p.parse::<u16>()
                        .map_err(|_| format!("{p:?} is not a port"))?,
                ),
            ),
            _ => (rest, None),
        };
        // A host or user starting with '-' would be taken by ssh as an option.
        if host.is_empty()
            || host.starts_with('-')
            || user
                .as_deref()
                .is_some_and(|u| u.is_empty() || u.starts_with('-'))
        {
            return Err(format!("{s:?} is not user@host:port"));
        }
        Ok(SshDest {
            user,
            host: host.to_string(),
            port,
        })
    }
}

/// The ssh command for `target`: argv up to and including the destination;
/// the remote command follows as one argument made by [`remote_command`].
/// The user's ssh config, agent and known_hosts apply; host key checking is
/// never turned off here.
pub fn ssh_argv(target: &TargetConfig) -> Result<Vec<String>, String> {
    let ssh = target.ssh.as_deref().ok_or("this target has no ssh")?;
    let dest = SshDest::parse(ssh)?;
    let mut argv: Vec<String> = vec![
        "ssh".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "ServerAliveInterval=5".into(),
        "-o".into(),
        "ServerAliveCountMax=3".into(),
        "-o".into(),
        "ConnectTimeout=10".into(),
        // One connection serves the many short commands of a launch.
        "-o".into(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!(
            "ControlPath={}/devloop-ssh-%C",
            std::env::temp_dir().display()
        ),
        "-o".into(),
        "ControlPersist=60".into(),
    ];
    if let Some(f) = &target.ssh_config {
        argv.extend(["-F".into(), expand_home(f)]);
    }
    if let Some(i) = &target.identity {
        argv.extend(["-i".into(), expand_home(i)]);
    }
    if let Some(p) = dest.port {
        argv.extend(["-p".into(), p.to_string()]);
    }
    if let Some(u) = &dest.user {
        argv.extend(["-l".into(), u.clone()]);
    }
    argv.push("--".into());
    argv.push(dest.host);
    Ok(argv)
}

/// The `-e` of rsync: the same ssh, without the destination.
pub fn rsync_shell(target: &TargetConfig) -> Result<String, String> {
    let mut argv = ssh_argv(target)?;
    argv.truncate(argv.len() - 2);
    Ok(argv
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" "))
}

/// `[user@]host` for rsync's `host:path`.
pub fn rsync_host(target: &TargetConfig) -> Result<String, String> {
    let dest = SshDest::parse(target.ssh.as_deref().ok_or("this target has no ssh")?)?;
    Ok(match dest.user {
        Some(u) => format!("{u}@{}", dest.host),
        None => dest.host,
    })
}

/// `~/x` with this machine's home.
pub fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

/// Quotes one argument for a POSIX shell: the only place a remote command
/// line is made. Plain words stay as they are; anything else is put in
/// single quotes, with each `'` written as `'\''`.
pub fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// A remote command line from argv, each argument quoted. A first argument
/// starting with `~/` is left unquoted up to the slash so the remote shell
/// expands it to the remote home.
pub fn remote_command(argv: &[String]) -> String {
    argv.iter()
        .map(|a| match a.strip_prefix("~/") {
            Some(rest) => format!("~/{}", shell_quote(rest)),
            None => shell_quote(a),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which target a run goes to: the one asked for, else the config's own
/// (a top-level `target = "NAME"` naming a target of devloop.toml, or
/// rollouts' `ssh_target = "user@host:port"`), else none (this machine).
/// `target` is a common word in eval configs (the expected answer), so a
/// config's `target` that names no target is not a request to go anywhere.
pub fn choose(
    targets: &Targets,
    asked: Option<&str>,
    config_name: &str,
    config_text: &str,
) -> Result<Option<(String, TargetConfig)>, String> {
    let named = |name: &str| -> Result<Option<(String, TargetConfig)>, String> {
        if name.is_empty() || name == "local" {
            return Ok(None);
        }
        targets
            .get(name)
            .map(|t| Some((name.to_string(), t.clone())))
            .ok_or_else(|| {
                let known: Vec<&str> = targets.keys().map(String::as_str).collect();
                format!(
                    "no target {name:?} in devloop.toml (known: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )
            })
    };
    if let Some(name) = asked {
        return named(name);
    }
    if let Some(name) = config_value(config_name, config_text, "target") {
        if targets.contains_key(&name) {
            return named(&name);
        }
    }
    if let Some(dest) = config_value(config_name, config_text, "ssh_target") {
        if let Some((name, t)) = targets
            .iter()
            .find(|(_, t)| t.ssh.as_deref() == Some(&dest))
        {
            return Ok(Some((name.clone(), t.clone())));
        }
        SshDest::parse(&dest).map_err(|e| format!("ssh_target: {e}"))?;
        return Ok(Some((dest.clone(), TargetConfig::from_ssh(&dest))));
    }
    Ok(None)
}

/// A top-level string setting of a config: parsed for TOML, YAML and JSON;
/// for Python, `key = "value"` at the start of an unindented line.
fn config_value(name: &str, text: &str, key: &str) -> Option<String> {
    if let Some(v) = crate::configs::declarative_value(name, text) {
        return v.get(key)?.as_str().map(str::to_string);
    }
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?;
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix('=')
            .or_else(|| rest.strip_prefix(':'))?
            .trim();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &rest[1..];
        Some(inner[..inner.find(quote)?].to_string())
    })
}

/// Where a run lives on its target, and how to reach it; written by the
/// proxy to `remote.json` in the local run folder, read by the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RemoteInfo {
    pub target: String,
    pub kind: String,
    /// The host the run is on (for Slurm, the node, once it runs).
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub job_id: Option<String>,
    /// `pending` while waiting for resources, then `running`.
    #[serde(default)]
    pub state: String,
    /// Slurm's reason for a pending job ("Resources", "Priority").
    #[serde(default)]
    pub reason: Option<String>,
    /// The run's folder on the target.
    #[serde(default)]
    pub run_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_argument_one_word_for_the_remote_shell() {
        let args = [
            "plain",
            "with space",
            "it's",
            "$(rm -rf ~)",
            "`x`",
            "a;b|c&d",
            "",
            "new\nline",
            "*",
            "~/x y",
            "\"dq\"",
        ];
        for a in args {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf '%s\\0' {}", shell_quote(a))])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                format!("{a}\0"),
                "{a:?}"
            );
        }
        let line = remote_command(&["~/bin/devloop 1".into(), "follow".into(), "a b".into()]);
        assert_eq!(line, "~/'bin/devloop 1' follow 'a b'");
    }

    #[test]
    fn destinations_parse_and_options_cannot_be_smuggled() {
        assert_eq!(
            SshDest::parse("me@gpu-box:2222").unwrap(),
            SshDest {
                user: Some("me".into()),
                host: "gpu-box".into(),
                port: Some(2222)
            }
        );
        assert_eq!(SshDest::parse("host").unwrap().port, None);
        assert!(SshDest::parse("-oProxyCommand=x").is_err());
        assert!(SshDest::parse("-l@host").is_err());
        assert!(SshDest::parse("me@host:http").is_err());
        let t = TargetConfig::from_ssh("me@h:22");
        let argv = ssh_argv(&t).unwrap();
        assert_eq!(&argv[argv.len() - 2..], ["--", "h"]);
        assert!(!argv.iter().any(|a| a.contains("StrictHostKeyChecking")));
    }

    #[test]
    fn a_config_names_its_target() {
        let mut targets = Targets::new();
        targets.insert("gpu".into(), TargetConfig::from_ssh("me@gpu:22"));
        let pick = |asked: Option<&str>, text: &str| {
            choose(&targets, asked, "c.py", text).map(|t| t.map(|(n, _)| n))
        };
        assert_eq!(pick(None, "x = 1\n"), Ok(None));
        assert_eq!(pick(None, "target = \"gpu\"\n"), Ok(Some("gpu".into())));
        assert_eq!(
            pick(None, "ssh_target = \"me@gpu:22\"\n"),
            Ok(Some("gpu".into()))
        );
        assert_eq!(
            pick(None, "target = \"Paris\"\n"),
            Ok(None),
            "an answer, not a target"
        );
        assert_eq!(
            pick(None, "def f():\n    target = \"gpu\"\n"),
            Ok(None),
            "not top level"
        );
        assert_eq!(
            choose(
                &targets,
                None,
                "c.json",
                "{\"samples\": [{\"target\": \"gpu\"}], \"target\": \"gpu\"}"
            )
            .map(|t| t.map(|(n, _)| n)),
            Ok(Some("gpu".into()))
        );
        assert_eq!(
            pick(None, "ssh_target='u@other:2'\n"),
            Ok(Some("u@other:2".into()))
        );
        assert_eq!(pick(Some("local"), "target = \"gpu\"\n"), Ok(None));
        assert!(pick(Some("nope"), "").unwrap_err().contains("known: gpu"));
    }
}
