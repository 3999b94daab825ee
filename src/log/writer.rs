//! Appends records to a run's `log.jsonl`, numbering them from 1 without gaps.
//! Writes go straight to the file after each batch (no long-lived buffer), so
//! a viewer woken by the file notification sees a record a few microseconds
//! after the run printed it, and a killed server loses nothing.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::{now_ms, OutputLine, Payload, Record, Stream};

#[derive(serde::Serialize)]
struct LineRecord<'a> {
    seq: u64,
    t: u64,
    #[serde(rename = "type")]
    kind: &'static str,
    stream: Stream,
    lineno: u64,
    text: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    partial: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    wrap: bool,
}

pub struct LogWriter {
    file: File,
    seq: u64,
    buf: Vec<u8>,
    /// Length and last seq of what is safely in the file.
    written_len: u64,
    written_seq: u64,
    /// Records dropped while the log could not be written, not yet reported.
    dropped: u64,
}

impl LogWriter {
    /// Opens (or continues) the log, counting the records already in it.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let (seq, written_len) = count_complete_lines(path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        // An unfinished last line (a crash mid-write) is cut off.
        file.set_len(written_len)?;
        Ok(LogWriter {
            file,
            seq,
            buf: Vec::with_capacity(1 << 16),
            written_len,
            written_seq: seq,
            dropped: 0,
        })
    }

    /// The seq of the last record pushed.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Appends a record replicated from another machine's log as it is; its
    /// seq must be the next one (the caller checks).
    pub fn push_raw(&mut self, raw: &[u8]) {
        self.seq += 1;
        self.buf.extend_from_slice(raw);
        self.buf.push(b'\n');
    }

    pub fn push(&mut self, payload: Payload) {
        self.seq += 1;
        let record = Record {
            seq: self.seq,
            t: now_ms(),
            payload,
        };
        serde_json::to_writer(&mut self.buf, &record).expect("records always serialise");
        self.buf.push(b'\n');
    }

    /// The hot path: one record per output line, stamped with one clock
    /// reading per batch, serialised without the generic `Record` detour
    /// (same JSON, field for field).
    pub fn push_lines(&mut self, lines: &mut Vec<OutputLine>) {
        if lines.is_empty() {
            return;
        }
        let t = now_ms();
        for line in lines.drain(..) {
            self.seq += 1;
            let record = LineRecord {
                seq: self.seq,
                t,
                kind: "stdout",
                stream: line.stream,
                lineno: line.lineno,
                text: &line.text,
                partial: line.partial,
                wrap: line.wrap,
            };
            serde_json::to_writer(&mut self.buf, &record).expect("records always serialise");
            self.buf.push(b'\n');
        }
    }

    pub fn note(&mut self, lineno: u64, text: impl Into<String>) {
        self.push(Payload::Stdout(OutputLine {
            stream: Stream::Devloop,
            lineno,
            text: text.into(),
            partial: false,
            wrap: false,
        }));
    }

    /// Writes what was pushed. On an error (a full disk) a half-written
    /// piece is cut off again and the records are dropped and counted, their
    /// numbers reused, so the file never holds half a record or a gap.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match self.file.write_all(&self.buf) {
            Ok(()) => {
                self.written_len += self.buf.len() as u64;
                self.written_seq = self.seq;
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                // Cut off a half-written piece, and give the records up: a
                // full disk may stay full, and keeping them would only delay
                // the note that says they were lost.
                let _ = self.file.set_len(self.written_len);
                self.dropped += self.seq - self.written_seq;
                self.seq = self.written_seq;
                self.buf.clear();
                Err(e)
            }
        }
    }

    /// How many records were dropped since the last call.
    pub fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }

    pub fn sync(&mut self) -> std::io::Result<()> {
        self.flush()?;
        self.file.sync_data()
    }
}

/// Complete lines in the file and the length they take, read in chunks.
fn count_complete_lines(path: &Path) -> anyhow::Result<(u64, u64)> {
    use std::io::Read;
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut buf = vec![0u8; 1 << 20];
    let (mut lines, mut pos, mut end_of_last) = (0u64, 0u64, 0u64);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((lines, end_of_last));
        }
        for nl in memchr::memchr_iter(b'\n', &buf[..n]) {
            lines += 1;
            end_of_last = pos + nl as u64 + 1;
        }
        pos += n as u64;
    }
}
