//! The results list drawn into the page by the server, so a cold load shows
//! it with its first paint instead of after the page's modules have come and
//! run (bench_inspect.mjs: ~55 ms against ~190 ms from navigation here).
//!
//! The page's script takes this pane's elements as its own (results.js
//! `SidePane` and `ResultsList`: one listener on the list, so clicks here
//! count from the moment it runs) and draws the list's items again once it
//! has read them, removing the list's `data-drawn`. Those items are the one
//! markup written twice, so a browser test (`first_paint.test.mjs`) holds
//! the two drawings to the same markup.
//!
//! Times are in the server's time zone, the page's script draws them in the
//! browser's. They are the same when both run on one machine with one time
//! zone; otherwise (a tunnel from another zone, a server started with
//! another `TZ`) the day headings and times move when the script draws the
//! list again.

use std::fmt::Write;

use chrono::{DateTime, Local, TimeZone};
use pulldown_cmark_escape::escape_html;
use serde_json::{Map, Value};

use super::AppState;

/// As many results as the page's first ask (results.js `SHOW_STEP`).
const FIRST_ASK: usize = 200;

/// Where `index.html` takes the drawing (inside `<aside id="runs">`).
pub const MARK: &str = "<!-- results list -->";

/// How long the page waits for the list to draw it: a project whose
/// listing is cold and huge is sent without (its script draws the list).
const WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// The right pane with the first page of the results list, or `None` when
/// the list cannot be read now (the page's script says why) or not soon.
pub async fn results_pane(app: &AppState) -> Option<String> {
    let json = tokio::time::timeout(WAIT, super::api_result_list::first_page(app, FIRST_ASK))
        .await
        .ok()?
        .ok()?;
    let page: Value = serde_json::from_str(&json).ok()?;
    Some(pane(&page, Local::now()))
}

/// `page` (`/api/results?limit=N`) as `SidePane` and `ResultsList` draw it,
/// with the Results tab shown.
fn pane(page: &Value, now: DateTime<Local>) -> String {
    let empty = Vec::new();
    let results = page["results"].as_array().unwrap_or(&empty);
    let total = page["total"].as_u64().unwrap_or(results.len() as u64);
    let all = page["all"].as_u64().unwrap_or(total);
    let mut h = String::with_capacity(1024 + results.len() * 600);
    h.push_str("<div class=\"side-tabs\" role=\"tablist\" aria-label=\"Right pane\">");
    for (key, label) in [
        ("results", "Results"),
        ("runs", "Runs"),
        ("datasets", "Datasets"),
    ] {
        let on = key == "results";
        let count = if on { format!(" {all}") } else { String::new() };
        let _ = write!(
            h,
            "<button class=\"side-tab{}\" type=\"button\" role=\"tab\" data-side=\"{key}\" aria-selected=\"{on}\">{label}<span class=\"count\">{count}</span></button>",
            if on { " active" } else { "" }
        );
    }
    h.push_str("</div><div class=\"side-box\" data-side=\"results\"><div class=\"side-tools\"><input class=\"side-filter\" type=\"search\" placeholder=\"Filter results\" aria-label=\"Filter results\" spellcheck=\"false\"></div><div class=\"pane-msg\" hidden=\"\"></div><div class=\"result-list\" aria-label=\"Results\" data-drawn=\"server\">");
    list(&mut h, results, now);
    let more = total.saturating_sub(results.len() as u64);
    let _ = write!(
        h,
        "</div><button class=\"btn btn-link result-more\" type=\"button\"{}>Show more ({} not shown)</button></div>",
        if more == 0 { " hidden=\"\"" } else { "" },
        fmt_int(more as i64)
    );
    h.push_str("<div class=\"side-box\" data-side=\"runs\" hidden=\"\"></div><div class=\"side-box\" data-side=\"datasets\" hidden=\"\"></div>");
    h
}

/// A config's results within a day: its name and its entries.
type Group<'a> = (String, Vec<&'a Value>);

