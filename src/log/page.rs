//! A page of records as JSON (`GET /api/runs/ID/log?format=json`): the raw
//! record lines spliced into one array, as SSE sends them, never parsed and
//! serialised again.

use std::path::Path;
use std::sync::Mutex;

use super::{Cursor, LogIndex};

/// `{"records":[…],"next_after":N,"last_seq":M,"complete":C}` with up to
/// `limit` records after `after`.
pub fn json_page(
    path: &Path,
    index: &Mutex<LogIndex>,
    after: u64,
    limit: usize,
    complete: bool,
) -> std::io::Result<Vec<u8>> {
    let mut cursor = Cursor::after(path, index, after)?;
    let last_seq = index.lock().unwrap_or_else(|p| p.into_inner()).records();
    let mut out = b"{\"records\":[".to_vec();
    let (mut count, mut next_after) = (0, after);
    if after < last_seq {
        cursor.read_to_end(1 << 20, |seq, raw| {
            if count > 0 {
                out.push(b',');
            }
            out.extend_from_slice(raw);
            count += 1;
            next_after = seq;
            count < limit && seq < last_seq
        })?;
    }
    out.extend_from_slice(
        format!("],\"next_after\":{next_after},\"last_seq\":{last_seq},\"complete\":{complete}}}")
            .as_bytes(),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::index::tests::line;

    #[test]
    fn a_page_is_valid_json_with_the_records_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let body: String = (1..=10).map(|i| line(i, i, "x", false)).collect();
        std::fs::write(&path, body).unwrap();
        let index = Mutex::new(LogIndex::default());
        let page: serde_json::Value =
            serde_json::from_slice(&json_page(&path, &index, 3, 4, false).unwrap()).unwrap();
        let seqs: Vec<u64> = page["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [4, 5, 6, 7]);
        assert_eq!(
            (page["next_after"].as_u64(), page["last_seq"].as_u64()),
            (Some(7), Some(10))
        );
        let end: serde_json::Value =
            serde_json::from_slice(&json_page(&path, &index, 10, 4, true).unwrap()).unwrap();
        assert_eq!(end["records"].as_array().unwrap().len(), 0);
        assert_eq!(end["next_after"], 10);
    }
}
