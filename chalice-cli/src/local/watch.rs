//! Which saves under the project call for a rebuild, and the watcher that reports them.
//!
//! The app's sources (`src/`), its `Cargo.toml` and `build.rs`, and `.chalice/config.json` are
//! watched; the target directory, version control and editors' temporary files are not. An
//! editor's save is often several events (write, rename, metadata): they are taken together as
//! one change once the project has been quiet for [`QUIET`].

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::error::{Error, Result};

/// How long the project must be quiet after a save before it is rebuilt.
pub const QUIET: Duration = Duration::from_millis(200);

/// Watches a project; dropping it stops watching.
pub struct ProjectWatcher {
    _watcher: RecommendedWatcher,
    changes: UnboundedReceiver<PathBuf>,
}

impl ProjectWatcher {
    /// Starts watching the project in `dir` (an absolute, canonical path).
    pub fn start(dir: &Path) -> Result<ProjectWatcher> {
        let (sender, changes) = unbounded_channel();
        let root = dir.to_path_buf();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if matches!(event.kind, EventKind::Access(_)) {
                    return;
                }
                for path in event.paths {
                    if triggers_rebuild(&root, &path) {
                        let _ = sender.send(path);
                    }
                }
            })
            .map_err(|error| Error::new(format!("cannot watch {}: {error}", dir.display())))?;
        // The directories, not the files: editors often save by writing a new file and
        // renaming it over the old one, which a watch on the old file would not see.
        let watches = [
            (dir.join("src"), RecursiveMode::Recursive),
            (dir.to_path_buf(), RecursiveMode::NonRecursive),
            (dir.join(".chalice"), RecursiveMode::NonRecursive),
        ];
        for (path, mode) in watches {
            if path.is_dir() {
                watcher.watch(&path, mode).map_err(|error| {
                    Error::new(format!("cannot watch {}: {error}", path.display()))
                })?;
            }
        }
        Ok(ProjectWatcher {
            _watcher: watcher,
            changes,
        })
    }

    /// The next change: the files saved since the last one, once the project is quiet again.
    /// Pending forever if the watcher stops.
    pub async fn next_change(&mut self) -> Vec<PathBuf> {
        match debounced(&mut self.changes, QUIET).await {
            Some(paths) => paths,
            None => std::future::pending().await,
        }
    }
}

/// The paths received until none has come for `quiet`, without repeats; `None` once the
/// sender is gone.
pub async fn debounced(
    changes: &mut UnboundedReceiver<PathBuf>,
    quiet: Duration,
) -> Option<Vec<PathBuf>> {
    let mut paths = vec![changes.recv().await?];
    while let Ok(Some(path)) = tokio::time::timeout(quiet, changes.recv()).await {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    Some(paths)
}

/// Whether a change to `path` can change the app the project in `root` builds.
pub fn triggers_rebuild(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<&str> = relative
        .components()
        .filter_map(|part| match part {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let Some(file) = parts.last() else {
        return false;
    };
    if is_editor_temporary(file) {
        return false;
    }
    matches!(
        parts[..],
        ["Cargo.toml" | "build.rs"] | [".chalice", "config.json"] | ["src", ..]
    )
}

/// Files editors write beside the one being edited: backups (`x~`), swap files (`.x.swp`), lock
/// files (`.#x`), vim's write test (`4913`), and write-then-rename temporaries.
fn is_editor_temporary(name: &str) -> bool {
    name.ends_with('~')
        || name.starts_with(".#")
        || name == "4913"
        || [".swp", ".swo", ".swx", ".tmp", ".bak"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        || (name.starts_with('#') && name.ends_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_the_manifest_and_the_config_trigger_a_rebuild() {
        let root = Path::new("/p");
        for path in [
            "/p/src/main.rs",
            "/p/src/views/orders.rs",
            "/p/Cargo.toml",
            "/p/build.rs",
            "/p/.chalice/config.json",
        ] {
            assert!(triggers_rebuild(root, Path::new(path)), "{path}");
        }
    }

    #[test]
    fn build_output_other_files_and_editor_temporaries_do_not() {
        let root = Path::new("/p");
        for path in [
            "/p/target/debug/app",
            "/p/Cargo.lock",
            "/p/README.md",
            "/p/tests/api.rs",
            "/p/.git/index",
            "/p/.chalice/deployed/dev.json",
            "/p/src/.main.rs.swp",
            "/p/src/main.rs~",
            "/p/src/.#main.rs",
            "/p/src/#main.rs#",
            "/p/src/4913",
            "/elsewhere/src/main.rs",
            "/p",
        ] {
            assert!(!triggers_rebuild(root, Path::new(path)), "{path}");
        }
    }

    #[tokio::test]
    async fn a_burst_of_events_is_one_change() {
        let (sender, mut changes) = unbounded_channel();
        for path in ["/p/src/a.rs", "/p/src/b.rs", "/p/src/a.rs"] {
            sender.send(PathBuf::from(path)).unwrap();
        }
        let later = sender.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.send(PathBuf::from("/p/Cargo.toml")).unwrap();
        });
        let change = debounced(&mut changes, Duration::from_millis(100)).await;
        assert_eq!(
            change,
            Some(vec![
                PathBuf::from("/p/src/a.rs"),
                PathBuf::from("/p/src/b.rs"),
                PathBuf::from("/p/Cargo.toml"),
            ])
        );
        drop(sender);
        assert_eq!(
            debounced(&mut changes, Duration::from_millis(10)).await,
            None
        );
    }
}
