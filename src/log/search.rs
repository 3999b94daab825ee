//! Whole-log search (`GET /api/runs/ID/log/search`): which display lines, in
//! their final state, match a text or a regular expression and a level
//! (errors, warnings, stderr), over the whole log on disk, not only what a
//! page holds.
//!
//! A search is kept (a few at a time, least recently used dropped) with how
//! far it has read, so asking again while a run goes on reads only what was
//! appended since. It holds the matching lines as `(lineno, byte offset of
//! the record)`, sorted by line, so any slice of them can be answered with
//! their records read straight from the file.
//!
//! Most records need no JSON parsing: when a record's text has no escapes (no
//! `\`, hence no colour codes either), its bytes in the file are its text,
//! and the pattern runs on them directly; only candidates and escaped texts
//! are parsed.

use std::collections::{HashSet, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

/// Which lines a level keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Lines that name an error (`ERROR`, `FAILED`, `FATAL`, `CRITICAL`, `Traceback`).
    Error,
    /// Errors and warnings (`WARN`, `WARNING`).
    Warning,
    /// Lines the program wrote to stderr.
    Stderr,
    /// devloop's own lines (the command line, the exit status, notes).
    Devloop,
}

impl Level {
    pub fn parse(s: &str) -> Result<Option<Level>, String> {
        Ok(Some(match s {
            "" | "all" => return Ok(None),
            "error" | "errors" => Level::Error,
            "warning" | "warnings" => Level::Warning,
            "stderr" => Level::Stderr,
            "devloop" => Level::Devloop,
            other => {
                return Err(format!(
                    "unknown level {other:?}; use error, warning, stderr or devloop"
                ))
            }
        }))
    }
}

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub text: String,
    pub regex: bool,
    pub case_sensitive: bool,
    pub level: Option<Level>,
}

/// The same words the page uses to colour a line.
const ERROR_WORDS: &str = r"\b(?:ERROR|FAILED|FATAL|CRITICAL|Traceback)\b";
const WARNING_WORDS: &str = r"\bWARN(?:ING)?\b";

struct Matcher {
    text: Option<Regex>,
    level: Option<Level>,
    error: Regex,
    warning: Regex,
}

impl Matcher {
    fn new(q: &Query) -> Result<Matcher, String> {
        let text = if q.text.is_empty() {
            None
        } else {
            let pattern = if q.regex {
                q.text.clone()
            } else {
                regex::escape(&q.text)
            };
            Some(
                RegexBuilder::new(&pattern)
                    .case_insensitive(!q.case_sensitive)
                    .size_limit(1 << 22)
                    .build()
                    .map_err(|e| match e {
                        regex::Error::Syntax(s) => format!("not a valid regular expression: {s}"),
                        other => format!("not a usable regular expression: {other}"),
                    })?,
            )
        };
        Ok(Matcher {
            text,
            level: q.level,
            error: Regex::new(ERROR_WORDS).expect("a valid pattern"),
            warning: Regex::new(WARNING_WORDS).expect("a valid pattern"),
        })
    }

    /// Whether a line of `stream` whose visible text is `text` is kept.
    fn matches(&self, stream: &str, text: &[u8]) -> bool {
        let level = match self.level {
            None => true,
            Some(Level::Stderr) => stream == "stderr",
            Some(Level::Devloop) => stream == "devloop",
            Some(Level::Error) => self.error.is_match(text),
            Some(Level::Warning) => self.error.is_match(text) || self.warning.is_match(text),
        };
        level && self.text.as_ref().is_none_or(|re| re.is_match(text))
    }
}

#[derive(Deserialize)]
struct OutputRecord<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    stream: Option<&'a str>,
    #[serde(default)]
    lineno: u64,
    #[serde(default, borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    partial: bool,
}

/// A search and how far it has read.
struct Search {
    matcher: Matcher,
    /// Byte offset of the first record not read yet.
    offset: u64,
    /// Matching lines, sorted by `lineno`: `(lineno, offset of its record)`.
    matches: Vec<(u64, u64)>,
    /// Matching lines whose latest record is partial: a later state may not match.
    open: HashSet<u64>,
    /// The length of the log when it was last read (a shorter file: start over).
    seen_len: u64,
}

impl Search {
    fn upsert(&mut self, lineno: u64, offset: u64) {
        match self.matches.last() {
            Some(&(last, _)) if last < lineno => self.matches.push((lineno, offset)),
            None => self.matches.push((lineno, offset)),
            _ => match self.matches.binary_search_by_key(&lineno, |m| m.0) {
                Ok(i) => self.matches[i].1 = offset,
                Err(i) => self.matches.insert(i, (lineno, offset)),
            },
        }
    }

    fn remove(&mut self, lineno: u64) {
        if let Ok(i) = self.matches.binary_search_by_key(&lineno, |m| m.0) {
            self.matches.remove(i);
        }
    }

