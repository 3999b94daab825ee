//! Names that come from clients (config, run, result, dataset) are checked
//! here, once, before any path is built from them: nothing may leave the
//! folder it names a file in.

use std::path::{Path, PathBuf};

pub const MAX_NAME: usize = 255;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {MAX_NAME} bytes")]
    TooLong,
    #[error("name may only use letters, digits, '_', '-', '.' and '/' between parts")]
    BadChar,
    #[error("name may not have empty, '.' or '..' parts, or parts starting with '.'")]
    BadPart,
    #[error("name resolves outside its folder")]
    Escapes,
}

/// Checks a relative name such as `sweep/03_lr.py`.
pub fn check_relative(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME {
        return Err(NameError::TooLong);
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
    {
        return Err(NameError::BadChar);
    }
    if name
        .split('/')
        .any(|part| part.is_empty() || part.starts_with('.'))
    {
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

/// Run ids are made by us (`ids::new_run_id`); anything else is refused.
pub fn check_run_id(id: &str) -> Result<(), NameError> {
    if id.is_empty() {
        return Err(NameError::Empty);
    }
    if id.len() > 64 {
        return Err(NameError::TooLong);
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(NameError::BadChar);
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
            "a\0b",
            ".hidden",
            "a//b",
            "a b",
            "x;rm",
            "%2e%2e/x",
            "",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(check_relative(&"a".repeat(300)), Err(NameError::TooLong));
        for good in ["quick.py", "sweep/03_lr-1e-4.toml", "_base.py"] {
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
        std::fs::write(base.join("ok.py"), "x").unwrap();
        assert_eq!(resolve_existing(&base, "link.py"), Err(NameError::Escapes));
        assert!(resolve_existing(&base, "ok.py").is_ok());
    }
}
