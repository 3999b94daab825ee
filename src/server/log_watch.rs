//! Wakes the viewers of a run when its folder changes. One `notify` watcher
//! serves every run; a run's folder is watched only while someone views it.
//! Viewers hold a [`Subscription`] and wait on its counter; they then read
//! the file themselves, at their own pace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{RecursiveMode, Watcher};
use tokio::sync::watch;

struct Entry {
    tx: watch::Sender<u64>,
    viewers: usize,
}

#[derive(Clone)]
pub struct LogWatchers {
    inner: Arc<Inner>,
}

struct Inner {
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    entries: Mutex<HashMap<PathBuf, Entry>>,
}

pub struct Subscription {
    inner: Arc<Inner>,
    dir: PathBuf,
    pub rx: watch::Receiver<u64>,
}

impl Default for LogWatchers {
    fn default() -> Self {
        Self::new()
    }
}

impl LogWatchers {
    pub fn new() -> LogWatchers {
        let inner = Arc::new(Inner {
            watcher: Mutex::new(None),
            entries: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&inner);
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let (Some(inner), Ok(event)) = (weak.upgrade(), res) else {
                return;
            };
            let entries = inner.entries.lock().unwrap_or_else(|p| p.into_inner());
            for path in &event.paths {
                if let Some(entry) = path.parent().and_then(|dir| entries.get(dir)) {
                    entry.tx.send_modify(|n| *n += 1);
                }
            }
        });
        match watcher {
            Ok(w) => *inner.watcher.lock().unwrap() = Some(w),
            Err(e) => tracing::warn!("file notifications unavailable, viewers will poll: {e}"),
        }
        LogWatchers { inner }
    }

    /// Starts (or joins) watching `dir`. The watcher's lock is taken before
    /// the entries' and `entries` is never held while calling into `notify`,
    /// whose event thread takes `entries` in the callback.
    pub fn subscribe(&self, dir: &Path) -> Subscription {
        let mut watcher = self.inner.watcher.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        let is_new = !entries.contains_key(dir);
        let entry = entries.entry(dir.to_path_buf()).or_insert_with(|| Entry {
            tx: watch::channel(0).0,
            viewers: 0,
        });
        entry.viewers += 1;
        let rx = entry.tx.subscribe();
        drop(entries);
        if let (true, Some(w)) = (is_new, watcher.as_mut()) {
            if let Err(e) = w.watch(dir, RecursiveMode::NonRecursive) {
                tracing::warn!("watching {}: {e}", dir.display());
            }
        }
        Subscription {
            inner: self.inner.clone(),
            dir: dir.to_path_buf(),
            rx,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut watcher = self.inner.watcher.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        let last = match entries.get_mut(&self.dir) {
            Some(entry) => {
                entry.viewers -= 1;
                entry.viewers == 0
            }
            None => false,
        };
        if last {
            entries.remove(&self.dir);
        }
        drop(entries);
        if let (true, Some(w)) = (last, watcher.as_mut()) {
            let _ = w.unwatch(&self.dir);
        }
    }
}