    /// One record (without its newline) at `offset`.
    fn record(&mut self, raw: &[u8], offset: u64) {
        match fast_text(raw) {
            Fast::Skip => return,
            // Exact without parsing: a line that never matched needs no more.
            Fast::Text { stream, text }
                if self.open.is_empty() && !self.matcher.matches(stream, text) =>
            {
                return
            }
            _ => {}
        }
        let Ok(rec) = serde_json::from_slice::<OutputRecord>(raw) else {
            return;
        };
        if rec.kind != "stdout" || rec.lineno == 0 {
            return;
        }
        let text = rec.text.as_deref().unwrap_or("");
        let visible = if text.contains('\u{1b}') {
            std::borrow::Cow::Owned(strip_ansi_escapes::strip_str(text))
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let stream = rec.stream.unwrap_or("stdout");
        if self.matcher.matches(stream, visible.as_bytes()) {
            self.upsert(rec.lineno, offset);
            if rec.partial {
                self.open.insert(rec.lineno);
            } else {
                self.open.remove(&rec.lineno);
            }
        } else if self.open.remove(&rec.lineno) {
            self.remove(rec.lineno);
        }
    }

    /// Reads what was appended since the last call.
    fn catch_up(&mut self, path: &Path) -> std::io::Result<()> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.offset = 0;
                self.seen_len = 0;
                self.matches.clear();
                self.open.clear();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        if len < self.seen_len {
            self.offset = 0;
            self.matches.clear();
            self.open.clear();
        }
        self.seen_len = len;
        if self.offset >= len {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut carry = 0usize;
        loop {
            if carry == buf.len() {
                // One record longer than the buffer: make room.
                buf.resize(buf.len() * 2, 0);
            }
            let n = file.read(&mut buf[carry..])?;
            if n == 0 {
                break;
            }
            let end = carry + n;
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', &buf[..end]) {
                let offset = self.offset;
                self.record(&buf[start..nl], offset);
                self.offset += (nl + 1 - start) as u64;
                start = nl + 1;
            }
            buf.copy_within(start..end, 0);
            carry = end - start;
        }
        Ok(())
    }
}

enum Fast<'a> {
    /// Not an output record.
    Skip,
    /// An output record whose text needs no unescaping.
    Text { stream: &'a str, text: &'a [u8] },
    /// Needs parsing.
    Parse,
}

/// The stream and text of an output record read without parsing, when the
/// record is as the log writer writes it and its text has no escapes.
fn fast_text(raw: &[u8]) -> Fast<'_> {
    let Some(t) = memchr::memmem::find(raw, b"\"type\":\"") else {
        return Fast::Parse;
    };
    let rest = &raw[t + 8..];
    if rest.starts_with(b"event\"") {
        return Fast::Skip;
    }
    if !rest.starts_with(b"stdout\"") || memchr::memchr(b'\\', raw).is_some() {
        return Fast::Parse;
    }
    let stream = if memchr::memmem::find(raw, b"\"stream\":\"stderr\"").is_some() {
        "stderr"
    } else if memchr::memmem::find(raw, b"\"stream\":\"devloop\"").is_some() {
        "devloop"
    } else {
        "stdout"
    };
    let Some(s) = memchr::memmem::find(raw, b"\"text\":\"") else {
        return Fast::Parse;
    };
    let body = &raw[s + 8..];
    match memchr::memchr(b'"', body) {
        Some(e) => Fast::Text {
            stream,
            text: &body[..e],
        },
        None => Fast::Parse,
    }
}

/// The answer to one search request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// How many lines match.
    pub total: usize,
    /// How many matching lines come before line `around` (when asked).
    pub index: Option<usize>,
    /// The first match given below is match number `offset` (from 0).
    pub offset: usize,
    /// The records of matches `offset..offset+limit`, as in the file.
    pub records: Vec<Vec<u8>>,
}

/// Searches kept between requests, most recently used last.
type Cache = Mutex<VecDeque<(PathBuf, Query, Arc<Mutex<Search>>)>>;
const KEPT: usize = 12;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(VecDeque::new()))
}

/// Searches the log at `path`: how many lines match, where line `around`
/// falls among them, and the records of `limit` matches from `offset`.
pub fn search(
    path: &Path,
    query: &Query,
    around: Option<u64>,
    offset: usize,
    limit: usize,
) -> Result<Answer, SearchError> {
    let search = {
        let mut kept = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = kept.iter().position(|(p, q, _)| p == path && q == query) {
            let entry = kept.remove(i).expect("found above");
            let s = entry.2.clone();
            kept.push_back(entry);
            s
        } else {
            let matcher = Matcher::new(query).map_err(SearchError::Query)?;
            let s = Arc::new(Mutex::new(Search {
                matcher,
                offset: 0,
                matches: Vec::new(),
                open: HashSet::new(),
                seen_len: 0,
            }));
            kept.push_back((path.to_path_buf(), query.clone(), s.clone()));
            while kept.len() > KEPT {
                kept.pop_front();
            }
            s
        }
    };
    let mut s = search.lock().unwrap_or_else(|p| p.into_inner());
    s.catch_up(path).map_err(SearchError::Io)?;
    let total = s.matches.len();
    let index = around.map(|l| s.matches.partition_point(|m| m.0 < l));
    let offset = offset.min(total);
    let wanted: Vec<u64> = s.matches[offset..(offset + limit).min(total)]
        .iter()
        .map(|m| m.1)
        .collect();
    drop(s);
    let records = read_records(path, &wanted).map_err(SearchError::Io)?;
    Ok(Answer {
        total,
        index,
        offset,
        records,
    })
}

