//! Results: folders under `results/` in the rollouts format. Their summaries
//! are kept in an SQLite index (invalidated by a signature of mtimes and
//! sizes) so listing thousands is fast; samples are read lazily, one page or
//! one sample at a time, and a per-result table of sample rows is built on
//! first use and kept while the folder does not change.

pub mod filter;
pub mod inspect;
mod listing;
pub mod render;
mod report;
mod samples;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use filter::{FieldSet, Fields, Filter};
pub use listing::{when_ms as listing_time, ListEntry};
pub use report::ResultSummary;
pub use samples::SampleRow;

/// How long the sample table of a result that is still being written is
/// trusted before it is rebuilt.
const RUNNING_TTL: Duration = Duration::from_secs(2);

struct SampleTable {
    signature: String,
    built: Instant,
    running: bool,
    rows: Arc<Vec<SampleRow>>,
}

pub struct Results {
    pub dir: PathBuf,
    conn: Mutex<Connection>,
    listing: Mutex<listing::Listing>,
    tables: Mutex<HashMap<String, SampleTable>>,
    /// Inspect AI logs, listed and read beside the result folders.
    pub inspect: inspect::Inspect,
}

#[derive(Debug, Default, Deserialize)]
pub struct SampleQuery {
    pub offset: Option<usize>,
    pub limit: Option<usize>,
    /// `id`, `reward`, `status`, `turns`, `index`; `-` in front for descending.
    pub sort: Option<String>,
    pub status: Option<String>,
    pub min_reward: Option<f64>,
    pub max_reward: Option<f64>,
    pub has_error: Option<bool>,
    /// Text to find anywhere in the sample's files (case-insensitive).
    pub q: Option<String>,
    /// A filter expression (see [`filter`]): `reward > 0.5 and turns < 3`.
    pub filter: Option<String>,
}

impl SampleQuery {
    fn expression(&self) -> Option<&str> {
        self.filter
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// True when the query leaves some rows out (a search aside).
    fn narrows(&self) -> bool {
        self.expression().is_some()
            || self.status.is_some()
            || self.min_reward.is_some()
            || self.max_reward.is_some()
            || self.has_error.is_some()
    }

    /// Everything the query asks of a row as one filter: the expression,
    /// parsed and checked against the table's fields, and the parameters
    /// that predate it as the same kind of conditions. `error_fields` are
    /// what `has_error` looks at.
    pub(crate) fn filter(
        &self,
        known: &FieldSet,
        error_fields: &[&str],
    ) -> ApiResult<Option<Filter>> {
        use filter::Op;
        let mut parts = Vec::new();
        if let Some(src) = self.expression() {
            parts.push(
                Filter::parse_for(src, known)
                    .map_err(|e| ApiError::BadRequest(format!("filter: {e}")))?,
            );
        }
        if let Some(s) = &self.status {
            parts.push(Filter::compare("status", Op::Eq, s.as_str().into()));
        }
        if let Some(m) = self.min_reward {
            parts.push(Filter::compare("reward", Op::Ge, m.into()));
        }
        if let Some(m) = self.max_reward {
            parts.push(Filter::compare("reward", Op::Le, m.into()));
        }
        if let Some(want) = self.has_error {
            let any = Filter::any_of(error_fields);
            parts.push(if want { any } else { any.negate() });
        }
        Ok(Filter::all(parts))
    }
}

impl Results {
    pub fn open(dir: PathBuf, db: &Path) -> anyhow::Result<Results> {
        let conn = crate::indexdb::open(db)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS results (
                name TEXT PRIMARY KEY,
                signature TEXT NOT NULL,
                summary TEXT NOT NULL
            );",
        )?;
        let project = dir.parent().unwrap_or(&dir).to_path_buf();
        Ok(Results {
            inspect: inspect::Inspect::new(&project, &project.join("logs"), &dir),
            dir,
            conn: Mutex::new(conn),
            listing: Mutex::new(listing::Listing::default()),
            tables: Mutex::new(HashMap::new()),
        })
    }

