//! `GET /api/results`: result folders and Inspect logs, newest first, with
//! the run that wrote each, whether another result has the same
//! `eval_name` (so the page names the folder too), and paging and a filter
//! so a page of thousands asks only for what it shows. Without `limit` the
//! whole list comes back, as it always has.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::api_results::{live_status, run_links};
use super::{blocking, AppState};
use crate::error::{ApiError, ApiResult};
use crate::results::{ListEntry, ResultSummary};

/// `offset`, `limit` (absent: all), `q` (text in the name, eval_name,
/// status, dataset or model; any case), and any number of `name` and
/// `run_id`: when given, only the results so named or written by those runs
/// (what a page's open tabs need, wherever they fall in the list).
#[derive(Default)]
struct ListQuery {
    offset: usize,
    limit: Option<usize>,
    q: Option<String>,
    names: Vec<String>,
    run_ids: Vec<String>,
}

impl ListQuery {
    fn parse(pairs: Vec<(String, String)>) -> ApiResult<ListQuery> {
        let number = |k: &str, v: &str| {
            v.parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("{k} must be a whole number, not {v:?}")))
        };
        let mut q = ListQuery::default();
        for (k, v) in pairs {
            match k.as_str() {
                "offset" => q.offset = number(&k, &v)?,
                "limit" => q.limit = Some(number(&k, &v)?),
                "q" => q.q = Some(v.trim().to_lowercase()).filter(|s| !s.is_empty()),
                "name" => q.names.push(v),
                "run_id" => q.run_ids.push(v),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// One entry of the list: a folder (its summary as listed, or as changed
/// by its run having ended) or an Inspect log.
enum Item {
    Folder(Arc<ListEntry>, Option<ResultSummary>),
    Log(Value),
}

struct Row {
    item: Item,
    when_ms: i64,
    run_id: Option<String>,
}

impl Row {
    fn name(&self) -> &str {
        match &self.item {
            Item::Folder(e, _) => &e.summary.name,
            Item::Log(v) => v["name"].as_str().unwrap_or_default(),
        }
    }

    fn eval_name(&self) -> &str {
        match &self.item {
            Item::Folder(e, _) => &e.summary.eval_name,
            Item::Log(v) => v["eval_name"].as_str().unwrap_or_default(),
        }
    }

    /// Does the filter text appear in what the list shows of it?
    fn matches(&self, needle: &str) -> bool {
        let has = |s: &str| s.to_lowercase().contains(needle);
        match &self.item {
            Item::Folder(e, changed) => {
                let s = changed.as_ref().unwrap_or(&e.summary);
                has(&s.name)
                    || has(&s.eval_name)
                    || has(s.status.as_str())
                    || s.dataset_path.as_deref().is_some_and(has)
            }
            Item::Log(v) => ["name", "eval_name", "status", "dataset_path", "model"]
                .iter()
                .any(|k| v[k].as_str().is_some_and(has)),
        }
    }

    /// The entry as JSON: a folder's summary as encoded when it was read,
    /// with `run_id` and `eval_name_repeats` added.
    fn write(self, repeats: bool, out: &mut String) {
        match self.item {
            Item::Folder(entry, changed) => {
                let json: Cow<str> = match &changed {
                    Some(s) => Cow::Owned(serde_json::to_string(s).unwrap_or_default()),
                    None => Cow::Borrowed(&entry.json),
                };
                let Some(open) = json.strip_suffix('}') else {
                    return out.push_str("{}");
                };
                let run = serde_json::to_string(&self.run_id).unwrap_or_default();
                let _ = write!(
                    out,
                    "{open},\"run_id\":{run},\"eval_name_repeats\":{repeats}}}"
                );
            }
            Item::Log(mut v) => {
                v["eval_name_repeats"] = json!(repeats);
                out.push_str(&serde_json::to_string(&v).unwrap_or_default());
            }
        }
    }
}

pub async fn list(
    State(app): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let query = ListQuery::parse(pairs)?;
    let body = page_of(&app, query).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The first page of the list as the page first asks for it
/// (`?limit=N`, no filter), as JSON.
pub async fn first_page(app: &AppState, limit: usize) -> ApiResult<String> {
    let query = ListQuery {
        limit: Some(limit),
        ..ListQuery::default()
    };
    page_of(app, query).await
}

async fn page_of(app: &AppState, query: ListQuery) -> ApiResult<String> {
    let results = app.results.clone();
    let folders = blocking(move || Ok(results.list()?)).await?;
    let links = run_links(app);
    let logs = super::api_inspect::entries(app).await?;
    let mut rows: Vec<Row> = Vec::with_capacity(folders.len() + logs.len());
    for entry in folders {
        let link = links.get(&entry.summary.name);
        // Only a result still "running" can read differently now.
        let changed = (entry.summary.status == crate::status::ResultStatus::Running).then(|| {
            let mut s = entry.summary.clone();
            live_status(app, &mut s, link);
            s
        });
        rows.push(Row {
            when_ms: entry.when_ms,
            run_id: link.map(|(id, _)| id.clone()),
            item: Item::Folder(entry, changed),
        });
    }
    for log in logs {
        rows.push(Row {
            when_ms: crate::results::listing_time(
                log["timestamp"].as_str(),
                log["mtime_ms"].as_u64().unwrap_or(0),
            ),
            run_id: log["run_id"].as_str().map(str::to_string),
            item: Item::Log(log),
        });
    }
    rows.sort_by(|a, b| {
        b.when_ms
            .cmp(&a.when_ms)
            .then_with(|| b.name().cmp(a.name()))
    });

    blocking(move || Ok(page(rows, &query))).await
}

/// `{"results":[…],"total":N,"all":M,"offset":O}`: the rows that pass the
/// query's filters (`total` of them, of `all`), from `offset`, at most
/// `limit`.
fn page(rows: Vec<Row>, query: &ListQuery) -> String {
    let mut per_eval: HashMap<&str, u32> = HashMap::with_capacity(rows.len());
    for r in &rows {
        *per_eval.entry(r.eval_name()).or_default() += 1;
    }
    let repeats: Vec<bool> = rows.iter().map(|r| per_eval[r.eval_name()] > 1).collect();
    drop(per_eval);
    let all = rows.len();
    let picked = |r: &Row| {
        (query.names.is_empty() && query.run_ids.is_empty())
            || query.names.iter().any(|n| n == r.name())
            || r.run_id
                .as_ref()
                .is_some_and(|id| query.run_ids.contains(id))
    };
    let keep = |r: &Row| picked(r) && query.q.as_deref().is_none_or(|q| r.matches(q));
    let hits: Vec<(Row, bool)> = rows
        .into_iter()
        .zip(repeats)
        .filter(|(r, _)| keep(r))
        .collect();
    let total = hits.len();
    let offset = query.offset.min(total);
    let limit = query.limit.unwrap_or(usize::MAX);
    let mut out = String::with_capacity(64 + hits.len().min(limit) * 256);
    out.push_str("{\"results\":[");
    for (i, (row, repeats)) in hits.into_iter().skip(offset).take(limit).enumerate() {
        if i > 0 {
            out.push(',');
        }
        row.write(repeats, &mut out);
    }
    let _ = write!(
        out,
        "],\"total\":{total},\"all\":{all},\"offset\":{offset}}}"
    );
    out
}
