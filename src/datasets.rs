//! Datasets under `datasets/`: JSON arrays and JSONL files, listed with their
//! size and row count, and previewed a page of rows at a time. A JSONL file
//! is never read whole for a page: a sparse index of line offsets (one per
//! 1024 rows, kept while the file's size and mtime stay the same) finds any
//! row, so a 1 GB file pages as fast as a small one after one counting pass.
//! That pass also counts the rows that are not valid JSON, so the list and the
//! preview can say "3 rows, 1 not valid JSON".

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};

const STRIDE: u64 = 1024;
/// JSON (not JSONL) datasets are parsed whole; bigger ones are refused.
const MAX_JSON: u64 = 256 << 20;
/// A row longer than this is shown as an error instead of parsed.
const MAX_ROW: usize = 16 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct DatasetEntry {
    pub name: String,
    pub size: u64,
    pub mtime_ms: u64,
    pub rows: Option<u64>,
    /// Rows (of `rows`) that are not valid JSON (or too long to parse).
    pub invalid_rows: u64,
    pub error: Option<String>,
}

struct LineIndex {
    signature: (u64, u64),
    offsets: Vec<u64>,
    rows: u64,
    invalid: u64,
}

#[derive(Default)]
pub struct Datasets {
    indexes: Mutex<HashMap<PathBuf, Arc<LineIndex>>>,
}

fn signature(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.len(), crate::fsutil::mtime_ms(meta))
}

impl Datasets {
    pub fn list(&self, dir: &Path) -> Vec<DatasetEntry> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for e in entries.flatten() {
            let (name, utf8) = match e.file_name().into_string() {
                Ok(n) => (n, true),
                Err(raw) => (raw.to_string_lossy().into_owned(), false),
            };
            let is_data = name.ends_with(".jsonl") || name.ends_with(".json");
            if name.starts_with('.') || !is_data {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            let counted = if utf8 {
                self.count_rows(&e.path(), &name)
            } else {
                Err("the file name is not valid UTF-8: rename it to open it".into())
            };
            let (rows, invalid_rows, error) = match counted {
                Ok((n, bad)) => (Some(n), bad, None),
                Err(err) => (None, 0, Some(err)),
            };
            out.push(DatasetEntry {
                name,
                size: meta.len(),
                mtime_ms: crate::fsutil::mtime_ms(&meta),
                rows,
                invalid_rows,
                error,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Rows, and how many of them are not valid JSON.
    fn count_rows(&self, path: &Path, name: &str) -> Result<(u64, u64), String> {
        if name.ends_with(".jsonl") {
            self.index(path).map(|i| (i.rows, i.invalid))
        } else {
            load_json_array(path).map(|a| (a.len() as u64, 0))
        }
    }

    fn index(&self, path: &Path) -> Result<Arc<LineIndex>, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let sig = signature(&meta);
        if let Some(i) = self
            .indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
        {
            if i.signature == sig {
                return Ok(i.clone());
            }
        }
        let f = File::open(path).map_err(|e| e.to_string())?;
        let mut reader = BufReader::with_capacity(1 << 20, f);
        let (mut pos, mut rows, mut invalid, mut offsets) = (0u64, 0u64, 0u64, vec![0u64]);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .by_ref()
                .take(MAX_ROW as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            pos += n as u64;
            let too_long = line.len() > MAX_ROW;
            if too_long {
                pos += reader.skip_until(b'\n').map_err(|e| e.to_string())? as u64;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            rows += 1;
            if too_long || serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err() {
                invalid += 1;
            }
            if rows % STRIDE == 0 {
                offsets.push(pos);
            }
        }
        let index = Arc::new(LineIndex {
            signature: sig,
            offsets,
            rows,
            invalid,
        });
        self.indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_path_buf(), index.clone());
        Ok(index)
    }

    /// Rows `offset..offset+limit` with the union of their field names.
    pub fn preview(&self, dir: &Path, name: &str, offset: u64, limit: usize) -> ApiResult<Value> {
        let path = crate::names::resolve_existing(dir, name)
            .map_err(|_| ApiError::NotFound(format!("no dataset {name:?}")))?;
        let limit = limit.clamp(1, 1000);
        let (total, invalid, rows) = if name.ends_with(".jsonl") {
            let index = self
                .index(&path)
                .map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))?;
            (
                index.rows,
                index.invalid,
                read_jsonl_rows(&path, &index, offset, limit)?,
            )
        } else {
            let all =
                load_json_array(&path).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))?;
            let count = all.len() as u64;
            let rows = all
                .into_iter()
                .skip(offset as usize)
                .take(limit)
                .map(Ok)
                .collect();
            (count, 0, rows)
        };
        let mut fields: Vec<String> = Vec::new();
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|r| match r {
                Ok(Value::Object(m)) => {
                    for k in m.keys() {
                        if !fields.contains(k) {
                            fields.push(k.clone());
                        }
                    }
                    Value::Object(m)
                }
                Ok(other) => json!({ "value": other }),
                Err(e) => json!({ "_error": e }),
            })
            .collect();
        Ok(
            json!({ "name": name, "total": total, "invalid": invalid, "offset": offset, "fields": fields, "rows": rows }),
        )
    }
}

fn read_jsonl_rows(
    path: &Path,
    index: &LineIndex,
    offset: u64,
    limit: usize,
) -> ApiResult<Vec<Result<Value, String>>> {
    let k = (offset / STRIDE) as usize;
    let Some(&start) = index.offsets.get(k) else {
        return Ok(vec![]);
    };
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::new(f);
    let mut row = k as u64 * STRIDE;
    let mut out = Vec::new();
    let mut line = Vec::new();
    while out.len() < limit {
        line.clear();
        let n = reader
            .by_ref()
            .take(MAX_ROW as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if row >= offset {
            out.push(if line.len() > MAX_ROW {
                reader.skip_until(b'\n')?;
                Err(format!(
                    "row {} is longer than {} MiB",
                    row + 1,
                    MAX_ROW >> 20
                ))
            } else {
                serde_json::from_slice(&line)
                    .map_err(|e| format!("row {} is not valid JSON: {e}", row + 1))
            });
        } else if line.last() != Some(&b'\n') {
            reader.skip_until(b'\n')?;
        }
        row += 1;
    }
    Ok(out)
}

fn load_json_array(path: &Path) -> Result<Vec<Value>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_JSON {
        return Err(format!(
            "JSON datasets over {} MiB are not previewed; use JSONL",
            MAX_JSON >> 20
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    match serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON: {e}"))? {
        Value::Array(a) => Ok(a),
        Value::Object(m) => Ok(m
            .values()
            .find_map(|v| v.as_array().cloned())
            .unwrap_or_else(|| vec![Value::Object(m)])),
        other => Ok(vec![other]),
    }
}
