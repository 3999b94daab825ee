//! A log as text, for the download: each line once, in its final state and
//! in display order (a partial line later completed, or a progress bar drawn
//! many times, appears once, where it first appeared); events left out; the
//! pieces of a very long line (`wrap`) joined again.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Cursor, LogIndex, Record, Stream};

/// Lines held back at most while an earlier line is still unfinished.
const MAX_HELD: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextStyle {
    /// As a person reads it: colour codes removed, stderr lines marked.
    Plain,
    /// As the program wrote it: colour codes kept, streams not marked.
    Raw,
}

struct Held {
    text: String,
    finished: bool,
    wrap: bool,
    stream: Stream,
}

pub fn write_text(
    path: &Path,
    out: &mut impl std::io::Write,
    style: TextStyle,
) -> std::io::Result<()> {
    let index = std::sync::Mutex::new(LogIndex::default());
    let mut cursor = Cursor::after(path, &index, 0)?;
    let mut held: BTreeMap<u64, Held> = BTreeMap::new();
    // Whether the last line written was the piece of a longer one.
    let mut in_wrap = false;
    let mut result = Ok(());
    cursor.read_to_end(1 << 20, |_, raw| {
        let Ok(record) = serde_json::from_slice::<Record>(raw) else {
            return true;
        };
        let Some(line) = record.output() else {
            return true;
        };
        held.insert(
            line.lineno,
            Held {
                text: line.text.clone(),
                finished: !line.partial,
                wrap: line.wrap,
                stream: line.stream,
            },
        );
        loop {
            let too_many = held.len() > MAX_HELD;
            let Some(entry) = held.first_entry() else {
                break;
            };
            if !entry.get().finished && !too_many {
                break;
            }
            if let Err(e) = emit(out, &entry.remove(), style, &mut in_wrap) {
                result = Err(e);
                return false;
            }
        }
        true
    })?;
    result?;
    for line in held.into_values() {
        emit(out, &line, style, &mut in_wrap)?;
    }
    if in_wrap {
        writeln!(out)?;
    }
    Ok(())
}

fn emit(
    out: &mut impl std::io::Write,
    line: &Held,
    style: TextStyle,
    in_wrap: &mut bool,
) -> std::io::Result<()> {
    if style == TextStyle::Plain {
        if line.stream == Stream::Stderr && !*in_wrap {
            out.write_all(b"[stderr] ")?;
        }
        out.write_all(strip_ansi_escapes::strip_str(&line.text).as_bytes())?;
    } else {
        out.write_all(line.text.as_bytes())?;
    }
    *in_wrap = line.wrap;
    if !line.wrap {
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::index::tests::line;

    fn text(body: &[String], style: TextStyle) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, body.concat()).unwrap();
        let mut out = Vec::new();
        write_text(&path, &mut out, style).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_shows_each_line_once_in_its_final_state() {
        let body = [
            line(1, 1, "loading", true),
            line(2, 1, "loading done", false),
            line(3, 2, " 10%", true),
            line(4, 2, "100%", true),
            line(5, 2, "100%", false),
            line(6, 3, "open at the end", true),
            line(7, 4, "after the open one", false),
        ];
        assert_eq!(
            text(&body, TextStyle::Raw),
            "loading done\n100%\nopen at the end\nafter the open one\n"
        );
    }

    #[test]
    fn plain_text_strips_colours_marks_stderr_and_joins_wrapped_pieces() {
        let wrap = |seq: u64, lineno: u64, text: &str, stream: &str, wrap: bool| {
            format!(
                "{{\"seq\":{seq},\"t\":0,\"type\":\"stdout\",\"stream\":\"{stream}\",\"lineno\":{lineno},\"text\":\"{text}\"{}}}\n",
                if wrap { ",\"wrap\":true" } else { "" }
            )
        };
        let body = [
            wrap(1, 1, "\\u001b[31mred\\u001b[0m", "stdout", false),
            wrap(2, 2, "oops", "stderr", false),
            wrap(3, 3, "aaa", "stdout", true),
            wrap(4, 4, "bbb", "stdout", true),
            wrap(5, 5, "ccc", "stdout", false),
        ];
        assert_eq!(
            text(&body, TextStyle::Plain),
            "red\n[stderr] oops\naaabbbccc\n"
        );
        assert_eq!(
            text(&body, TextStyle::Raw),
            "\u{1b}[31mred\u{1b}[0m\noops\naaabbbccc\n"
        );
    }
}
