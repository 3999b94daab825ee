//! One server per project. Two servers on one project would both start
//! queued runs and record ends, and each would leave the other's supervisors
//! unreaped; so the second refuses to start and says where the first is.

use std::io::{Seek, Write};
use std::path::Path;

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

/// Held for as long as the server runs; the kernel releases it when the
/// process ends, however it ends.
pub struct ProjectLock {
    file: Flock<std::fs::File>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Holder {
    pid: u32,
    url: String,
}

impl ProjectLock {
    /// Takes `.devloop/server.lock`, or says which server holds it.
    pub fn take(state_dir: &Path) -> anyhow::Result<ProjectLock> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating {}", state_dir.display()))?;
        let path = state_dir.join("server.lock");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(file) => Ok(ProjectLock { file }),
            Err((_, _)) => {
                let holder = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Holder>(&b).ok());
                match holder {
                    Some(h) => anyhow::bail!(
                        "another devloop server (pid {}) already serves this project at {}; open that, or stop it first",
                        h.pid,
                        h.url
                    ),
                    None => anyhow::bail!(
                        "another devloop server already serves this project (it holds {})",
                        path.display()
                    ),
                }
            }
        }
    }

    /// Records where this server answers, for the message a second one gives.
    pub fn announce(&mut self, url: &str) -> anyhow::Result<()> {
        let holder = Holder {
            pid: std::process::id(),
            url: url.to_string(),
        };
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(&serde_json::to_vec(&holder)?)?;
        Ok(())
    }
}
