//! The SQLite index of runs (`.devloop/devloop.db`, WAL). It is an index, not
//! the truth: every row can be rebuilt from its run folder, which
//! [`RunStore::rebuild_missing`] does for folders the index does not know.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::folder::RunFolder;
use crate::status::RunStatus;

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    pub run_id: String,
    pub config_name: String,
    pub status: RunStatus,
    pub command: Vec<String>,
    pub created_at: u64,
    pub started_at: Option<u64>,
    pub ended_at: Option<u64>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub records: u64,
    pub start_time: f64,
    pub result_dir: Option<String>,
    /// Most resident memory its process tree held at once (so far).
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
    /// CPU time its process tree used (so far).
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// The target it runs on; `None`: this machine.
    #[serde(default)]
    pub target: Option<String>,
    /// Where it is on its target (host, Slurm job, pending reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<crate::targets::RemoteInfo>,
    #[serde(skip)]
    pub sup_pid: Option<i32>,
    #[serde(skip)]
    pub sup_start: Option<u64>,
}

impl Run {
    pub fn is_active(&self) -> bool {
        self.status.is_active()
    }
}

pub struct RunStore {
    conn: Connection,
}

const COLUMNS: &str = "id, config_name, status, command, created_at, started_at, ended_at, \
                       exit_code, signal, records, result_dir, sup_pid, sup_start, target, \
                       peak_rss_bytes, cpu_seconds";

impl RunStore {
    pub fn open(path: &Path) -> anyhow::Result<RunStore> {
        let conn = crate::indexdb::open(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                id TEXT PRIMARY KEY,
                config_name TEXT NOT NULL,
                status TEXT NOT NULL,
                command TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                ended_at INTEGER,
                exit_code INTEGER,
                signal INTEGER,
                records INTEGER NOT NULL DEFAULT 0,
                result_dir TEXT,
                sup_pid INTEGER,
                sup_start INTEGER
            );
            CREATE INDEX IF NOT EXISTS runs_status ON runs(status);",
        )?;
        // Indexes made by an older devloop get the columns added since.
        for (column, kind) in [
            ("target", "TEXT"),
            ("peak_rss_bytes", "INTEGER"),
            ("cpu_seconds", "REAL"),
        ] {
            let has: bool = conn
                .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = ?1")?
                .exists([column])?;
            if !has {
                conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {column} {kind}"))?;
            }
        }
        Ok(RunStore { conn })
    }

    pub fn insert(&self, run: &Run) -> anyhow::Result<()> {
        self.conn.execute(
            &format!("INSERT OR REPLACE INTO runs ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"),
            params![
                run.run_id,
                run.config_name,
                run.status.as_str(),
                serde_json::to_string(&run.command)?,
                run.created_at,
                run.started_at,
                run.ended_at,
                run.exit_code,
                run.signal,
                run.records,
                run.result_dir,
                run.sup_pid,
                run.sup_start,
                run.target,
                run.peak_rss_bytes,
                run.cpu_seconds
            ],
        )?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> anyhow::Result<Option<Run>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM runs WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?)
    }

    /// Newest first.
    pub fn list(&self, limit: usize) -> anyhow::Result<Vec<Run>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Runs with this status, oldest first (the queue order).
    pub fn with_status(&self, status: RunStatus) -> anyhow::Result<Vec<Run>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM runs WHERE status = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([status.as_str()], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn delete(&self, id: &str) -> anyhow::Result<()> {
        self.conn.execute("DELETE FROM runs WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Adds a row for every run folder the index does not have.
    pub fn rebuild_missing(&self, runs_dir: &Path) -> anyhow::Result<usize> {
        let Ok(entries) = std::fs::read_dir(runs_dir) else {
            return Ok(0);
        };
        let mut added = 0;
        for entry in entries.flatten() {
            let id = entry.file_name().to_string_lossy().into_owned();
            if crate::names::check_run_id(&id).is_err() || self.get(&id)?.is_some() {
                continue;
            }
            let folder = RunFolder::new(entry.path());
            let Ok(info) = folder.read_info() else {
                continue;
            };
            let sup = folder.read_supervisor();
            let exit = folder.read_exit();
            let status = match (&exit, &sup) {
                (Some(e), _) => e.status(),
                (None, Some(_)) => RunStatus::Running,
                (None, None) => RunStatus::Queued,
            };
            let target = info.target.as_ref().map(|t| t.name.clone());
            self.insert(&Run {
                target,
                remote: None,
                peak_rss_bytes: exit.as_ref().and_then(|e| e.peak_rss_bytes),
                cpu_seconds: exit.as_ref().and_then(|e| e.cpu_seconds),
                run_id: info.run_id,
                config_name: info.config_name,
                status,
                command: info.command,
                created_at: info.created_at,
                started_at: sup.map(|s| s.started_at),
                ended_at: exit.as_ref().map(|e| e.ended_at),
                exit_code: exit.as_ref().and_then(|e| e.exit_code),
                signal: exit.as_ref().and_then(|e| e.signal),
                records: 0,
                start_time: info.created_at as f64 / 1000.0,
                result_dir: folder.read_result_dir(),
                sup_pid: sup.map(|s| s.pid),
                sup_start: sup.map(|s| s.start_time),
            })?;
            added += 1;
        }
        Ok(added)
    }
}

fn from_row(row: &Row) -> rusqlite::Result<Run> {
    let command: String = row.get(3)?;
    let created_at: u64 = row.get(4)?;
    Ok(Run {
        run_id: row.get(0)?,
        config_name: row.get(1)?,
        // A state this version does not know (a newer devloop wrote it)
        // reads as lost rather than failing the whole list.
        status: RunStatus::parse(&row.get::<_, String>(2)?).unwrap_or(RunStatus::Lost),
        command: serde_json::from_str(&command).unwrap_or_default(),
        created_at,
        started_at: row.get(5)?,
        ended_at: row.get(6)?,
        exit_code: row.get(7)?,
        signal: row.get(8)?,
        records: row.get(9)?,
        start_time: created_at as f64 / 1000.0,
        result_dir: row.get(10)?,
        sup_pid: row.get(11)?,
        sup_start: row.get(12)?,
        target: row.get(13)?,
        remote: None,
        peak_rss_bytes: row.get(14)?,
        cpu_seconds: row.get(15)?,
    })
}