    /// Where Inspect logs are looked for besides the top of `results/`.
    pub fn with_inspect_logs(mut self, project: &Path, logs_dir: &Path) -> Results {
        self.inspect = inspect::Inspect::new(project, logs_dir, &self.dir);
        self
    }

    /// The folder of result `name`, which must be a plain folder name.
    pub fn folder(&self, name: &str) -> ApiResult<PathBuf> {
        crate::names::check_part(name)?;
        let path = crate::names::resolve_existing(&self.dir, name)
            .map_err(|_| ApiError::NotFound(format!("no result {name:?}")))?;
        if !path.is_dir() {
            return Err(ApiError::NotFound(format!("no result {name:?}")));
        }
        Ok(path)
    }

    /// Removes result `name`: the folder, or only the link when it is one,
    /// so nothing outside `results/` is ever touched.
    pub fn delete(&self, name: &str) -> ApiResult<()> {
        if inspect::Inspect::owns(name) {
            return self.inspect.delete(name);
        }
        self.folder(name)?;
        let path = self.dir.join(name);
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            std::fs::remove_file(&path)?;
        } else {
            std::fs::remove_dir_all(&path)?;
        }
        self.listing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forget(name);
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(())
    }

    /// Every result folder, newest first (by report time, else folder
    /// mtime). Summaries whose files did not change come from memory (after a
    /// restart, from the index).
    pub fn list(&self) -> anyhow::Result<Vec<Arc<ListEntry>>> {
        let mut listing = self.listing.lock().unwrap_or_else(|p| p.into_inner());
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        listing.refresh(&self.dir, &conn)
    }

    /// A fingerprint of every result's signature, to notice any change.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
            names.sort();
            for n in names {
                n.hash(&mut h);
                report::signature(&self.dir.join(&n)).hash(&mut h);
            }
        }
        self.inspect.fingerprint(&mut h);
        h.finish()
    }

    pub fn summary(&self, name: &str) -> ApiResult<(ResultSummary, Option<Value>)> {
        let dir = self.folder(name)?;
        let summary = report::read_summary(&dir, name);
        let report = report::report_value(&dir);
        Ok((summary, report))
    }

    fn table(&self, name: &str) -> ApiResult<Arc<Vec<SampleRow>>> {
        let dir = self.folder(name)?;
        let sig = table_signature(&dir);
        {
            let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = tables.get(name) {
                if t.signature == sig && !(t.running && t.built.elapsed() > RUNNING_TTL) {
                    return Ok(t.rows.clone());
                }
            }
        }
        let report = report::report_value(&dir);
        let ids = samples::sample_ids(&dir, report.as_ref());
        let rows: Vec<SampleRow> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| samples::row(&dir, id, i))
            .collect();
        let rows = Arc::new(rows);
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                name.to_string(),
                SampleTable {
                    signature: sig,
                    built: Instant::now(),
                    running: report.is_none(),
                    rows: rows.clone(),
                },
            );
        Ok(rows)
    }

    fn fresh_table(&self, name: &str, dir: &Path) -> bool {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .get(name)
            .is_some_and(|t| t.signature == table_signature(dir))
    }

    /// A page of sample rows, filtered and sorted on the server. The first
    /// page of a big result in file order needs only that page's files.
    pub fn samples(&self, name: &str, q: &SampleQuery) -> ApiResult<Value> {
        if inspect::Inspect::owns(name) {
            return self.inspect.samples(name, q);
        }
        let dir = self.folder(name)?;
        let needle =
            q.q.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase());
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        let plain =
            needle.is_none() && !q.narrows() && q.sort.as_deref().is_none_or(|s| s == "index");
        if plain && !self.fresh_table(name, &dir) {
            let report = report::report_value(&dir);
            let ids = samples::sample_ids(&dir, report.as_ref());
            let offset = q.offset.unwrap_or(0).min(ids.len());
            let page: Vec<SampleRow> = ids
                .iter()
                .enumerate()
                .skip(offset)
                .take(limit)
                .map(|(i, id)| samples::row(&dir, id, i))
                .collect();
            let components = component_names(&page);
            return Ok(
                json!({ "total": ids.len(), "all": ids.len(), "offset": offset,
                "samples": page, "components": components }),
            );
        }
        let (rows, hits) = self.select(name, &dir, q, needle.as_deref())?;
        let hits: Vec<&SampleRow> = hits.into_iter().map(|i| &rows[i]).collect();
        let total = hits.len();
        let offset = q.offset.unwrap_or(0).min(total);
        let page: Vec<&SampleRow> = hits.into_iter().skip(offset).take(limit).collect();
        Ok(
            json!({ "total": total, "all": rows.len(), "offset": offset, "samples": page,
            "components": component_names(&rows) }),
        )
    }

    /// The rows of result `name` that pass the query's filters, in its
    /// order, as positions in the full table.
    fn select(
        &self,
        name: &str,
        dir: &Path,
        q: &SampleQuery,
        needle: Option<&str>,
    ) -> ApiResult<(Arc<Vec<SampleRow>>, Vec<usize>)> {
        let rows = self.table(name)?;
        let known = fields_of(&rows);
        let expr = q.filter(&known, &["error", "malformed"])?;
        let mut hits: Vec<&SampleRow> = rows
            .iter()
            .filter(|r| expr.as_ref().is_none_or(|f| f.matches(r)))
            .collect();
        if let Some(n) = needle {
            let mut search = samples::TextSearch::new(n.as_bytes());
            hits.retain(|r| search.in_sample(dir, &r.id));
        }
        sort_rows(
            &mut hits,
            q.sort.as_deref(),
            |key| -> Option<Order<&SampleRow>> {
                Some(match key {
                    "id" => Box::new(|a, b| a.id.cmp(&b.id)),
                    "reward" => Box::new(|a, b| low(a.reward).total_cmp(&low(b.reward))),
                    "status" => Box::new(|a, b| a.status.cmp(&b.status)),
                    "turns" => Box::new(|a, b| a.turns.cmp(&b.turns)),
                    k if known.names.contains(k) => filter::by_field(k),
                    _ => return None,
                })
            },
        )?;
        let positions = hits.iter().map(|r| r.index).collect();
        Ok((rows, positions))
    }

    /// Histogram of the reward, or of another number (`of`: a component,
    /// `turns`), and status counts.
    pub fn distribution(&self, name: &str, of: Option<&str>) -> ApiResult<Value> {
        if inspect::Inspect::owns(name) {
            return self.inspect.distribution(name, of);
        }
        let rows = self.table(name)?;
        let mut numbers = vec!["reward".to_string(), "turns".to_string()];
        numbers.extend(component_names(&rows));
        let of = histogram_of(of, &numbers)?;
        let path = [of.to_string()];
        Ok(distribution(
            rows.iter().map(|r| SampleFacts {
                value: r.field(&path).as_ref().and_then(Value::as_f64),
                status: if r.malformed.is_some() {
                    "malformed"
                } else {
                    r.status.as_deref().unwrap_or("unknown")
                },
                error: r.error.is_some(),
            }),
            of,
            &numbers,
        ))
    }

    /// One sample, whole, with its messages ready to show. `prev`/`next`
    /// follow the same filters and order as the table the user is looking at.
    pub fn sample(&self, name: &str, id: &str, q: &SampleQuery) -> ApiResult<Value> {
        if inspect::Inspect::owns(name) {
            return self.inspect.sample(name, id, q);
        }
        let dir = self.folder(name)?;
        crate::names::check_part(id)?;
        let needle =
            q.q.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase());
        let (rows, order) = self.select(name, &dir, q, needle.as_deref())?;
        let pos = rows
            .iter()
            .position(|r| r.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("no sample {id:?} in {name:?}")))?;
        let neighbours = neighbours(order, rows.len(), pos, |i| rows[i].id.clone());
        match samples::load_sample(&dir, id) {
            Ok(mut sample) => {
                let messages: Vec<Value> = sample
                    .pointer("/trajectory/messages")
                    .and_then(Value::as_array)
                    .map(|m| m.iter().map(render::message).collect())
                    .unwrap_or_default();
                if let Some(t) = sample.get_mut("trajectory").and_then(Value::as_object_mut) {
                    t.remove("messages");
                }
                Ok(
                    json!({ "id": id, "row": rows[pos], "sample": sample, "messages": messages, "nav": neighbours }),
                )
            }
            Err(e) => Ok(
                json!({ "id": id, "row": rows[pos], "error": e, "messages": [], "nav": neighbours }),
            ),
        }
    }

    /// Two results side by side: per-sample rewards, changed ones first.
    pub fn compare(&self, a: &str, b: &str) -> ApiResult<Value> {
        match (inspect::Inspect::owns(a), inspect::Inspect::owns(b)) {
            (true, true) => return self.inspect.compare(a, b),
            (false, false) => {}
            _ => {
                return Err(ApiError::BadRequest(
                    "an Inspect log compares only with another Inspect log".into(),
                ))
            }
        }
        let (ra, rb) = (self.table(a)?, self.table(b)?);
        let by_id: HashMap<&str, &SampleRow> = rb.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut pairs: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in ra.iter() {
            seen.insert(r.id.as_str());
            let other = by_id.get(r.id.as_str());
            pairs.push(pair(&r.id, Some(r), other.copied()));
        }
        for r in rb.iter().filter(|r| !seen.contains(r.id.as_str())) {
            pairs.push(pair(&r.id, None, Some(r)));
        }
        pairs.sort_by_key(|p| !p["changed"].as_bool().unwrap_or(false));
        let changed = pairs.iter().filter(|p| p["changed"] == true).count();
        let (sa, _) = self.summary(a)?;
        let (sb, _) = self.summary(b)?;
        let same_dataset = sa.dataset_path.is_some() && sa.dataset_path == sb.dataset_path;
        Ok(
            json!({ "a": sa, "b": sb, "same_dataset": same_dataset, "changed": changed, "pairs": pairs }),
        )
    }
}

