//! Config files: read with a version, saved atomically without silently
//! overwriting a change made elsewhere, copied under a checked new name, and
//! validated (built-in syntax checks for toml/json/yaml with line and column;
//! the project's `[validate]` command for other kinds).

use std::hash::{Hash, Hasher};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::settings::Settings;

/// Extensions of files shown as configs.
pub const CONFIG_EXTENSIONS: [&str; 5] = ["py", "toml", "yaml", "yml", "json"];

/// Largest config accepted.
pub const MAX_CONFIG: usize = 1 << 20;
const VALIDATE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Serialize)]
pub struct ConfigFile {
    pub name: String,
    pub content: String,
    /// Changes whenever the file's content changes; a save must name the
    /// version it started from.
    pub version: String,
    pub mtime_ms: u64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Problem {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Validation {
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// Output of the `[validate]` command, when one ran.
    pub output: Option<String>,
    pub checker: String,
}

pub fn version_of(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}-{}", h.finish(), bytes.len())
}

fn path_for_new(settings: &Settings, name: &str) -> ApiResult<PathBuf> {
    crate::names::check_relative(name)?;
    let ext = extension(name);
    if !CONFIG_EXTENSIONS.contains(&ext) {
        return Err(ApiError::BadRequest(format!(
            "a config name must end in one of .{}",
            CONFIG_EXTENSIONS.join(", .")
        )));
    }
    let base = settings.configs_dir.canonicalize().map_err(|_| {
        ApiError::NotFound(format!(
            "the configs folder {} does not exist",
            settings.configs_dir.display()
        ))
    })?;
    let path = base.join(name);
    let parent = path
        .parent()
        .unwrap_or(&base)
        .canonicalize()
        .map_err(|_| ApiError::BadRequest(format!("the folder of {name:?} does not exist")))?;
    if !parent.starts_with(&base) {
        return Err(ApiError::BadRequest(
            "name resolves outside the configs folder".into(),
        ));
    }
    if path.is_symlink() {
        return Err(ApiError::BadRequest(
            "a config may not be a symlink to write through".into(),
        ));
    }
    Ok(path)
}

pub fn extension(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

pub fn read(settings: &Settings, name: &str) -> ApiResult<ConfigFile> {
    let path = crate::names::resolve_existing(&settings.configs_dir, name)
        .map_err(|_| ApiError::NotFound(format!("no config {name:?}")))?;
    let bytes = std::fs::read(&path)?;
    if bytes.len() > MAX_CONFIG {
        return Err(ApiError::TooLarge(format!(
            "{name} is larger than {} KiB",
            MAX_CONFIG >> 10
        )));
    }
    let meta = std::fs::metadata(&path)?;
    Ok(ConfigFile {
        name: name.to_string(),
        version: version_of(&bytes),
        content: String::from_utf8(bytes)
            .map_err(|_| ApiError::BadRequest(format!("{name} is not UTF-8 text")))?,
        mtime_ms: crate::results::mtime_ms(&meta),
    })
}

/// Saves `content` if the file is still at `base_version` (`None`: the file
/// must not exist yet), or unconditionally with `force`. Atomic: a reader
/// sees the old file or the new one, never half.
pub fn save(
    settings: &Settings,
    name: &str,
    content: &str,
    base_version: Option<&str>,
    force: bool,
) -> ApiResult<ConfigFile> {
    if content.len() > MAX_CONFIG {
        return Err(ApiError::TooLarge(format!(
            "a config may be at most {} KiB",
            MAX_CONFIG >> 10
        )));
    }
    let path = path_for_new(settings, name)?;
    let current = std::fs::read(&path).ok();
    if !force {
        match (&current, base_version) {
            (Some(bytes), Some(base)) if version_of(bytes) != base => {
                return Err(conflict(name, bytes, "was changed since you opened it"));
            }
            (Some(bytes), None) => return Err(conflict(name, bytes, "already exists")),
            (None, Some(_)) => {
                return Err(ApiError::Conflict(format!(
                    "{name} was deleted since you opened it"
                )))
            }
            _ => {}
        }
    }
    crate::runs::folder::write_atomic(&path, content.as_bytes())?;
    read(settings, name)
}

fn conflict(name: &str, current: &[u8], what: &str) -> ApiError {
    ApiError::Conflict(format!(
        "{name} {what}; reload it, compare, or save again to overwrite (current version {})",
        version_of(current)
    ))
}

pub fn copy(settings: &Settings, from: &str, to: &str) -> ApiResult<ConfigFile> {
    let src = read(settings, from)?;
    if extension(from) != extension(to) {
        return Err(ApiError::BadRequest(format!(
            "keep the extension .{}",
            extension(from)
        )));
    }
    save(settings, to, &src.content, None, false)
}

/// The next free numbered name in the prototype's style: `03_my_experiment.py`.
pub fn suggest_name(settings: &Settings, from: &str) -> String {
    let ext = extension(from);
    let stem = from.trim_end_matches(&format!(".{ext}"));
    let stem = stem.rsplit('/').next().unwrap_or(stem);
    let base = stem
        .split_once('_')
        .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .map(|(_, rest)| rest)
        .unwrap_or(stem);
    let mut max = 0;
    if let Ok(entries) = std::fs::read_dir(&settings.configs_dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some((num, _)) = n.split_once('_') {
                if let Ok(v) = num.parse::<u32>() {
                    max = max.max(v);
                }
            }
        }
    }
    format!("{:02}_{base}.{ext}", max + 1)
}

/// Checks `content` as config `name` would be checked.
pub fn validate(settings: &Settings, name: &str, content: &str) -> Validation {
    let ext = extension(name);
    let builtin = |checker: &str, problems: Vec<Problem>| Validation {
        ok: problems.is_empty(),
        problems,
        output: None,
        checker: checker.into(),
    };
    if let Some(cmd) = settings.validate.get(ext) {
        return run_validator(settings, name, content, cmd);
    }
    match ext {
        "toml" => builtin("toml", check_toml(content)),
        "json" => builtin("json", check_json(content)),
        "yaml" | "yml" => builtin("yaml", check_yaml(content)),
        _ => Validation {
            ok: true,
            problems: vec![],
            output: None,
            checker: format!("none (add [validate] {ext} = [...] to devloop.toml)"),
        },
    }
}

fn check_toml(content: &str) -> Vec<Problem> {
    match content.parse::<toml::Table>() {
        Ok(_) => vec![],
        Err(e) => {
            let (line, column) = e
                .span()
                .map(|s| line_col(content, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            vec![Problem {
                message: e.message().to_string(),
                line,
                column,
            }]
        }
    }
}

fn check_json(content: &str) -> Vec<Problem> {
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(_) => vec![],
        Err(e) => vec![Problem {
            message: e.to_string(),
            line: Some(e.line()),
            column: Some(e.column()),
        }],
    }
}

fn check_yaml(content: &str) -> Vec<Problem> {
    match yaml_rust2::YamlLoader::load_from_str(content) {
        Ok(_) => vec![],
        Err(e) => vec![Problem {
            message: e.info().to_string(),
            line: Some(e.marker().line()),
            column: Some(e.marker().col() + 1),
        }],
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Runs the project's validator on the content, written to a temporary copy
/// with the same file name so error messages name the right file.
fn run_validator(settings: &Settings, name: &str, content: &str, cmd: &[String]) -> Validation {
    let fail = |message: String| Validation {
        ok: false,
        problems: vec![Problem {
            message,
            line: None,
            column: None,
        }],
        output: None,
        checker: cmd.join(" "),
    };
    let Ok(tmp) = tempfile::tempdir() else {
        return fail("cannot make a temporary folder".into());
    };
    let file = tmp
        .path()
        .join(Path::new(name).file_name().unwrap_or_default());
    if let Err(e) = std::fs::write(&file, content) {
        return fail(format!("cannot write a temporary copy: {e}"));
    }
    let file_str = file.to_string_lossy().into_owned();
    let argv = crate::settings::expand(
        cmd,
        &crate::settings::Placeholders {
            config: &file_str,
            config_name: name,
            run_id: "",
            run_dir: "",
            project: &settings.project.to_string_lossy(),
        },
    );
    let Some((program, args)) = argv.split_first() else {
        return fail("empty [validate] command".into());
    };
    let child = Command::new(program)
        .args(args)
        .current_dir(&settings.project)
        .envs(settings.env.iter())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return fail(format!("could not start {program}: {e}")),
    };
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(VALIDATE_TIMEOUT) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return fail(format!("validator failed: {e}")),
        Err(_) => {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            return fail(format!(
                "validator took longer than {}s",
                VALIDATE_TIMEOUT.as_secs()
            ));
        }
    };
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let output = output.replace(&file_str, name);
    let ok = out.status.success();
    let problems = if ok {
        vec![]
    } else {
        vec![Problem {
            message: output
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("validation failed")
                .to_string(),
            line: find_line_number(&output),
            column: None,
        }]
    };
    Validation {
        ok,
        problems,
        output: Some(output),
        checker: cmd.join(" "),
    }
}

/// The first `line N` in a validator's output (Python's style).
fn find_line_number(output: &str) -> Option<usize> {
    let pos = output.find("line ")?;
    output[pos + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let t = check_toml("a = 1\nb = = 2\n");
        assert_eq!((t[0].line, t[0].column.is_some()), (Some(2), true));
        let j = check_json("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(j[0].line, Some(3));
        let y = check_yaml("a: 1\nb: [1, 2\nc: 3\n");
        assert!(y[0].line.is_some(), "{y:?}");
        assert!(
            check_toml("a = 1").is_empty()
                && check_json("[]").is_empty()
                && check_yaml("a: [1]").is_empty()
        );
    }
}
