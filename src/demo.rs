//! The bundled demo project, embedded so `cargo install` users have it too.

use std::path::{Path, PathBuf};

use anyhow::Context;
use include_dir::{include_dir, Dir};

static DEMO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// Copies the demo project into `dir` (a new temporary folder if `None`).
/// Files that already exist are left alone, so edits made in an earlier demo
/// session survive.
pub fn materialize(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!("devloop-demo-{}", crate::ids::new_token())),
    };
    write_dir(&DEMO, &dir)?;
    Ok(dir)
}

fn write_dir(src: &Dir, dest: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    for file in src.files() {
        let path = dest.join(file.path().file_name().context("file name")?);
        if !path.exists() {
            std::fs::write(&path, file.contents())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    for sub in src.dirs() {
        write_dir(sub, &dest.join(sub.path().file_name().context("dir name")?))?;
    }
    Ok(())
}
