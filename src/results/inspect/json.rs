//! `.json` logs: the whole EvalLog in one JSON document (`samples` inline).
//! There is no index to seek to one sample, so the file is read once per
//! change: the header fields parsed, each sample kept as its raw JSON text
//! (parsed only when opened) beside the summary row made from it.

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Largest `.json` log read (they are 5-8 times the size of an `.eval`).
pub const MAX_JSON_LOG: u64 = 1 << 30;

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    version: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    eval: Value,
    #[serde(default)]
    plan: Value,
    #[serde(default)]
    results: Value,
    #[serde(default)]
    stats: Value,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    samples: Option<Vec<Box<RawValue>>>,
}

pub struct JsonLog {
    /// Everything but the samples, shaped like an `.eval`'s `header.json`.
    pub header: Value,
    pub samples: Vec<Box<RawValue>>,
}

/// Only the start of the file is looked at to tell an Inspect log from any
/// other `.json`: Inspect writes `version`, `status` and `eval` first.
pub fn looks_like_log(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && has(b"\"version\"")
        && (has(b"\"eval\"") || has(b"\"status\""))
}

pub fn read(path: &Path) -> Result<JsonLog, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Err("the file is empty (0 bytes)".into());
    }
    if len > MAX_JSON_LOG {
        return Err(format!("the log is larger than {} MiB", MAX_JSON_LOG >> 20));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let doc: Doc =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a valid JSON log: {e}"))?;
    if !doc.eval.is_object() {
        return Err("no \"eval\" object: not an Inspect log".into());
    }
    let header = serde_json::json!({
        "version": doc.version,
        "status": doc.status,
        "eval": doc.eval,
        "plan": doc.plan,
        "results": doc.results,
        "stats": doc.stats,
        "error": doc.error,
    });
    Ok(JsonLog {
        header,
        samples: doc.samples.unwrap_or_default(),
    })
}
