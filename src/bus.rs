//! Project-wide change notices (`GET /api/events`): runs, results and configs
//! that changed. One bus per server, held by the app state and handed to the
//! parts that announce changes.
//!
//! Every notice is counted. An API answer carries the count as it began
//! (`x-devloop-seq`) and the event feed opens with the count at its start
//! (`hello`), so a page can tell whether a notice came between the lists it
//! read and its feed, and re-read them only then. The count is marked with
//! a number drawn at the server's start, so a restarted server's count is
//! never taken for the old one's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

/// Answers carry the bus's count under this header.
pub const SEQ_HEADER: &str = "x-devloop-seq";

#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<String>,
    sent: Arc<AtomicU64>,
    epoch: u64,
}

impl Default for Bus {
    fn default() -> Self {
        // A page that falls this far behind gets `resync` and re-reads.
        let (tx, _) = broadcast::channel(1024);
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("random bytes");
        let epoch = u64::from_le_bytes(b);
        Bus {
            tx,
            sent: Arc::default(),
            epoch,
        }
    }
}

impl Bus {
    /// Sends `notice` (an object with a `type`) to every page listening,
    /// with its place in the count as `seq`; nobody listening is fine.
    pub fn send(&self, mut notice: Value) {
        let n = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if let Value::Object(fields) = &mut notice {
            fields.insert("seq".into(), Value::String(self.mark_of(n)));
        }
        let _ = self.tx.send(notice.to_string());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }

    /// The count of notices sent so far, as `epoch.n`.
    pub fn mark(&self) -> String {
        self.mark_of(self.sent.load(Ordering::SeqCst))
    }

    fn mark_of(&self, n: u64) -> String {
        format!("{:x}.{n}", self.epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_moves_the_mark_and_carries_it() {
        let bus = Bus::default();
        let mut sub = bus.subscribe();
        let before = bus.mark();
        assert_eq!(before, bus.mark(), "nothing sent, nothing moved");
        bus.send(serde_json::json!({"type": "configs_changed"}));
        let after = bus.mark();
        assert_ne!(before, after);
        let got: Value = serde_json::from_str(&sub.try_recv().unwrap()).unwrap();
        assert_eq!(got["seq"], after.as_str());
        assert_ne!(
            Bus::default().mark(),
            before,
            "another server's count is told apart"
        );
    }
}
