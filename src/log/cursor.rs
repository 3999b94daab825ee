//! A reader's place in a log. Every reader (each SSE viewer, a JSON page, the
//! text download) has its own cursor: an open file, the byte offset and seq
//! reached, and the bytes of a record not finished yet. Only complete lines
//! (ending in `\n`) are handed out, as raw bytes, so nothing on the hot path
//! parses or re-encodes what the supervisor wrote.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::LogIndex;

pub struct Cursor {
    path: PathBuf,
    file: Option<File>,
    offset: u64,
    /// The seq of the last record read (handed out or skipped).
    seq: u64,
    /// Records up to this seq are skipped, not handed out.
    after: u64,
    carry: Vec<u8>,
}

impl Cursor {
    /// A cursor that hands out the records after `after`, starting from the
    /// nearest point `index` knows (updated first), so it skips at most one
    /// stride of records.
    pub fn after(path: &Path, index: &Mutex<LogIndex>, after: u64) -> std::io::Result<Cursor> {
        let (offset, seq) = {
            let mut index = index.lock().unwrap_or_else(|p| p.into_inner());
            index.update(path)?;
            index.seek_point(after)
        };
        Ok(Cursor {
            path: path.to_path_buf(),
            file: None,
            offset,
            seq,
            after,
            carry: Vec::new(),
        })
    }

    /// Reads up to `max_bytes` and hands each complete record after the
    /// starting point, with its seq, to `f`, until `f` returns false. Returns
    /// how many bytes were read: 0 means nothing new is on disk (yet); more
    /// with no record handed out means a line is still being written.
    pub fn read(
        &mut self,
        max_bytes: usize,
        mut f: impl FnMut(u64, &[u8]) -> bool,
    ) -> std::io::Result<usize> {
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(file) => self.file = Some(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(0);
        };
        file.seek(SeekFrom::Start(self.offset + self.carry.len() as u64))?;
        let start = self.carry.len();
        self.carry.resize(start + max_bytes, 0);
        let n = file.read(&mut self.carry[start..])?;
        self.carry.truncate(start + n);
        let mut consumed = 0;
        for nl in memchr::memchr_iter(b'\n', &self.carry) {
            self.seq += 1;
            let raw = &self.carry[consumed..nl];
            consumed = nl + 1;
            if self.seq > self.after && !f(self.seq, raw) {
                break;
            }
        }
        self.offset += consumed as u64;
        self.carry.drain(..consumed);
        // A reader that waits (a viewer that stopped reading) keeps only
        // the unfinished line it holds, not a whole read's buffer.
        if self.carry.capacity() > 4 * self.carry.len() + 4096 {
            self.carry.shrink_to_fit();
        }
        Ok(n)
    }

    /// Reads until `f` returns false or the end of what is on disk.
    pub fn read_to_end(
        &mut self,
        chunk: usize,
        mut f: impl FnMut(u64, &[u8]) -> bool,
    ) -> std::io::Result<()> {
        let mut more = true;
        while more {
            let before = self.seq;
            let n = self.read(chunk, |seq, raw| {
                more = f(seq, raw);
                more
            })?;
            if n == 0 && self.seq == before {
                break;
            }
        }
        Ok(())
    }
}
