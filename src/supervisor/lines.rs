//! Turns the raw bytes of one output pipe into display lines the way a terminal
//! would show them: a line appears (as `partial`) when it has waited
//! [`PARTIAL_DELAY`] without a newline, later states of the same line reuse its
//! `lineno` so viewers replace it rather than append, `\r` redraws keep only
//! what the terminal would show, and a line longer than [`MAX_LINE`] is cut so
//! memory never holds more than one such piece.

use std::time::{Duration, Instant};

use crate::log::{OutputLine, Stream};

/// How long an unfinished line waits for its newline before it is shown.
pub const PARTIAL_DELAY: Duration = Duration::from_millis(50);
/// The longest text one record carries; longer lines continue on the next line.
pub const MAX_LINE: usize = 64 * 1024;

/// Hands out display line numbers shared by every stream of a run.
#[derive(Debug, Default)]
pub struct LineNumbers {
    last: u64,
}

impl LineNumbers {
    pub fn take(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

/// The open (unfinished) line of one stream.
#[derive(Debug)]
pub struct LineSplitter {
    stream: Stream,
    open: Vec<u8>,
    /// Set once the open line has been shown, so its later states replace it.
    open_lineno: Option<u64>,
    /// When the open line last changed without being shown.
    dirty_since: Option<Instant>,
}

impl LineSplitter {
    pub fn new(stream: Stream) -> Self {
        LineSplitter {
            stream,
            open: Vec::new(),
            open_lineno: None,
            dirty_since: None,
        }
    }

    /// Feeds bytes read from the pipe; finished lines are pushed to `out`.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        now: Instant,
        nums: &mut LineNumbers,
        out: &mut Vec<OutputLine>,
    ) {
        while let Some(pos) = memchr::memchr(b'\n', bytes) {
            let line = &bytes[..pos];
            // The common case, a whole plain line in one read: straight
            // from the read buffer, with no copy into the open line.
            if self.open.is_empty()
                && line.len() <= MAX_LINE
                && memchr::memchr(b'\r', line).is_none()
            {
                let lineno = self.take_lineno(nums);
                out.push(self.line(lineno, lossy(line), false, false));
                self.dirty_since = None;
                bytes = &bytes[pos + 1..];
                continue;
            }
            self.append(line, nums, out);
            let lineno = self.take_lineno(nums);
            let text = lossy(visible(&self.open));
            out.push(self.line(lineno, text, false, false));
            self.open.clear();
            self.dirty_since = None;
            bytes = &bytes[pos + 1..];
        }
        if !bytes.is_empty() {
            self.append(bytes, nums, out);
            self.dirty_since.get_or_insert(now);
        }
    }

    /// Shows the open line if it has waited long enough; returns when to call
    /// again, if something is still waiting.
    pub fn tick(
        &mut self,
        now: Instant,
        nums: &mut LineNumbers,
        out: &mut Vec<OutputLine>,
    ) -> Option<Instant> {
        let since = self.dirty_since?;
        if now < since + PARTIAL_DELAY {
            return Some(since + PARTIAL_DELAY);
        }
        self.dirty_since = None;
        let text = visible(&self.open);
        let complete = complete_prefix_len(text);
        if complete > 0 {
            let lineno = *self.open_lineno.get_or_insert_with(|| nums.take());
            out.push(self.line(lineno, lossy(&text[..complete]), true, false));
        }
        None
    }

    /// The stream has ended: an unfinished line is shown as finished.
    pub fn finish(&mut self, nums: &mut LineNumbers, out: &mut Vec<OutputLine>) {
        if self.open.is_empty() {
            return;
        }
        let text = lossy(visible(&self.open));
        if !text.is_empty() || self.open_lineno.is_some() {
            let lineno = self.take_lineno(nums);
            out.push(self.line(lineno, text, false, false));
        }
        self.open.clear();
        self.open_lineno = None;
        self.dirty_since = None;
    }

    fn append(&mut self, bytes: &[u8], nums: &mut LineNumbers, out: &mut Vec<OutputLine>) {
        self.open.extend_from_slice(bytes);
        if memchr::memchr(b'\r', &self.open).is_some() {
            // Keep only what a terminal would still show, plus a trailing
            // `\r` so the next write knows it starts over.
            let keep_cr = self.open.ends_with(b"\r");
            let mut kept = visible(&self.open).to_vec();
            if keep_cr {
                kept.push(b'\r');
            }
            self.open = kept;
        }
        while self.open.len() > MAX_LINE {
            let mut cut = complete_prefix_len(&self.open[..MAX_LINE]);
            if cut == 0 {
                cut = MAX_LINE;
            }
            let lineno = self.take_lineno(nums);
            let piece = lossy(&self.open[..cut]);
            out.push(self.line(lineno, piece, false, true));
            self.open.drain(..cut);
        }
    }

    fn take_lineno(&mut self, nums: &mut LineNumbers) -> u64 {
        self.open_lineno.take().unwrap_or_else(|| nums.take())
    }

    fn line(&self, lineno: u64, text: String, partial: bool, wrap: bool) -> OutputLine {
        OutputLine {
            stream: self.stream,
            lineno,
            text,
            partial,
            wrap,
        }
    }
}

/// The part of a line a terminal still shows after carriage returns: the last
/// non-empty segment (a bare trailing `\r` does not erase what came before).
fn visible(line: &[u8]) -> &[u8] {
    if memchr::memchr(b'\r', line).is_none() {
        return line;
    }
    line.split(|&b| b == b'\r')
        .rev()
        .find(|seg| !seg.is_empty())
        .unwrap_or(&[])
}

/// Length of `bytes` without an unfinished UTF-8 sequence at its end, so a
/// multi-byte character split across writes is never shown as two bad ones.
fn complete_prefix_len(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => {
            // Invalid bytes earlier on; only trim an unfinished tail.
            let tail_start = bytes.len().saturating_sub(3);
            for start in (tail_start..bytes.len()).rev() {
                let b = bytes[start];
                if b & 0xC0 == 0x80 {
                    continue;
                }
                let need = match b {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF7 => 4,
                    _ => 1,
                };
                return if bytes.len() - start < need {
                    start
                } else {
                    bytes.len()
                };
            }
            bytes.len()
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    // `from_utf8` checks a word at a time; the lossy walk is only for lines
    // that need it.
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]], gap: Duration) -> Vec<OutputLine> {
        let mut s = LineSplitter::new(Stream::Stdout);
        let mut nums = LineNumbers::default();
        let mut out = Vec::new();
        let mut now = Instant::now();
        for chunk in chunks {
            s.feed(chunk, now, &mut nums, &mut out);
            now += gap;
            s.tick(now, &mut nums, &mut out);
        }
        s.finish(&mut nums, &mut out);
        out
    }

    fn texts(lines: &[OutputLine]) -> Vec<(u64, &str, bool)> {
        lines
            .iter()
            .map(|l| (l.lineno, l.text.as_str(), l.partial))
            .collect()
    }

    #[test]
    fn partial_line_is_shown_then_completed_under_the_same_number() {
        let out = run(&[b"loading", b"...", b" done\nnext\n"], PARTIAL_DELAY);
        assert_eq!(
            texts(&out),
            vec![
                (1, "loading", true),
                (1, "loading...", true),
                (1, "loading... done", false),
                (2, "next", false)
            ]
        );
    }

    #[test]
    fn pieces_arriving_quickly_make_one_record() {
        let out = run(&[b"a", b"b", b"c\n"], Duration::from_millis(1));
        assert_eq!(texts(&out), vec![(1, "abc", false)]);
    }

    #[test]
    fn carriage_return_redraws_replace_the_line() {
        let out = run(
            &[
                b"\r 10%|#  |",
                b"\r 50%|## |",
                b"\r100%|###|",
                b"\n",
                b"after\n",
            ],
            PARTIAL_DELAY,
        );
        assert_eq!(
            texts(&out),
            vec![
                (1, " 10%|#  |", true),
                (1, " 50%|## |", true),
                (1, "100%|###|", true),
                (1, "100%|###|", false),
                (2, "after", false)
            ]
        );
    }

    #[test]
    fn crlf_endings_do_not_leave_a_carriage_return() {
        let out = run(&[b"windows\r\nline\r\n"], Duration::ZERO);
        assert_eq!(texts(&out), vec![(1, "windows", false), (2, "line", false)]);
    }

    #[test]
    fn split_utf8_character_is_never_shown_broken() {
        let out = run(&[b"emoji \xf0\x9f", b"\x9a\x80 ok\n"], PARTIAL_DELAY);
        assert_eq!(
            texts(&out),
            vec![(1, "emoji ", true), (1, "emoji \u{1F680} ok", false)]
        );
    }

    #[test]
    fn invalid_bytes_and_nul_become_replacement_characters_not_errors() {
        let out = run(&[b"a \xff\xfe b \x00 c\n"], Duration::ZERO);
        assert_eq!(out[0].text, "a \u{FFFD}\u{FFFD} b \u{0} c");
    }

    #[test]
    fn long_line_is_cut_into_bounded_pieces() {
        let big = vec![b'y'; MAX_LINE * 3 + 10];
        let mut s = LineSplitter::new(Stream::Stdout);
        let mut nums = LineNumbers::default();
        let mut out = Vec::new();
        let now = Instant::now();
        for chunk in big.chunks(4096) {
            s.feed(chunk, now, &mut nums, &mut out);
            assert!(s.open.len() <= MAX_LINE);
        }
        s.feed(b"\n", now, &mut nums, &mut out);
        let lens: Vec<_> = out.iter().map(|l| (l.text.len(), l.wrap)).collect();
        assert_eq!(
            lens,
            vec![
                (MAX_LINE, true),
                (MAX_LINE, true),
                (MAX_LINE, true),
                (10, false)
            ]
        );
    }

    #[test]
    fn unfinished_last_line_is_kept_at_end_of_stream() {
        let out = run(&[b"no newline"], Duration::ZERO);
        assert_eq!(texts(&out), vec![(1, "no newline", false)]);
    }
}
