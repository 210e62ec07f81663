//! A copy of an example app in a directory of its own, declaring one stage of its own: its
//! `.chalice/deployed` records and the AWS resources it deploys are one test's alone, and the
//! example in the workspace is left untouched.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{example, workspace};

/// The copy; its directory is removed when dropped.
pub struct ExampleCopy {
    dir: PathBuf,
}

impl ExampleCopy {
    /// `examples/<example>`'s `files` (paths relative to it: sources, keys), with their
    /// modification times, and its `.chalice/config.json` with the `dev` stage alone, renamed
    /// `stage`, under a package named `package` (a binary name of its own, so the examples'
    /// binaries in the shared target directory are left alone). When `src/lib.rs` is among the files, the library keeps the
    /// example's crate name, which its `main.rs` calls.
    ///
    /// # Panics
    /// If the example lacks a file or its config has no `dev` stage.
    pub fn new(example_name: &str, package: &str, files: &[&str], stage: &str) -> ExampleCopy {
        let dir = std::env::temp_dir().join(format!("chalice-rs-{package}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let source = example(example_name);
        for file in files {
            let to = dir.join(file);
            std::fs::create_dir_all(to.parent().expect("a file has a directory")).unwrap();
            std::fs::copy(source.join(file), &to)
                .unwrap_or_else(|e| panic!("copy {example_name}/{file}: {e}"));
            keep_modified_time(&source.join(file), &to);
        }
        let library = files
            .contains(&"src/lib.rs")
            .then(|| example_name.replace('-', "_"));
        std::fs::write(
            dir.join("Cargo.toml"),
            manifest(package, library.as_deref()),
        )
        .unwrap();
        std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        let mut config: Value =
            serde_json::from_slice(&std::fs::read(source.join(".chalice/config.json")).unwrap())
                .unwrap();
        let dev = config["stages"]["dev"].take();
        assert!(dev.is_object(), "{example_name} has no `dev` stage");
        config["stages"] = serde_json::json!({ stage: dev });
        std::fs::create_dir_all(dir.join(".chalice")).unwrap();
        std::fs::write(dir.join(".chalice/config.json"), config.to_string()).unwrap();
        ExampleCopy { dir }
    }

    /// The project directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for ExampleCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Gives `copy` the modification time of `original`. The copy's path changes from run to run,
/// but cargo knows a package by its path relative to its workspace's root (the copy itself), so
/// with the example's times the copy's build from an earlier run is up to date, and a deploy
/// from the copy builds nothing when the example has not changed.
fn keep_modified_time(original: &Path, copy: &Path) {
    let modified = std::fs::metadata(original)
        .and_then(|metadata| metadata.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", original.display()));
    std::fs::File::options()
        .write(true)
        .open(copy)
        .and_then(|file| file.set_modified(modified))
        .unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
}

/// The deployed record of `stage` in the project at `dir`.
///
/// # Panics
/// If there is none.
pub fn record(dir: &Path, stage: &str) -> Value {
    let path = dir.join(".chalice/deployed").join(format!("{stage}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

/// The examples' dependencies, outside the workspace, and the workspace's profiles, so that
/// the copy's builds share the compiled dependencies of the examples' builds.
fn manifest(package: &str, library: Option<&str>) -> String {
    let runtime = workspace().join("chalice-runtime");
    let library = library.map_or_else(String::new, |name| format!("\n[lib]\nname = {name:?}\n"));
    format!(
        r#"[package]
name = {package:?}
version = "0.1.0"
edition = "2024"
publish = false
{library}
[dependencies]
chalice-runtime = {{ path = {runtime:?} }}
serde_json = "1"
tokio = "1"

[workspace]

{}"#,
        profiles(&std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap())
    )
}

/// The `[profile.*]` tables of a manifest, as written.
fn profiles(manifest: &str) -> String {
    let mut kept = String::new();
    let mut in_profile = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_profile = line.starts_with("[profile.");
        }
        if in_profile {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_takes_the_workspaces_profiles() {
        let manifest =
            "[workspace]\nmembers = []\n\n[profile.release]\nlto = \"thin\"\n\n[lints]\nx = 1\n";
        assert_eq!(profiles(manifest), "[profile.release]\nlto = \"thin\"\n\n");
    }

    #[test]
    fn the_copy_has_the_examples_files_and_times_and_only_its_own_stage() {
        let copy = ExampleCopy::new("http-api", "copy-check", &["src/lib.rs"], "mine");
        let (original, copied) = (
            example("http-api").join("src/lib.rs"),
            copy.dir().join("src/lib.rs"),
        );
        assert_eq!(
            std::fs::read(&copied).unwrap(),
            std::fs::read(&original).unwrap()
        );
        let modified = |path: &Path| std::fs::metadata(path).unwrap().modified().unwrap();
        assert_eq!(modified(&copied), modified(&original));
        let config: Value = serde_json::from_slice(
            &std::fs::read(copy.dir().join(".chalice/config.json")).unwrap(),
        )
        .unwrap();
        let stages: Vec<&String> = config["stages"].as_object().unwrap().keys().collect();
        assert_eq!(stages, ["mine"]);
        assert!(config["stages"]["mine"]["jwks"].is_object(), "{config}");
        let dir = copy.dir().to_owned();
        drop(copy);
        assert!(!dir.exists());
    }

    #[test]
    fn a_library_keeps_the_examples_crate_name() {
        let with = manifest("httpapi-lifecycle", Some("http_api"));
        assert!(
            with.contains("name = \"httpapi-lifecycle\"\nversion"),
            "{with}"
        );
        assert!(with.contains("\n[lib]\nname = \"http_api\"\n"), "{with}");
        assert!(!manifest("demoauth-lifecycle", None).contains("[lib]"));
    }
}
