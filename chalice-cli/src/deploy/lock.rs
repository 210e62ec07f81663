//! One deploy or delete of a stage at a time: `.chalice/deployed/<stage>.lock`, held with the
//! operating system's file lock and holding the holder's pid for the message.
//!
//! The kernel drops the lock when its process ends, however it ends (a SIGKILL included), so a
//! lock file left behind by a dead process is no obstacle: there is no stale-lock guessing.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The held lock of one stage; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct DeployLock {
    path: PathBuf,
    file: File,
}

/// Where a stage's lock lives, beside its record.
pub fn path(project_dir: &Path, stage: &str) -> PathBuf {
    project_dir
        .join(".chalice")
        .join("deployed")
        .join(format!("{stage}.lock"))
}

impl DeployLock {
    /// Takes the stage's lock, or says who holds it.
    pub fn acquire(project_dir: &Path, stage: &str) -> Result<DeployLock> {
        let path = path(project_dir, stage);
        let dir = path.parent().unwrap_or(project_dir);
        std::fs::create_dir_all(dir)
            .map_err(|error| Error::new(format!("cannot create {}: {error}", dir.display())))?;
        let cannot =
            |error: std::io::Error| Error::new(format!("cannot lock {}: {error}", path.display()));
        // The file may be removed by its holder between our open and our lock; a lock taken on
        // a file no longer at `path` locks nothing, so try again.
        for _ in 0..16 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(cannot)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = match holder.trim() {
                        "" => String::new(),
                        pid => format!("process {pid}, "),
                    };
                    return Err(Error::new(format!(
                        "another deploy or delete of stage `{stage}` is running ({holder}lock {}); wait for it to finish",
                        path.display()
                    )));
                }
                Err(TryLockError::Error(error)) => return Err(cannot(error)),
            }
            if !still_at(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(cannot)?;
            file.seek(SeekFrom::Start(0)).map_err(cannot)?;
            write!(file, "{}", std::process::id()).map_err(cannot)?;
            return Ok(DeployLock { path, file });
        }
        Err(Error::new(format!(
            "cannot lock {}: it keeps being replaced",
            path.display()
        )))
    }
}

/// Whether `file` is still the file at `path`.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Whether `file` is still the file at `path` (other systems do not remove a locked file).
#[cfg(not(unix))]
fn still_at(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for DeployLock {
    fn drop(&mut self) {
        // Removed while still locked, so no one can lock the old file in between.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("chalice-rs-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_second_holder_is_refused_with_the_holder_and_the_file() {
        let dir = project_dir("second");
        let held = DeployLock::acquire(&dir, "dev").unwrap();
        let error = DeployLock::acquire(&dir, "dev").unwrap_err().to_string();
        let file = path(&dir, "dev");
        assert_eq!(
            error,
            format!(
                "another deploy or delete of stage `dev` is running (process {}, lock {}); wait for it to finish",
                std::process::id(),
                file.display()
            )
        );
        // Other stages are independent.
        drop(DeployLock::acquire(&dir, "prod").unwrap());
        drop(held);
        assert!(!file.exists(), "released locks leave no file");
        drop(DeployLock::acquire(&dir, "dev").unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_is_taken_over() {
        let dir = project_dir("stale");
        let file = path(&dir, "dev");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "999999999").unwrap();
        let held = DeployLock::acquire(&dir, "dev").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            std::process::id().to_string()
        );
        drop(held);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