fn pair(id: &str, a: Option<&SampleRow>, b: Option<&SampleRow>) -> Value {
    let ra = a.and_then(|r| r.reward);
    let rb = b.and_then(|r| r.reward);
    json!({
        "id": id,
        "a": ra,
        "b": rb,
        "delta": ra.zip(rb).map(|(x, y)| y - x),
        "changed": ra != rb,
    })
}

/// Changes when samples are added or removed, or the report changes.
fn table_signature(dir: &Path) -> String {
    let m = |p: PathBuf| {
        std::fs::metadata(p)
            .map(|m| crate::fsutil::mtime_ms(&m))
            .unwrap_or(0)
    };
    format!(
        "{}|{}|{}",
        report::signature(dir),
        m(dir.join("samples")),
        m(dir.join("trajectories"))
    )
}

/// `prev`/`next` of the sample at `pos` in the table's `order`, and its
/// place; a sample not in the (filtered) order steps through all `len`.
pub(crate) fn neighbours(
    mut order: Vec<usize>,
    len: usize,
    pos: usize,
    id: impl Fn(usize) -> String,
) -> Value {
    if !order.contains(&pos) {
        order = (0..len).collect();
    }
    let at = order.iter().position(|&p| p == pos).unwrap_or(0);
    json!({
        "prev": at.checked_sub(1).map(|i| id(order[i])),
        "next": order.get(at + 1).map(|&i| id(i)),
        "position": at,
        "count": order.len(),
    })
}

