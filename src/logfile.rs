//! Reading a run's `log.jsonl` from the server side. A record's `seq` is its
//! line number in the file, so finding record N needs no parsing: a sparse
//! index remembers the byte offset of every [`STRIDE`]th line and grows as the
//! file does. Only complete lines (ending in `\n`) are ever handed out.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::record::Record;

const STRIDE: u64 = 4096;

/// Where every `STRIDE`th record starts.
#[derive(Debug, Default)]
pub struct LogIndex {
    /// `offsets[k]` is the byte offset of record `k * STRIDE + 1`.
    offsets: Vec<u64>,
    /// Bytes of complete lines scanned so far.
    scanned: u64,
    /// Complete records seen so far (the last seq).
    records: u64,
}

impl LogIndex {
    /// Scans what was appended since the last call.
    pub fn update(&mut self, path: &Path) -> std::io::Result<()> {
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        f.seek(SeekFrom::Start(self.scanned))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = self.scanned;
        let mut line_start = self.scanned;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            for nl in memchr::memchr_iter(b'\n', &buf[..n]) {
                if self.records.is_multiple_of(STRIDE) {
                    self.offsets.push(line_start);
                }
                self.records += 1;
                line_start = pos + nl as u64 + 1;
            }
            pos += n as u64;
        }
        // An unfinished last line is scanned again, from its start, next time.
        self.scanned = line_start;
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// A starting point for reading the records after `after`: a byte
    /// offset and the seq of the record just before it.
    pub fn seek_point(&self, after: u64) -> (u64, u64) {
        let k = (after / STRIDE) as usize;
        match self.offsets.get(k) {
            Some(&off) => (off, k as u64 * STRIDE),
            None => match self.offsets.last() {
                Some(&off) => (off, (self.offsets.len() as u64 - 1) * STRIDE),
                None => (0, 0),
            },
        }
    }
}

/// Reads complete records from a byte offset, handing each raw line (without
/// its newline) with its seq to `f` until `f` returns false or `max_bytes`
/// have been read. Returns the offset and seq reached, and how many bytes
/// were read (more than zero with no record means a line is still coming).
pub fn read_lines(
    file: &mut File,
    mut offset: u64,
    mut seq: u64,
    max_bytes: usize,
    carry: &mut Vec<u8>,
    mut f: impl FnMut(u64, &[u8]) -> bool,
) -> std::io::Result<(u64, u64, usize)> {
    file.seek(SeekFrom::Start(offset + carry.len() as u64))?;
    let start = carry.len();
    carry.resize(start + max_bytes, 0);
    let n = file.read(&mut carry[start..])?;
    carry.truncate(start + n);
    let mut consumed = 0;
    for nl in memchr::memchr_iter(b'\n', carry) {
        seq += 1;
        let keep_going = f(seq, &carry[consumed..nl]);
        consumed = nl + 1;
        if !keep_going {
            break;
        }
    }
    offset += consumed as u64;
    carry.drain(..consumed);
    Ok((offset, seq, n))
}

/// Lines held back at most while an earlier line is still unfinished.
const MAX_HELD: usize = 100_000;

/// Writes the log as plain text, in display order: each line once, in its
/// final state (a partial line later completed, or a progress bar redrawn
/// many times, appears once, where it first appeared); events left out.
pub fn write_text(path: &Path, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    // lineno -> (latest text, finished)
    let mut held: std::collections::BTreeMap<u64, (String, bool)> = Default::default();
    let (mut offset, mut seq) = (0, 0);
    let mut carry = Vec::new();
    let mut result = Ok(());
    loop {
        let before = seq;
        let n;
        (offset, seq, n) = read_lines(&mut file, offset, seq, 1 << 20, &mut carry, |_, raw| {
            let Ok(record) = serde_json::from_slice::<Record>(raw) else {
                return true;
            };
            let Some(line) = record.output() else {
                return true;
            };
            held.insert(line.lineno, (line.text.clone(), !line.partial));
            loop {
                let too_many = held.len() > MAX_HELD;
                let Some(entry) = held.first_entry() else {
                    break;
                };
                if !entry.get().1 && !too_many {
                    break;
                }
                let (text, _) = entry.remove();
                if let Err(e) = writeln!(out, "{text}") {
                    result = Err(e);
                    return false;
                }
            }
            true
        })?;
        result?;
        if seq == before && n == 0 {
            break;
        }
        result = Ok(());
    }
    for (text, _) in held.into_values() {
        writeln!(out, "{text}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(seq: u64, lineno: u64, text: &str, partial: bool) -> String {
        let p = if partial { ",\"partial\":true" } else { "" };
        format!("{{\"seq\":{seq},\"t\":0,\"type\":\"stdout\",\"stream\":\"stdout\",\"lineno\":{lineno},\"text\":\"{text}\"{p}}}\n")
    }

    #[test]
    fn index_finds_any_record_and_ignores_an_unfinished_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let mut f = File::create(&path).unwrap();
        for i in 1..=10_000 {
            f.write_all(line(i, i, "x", false).as_bytes()).unwrap();
        }
        f.write_all(b"{\"seq\":10001,\"t\"").unwrap();
        let mut idx = LogIndex::default();
        idx.update(&path).unwrap();
        assert_eq!(idx.records(), 10_000);
        let mut file = File::open(&path).unwrap();
        for after in [0, 1, 4095, 4096, 8191, 9999, 10_000] {
            let (off, mut seq) = idx.seek_point(after);
            let mut carry = Vec::new();
            let mut first = None;
            let mut offset = off;
            while first.is_none() {
                let before = seq;
                let n;
                (offset, seq, n) =
                    read_lines(&mut file, offset, seq, 4096, &mut carry, |s, raw| {
                        if s > after {
                            let r: Record = serde_json::from_slice(raw).unwrap();
                            first = Some(r.seq);
                            return false;
                        }
                        true
                    })
                    .unwrap();
                if seq == before && n == 0 {
                    break;
                }
            }
            assert_eq!(
                first,
                if after < 10_000 {
                    Some(after + 1)
                } else {
                    None
                }
            );
        }
        f.write_all(b":0}\n").unwrap();
        idx.update(&path).unwrap();
        assert_eq!(idx.records(), 10_001);
        // A record longer than the read buffer is counted, not spun on.
        let long = format!("{{\"text\":\"{}\"}}\n", "y".repeat(3 << 20));
        f.write_all(long.as_bytes()).unwrap();
        f.write_all(line(10_003, 1, "after", false).as_bytes())
            .unwrap();
        idx.update(&path).unwrap();
        assert_eq!(idx.records(), 10_003);
    }

    #[test]
    fn text_shows_each_line_once_in_its_final_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let body = [
            line(1, 1, "loading", true),
            line(2, 1, "loading done", false),
            line(3, 2, " 10%", true),
            line(4, 2, "100%", true),
            line(5, 2, "100%", false),
            line(6, 3, "open at the end", true),
            line(7, 4, "after the open one", false),
        ]
        .concat();
        std::fs::write(&path, body).unwrap();
        let mut out = Vec::new();
        write_text(&path, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "loading done\n100%\nopen at the end\nafter the open one\n"
        );
    }
}
