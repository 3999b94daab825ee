//! One Inspect sample made ready to read: its messages as the conversation
//! view's blocks (the same shape `render::message` gives rollouts messages),
//! and its events as a transcript of one short item per event, told apart by
//! kind (model calls with tokens and time, tool calls with their results and
//! errors, scores, errors, retries, limits, log lines), with the bulky parts
//! (a model call's whole input, state diffs) left out.

use serde_json::{json, Map, Value};

use super::super::render::{message_parts, pretty, text_block, tool_call_block};

/// Longest text kept in one transcript item; the whole text is in the
/// conversation, a transcript item is for reading at a glance.
const ITEM_TEXT: usize = 4000;

/// Replaces `attachment://HASH` strings (Inspect moves long content into the
/// sample's `attachments` to store it once) by the text they stand for.
pub fn resolve_attachments(v: &mut Value, attachments: &Map<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(hash) = s.strip_prefix("attachment://") {
                if let Some(Value::String(text)) = attachments.get(hash) {
                    *s = text.clone();
                }
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| resolve_attachments(x, attachments)),
        Value::Object(o) => o
            .values_mut()
            .for_each(|x| resolve_attachments(x, attachments)),
        _ => {}
    }
}

/// Inspect content parts: text, reasoning (shown folded as thinking),
/// images (data URLs inline; a link is shown as data), anything else as JSON.
fn content_block(c: &Value) -> Value {
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
    match c.get("type").and_then(Value::as_str) {
        Some("text") => text_block("text", s("text")),
        Some("reasoning") => {
            if c.get("redacted").and_then(Value::as_bool) == Some(true) && s("reasoning").is_empty()
            {
                text_block("thinking", "(reasoning redacted by the provider)")
            } else {
                text_block("thinking", s("reasoning"))
            }
        }
        Some("image") if s("image").starts_with("data:image/") => {
            json!({"kind": "image", "src": s("image")})
        }
        _ => json!({"kind": "json", "value": c}),
    }
}

