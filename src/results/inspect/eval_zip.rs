//! `.eval` logs: a zip of JSON entries that Inspect writes as the eval goes.
//! `_journal/start.json` (the spec) comes first; each flush adds the finished
//! samples (`samples/ID_epoch_N.json`) and a journal of their summaries
//! (`_journal/summaries/K.json`); the end adds `header.json` (status,
//! results, stats, error) and `summaries.json` (all of them). Inspect writes
//! a temporary zip and moves it over the log, so a reader sees either the
//! old or the new whole file. Entries are zstd-compressed (zip method 93)
//! since inspect-ai 0.3.2xx, deflated before; the `zip` crate reads both.
//!
//! Only the central directory and the entries asked for are read: opening a
//! sample decompresses that sample's entry and nothing else.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::Value;

/// Largest entry decompressed (a sample with big attachments stays below).
pub const MAX_ENTRY: u64 = 512 << 20;

pub struct EvalZip {
    zip: zip::ZipArchive<BufReader<File>>,
}

/// What the list needs, from `header.json` or, while the eval runs, from
/// `_journal/start.json` and the names of the sample entries.
pub struct EvalHead {
    /// `header.json` when the eval has ended, else `{version, eval, plan}`
    /// from the start journal with `status: "started"`.
    pub header: Value,
    /// Sample entries written so far.
    pub samples_written: usize,
}

impl EvalZip {
    pub fn open(path: &Path) -> Result<EvalZip, String> {
        let f = File::open(path).map_err(|e| e.to_string())?;
        if f.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
            return Err("the file is empty (0 bytes): Inspect may be creating it".into());
        }
        let zip = zip::ZipArchive::new(BufReader::new(f))
            .map_err(|e| format!("not a readable .eval (zip) file: {e}"))?;
        Ok(EvalZip { zip })
    }

    pub fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// Names of the entries, in the order they were written.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        // The archive keeps the central directory's order.
        self.zip
            .file_names_raw()
            .filter_map(|b| std::str::from_utf8(b).ok())
    }

    /// One entry, decompressed, as bytes.
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let mut entry = self.zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
        if entry.size() > MAX_ENTRY {
            return Err(format!("{name} is larger than {} MiB", MAX_ENTRY >> 20));
        }
        let mut buf = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut buf)
            .map_err(|e| format!("{name}: cannot decompress: {e}"))?;
        Ok(buf)
    }

    /// One entry parsed as JSON.
    pub fn json(&mut self, name: &str) -> Result<Value, String> {
        let bytes = self.read(name)?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{name} is not valid JSON: {e}"))
    }

    pub fn head(&mut self) -> Result<EvalHead, String> {
        let samples_written = self.sample_entries().len();
        let header = if self.has("header.json") {
            self.json("header.json")?
        } else if self.has("_journal/start.json") {
            let mut start = self.json("_journal/start.json")?;
            if let Some(o) = start.as_object_mut() {
                o.insert("status".into(), "started".into());
            }
            start
        } else {
            return Err("neither header.json nor _journal/start.json: not an Inspect log".into());
        };
        Ok(EvalHead {
            header,
            samples_written,
        })
    }

    /// `samples/…json` entries (a name written twice counts once).
    pub fn sample_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .names()
            .filter(|n| n.starts_with("samples/") && n.ends_with(".json"))
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every sample summary so far: `summaries.json` once the eval ended,
    /// else the journal's batches in the order written, a later summary of
    /// the same sample and epoch replacing an earlier one.
    pub fn summaries(&mut self) -> Result<Vec<Value>, String> {
        if self.has("summaries.json") {
            return match self.json("summaries.json")? {
                Value::Array(a) => Ok(a),
                _ => Err("summaries.json is not a list".into()),
            };
        }
        let mut journal: Vec<(u64, String)> = self
            .names()
            .filter_map(|n| {
                let k = n
                    .strip_prefix("_journal/summaries/")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((k, n.to_string()))
            })
            .collect();
        journal.sort();
        let mut out: Vec<Value> = Vec::new();
        let mut at: std::collections::HashMap<String, usize> = Default::default();
        for (_, name) in journal {
            let Value::Array(batch) = self.json(&name)? else {
                return Err(format!("{name} is not a list"));
            };
            for s in batch {
                let key = super::sample_key(&s);
                match at.get(&key) {
                    Some(&i) => out[i] = s,
                    None => {
                        at.insert(key, out.len());
                        out.push(s);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The entry of sample `id`, epoch `epoch`, as Inspect names it.
    pub fn sample(&mut self, id: &str, epoch: u64) -> Result<Value, String> {
        let name = format!("samples/{id}_epoch_{epoch}.json");
        if !self.has(&name) {
            return Err(format!(
                "{name} is not in the log yet (the sample may still be running)"
            ));
        }
        self.json(&name)
    }

    /// True if the sample's entry, lower-cased as ASCII, contains `needle`
    /// (already lower-case).
    /// Whether a sample's entry holds the search's text, decompressed and
    /// searched a piece at a time, never whole.
    pub fn entry_contains(
        &mut self,
        id: &str,
        epoch: u64,
        search: &mut crate::results::samples::TextSearch,
    ) -> bool {
        self.zip
            .by_name(&format!("samples/{id}_epoch_{epoch}.json"))
            .is_ok_and(|entry| search.in_reader(entry))
    }
}
