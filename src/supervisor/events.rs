//! Follows the structured events a run appends to `$DEVLOOP_EVENTS` and turns
//! each complete JSON line into an event record; a line that is not a JSON
//! object with a `type` becomes a visible warning instead.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Longest event line kept; longer ones are reported and skipped.
const MAX_EVENT_LINE: usize = 1 << 20;

pub enum EventLine {
    Event(serde_json::Value),
    Malformed { line: u64, error: String },
}

pub struct EventTail {
    path: PathBuf,
    offset: u64,
    carry: Vec<u8>,
    line: u64,
    skipping: bool,
}

impl EventTail {
    pub fn new(path: PathBuf) -> Self {
        EventTail {
            path,
            offset: 0,
            carry: Vec::new(),
            line: 0,
            skipping: false,
        }
    }

    /// Reads what was appended since the last call. At the end of the run
    /// (`last`), an unterminated final line is taken as complete.
    pub fn poll(&mut self, last: bool, out: &mut Vec<EventLine>) {
        let Ok(mut f) = File::open(&self.path) else {
            return;
        };
        let Ok(len) = f.metadata().map(|m| m.len()) else {
            return;
        };
        if len < self.offset {
            // Truncated by the run: start over rather than read garbage.
            self.offset = 0;
            self.carry.clear();
        }
        if len > self.offset && f.seek(SeekFrom::Start(self.offset)).is_ok() {
            let mut buf = Vec::new();
            if let Ok(n) = f.take(len - self.offset).read_to_end(&mut buf) {
                self.offset += n as u64;
                self.take_lines(&buf, out);
            }
        }
        if last && !self.carry.is_empty() {
            let rest = std::mem::take(&mut self.carry);
            self.take_line(&rest, out);
        }
    }

    fn take_lines(&mut self, mut buf: &[u8], out: &mut Vec<EventLine>) {
        while let Some(pos) = memchr::memchr(b'\n', buf) {
            if self.skipping {
                self.skipping = false;
                self.carry.clear();
            } else if self.carry.is_empty() {
                self.take_line(&buf[..pos], out);
            } else {
                self.carry.extend_from_slice(&buf[..pos]);
                let line = std::mem::take(&mut self.carry);
                self.take_line(&line, out);
            }
            buf = &buf[pos + 1..];
        }
        if !self.skipping {
            self.carry.extend_from_slice(buf);
            if self.carry.len() > MAX_EVENT_LINE {
                self.line += 1;
                out.push(EventLine::Malformed {
                    line: self.line,
                    error: format!("event line longer than {MAX_EVENT_LINE} bytes skipped"),
                });
                self.carry.clear();
                self.skipping = true;
            }
        }
    }

    fn take_line(&mut self, bytes: &[u8], out: &mut Vec<EventLine>) {
        self.line += 1;
        if bytes.len() > MAX_EVENT_LINE {
            out.push(EventLine::Malformed {
                line: self.line,
                error: format!("event line longer than {MAX_EVENT_LINE} bytes skipped"),
            });
            return;
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        out.push(
            parse_event(bytes).unwrap_or_else(|error| EventLine::Malformed {
                line: self.line,
                error,
            }),
        );
    }
}

fn parse_event(bytes: &[u8]) -> Result<EventLine, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("type") {
        Some(serde_json::Value::String(_)) => Ok(EventLine::Event(value)),
        _ if !value.is_object() => Err("not a JSON object".into()),
        _ => Err("no \"type\" field".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_as_they_are_appended_and_bad_lines_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut tail = EventTail::new(path.clone());
        let mut out = Vec::new();
        tail.poll(false, &mut out);
        assert!(out.is_empty());
        std::fs::write(
            &path,
            "{\"type\":\"progress\",\"done\":1}\nnot json\n{\"type\":\"tok",
        )
        .unwrap();
        tail.poll(false, &mut out);
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[0], EventLine::Event(v) if v["done"] == 1));
        assert!(matches!(&out[1], EventLine::Malformed { line: 2, .. }));
        std::fs::write(
            &path,
            "{\"type\":\"progress\",\"done\":1}\nnot json\n{\"type\":\"token\"}\n[1]\n",
        )
        .unwrap();
        out.clear();
        tail.poll(true, &mut out);
        assert!(matches!(&out[0], EventLine::Event(v) if v["type"] == "token"));
        assert!(matches!(&out[1], EventLine::Malformed { line: 4, .. }));
    }
}
