//! Filter expressions as typed into the sample table: any text parses to a
//! filter or to an error message, never a panic or a stack overflow, and a
//! filter that parses evaluates on any row.
#![no_main]

use devloop::results::filter::{Fields, Filter};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

struct Row(Value);

impl Fields for Row {
    fn field(&self, path: &[String]) -> Option<Value> {
        devloop::results::filter::at(&self.0, path)
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let row = Row(json!({"reward": 0.5, "status": "failed", "error": "x", "turns": 3,
        "metadata": {"level": "3", "tags": ["a"], "deep": {"k": null}}}));
    match Filter::parse(&text) {
        Ok(f) => {
            f.matches(&row);
        }
        Err(msg) => assert!(!msg.is_empty()),
    }
});
