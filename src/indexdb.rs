//! The SQLite file `.devloop/devloop.db`. It is only an index: the run
//! folders and result folders hold the truth. So a file that is not a
//! database, or fails its integrity check, is moved aside (the log says
//! where) and a new one is made; the runs come back from their folders.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::Connection;

/// Opens the index at `path`, replacing it when it is damaged.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    match open_checked(path) {
        Ok(conn) => Ok(conn),
        Err(problem) => {
            let aside = move_aside(path)?;
            tracing::warn!(
                "the index {} was damaged ({problem:#}); moved it to {} and made a new one, rebuilt from the run folders",
                path.display(),
                aside.display()
            );
            open_checked(path).with_context(|| format!("making a new index at {}", path.display()))
        }
    }
}

fn open_checked(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    anyhow::ensure!(verdict == "ok", "integrity check: {verdict}");
    Ok(conn)
}

/// Renames the database and its WAL files to `NAME.damaged-UNIXMS*`.
fn move_aside(path: &Path) -> anyhow::Result<PathBuf> {
    let stamp = crate::log::now_ms();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".damaged-{stamp}"));
    let aside = PathBuf::from(aside);
    for suffix in ["", "-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = aside.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("moving {} aside", path.display())),
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_damaged_pages_are_moved_aside_and_replaced() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("devloop.db");
        std::fs::write(&db, vec![0x5a; 64 * 1024]).unwrap();
        let conn = open(&db).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        let aside: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
            .collect();
        assert_eq!(aside.len(), 1, "the garbage is kept beside, not deleted");

        // Damaged pages in a real database: overwrite the middle of the file.
        let db2 = d.path().join("two.db");
        let conn = open(&db2).unwrap();
        conn.execute_batch("PRAGMA journal_mode=DELETE; CREATE TABLE t (x TEXT);")
            .unwrap();
        for i in 0..2000 {
            conn.execute(
                "INSERT INTO t VALUES (?1)",
                [format!("row {i} {}", "y".repeat(200))],
            )
            .unwrap();
        }
        conn.execute_batch("CREATE INDEX ti ON t(x);").unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&db2).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid..mid + 8192].fill(0xff);
        std::fs::write(&db2, bytes).unwrap();
        let conn = open(&db2).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "a new, empty index");
    }
}