/// How two rows of a sample table compare for one sort key.
pub(crate) type Order<T> = Box<dyn Fn(&T, &T) -> std::cmp::Ordering>;

/// Sorts a sample table's rows as `sort` asks (`KEY`, or `-KEY` for
/// descending; `index`, the default, keeps them as they are); `order(KEY)`
/// is how the table compares rows by that key, `None` for a key it lacks.
pub(crate) fn sort_rows<T>(
    hits: &mut [T],
    sort: Option<&str>,
    order: impl Fn(&str) -> Option<Order<T>>,
) -> ApiResult<()> {
    let sort = sort.unwrap_or("index");
    let (desc, key) = match sort.strip_prefix('-') {
        Some(k) => (true, k),
        None => (false, sort),
    };
    if key != "index" {
        let cmp =
            order(key).ok_or_else(|| ApiError::BadRequest(format!("cannot sort by {key:?}")))?;
        hits.sort_by(|a, b| cmp(a, b));
    }
    if desc {
        hits.reverse();
    }
    Ok(())
}

/// Every reward component's name in a table, in first-seen order.
fn component_names(rows: &[SampleRow]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        for k in r.components.keys() {
            if !samples::ROW_FIELDS.contains(&k.as_str()) && seen.insert(k.as_str()) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// What a filter may name in a rollouts table.
fn fields_of(rows: &[SampleRow]) -> FieldSet {
    let mut names: std::collections::BTreeSet<String> =
        samples::ROW_FIELDS.iter().map(|s| s.to_string()).collect();
    names.extend(component_names(rows));
    FieldSet {
        names,
        open: vec!["metadata", "components", "rewards"],
    }
}

/// The field a histogram is asked of: `reward` unless another of `numbers`.
pub(crate) fn histogram_of<'a>(of: Option<&'a str>, numbers: &[String]) -> ApiResult<&'a str> {
    match of.filter(|s| !s.is_empty()) {
        None => Ok("reward"),
        Some(f) if numbers.iter().any(|n| n == f) => Ok(f),
        Some(f) => Err(ApiError::BadRequest(format!(
            "no number {f:?} to chart; choose one of {}",
            numbers.join(", ")
        ))),
    }
}

