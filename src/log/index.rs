//! Finding record N of a log without parsing it: a record's `seq` is its line
//! number in the file, so a sparse index remembers the byte offset of every
//! [`STRIDE`]th line and grows as the file does.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::log::{Cursor, Record};
    use std::io::Write;

    pub(crate) fn line(seq: u64, lineno: u64, text: &str, partial: bool) -> String {
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
        let index = std::sync::Mutex::new(LogIndex::default());
        for after in [0, 1, 4095, 4096, 8191, 9999, 10_000] {
            let mut cursor = Cursor::after(&path, &index, after).unwrap();
            let mut first = None;
            while first.is_none() {
                let n = cursor
                    .read(4096, |seq, raw| {
                        let r: Record = serde_json::from_slice(raw).unwrap();
                        assert_eq!(r.seq, seq);
                        first = Some(seq);
                        false
                    })
                    .unwrap();
                if n == 0 {
                    break;
                }
            }
            assert_eq!(first, (after < 10_000).then_some(after + 1));
        }
        assert_eq!(index.lock().unwrap().records(), 10_000);
        f.write_all(b":0}\n").unwrap();
        let mut idx = index.lock().unwrap();
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
}
