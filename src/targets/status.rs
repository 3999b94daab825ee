//! `GET /api/targets`: each target with whether it answers right now and
//! what it is (host and architecture; for Slurm, the free nodes).

use serde::Serialize;

use super::{TargetConfig, Targets};

/// How long a target may take to answer the check.
const CHECK_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Debug, Serialize)]
pub struct TargetStatus {
    pub name: String,
    pub kind: &'static str,
    pub ssh: Option<String>,
    pub workdir: Option<String>,
    pub answers: bool,
    /// `uname -sm` of the target.
    pub arch: Option<String>,
    pub host: Option<String>,
    /// Slurm: nodes idle now, and all nodes.
    pub free_nodes: Option<u64>,
    pub nodes: Option<u64>,
    pub error: Option<String>,
}

pub fn check_all(targets: &Targets) -> Vec<TargetStatus> {
    let handles: Vec<_> = targets
        .iter()
        .map(|(name, t)| {
            let (name, t) = (name.clone(), t.clone());
            std::thread::spawn(move || check(&name, &t))
        })
        .collect();
    handles.into_iter().filter_map(|h| h.join().ok()).collect()
}

fn check(name: &str, t: &TargetConfig) -> TargetStatus {
    let mut s = TargetStatus {
        name: name.to_string(),
        kind: t.kind(),
        ssh: t.ssh.clone(),
        workdir: t.workdir.clone(),
        answers: false,
        arch: None,
        host: None,
        free_nodes: None,
        nodes: None,
        error: t.validate(name).err(),
    };
    if s.error.is_some() {
        return s;
    }
    let run = |argv: Vec<String>| -> Result<String, String> {
        let full = t.argv_on_target(&argv)?;
        let out = crate::command::run(
            std::process::Command::new(&full[0]).args(&full[1..]),
            CHECK_LIMIT,
        )
        .map_err(|e| format!("{} {e}", full[0]))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(crate::command::last_error_line(&out))
        }
    };
    match run(vec!["sh".into(), "-c".into(), "uname -sm; uname -n".into()]) {
        Ok(out) => {
            let mut lines = out.lines();
            s.arch = lines.next().map(str::to_string);
            s.host = lines.next().map(str::to_string);
            s.answers = true;
        }
        Err(e) => {
            s.error = Some(e);
            return s;
        }
    }
    if t.is_slurm() {
        match run(vec![
            "sinfo".into(),
            "-h".into(),
            "-o".into(),
            "%D %t".into(),
        ]) {
            Ok(out) => {
                let (mut free, mut all) = (0, 0);
                for line in out.lines() {
                    let mut f = line.split_whitespace();
                    let n: u64 = f.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    all += n;
                    if f.next().is_some_and(|st| st.starts_with("idle")) {
                        free += n;
                    }
                }
                s.free_nodes = Some(free);
                s.nodes = Some(all);
            }
            Err(e) => {
                s.answers = false;
                s.error = Some(format!("sinfo: {e}"));
            }
        }
    }
    s
}