/// A missing number sorts below every number.
pub(crate) fn low(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NEG_INFINITY)
}

/// What a distribution needs of one sample.
pub(crate) struct SampleFacts<'a> {
    /// The number charted: the reward, or what the histogram is asked of.
    pub value: Option<f64>,
    pub status: &'a str,
    pub error: bool,
}

/// Histogram of one number (10 bins over the observed range; `of` names
/// it, `numbers` are the others it could be), status counts and how many
/// samples have an error: the result view's distribution.
pub(crate) fn distribution<'a>(
    samples: impl Iterator<Item = SampleFacts<'a>>,
    of: &str,
    numbers: &[String],
) -> Value {
    let (mut rewards, mut statuses, mut with_error, mut n) =
        (Vec::new(), std::collections::BTreeMap::new(), 0, 0);
    for s in samples {
        n += 1;
        rewards.extend(s.value);
        *statuses.entry(s.status.to_string()).or_insert(0u64) += 1;
        with_error += usize::from(s.error);
    }
    let (lo, hi) = rewards
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let bins = 10usize;
    let mut counts = vec![0u64; bins];
    if !rewards.is_empty() {
        let width = if hi > lo {
            (hi - lo) / bins as f64
        } else {
            1.0
        };
        for x in &rewards {
            counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
        }
    }
    json!({
        "samples": n,
        "with_value": rewards.len(),
        "min": (!rewards.is_empty()).then_some(lo),
        "max": (!rewards.is_empty()).then_some(hi),
        "histogram": counts,
        "statuses": statuses,
        "with_error": with_error,
        "of": of,
        "numbers": numbers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_counts_come_in_one_order_whatever_the_samples_order() {
        let keys = |order: &[&str]| -> Vec<String> {
            let facts = order.iter().map(|s| SampleFacts {
                value: Some(1.0),
                status: s,
                error: false,
            });
            let d = distribution(facts, "reward", &[]);
            d["statuses"].as_object().unwrap().keys().cloned().collect()
        };
        // A HashMap's order changed with every server start; the page shows them in this order.
        let want = ["completed", "error", "failed", "malformed"];
        assert_eq!(keys(&["malformed", "failed", "error", "completed"]), want);
        assert_eq!(
            keys(&["error", "completed", "malformed", "failed", "error"]),
            want
        );
    }
}
