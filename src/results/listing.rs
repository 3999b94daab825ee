//! The list of result folders, kept in memory between requests. A warm
//! listing reads the folder and stats each result (its signature) but reads
//! no report, parses no JSON and asks SQLite nothing: only folders whose
//! signature changed are read again, and only those are written to the
//! index (which is what a restarted server starts from). Each summary is
//! kept serialised, so a list of thousands is spliced, not encoded again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection};

use super::report::{self, ResultSummary};

/// One result folder as the list shows it.
#[derive(Debug)]
pub struct ListEntry {
    pub summary: ResultSummary,
    /// `summary` as a JSON object, encoded once per change of the folder.
    pub json: String,
    /// When the result was made (unix ms): its report's timestamp, else the
    /// folder's mtime. The list is newest first by this.
    pub when_ms: i64,
}

impl ListEntry {
    pub fn new(summary: ResultSummary) -> ListEntry {
        let when_ms = when_ms(summary.timestamp.as_deref(), summary.mtime_ms);
        let json = serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into());
        ListEntry {
            summary,
            json,
            when_ms,
        }
    }
}

/// What the last listing saw: each folder's signature and entry.
#[derive(Default)]
pub(super) struct Listing {
    /// Filled from the index on first use, then kept up to date here.
    loaded: bool,
    known: HashMap<String, (String, Arc<ListEntry>)>,
}

impl Listing {
    /// Every result folder of `dir`, newest first; `conn` is the index,
    /// read once and written only with what changed.
    pub fn refresh(
        &mut self,
        dir: &Path,
        conn: &Connection,
    ) -> anyhow::Result<Vec<Arc<ListEntry>>> {
        if !self.loaded {
            let mut stmt = conn.prepare_cached("SELECT name, signature, summary FROM results")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (name, sig, summary) = row?;
                if let Ok(s) = serde_json::from_str::<ResultSummary>(&summary) {
                    self.known.insert(name, (sig, Arc::new(ListEntry::new(s))));
                }
            }
            self.loaded = true;
        }
        let mut folders = Vec::new();
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                match e.file_name().into_string() {
                    Ok(name) if !name.starts_with('.') && is_dir => folders.push(name),
                    Ok(_) => {}
                    Err(raw) if is_dir => {
                        out.push(Arc::new(ListEntry::new(report::unreadable_name(&raw))))
                    }
                    Err(_) => {}
                }
            }
        }
        let mut now = HashMap::with_capacity(folders.len());
        let mut changed = Vec::new();
        for name in folders {
            let path = dir.join(&name);
            let sig = report::list_signature(&path);
            let entry = match self.known.remove(&name) {
                Some((old, entry)) if old == sig => entry,
                _ => {
                    let entry = Arc::new(ListEntry::new(report::read_summary(&path, &name)));
                    changed.push((name.clone(), sig.clone(), entry.clone()));
                    entry
                }
            };
            out.push(entry.clone());
            now.insert(name, (sig, entry));
        }
        let gone: Vec<String> = std::mem::replace(&mut self.known, now)
            .into_keys()
            .collect();
        if !changed.is_empty() || !gone.is_empty() {
            let tx = conn.unchecked_transaction()?;
            for (name, sig, entry) in &changed {
                tx.execute(
                    "INSERT OR REPLACE INTO results (name, signature, summary) VALUES (?1, ?2, ?3)",
                    params![name, sig, entry.json],
                )?;
            }
            for name in &gone {
                tx.execute("DELETE FROM results WHERE name = ?1", [name])?;
            }
            tx.commit()?;
        }
        out.sort_by(|a, b| {
            b.when_ms
                .cmp(&a.when_ms)
                .then_with(|| b.summary.name.cmp(&a.summary.name))
        });
        Ok(out)
    }

    /// Forgets one folder (deleted through the API), so a folder made again
    /// under its name is read afresh.
    pub fn forget(&mut self, name: &str) {
        self.known.remove(name);
    }
}

/// A report's `timestamp` as unix ms, as the page reads it (an ISO date and
/// time; without an offset it is local time), else `mtime_ms`.
pub fn when_ms(timestamp: Option<&str>, mtime_ms: u64) -> i64 {
    use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
    let parsed = timestamp.and_then(|t| {
        let t = t.trim();
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.timestamp_millis())
            .ok()
            .or_else(|| {
                [
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M:%S%.f",
                    "%Y-%m-%dT%H:%M",
                ]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                .and_then(|n| Local.from_local_datetime(&n).earliest())
                .map(|d| d.timestamp_millis())
            })
    });
    parsed.unwrap_or(mtime_ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_ordered_by_the_report_time_as_the_page_reads_it() {
        let local = when_ms(Some("2026-11-25T10:00:00"), 5);
        let zoned = when_ms(Some("2026-11-25T10:00:00+00:00"), 5);
        let offset = chrono::Local::now().offset().local_minus_utc() as i64 * 1000;
        assert!(
            (zoned - local - offset).abs() <= 3_600_000,
            "{local} {zoned}"
        );
        assert_eq!(when_ms(Some("2026-11-25 10:00:00.5"), 5), local + 500);
        assert_eq!(when_ms(Some("yesterday"), 7), 7);
        assert_eq!(when_ms(None, 9), 9);
    }
}