/// Grouped by day, then by config, in the list's order (`ResultsList.render`).
fn list(h: &mut String, results: &[Value], now: DateTime<Local>) {
    let mut days: Vec<(String, Vec<Group>)> = Vec::new();
    for r in results {
        let t = result_time(r);
        let day = if t != 0 {
            day_label(t, now)
        } else {
            "Undated".to_string()
        };
        let di = days.iter().position(|(d, _)| *d == day).unwrap_or_else(|| {
            days.push((day, Vec::new()));
            days.len() - 1
        });
        let groups = &mut days[di].1;
        let g = group_name(r);
        let gi = groups.iter().position(|(n, _)| *n == g).unwrap_or_else(|| {
            groups.push((g, Vec::new()));
            groups.len() - 1
        });
        groups[gi].1.push(r);
    }
    for (day, groups) in &days {
        h.push_str("<div class=\"day-head\">");
        text(h, day);
        h.push_str("</div>");
        for (g, items) in groups {
            let g = shown(g);
            h.push_str("<div class=\"group-head\" title=\"");
            text(h, &g);
            h.push_str("\"><span class=\"group-name\">");
            text(h, &g);
            h.push_str("</span><span class=\"group-count\">");
            if items.len() > 1 {
                let _ = write!(h, "×{}", items.len());
            }
            h.push_str("</span></div>");
            for r in items {
                item(h, r, now);
            }
        }
    }
    if results.is_empty() {
        h.push_str("<div class=\"pane-msg\">No results yet. A run that writes to results/ shows up here by itself.</div>");
    }
}

/// One result (`ResultsList._item`), as drawn before the page knows its
/// runs' own statuses: the server's status stands.
fn item(h: &mut String, r: &Value, now: DateTime<Local>) {
    let s = |k: &str| r[k].as_str().unwrap_or("");
    let name = s("name");
    let error = s("error");
    let status = s("status");
    let run_id = s("run_id");
    let dead = status == "incomplete";
    let bad = status == "malformed" || !error.is_empty();
    let usable = error.is_empty() || !name.contains('\u{FFFD}');
    let t = result_time(r);
    let no_metrics = Map::new();
    let m = r["summary_metrics"].as_object().unwrap_or(&no_metrics);
    let insp = s("kind") == "inspect";
    let head_key = if insp {
        m.keys().next().map(String::as_str)
    } else {
        Some("mean_reward")
    };
    let mean = head_key.and_then(|k| m.get(k)).filter(|v| !v.is_null());

    let mut title = shown(name);
    if !s("dataset_path").is_empty() {
        title += &format!(" · {}", shown(s("dataset_path")));
    }
    if t != 0 {
        title += &format!(" · {}", fmt_ago(t, now));
    }
    if !error.is_empty() {
        title += &format!(" · {error}");
    }
    let _ = write!(
        h,
        "<div class=\"result-item{}{}\" role=\"button\" tabindex=\"{}\"{} title=\"",
        if bad { " bad" } else { "" },
        if usable { "" } else { " unusable" },
        if usable { "0" } else { "-1" },
        if usable {
            ""
        } else {
            " aria-disabled=\"true\""
        },
    );
    text(h, &title);
    h.push_str("\" data-name=\"");
    text(h, name);
    h.push_str("\" data-status=\"");
    text(h, status);
    h.push_str("\" data-kind=\"");
    text(
        h,
        if s("kind").is_empty() {
            "rollouts"
        } else {
            s("kind")
        },
    );
    h.push_str("\"><span class=\"result-line\"><span class=\"dot rs-");
    text(h, status);
    h.push_str("\"></span><span class=\"result-time\">");
    if t != 0 {
        h.push_str(&local(t).format("%H:%M").to_string());
    }
    h.push_str("</span>");
    if status != "complete" && !status.is_empty() {
        h.push_str("<span class=\"result-status rs-");
        text(h, status);
        h.push_str("\" title=\"");
        if dead {
            text(h, &format!("no report.json, and its run {run_id} is gone"));
        }
        h.push_str("\">");
        text(h, status);
        h.push_str("</span>");
    }
    h.push_str("<span class=\"result-n\">");
    let count = |k: &str| r[k].as_f64().map(|n| fmt_int(n as i64));
    let n = if insp {
        format!(
            "{}/{} samples",
            count("done_samples").unwrap_or_else(|| "0".into()),
            count("total_samples").unwrap_or_else(|| "?".into())
        )
    } else {
        count("total_samples")
            .map(|c| format!("{c} samples"))
            .unwrap_or_default()
    };
    text(h, &n);
    h.push_str("</span>");
    if let Some(v) = mean {
        h.push_str("<span class=\"result-mean\" title=\"");
        text(
            h,
            if insp {
                head_key.unwrap_or("")
            } else {
                "mean reward"
            },
        );
        h.push_str("\">");
        text(h, &fmt_num(v));
        h.push_str("</span>");
    }
    if matches!(status, "running" | "incomplete" | "started") && !run_id.is_empty() {
        h.push_str("<button class=\"btn btn-link result-live\" type=\"button\" title=\"Open run ");
        text(h, run_id);
        h.push_str("\" data-run=\"");
        text(h, run_id);
        h.push_str("\">");
        h.push_str(if dead { "run ↗" } else { "● live run" });
        h.push_str("</button>");
    }
    h.push_str("</span>");
    if r["eval_name_repeats"].as_bool() == Some(true) && name != s("eval_name") {
        h.push_str("<span class=\"result-folder\">");
        text(h, &shown(name));
        h.push_str("</span>");
    }
    let mut others: Vec<String> = m
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != head_key && !(insp && k.ends_with("/stderr")))
        .map(|(k, v)| format!("{} {}", k.strip_suffix("_reward").unwrap_or(k), fmt_num(v)))
        .collect();
    if insp && !s("model").is_empty() {
        others.insert(0, s("model").to_string());
    }
    if !others.is_empty() {
        h.push_str("<span class=\"result-metrics\">");
        text(h, &others.join(" · "));
        h.push_str("</span>");
    }
    if bad {
        h.push_str("<span class=\"result-error\">");
        text(
            h,
            if error.is_empty() {
                "malformed result"
            } else {
                error
            },
        );
        h.push_str("</span>");
    }
    h.push_str("</div>");
}