/// One Inspect chat message (system, user, assistant, tool).
pub fn message(m: &Value) -> Value {
    let (obj, role, mut blocks) = match message_parts(m, content_block) {
        Ok(parts) => parts,
        Err(shown) => return shown,
    };
    if let Some(Value::Array(calls)) = obj.get("tool_calls") {
        for c in calls {
            blocks.push(tool_call_block(
                c.get("id"),
                c.get("function"),
                c.get("arguments"),
                c.get("parse_error"),
            ));
        }
    }
    if let Some(err) = obj.get("error").filter(|e| !e.is_null()) {
        let text = match (err.get("type"), err.get("message")) {
            (Some(Value::String(t)), Some(Value::String(m))) if t != "unknown" => {
                format!("{t}: {m}")
            }
            (_, Some(Value::String(m))) => m.clone(),
            _ => err.to_string(),
        };
        blocks.push(json!({"kind": "error", "text": text}));
    }
    json!({
        "role": role,
        "blocks": blocks,
        "tool_call_id": obj.get("tool_call_id"),
        "name": obj.get("function"),
        "model": obj.get("model"),
    })
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let head = crate::names::truncate_bytes(s, max);
    format!("{head}… ({} more bytes)", s.len() - head.len())
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Text of a tool result or message content: strings as they are, content
/// parts by their text.
fn content_text(v: &Value) -> String {
    match v {
        Value::Array(parts) => parts
            .iter()
            .map(|p| {
                p.get("text")
                    .or_else(|| p.get("reasoning"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| compact(p))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => compact(other),
    }
}

pub fn seconds(ts: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.timestamp_micros() as f64 / 1e6)
}

/// The events of a sample as transcript items, and how many of each kind.
pub fn transcript(sample: &Value) -> (Vec<Value>, Map<String, Value>) {
    let t0 = sample
        .get("started_at")
        .and_then(Value::as_str)
        .and_then(seconds);
    let mut items = Vec::new();
    if let Some(Value::Array(retries)) = sample.get("error_retries") {
        for r in retries {
            items.push(json!({
                "kind": "retry",
                "title": "sample retried after an error",
                "error": r.get("message").map(compact).unwrap_or_else(|| compact(r)),
                "depth": 0,
            }));
        }
    }
    // span id → depth, so items nest under the solver or scorer they ran in.
    let mut depth: std::collections::HashMap<String, usize> = Default::default();
    let empty = Vec::new();
    let events = sample
        .get("events")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for e in events {
        let kind = e.get("event").and_then(Value::as_str).unwrap_or("unknown");
        let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
        let span_depth = |id: &str| depth.get(id).copied().unwrap_or(0);
        let at = e
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(seconds)
            .zip(t0)
            // An event stamped a moment before the sample's recorded start
            // reads as its start, not as "-0.001 s".
            .map(|(t, t0)| (((t - t0) * 1000.0).round() / 1000.0).max(0.0) + 0.0);
        let d = span_depth(s("span_id"));
        let mut item = match kind {
            "span_begin" => {
                let parent = e.get("parent_id").and_then(Value::as_str);
                // A span's items sit one deeper than the span's own line.
                let my = parent.map(span_depth).unwrap_or(0);
                depth.insert(s("id").to_string(), my + 1);
                json!({"kind": "span", "title": s("name"), "text": s("type"), "depth": my})
            }
            "span_end" => continue,
            "model" => {
                let out = e.get("output").cloned().unwrap_or(Value::Null);
                let msg = out.pointer("/choices/0/message");
                let calls: Vec<String> = msg
                    .and_then(|m| m.get("tool_calls"))
                    .and_then(Value::as_array)
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                format!(
                                    "{}({})",
                                    c.get("function").map(compact).unwrap_or_default(),
                                    c.get("arguments").map(compact).unwrap_or_default()
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let text = out
                    .get("completion")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| msg.and_then(|m| m.get("content")).map(content_text))
                    .unwrap_or_default();
                json!({
                    "kind": "model",
                    "title": s("model"),
                    "role": e.get("role"),
                    "text": cut(&text, ITEM_TEXT),
                    "tool_calls": calls,
                    "tokens": out.get("usage"),
                    "duration": out.get("time").or_else(|| e.get("working_time")),
                    "stop_reason": out.pointer("/choices/0/stop_reason"),
                    "error": e.get("error").filter(|v| !v.is_null()),
                    "retries": e.get("retries").filter(|r| r.as_u64().unwrap_or(0) > 0),
                    "cache": e.get("cache"),
                })
            }
            "tool" => json!({
                "kind": "tool",
                "title": s("function"),
                "arguments": e.get("arguments").map(|a| cut(&pretty(a), ITEM_TEXT)),
                "text": cut(&e.get("result").map(content_text).unwrap_or_default(), ITEM_TEXT),
                "error": e.get("error").and_then(|x| x.get("message")).map(compact),
                "duration": e.get("working_time"),
                "truncated": e.get("truncated").filter(|v| !v.is_null()),
                "call_id": e.get("id"),
            }),
            "score" => {
                let sc = e.get("score").cloned().unwrap_or(Value::Null);
                json!({
                    "kind": "score",
                    "title": e.get("scorer").map(compact).filter(|x| !x.is_empty()).unwrap_or_else(|| "score".into()),
                    "text": format!("{} · answer: {}", sc.get("value").map(compact).unwrap_or_default(), sc.get("answer").map(compact).unwrap_or_default()),
                    "explanation": sc.get("explanation").map(|x| cut(&compact(x), ITEM_TEXT)),
                    "target": e.get("target"),
                    "intermediate": e.get("intermediate"),
                })
            }
            "error" => json!({
                "kind": "error",
                "title": "error",
                "error": e.pointer("/error/message").map(compact),
                "text": e.pointer("/error/traceback").map(|x| cut(&compact(x), ITEM_TEXT)),
            }),
            "sample_limit" => json!({
                "kind": "limit",
                "title": format!("{} limit", s("type")),
                "text": s("message"),
                "error": s("message"),
            }),
            "logger" => json!({
                "kind": "logger",
                "title": e.pointer("/message/level").map(compact).unwrap_or_default(),
                "text": cut(&e.pointer("/message/message").map(compact).unwrap_or_default(), ITEM_TEXT),
            }),
            "info" => json!({
                "kind": "info",
                "title": s("source"),
                "text": cut(&e.get("data").map(compact).unwrap_or_default(), ITEM_TEXT),
            }),
            "state" | "store" => json!({
                "kind": "state",
                "title": kind,
                "text": format!("{} change(s)", e.get("changes").and_then(Value::as_array).map_or(0, Vec::len)),
            }),
            "sample_init" => json!({"kind": "init", "title": "sample init", "text": ""}),
            other => json!({
                "kind": other,
                "title": other,
                "text": cut(&compact(e), 600),
            }),
        };
        if let Some(o) = item.as_object_mut() {
            o.insert("t".into(), json!(at));
            o.entry("depth").or_insert(json!(d));
        }
        items.push(item);
    }
    let mut kinds = Map::new();
    for i in &items {
        let k = i["kind"].as_str().unwrap_or("unknown").to_string();
        let n = kinds.get(&k).and_then(Value::as_u64).unwrap_or(0);
        kinds.insert(k, json!(n + 1));
    }
    (items, kinds)
}
