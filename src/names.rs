//! Names that come from clients (config, run, result, dataset, sample) are
//! checked here before any path is built from them. Users name files with
//! spaces, unicode and punctuation, so the guard is containment, not a list
//! of allowed characters: a name is a relative path of real parts, and the
//! path it resolves to (symlinks followed) must stay inside its folder.

use std::path::{Path, PathBuf};

/// The longest part (file or folder name) Linux allows.
pub const MAX_PART: usize = 255;
/// The longest whole name accepted (Linux's PATH_MAX).
pub const MAX_NAME: usize = 4096;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {MAX_NAME} bytes, or one of its parts longer than {MAX_PART}")]
    TooLong,
    #[error("name may not contain a NUL byte")]
    Nul,
    #[error("name may not be absolute or have empty, '.' or '..' parts")]
    BadPart,
    #[error("name resolves outside its folder")]
    Escapes,
}

/// Checks a relative name such as `sweep/lr 3e-4 (v2).toml`: any bytes a
/// file name may hold, but no NUL, nothing absolute, no empty, `.` or `..`
/// part, and parts that fit the file system's limit.
pub fn check_relative(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME {
        return Err(NameError::TooLong);
    }
    if name.contains('\0') {
        return Err(NameError::Nul);
    }
    for part in name.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(NameError::BadPart);
        }
        if part.len() > MAX_PART {
            return Err(NameError::TooLong);
        }
    }
    Ok(())
}

/// Checks a name that must be one part: a result folder, a sample id.
pub fn check_part(name: &str) -> Result<(), NameError> {
    check_relative(name)?;
    if name.contains('/') {
        return Err(NameError::BadPart);
    }
    Ok(())
}

/// Resolves `name` under `base`, following symlinks, and refuses anything
/// that ends up outside `base`. The file must exist.
pub fn resolve_existing(base: &Path, name: &str) -> Result<PathBuf, NameError> {
    check_relative(name)?;
    let base = base.canonicalize().map_err(|_| NameError::Escapes)?;
    let path = base
        .join(name)
        .canonicalize()
        .map_err(|_| NameError::Escapes)?;
    if path.starts_with(&base) {
        Ok(path)
    } else {
        Err(NameError::Escapes)
    }
}

/// Where a new file `name` would go under `base`: its folder must exist and
/// resolve inside `base`, and the file itself may not be a symlink (a save
/// must never write through one).
pub fn resolve_new(base: &Path, name: &str) -> Result<PathBuf, NameError> {
    check_relative(name)?;
    let base = base.canonicalize().map_err(|_| NameError::Escapes)?;
    let path = base.join(name);
    let parent = path
        .parent()
        .unwrap_or(&base)
        .canonicalize()
        .map_err(|_| NameError::Escapes)?;
    if !parent.starts_with(&base) || path.is_symlink() {
        return Err(NameError::Escapes);
    }
    Ok(parent.join(path.file_name().ok_or(NameError::BadPart)?))
}

/// A name as a person should read it: control characters (a newline or tab
/// in a file name) shown escaped, so a list entry stays one line.
pub fn display(name: &str) -> String {
    if !name.chars().any(char::is_control) {
        return name.to_string();
    }
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Cuts `s` to at most `max` bytes at a character boundary (names, previews,
/// transcript items all cut this way).
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Run ids are made by us (`ids::new_run_id`); anything else is refused.
pub fn check_run_id(id: &str) -> Result<(), NameError> {
    if id.is_empty() {
        return Err(NameError::Empty);
    }
    if id.len() > 64 {
        return Err(NameError::TooLong);
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(NameError::BadPart);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_escape_are_refused() {
        for bad in [
            "../x.py",
            "/etc/passwd",
            "a/../../x",
            "a/./b",
            "a\0b",
            "a//b",
            "a/",
            "..",
            "",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(check_relative(&"a".repeat(256)), Err(NameError::TooLong));
        assert_eq!(check_part("a/b"), Err(NameError::BadPart));
    }

    #[test]
    fn names_users_give_are_accepted() {
        for good in [
            "quick.py",
            "sweep/03_lr-1e-4.toml",
            "_base.py",
            "my eval (v2)_20261120_100000",
            "café.py",
            "日本/設定.toml",
            "a+b u@h r#1 100% x,y;z 'q' \"d\".json",
            "<b>bold</b>.py",
            "%2e%2e",
            "line\nbreak\ttab.py",
            ".hidden",
            "...",
            &"é".repeat(127),
        ] {
            assert!(check_relative(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn symlink_pointing_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("configs");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(dir.path().join("secret.py"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.py"), base.join("link.py")).unwrap();
        std::os::unix::fs::symlink(dir.path(), base.join("up")).unwrap();
        std::fs::write(base.join("ok (1).py"), "x").unwrap();
        assert_eq!(resolve_existing(&base, "link.py"), Err(NameError::Escapes));
        assert!(resolve_existing(&base, "ok (1).py").is_ok());
        assert_eq!(resolve_new(&base, "up/new.py"), Err(NameError::Escapes));
        assert_eq!(resolve_new(&base, "link.py"), Err(NameError::Escapes));
        assert!(resolve_new(&base, "new é.py").is_ok());
    }

    #[test]
    fn control_characters_are_shown_escaped_and_truncation_keeps_characters() {
        assert_eq!(display("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(display("café"), "café");
        assert_eq!(truncate_bytes("aé", 2), "a");
    }
}