fn read_records(path: &Path, offsets: &[u64]) -> std::io::Result<Vec<Vec<u8>>> {
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let mut file = BufReader::with_capacity(64 * 1024, File::open(path)?);
    let mut out = Vec::with_capacity(offsets.len());
    let mut pos = u64::MAX;
    for &o in offsets {
        if o != pos {
            file.seek(SeekFrom::Start(o))?;
        }
        let mut line = Vec::new();
        let n = file.read_until(b'\n', &mut line)?;
        pos = o + n as u64;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        out.push(line);
    }
    Ok(out)
}

#[derive(Debug)]
pub enum SearchError {
    /// The pattern or level is not usable (the client's fault).
    Query(String),
    Io(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, lineno: u64, stream: &str, text: &str, partial: bool) -> String {
        let r = serde_json::json!({
            "seq": seq, "t": 0, "type": "stdout", "stream": stream, "lineno": lineno,
            "text": text,
        });
        let mut s = r.to_string();
        if partial {
            s.truncate(s.len() - 1);
            s.push_str(",\"partial\":true}");
        }
        s + "\n"
    }

    fn q(text: &str) -> Query {
        Query {
            text: text.into(),
            regex: false,
            case_sensitive: false,
            level: None,
        }
    }

    fn lines(path: &Path, query: &Query) -> Vec<u64> {
        let a = search(path, query, None, 0, 1000).unwrap();
        assert_eq!(a.total, a.records.len());
        a.records
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(r).unwrap()["lineno"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn finds_lines_in_their_final_state_over_the_whole_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let body = [
            rec(1, 1, "devloop", "$ python run.py", false),
            rec(2, 2, "stdout", "Loading", true),
            rec(3, 3, "stderr", "WARNING: slow", false),
            rec(4, 2, "stdout", "Loaded model", false),
            rec(5, 4, "stdout", "\u{1b}[31mERROR\u{1b}[0m: boom", false),
            "{\"seq\":6,\"t\":0,\"type\":\"event\",\"event\":{\"type\":\"x\",\"text\":\"load\"}}\n"
                .into(),
            rec(7, 5, "stdout", "progress 10% load", true),
            rec(8, 5, "stdout", "progress 100%", false),
            rec(9, 6, "stdout", "a \"quoted\" LOAD", false),
        ]
        .concat();
        std::fs::write(&path, body).unwrap();
        assert_eq!(lines(&path, &q("load")), [2, 6]);
        assert_eq!(lines(&path, &q("ERROR: boom")), [4], "colours are not text");
        let case = Query {
            case_sensitive: true,
            ..q("LOAD")
        };
        assert_eq!(lines(&path, &case), [6]);
        let re = Query {
            regex: true,
            ..q(r"^(loaded|progress) ")
        };
        assert_eq!(lines(&path, &re), [2, 5]);
        let level = |l| Query {
            level: Some(l),
            ..q("")
        };
        assert_eq!(lines(&path, &level(Level::Error)), [4]);
        assert_eq!(lines(&path, &level(Level::Warning)), [3, 4]);
        assert_eq!(lines(&path, &level(Level::Stderr)), [3]);
        assert_eq!(lines(&path, &level(Level::Devloop)), [1]);
        let bad = Query {
            regex: true,
            ..q("a(")
        };
        assert!(matches!(
            search(&path, &bad, None, 0, 1),
            Err(SearchError::Query(m)) if m.contains("regular expression")
        ));
    }

    #[test]
    fn a_kept_search_reads_only_what_was_appended_and_places_a_line_among_matches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let mut body: String = (1..=1000)
            .map(|i| rec(i, i, "stdout", &format!("line {i} of 2000"), false))
            .collect();
        std::fs::write(&path, &body).unwrap();
        let query = q("7 of");
        assert_eq!(search(&path, &query, None, 0, 0).unwrap().total, 100);
        body.extend(
            (1001..=1999).map(|i| rec(i, i, "stdout", &format!("line {i} of 2000"), false)),
        );
        body.push_str(&rec(2000, 2000, "stdout", "line 2007 of", true));
        std::fs::write(&path, &body).unwrap();
        let a = search(&path, &query, Some(1500), 150, 2).unwrap();
        assert_eq!(
            a.total, 201,
            "the partial last line counts while it matches"
        );
        assert_eq!(a.index, Some(150), "150 matches come before line 1500");
        let got: Vec<String> = a
            .records
            .iter()
            .map(|r| {
                serde_json::from_slice::<serde_json::Value>(r).unwrap()["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, ["line 1507 of 2000", "line 1517 of 2000"]);
        body.push_str(&rec(2001, 2000, "stdout", "line 2000 of 2000", false));
        std::fs::write(&path, &body).unwrap();
        assert_eq!(
            search(&path, &query, None, 0, 0).unwrap().total,
            200,
            "its final state does not"
        );
    }
}
