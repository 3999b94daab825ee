//! Config files: read with a version, saved atomically without silently
//! overwriting a change made elsewhere, and copied under a checked new name.
//! Checking them is `validate`'s job.

mod validate;

pub use validate::{declarative_value, validate, Problem, Validation};

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::settings::Settings;

/// Extensions of files shown as configs.
pub const CONFIG_EXTENSIONS: [&str; 5] = ["py", "toml", "yaml", "yml", "json"];

/// Largest config accepted.
pub const MAX_CONFIG: usize = 1 << 20;

#[derive(Debug, Serialize)]
pub struct ConfigFile {
    pub name: String,
    pub content: String,
    /// Changes whenever the file's content changes; a save must name the
    /// version it started from.
    pub version: String,
    pub mtime_ms: u64,
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
