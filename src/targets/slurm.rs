//! Talking to Slurm: submit the supervisor as a job, read a job's state and
//! reason, cancel it. Every command is argv; run here, or on the login node
//! through the proxy's `remote_argv`.

/// A job as `squeue` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    /// PENDING, RUNNING, COMPLETING, …
    pub state: String,
    /// Why it waits ("Resources", "Priority") or "None".
    pub reason: String,
    /// The node(s) it runs on, once it runs.
    pub nodes: String,
}

/// `sbatch` for `devloop supervise RUN_DIR` on the cluster.
pub fn sbatch_argv(
    options: &[String],
    workdir: &str,
    run_dir: &str,
    job_name: &str,
    supervise: &[String],
) -> Vec<String> {
    let mut argv: Vec<String> = vec!["sbatch".into(), "--parsable".into()];
    argv.push(format!("--job-name={job_name}"));
    argv.push(format!("--chdir={workdir}"));
    argv.push(format!("--output={run_dir}/slurm.out"));
    argv.extend(options.iter().cloned());
    // The job script: sbatch gets it as one argument and runs it with
    // /bin/sh, so it is quoted by the one quoting function.
    argv.push(format!("--wrap=exec {}", super::remote_command(supervise)));
    argv
}

/// The job id `sbatch --parsable` printed (`ID` or `ID;cluster`).
pub fn parse_job_id(out: &str) -> Option<String> {
    let id = out.trim().lines().last()?.split(';').next()?.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '_')).then(|| id.to_string())
}

pub fn squeue_argv(job: &str) -> Vec<String> {
    ["squeue", "-h", "-j", job, "-o", "%T|%r|%N"]
        .map(String::from)
        .to_vec()
}

/// `None` when the job is no longer in the queue.
pub fn parse_squeue(out: &str) -> Option<JobState> {
    let line = out.lines().find(|l| !l.trim().is_empty())?;
    let mut parts = line.trim().splitn(3, '|');
    Some(JobState {
        state: parts.next()?.to_string(),
        reason: parts.next().unwrap_or("").to_string(),
        nodes: parts.next().unwrap_or("").to_string(),
    })
}

pub fn scontrol_argv(job: &str) -> Vec<String> {
    ["scontrol", "show", "job", job].map(String::from).to_vec()
}

/// `JobState` and `Reason` of `scontrol show job`, e.g. ("TIMEOUT", "TimeLimit").
pub fn parse_scontrol(out: &str) -> Option<(String, String)> {
    let field = |key: &str| {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .map(str::to_string)
    };
    Some((field("JobState=")?, field("Reason=").unwrap_or_default()))
}

pub fn scancel_argv(job: &str) -> Vec<String> {
    vec!["scancel".into(), job.into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_outputs_are_read() {
        assert_eq!(parse_job_id("1234\n"), Some("1234".into()));
        assert_eq!(parse_job_id("77;cluster\n"), Some("77".into()));
        assert_eq!(parse_job_id("sbatch: error"), None);
        assert_eq!(
            parse_squeue("PENDING|Resources|\n"),
            Some(JobState {
                state: "PENDING".into(),
                reason: "Resources".into(),
                nodes: "".into()
            })
        );
        assert_eq!(parse_squeue(""), None);
        assert_eq!(
            parse_scontrol(
                "JobId=5 JobName=x\n   JobState=TIMEOUT Reason=TimeLimit Dependency=(null)"
            ),
            Some(("TIMEOUT".into(), "TimeLimit".into()))
        );
        let argv = sbatch_argv(
            &["--partition=debug".into()],
            "/w",
            "/w/r",
            "devloop-1",
            &["/w/bin/devloop".into(), "supervise".into(), "/w/r x".into()],
        );
        assert_eq!(
            argv.last().unwrap(),
            "--wrap=exec /w/bin/devloop supervise '/w/r x'"
        );
    }
}
