//! A run's log, `log.jsonl`: one JSON record per line, numbered from 1 without
//! gaps, appended by the supervisor and read by everyone else. This module is
//! the whole of it: the record (`record.rs`), writing (`writer.rs`), finding
//! record N (`index.rs`), reading after a seq (`cursor.rs`, used by SSE, the
//! JSON pages and the text download), JSON pages (`page.rs`) and the text
//! download (`text.rs`). A log replicated from another machine is appended
//! here record by record, so every reader works on it unchanged.

mod cursor;
pub(crate) mod index;
mod page;
mod record;
pub mod search;
mod text;
mod writer;

pub use cursor::Cursor;
pub use index::LogIndex;
pub use page::json_page;
pub use record::{now_ms, GpuUse, Metrics, OutputLine, Payload, Record, Stream};
pub use text::{write_text, TextStyle};
pub use writer::LogWriter;
