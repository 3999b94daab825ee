//! Finding configs: every file with a config extension under the configs
//! folder, at any depth. Nothing is left out silently: a file the server will
//! not serve (a name that is not UTF-8, a link out of the folder, a linked
//! folder) is listed with the reason. Names starting with `_` or `.` are
//! hidden, as the prototype did (`_schema.json`, editor files).

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::{extension, CONFIG_EXTENSIONS};

#[derive(Debug, Serialize)]
pub struct ConfigEntry {
    /// The name relative to the configs folder, `/` between parts.
    pub name: String,
    pub ext: String,
    pub size: u64,
    pub mtime_ms: u64,
    /// Why this entry cannot be opened or launched; absent when it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub last_run: Option<Value>,
}

/// Configs under `dir`, sorted by name.
pub fn list(dir: &Path) -> Vec<ConfigEntry> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !is_hidden(e.file_name()));
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if let Some(path) = e.path() {
                    out.push(problem(dir, path, format!("cannot be read: {e}")));
                }
                continue;
            }
        };
        let path = entry.path();
        let is_link = entry.path_is_symlink();
        if entry.file_type().is_dir() {
            continue;
        }
        let ext = extension(&entry.file_name().to_string_lossy()).to_string();
        if !CONFIG_EXTENSIONS.contains(&ext.as_str()) {
            if is_link && path.is_dir() {
                out.push(problem(dir, path, "a linked folder is not followed".into()));
            }
            continue;
        }
        let Some(rel) = relative_name(dir, path) else {
            out.push(problem(
                dir,
                path,
                "the name is not valid UTF-8: rename it to open it".into(),
            ));
            continue;
        };
        let error = if is_link && crate::names::resolve_existing(dir, &rel).is_err() {
            Some("a link that points outside the configs folder (or nowhere)".into())
        } else {
            None
        };
        let meta = std::fs::metadata(path).ok();
        out.push(ConfigEntry {
            name: rel,
            ext,
            size: meta.as_ref().map_or(0, |m| m.len()),
            mtime_ms: meta.as_ref().map_or(0, crate::fsutil::mtime_ms),
            error,
            last_run: None,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    let b = name.as_encoded_bytes();
    b.first().is_some_and(|c| *c == b'_' || *c == b'.')
}

fn relative_name(dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(dir).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

fn problem(dir: &Path, path: &Path, error: String) -> ConfigEntry {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    ConfigEntry {
        name: rel.to_string_lossy().into_owned(),
        ext: extension(&rel.to_string_lossy()).to_string(),
        size: 0,
        mtime_ms: 0,
        error: Some(error),
        last_run: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_depth_every_name_and_the_unservable_with_a_reason() {
        let d = tempfile::tempdir().unwrap();
        let c = d.path();
        let deep = c.join("a/b c/d/e (f)/日本");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x y.toml"), "").unwrap();
        std::fs::write(c.join("café 100%.py"), "").unwrap();
        std::fs::write(c.join("_hidden.py"), "").unwrap();
        std::fs::write(c.join("notes.txt"), "").unwrap();
        std::fs::write(c.join("line\nbreak.py"), "").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", c.join("out.py")).unwrap();
        let bad = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"bad\xff.py");
        std::fs::write(c.join(bad), "").unwrap();
        let got = list(c);
        let names: Vec<(&str, bool)> = got
            .iter()
            .map(|e| (e.name.as_str(), e.error.is_some()))
            .collect();
        assert_eq!(
            names,
            [
                ("a/b c/d/e (f)/日本/x y.toml", false),
                ("bad\u{fffd}.py", true),
                ("café 100%.py", false),
                ("line\nbreak.py", false),
                ("out.py", true),
            ]
        );
    }
}