/// Text or an attribute's value, escaped. A carriage return is written as a
/// reference: the parser would read a raw one as a line feed, and a name
/// with one in it would name another result.
fn text(h: &mut String, s: &str) {
    for (i, part) in s.split('\r').enumerate() {
        if i > 0 {
            h.push_str("&#13;");
        }
        let _ = escape_html(&mut *h, part);
    }
}

/// When a result was made, in unix ms (util.js `resultTime`).
fn result_time(r: &Value) -> i64 {
    crate::results::listing_time(r["timestamp"].as_str(), r["mtime_ms"].as_u64().unwrap_or(0))
}

fn local(t: i64) -> DateTime<Local> {
    Local
        .timestamp_millis_opt(t)
        .single()
        .unwrap_or_else(Local::now)
}

/// "Today", "Yesterday" or "Mon, 24 Nov 2026" (util.js `dayLabel`).
fn day_label(t: i64, now: DateTime<Local>) -> String {
    let d = local(t);
    match (now.date_naive() - d.date_naive()).num_days() {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ => d
            .format("%a, %-d %b %Y")
            .to_string()
            .replace(" Sep ", " Sept "),
    }
}

/// "just now", "5 min ago", "3 h ago", else when (util.js `fmtAgo`).
fn fmt_ago(t: i64, now: DateTime<Local>) -> String {
    let s = (now.timestamp_millis() - t).max(0) / 1000;
    match s {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", s / 60),
        3600..86400 => format!("{} h ago", s / 3600),
        _ => {
            let d = local(t);
            if d.date_naive() == now.date_naive() {
                d.format("%H:%M").to_string()
            } else {
                d.format("%Y-%m-%d %H:%M").to_string()
            }
        }
    }
}

/// "1,234,567" (util.js `fmtInt`).
fn fmt_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A metric as util.js `fmtNum` shows it.
fn fmt_num(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 => js_string(v),
            Some(f) if f.abs() >= 1000.0 => to_fixed(f, 1),
            Some(f) => to_fixed(f, 3),
            None => n.to_string(),
        },
        _ => js_string(v),
    }
}

/// `String(v)` in JavaScript, for what a metric may be.
fn js_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            // Whole numbers in full below 1e21, as JS writes them; -0 is "0".
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => (f as i128).to_string(),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                if x.is_null() {
                    String::new()
                } else {
                    js_string(x)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// `x.toFixed(digits)` in JavaScript: a tie rounds away from zero, where
/// Rust's formatting rounds it to even (0.0625 is "0.063", not "0.062").
fn to_fixed(x: f64, digits: usize) -> String {
    // 25 digits past the kept ones decide the rounding: an f64 of a size
    // worth showing is never that close to a tie without being on it.
    let exact = format!("{:.*}", digits + 25, x.abs());
    let (int, frac) = exact.split_once('.').unwrap_or((&exact, ""));
    let mut kept: Vec<u8> = int.bytes().chain(frac.bytes().take(digits)).collect();
    if frac.as_bytes().get(digits).is_some_and(|d| *d >= b'5') {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let point = kept.len() - digits;
    let mut out = String::from(if x < 0.0 { "-" } else { "" });
    out.push_str(std::str::from_utf8(&kept[..point]).unwrap_or("0"));
    if digits > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&kept[point..]).unwrap_or(""));
    }
    out
}

