//! Project-wide change notices (`GET /api/events`): runs, results and configs
//! that changed. One bus per server, held by the app state and handed to the
//! parts that announce changes.

use serde_json::Value;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<String>,
}

impl Default for Bus {
    fn default() -> Self {
        // A page that falls this far behind gets `resync` and re-reads.
        let (tx, _) = broadcast::channel(1024);
        Bus { tx }
    }
}

impl Bus {
    /// Sends `notice` (an object with a `type`) to every page listening;
    /// nobody listening is fine.
    pub fn send(&self, notice: Value) {
        let _ = self.tx.send(notice.to_string());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }
}
