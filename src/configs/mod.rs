//! Config files: read with a version, saved atomically without silently
//! overwriting a change made elsewhere, and copied under a checked new name.
//! Checking them is `validate`'s job.

mod list;
mod plain;
mod validate;

pub use list::{list, ConfigEntry};
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
    if !settings.configs_dir.is_dir() {
        return Err(ApiError::NotFound(format!(
            "the configs folder {} does not exist",
            settings.display_path(&settings.configs_dir)
        )));
    }
    crate::names::resolve_new(&settings.configs_dir, name).map_err(|e| match e {
        crate::names::NameError::Escapes => ApiError::BadRequest(format!(
            "{name:?}: its folder must exist inside the configs folder, and it may not be a link"
        )),
        other => other.into(),
    })
}

/// The config a client means: its file name (`sweep/lr 3e-4.toml`), its
/// path from the project (`configs/quick.py`, as a shell completes it), or,
/// as the prototype's page sends it, its stem (`01_baseline`) when exactly
/// one config has that stem.
pub fn resolve_name(settings: &Settings, name: &str) -> ApiResult<String> {
    let exists = |n: &str| {
        crate::names::resolve_existing(&settings.configs_dir, n).is_ok_and(|p| p.is_file())
    };
    if exists(name) {
        return Ok(name.to_string());
    }
    let folder = settings.display_path(&settings.configs_dir);
    if let Some(rest) = name.strip_prefix(&format!("{folder}/")) {
        if exists(rest) {
            return Ok(rest.to_string());
        }
    }
    let candidates: Vec<String> = list(&settings.configs_dir)
        .into_iter()
        .filter(|c| c.error.is_none())
        .filter(|c| {
            c.name
                .strip_suffix(&format!(".{}", c.ext))
                .is_some_and(|stem| stem == name)
        })
        .map(|c| c.name)
        .collect();
    match candidates.len() {
        1 => Ok(candidates.into_iter().next().unwrap_or_default()),
        0 => Err(ApiError::NotFound(format!(
            "no config {name:?} in {}",
            settings.display_path(&settings.configs_dir)
        ))),
        _ => Err(ApiError::Conflict(format!(
            "{name:?} could mean {}: give the whole file name",
            candidates.join(", ")
        ))),
    }
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
        mtime_ms: crate::fsutil::mtime_ms(&meta),
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
    crate::fsutil::write_atomic(&path, content.as_bytes())?;
    read(settings, name)
}

fn conflict(name: &str, current: &[u8], what: &str) -> ApiError {
    ApiError::Conflict(format!(
        "{name} {what}; reload it, compare, or save again to overwrite (current version {})",
        version_of(current)
    ))
}

/// Removes a config file (a link: the link only). Runs keep their snapshot.
pub fn delete(settings: &Settings, name: &str) -> ApiResult<()> {
    let path = path_for_existing(settings, name)?;
    std::fs::remove_file(path)?;
    Ok(())
}

/// The path of existing config `name`, not resolved through a final link,
/// after checking that it resolves inside the configs folder.
fn path_for_existing(settings: &Settings, name: &str) -> ApiResult<PathBuf> {
    let not_found = || ApiError::NotFound(format!("no config {name:?}"));
    crate::names::resolve_existing(&settings.configs_dir, name).map_err(|_| not_found())?;
    let path = settings.configs_dir.join(name);
    if std::fs::symlink_metadata(&path)
        .map_err(|_| not_found())?
        .is_dir()
    {
        return Err(not_found());
    }
    Ok(path)
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

/// The next free numbered name in the prototype's style, in the same folder:
/// `sweep/03_my experiment.py`. Always a name the copy route accepts.
pub fn suggest_name(settings: &Settings, from: &str) -> String {
    let ext = extension(from);
    let (folder, file) = match from.rsplit_once('/') {
        Some((f, n)) => (format!("{f}/"), n),
        None => (String::new(), from),
    };
    let stem = file.strip_suffix(&format!(".{ext}")).unwrap_or(file);
    let base = stem
        .split_once('_')
        .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .map(|(_, rest)| rest)
        .unwrap_or(stem);
    let mut max = 0;
    if let Ok(entries) = std::fs::read_dir(settings.configs_dir.join(&folder)) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some((num, _)) = n.split_once('_') {
                if let Ok(v) = num.parse::<u32>() {
                    max = max.max(v);
                }
            }
        }
    }
    let number = format!("{:02}_", max.saturating_add(1));
    let room = crate::names::MAX_PART.saturating_sub(number.len() + ext.len() + 1);
    let base = crate::names::truncate_bytes(base, room);
    format!("{folder}{number}{base}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_copy_name_fits_and_stays_in_its_folder() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("configs/sweep")).unwrap();
        std::fs::write(d.path().join("configs/sweep/07_x.py"), "").unwrap();
        let settings = Settings::load(d.path()).unwrap();
        let long = format!("{}.py", "é".repeat(126));
        assert_eq!(long.len(), 255);
        let s = suggest_name(&settings, &long);
        assert!(
            s.len() <= 255 && s.starts_with("01_") && s.ends_with(".py"),
            "{s}"
        );
        assert!(crate::names::check_relative(&s).is_ok());
        assert_eq!(suggest_name(&settings, "sweep/07_x.py"), "sweep/08_x.py");
        assert_eq!(
            suggest_name(&settings, "my eval (v2).toml"),
            "01_my eval (v2).toml"
        );
    }
}
