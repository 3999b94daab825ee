//! Small file helpers every part uses: atomic writes, JSON files, mtimes.

use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Writes `bytes` to a new temporary file beside `path` (made exclusively,
/// with a short random name, so neither a planted link nor a 255-byte `path`
/// gets in the way), syncs it and renames it over `path`: a reader sees the
/// old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_replacing(path, bytes, true)
}

/// Like [`write_atomic`] without waiting for the disk: for a file rewritten
/// every second whose loss in a crash costs nothing (a run's metrics so far).
pub fn write_json_unsynced<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_replacing(path, &serde_json::to_vec(value)?, false)
}

fn write_replacing(path: &Path, bytes: &[u8], sync: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".devloop-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path)
        .with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(value)?)
}

/// Modification time in Unix milliseconds (0 when unknown).
pub fn mtime_ms(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_255_byte_name_is_written_and_a_planted_link_is_not_written_through() {
        let d = tempfile::tempdir().unwrap();
        let name = d.path().join(format!("{}.py", "é".repeat(126)));
        write_atomic(&name, b"one").unwrap();
        write_atomic(&name, b"two").unwrap();
        assert_eq!(std::fs::read(&name).unwrap(), b"two");
        let victim = d.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let target = d.path().join("x.py");
        std::os::unix::fs::symlink(&victim, d.path().join("x.py.partial")).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".devloop-"))
            .collect();
        assert!(left.is_empty(), "no temporary file is left behind");
    }
}