/// The config a result belongs to (results.js `groupName`).
fn group_name(r: &Value) -> String {
    static STAMP: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let name = r["name"].as_str().unwrap_or("");
    let g = r["eval_name"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or(name);
    if g == name {
        let re = STAMP.get_or_init(|| {
            regex::Regex::new(r"_[0-9]{8}_[0-9]{6}(?:_[0-9]+)?$").expect("a valid pattern")
        });
        re.replace(g, "").into_owned()
    } else {
        g.to_string()
    }
}

/// A name with control characters escaped (util.js `shown`).
fn shown(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_read_as_the_page_writes_them() {
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(fmt_num(&serde_json::json!(1.0)), "1");
        assert_eq!(fmt_num(&serde_json::json!(0.5)), "0.500");
        assert_eq!(fmt_num(&serde_json::json!(1234.56)), "1234.6");
        assert_eq!(fmt_num(&Value::Null), "—");
        // JavaScript's toFixed rounds a tie up; Rust's formatting to even.
        assert_eq!(fmt_num(&serde_json::json!(0.0625)), "0.063");
        assert_eq!(fmt_num(&serde_json::json!(1234.25)), "1234.3");
        assert_eq!(fmt_num(&serde_json::json!(-0.0625)), "-0.063");
        assert_eq!(fmt_num(&serde_json::json!(0.9999)), "1.000");
        // Near a tie, the exact binary value decides, as in JavaScript.
        assert_eq!(fmt_num(&serde_json::json!(0.1235)), "0.123");
        assert_eq!(fmt_num(&serde_json::json!(1.0005)), "1.000");
        assert_eq!(fmt_num(&serde_json::json!(0.9995)), "1.000");
        assert_eq!(fmt_num(&serde_json::json!(1e-30)), "0.000");
        assert_eq!(fmt_num(&serde_json::json!(-0.0001)), "-0.000");
        assert_eq!(fmt_num(&serde_json::json!(1e16)), "10000000000000000");
        assert_eq!(fmt_num(&serde_json::json!(-0.0)), "0");
        assert_eq!(fmt_num(&serde_json::json!([1, 2.5, null])), "1,2.5,");
        assert_eq!(shown("a\nb\u{1}"), "a\\nb\\u{1}");
        let r = serde_json::json!({"name": "calc_20261125_231716_848593", "eval_name": ""});
        assert_eq!(group_name(&r), "calc");
    }

    #[test]
    fn how_long_ago_reads_as_the_page_writes_it() {
        let now = Local.with_ymd_and_hms(2026, 12, 4, 15, 30, 0).unwrap();
        let ago = |secs: i64| fmt_ago(now.timestamp_millis() - secs * 1000, now);
        assert_eq!(ago(-5), "just now", "a clock a little ahead");
        assert_eq!(ago(59), "just now");
        assert_eq!(ago(5 * 60 + 59), "5 min ago");
        assert_eq!(ago(3 * 3600), "3 h ago");
        assert_eq!(ago(2 * 86400), "2026-12-02 15:30");
        assert_eq!(
            day_label(now.timestamp_millis() - 86_400_000, now),
            "Yesterday"
        );
        assert_eq!(
            day_label(now.timestamp_millis() - 3 * 86_400_000, now),
            "Tue, 1 Dec 2026"
        );
    }

    #[test]
    fn what_a_result_says_is_escaped_never_markup() {
        let now = Local::now();
        let page = serde_json::json!({"results": [{
            "name": "<img src=x onerror=alert(1)>\"", "eval_name": "e", "status": "malformed",
            "error": "bad <b>", "timestamp": null, "mtime_ms": now.timestamp_millis(), "summary_metrics": {}
        }], "total": 1, "all": 1});
        let html = pane(&page, now);
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("data-name=\"&lt;img src=x onerror=alert(1)&gt;&quot;\""),
            "{html}"
        );
        assert!(html.contains(">Today<"), "{html}");
        let mut h = String::new();
        text(&mut h, "a\rb");
        assert_eq!(h, "a&#13;b", "a carriage return survives the parser");
    }
}
