//! Changes made outside devloop (another editor, a run writing results):
//! a cheap signature of every result folder and every config, checked every
//! two seconds, turned into `results_changed` / `configs_changed` notices so
//! no page polls.

use serde_json::json;

use super::AppState;

/// Tells pages when anything under `results/` or `configs/` changed (a
/// cheap signature of every folder and file, checked every two seconds), so
/// no page polls and an edit made in another editor shows up.
pub fn watch_files(state: &AppState) {
    let results = state.results.clone();
    let configs_dir = state.settings.configs_dir.clone();
    let bus = state.bus.clone();
    tokio::spawn(async move {
        let mut last: Option<(u64, u64)> = None;
        loop {
            let (r, dir) = (results.clone(), configs_dir.clone());
            if let Ok(now) =
                tokio::task::spawn_blocking(move || (r.fingerprint(), dir_fingerprint(&dir))).await
            {
                if let Some((res, cfg)) = last {
                    if res != now.0 {
                        bus.send(json!({"type": "results_changed"}));
                    }
                    if cfg != now.1 {
                        bus.send(json!({"type": "configs_changed"}));
                    }
                }
                last = Some(now);
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
}

/// Names, sizes and mtimes of the files in `dir` and its sub-folders, at
/// any depth (links are not followed, as the config list does not).
fn dir_fingerprint(dir: &std::path::Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let Ok(meta) = e.metadata() else { continue };
        e.path().hash(&mut h);
        meta.len().hash(&mut h);
        crate::fsutil::mtime_ms(&meta).hash(&mut h);
    }
    h.finish()
}
