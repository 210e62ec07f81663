//! A chalice-rs project on disk: its Cargo package, its config, and building its app binary
//! and reading the app's manifest (the only thing the CLI reads of the app).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chalice_runtime::MANIFEST_ARG;
use chalice_runtime::manifest::{MANIFEST_VERSION, Manifest};
use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result};

/// How to build the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build` (fast to build; for `local`).
    Debug,
    /// `cargo build --release` (for Lambda).
    Release,
}

/// The cargo command that builds the app: `cargo build`, or `cargo zigbuild` (cargo-zigbuild
/// linking with zig), for the host or a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoBuild {
    /// `cargo zigbuild` rather than `cargo build`.
    pub zig: bool,
    /// The `--target`, which cargo-zigbuild lets end in a glibc version (`.2.34`); `None`: the
    /// host's.
    pub target: Option<String>,
}

impl CargoBuild {
    /// `cargo build` for this machine.
    pub fn host() -> CargoBuild {
        CargoBuild {
            zig: false,
            target: None,
        }
    }
}

/// A project directory with a Cargo package and `.chalice/config.json`.
#[derive(Debug, Clone)]
pub struct Project {
    dir: PathBuf,
    config: Config,
}

/// A built app binary and what it declares.
#[derive(Debug, Clone)]
pub struct BuiltApp {
    /// The executable.
    pub binary: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Project {
    /// Opens the project in `dir`, reading its config.
    pub fn open(dir: &Path) -> Result<Project> {
        let cargo_toml = dir.join("Cargo.toml");
        if !cargo_toml.is_file() {
            return Err(Error::new(format!(
                "{}: not found; the project directory must hold the app's Cargo package (use --project-dir)",
                cargo_toml.display()
            )));
        }
        let dir = std::fs::canonicalize(dir)
            .map_err(|error| Error::new(format!("{}: {error}", dir.display())))?;
        let config = Config::load(&dir)?;
        Ok(Project { dir, config })
    }

    /// The project directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Builds the app for this machine, then reads and checks its manifest.
    pub fn build(&self, profile: Profile) -> Result<BuiltApp> {
        let binary = self.compile(profile, &CargoBuild::host())?;
        self.app(binary.clone(), &binary)
    }

    /// The app `binary`, with the manifest `manifest_from` (the same app, built to run here)
    /// prints, checked against the config.
    pub fn app(&self, binary: PathBuf, manifest_from: &Path) -> Result<BuiltApp> {
        let manifest = read_manifest(manifest_from)?;
        if manifest.app_name != self.config.app_name() {
            return Err(Error::new(format!(
                "the app is named \"{}\" (App::new in the code) but {} says app_name \"{}\"; make them agree",
                manifest.app_name,
                self.config.path().display(),
                self.config.app_name()
            )));
        }
        Ok(BuiltApp { binary, manifest })
    }

    /// Runs cargo and returns the app's executable: the package's only binary, or the one
    /// named after `app_name`.
    pub fn compile(&self, profile: Profile, build: &CargoBuild) -> Result<PathBuf> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(&self.dir)
            .arg(if build.zig { "zigbuild" } else { "build" })
            .args([
                "--message-format=json-render-diagnostics",
                "--manifest-path",
            ])
            .arg(self.dir.join("Cargo.toml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if profile == Profile::Release {
            command.arg("--release");
        }
        if let Some(target) = &build.target {
            command.args(["--target", target]);
        }
        let output = command
            .output()
            .map_err(|error| Error::new(format!("cannot run cargo: {error}")))?;
        if !output.status.success() {
            return Err(Error::new(format!(
                "the app in {} failed to build (the compiler's errors are above)",
                self.dir.display()
            )));
        }
        let manifest_path = std::fs::canonicalize(self.dir.join("Cargo.toml"))
            .map_err(|error| Error::new(format!("{}: {error}", self.dir.display())))?;
        let executables = executables(&output.stdout, &manifest_path);
        match &executables[..] {
            [] => Err(Error::new(format!(
                "{} builds no binary; a chalice-rs app is a binary whose main calls App::new(..).run()",
                manifest_path.display()
            ))),
            [(_, only)] => Ok(only.clone()),
            many => many
                .iter()
                .find(|(name, _)| name == self.config.app_name())
                .map(|(_, path)| path.clone())
                .ok_or_else(|| {
                    let names: Vec<&str> = many.iter().map(|(name, _)| name.as_str()).collect();
                    Error::new(format!(
                        "{} has several binaries ({}); name the app's binary after app_name \"{}\"",
                        manifest_path.display(),
                        names.join(", "),
                        self.config.app_name()
                    ))
                }),
        }
    }
}

/// The `(name, path)` of each binary cargo built for the package at `manifest_path`.
fn executables(cargo_json: &[u8], manifest_path: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for line in cargo_json.split(|b| *b == b'\n') {
        let Ok(message) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact"
            || message["manifest_path"].as_str().map(Path::new) != Some(manifest_path)
        {
            continue;
        }
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if let (true, Some(executable), Some(name)) = (
            is_bin,
            message["executable"].as_str(),
            message["target"]["name"].as_str(),
        ) {
            found.push((name.to_owned(), PathBuf::from(executable)));
        }
    }
    found
}

/// Runs `binary --chalice-manifest` and reads what it prints.
pub fn read_manifest(binary: &Path) -> Result<Manifest> {
    let output = Command::new(binary)
        .arg(MANIFEST_ARG)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(Stdio::null())
        .output()
        .map_err(|error| Error::new(format!("cannot run {}: {error}", binary.display())))?;
    if !output.status.success() {
        // The app says why it cannot start (say, a route declared in two modules).
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr.trim();
        return Err(Error::new(format!(
            "{} {MANIFEST_ARG} failed: {}",
            binary.display(),
            why.strip_prefix("chalice-rs: ").unwrap_or(why)
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&output.stdout).map_err(|error| {
        Error::new(format!(
            "{} printed no valid manifest ({error}); is its main `App::new(..).run()`?",
            binary.display()
        ))
    })?;
    if manifest.manifest_version != MANIFEST_VERSION {
        return Err(Error::new(format!(
            "{} was built with a chalice-runtime whose manifest version is {}; this chalice-rs reads version {MANIFEST_VERSION}",
            binary.display(),
            manifest.manifest_version
        )));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_binaries_of_the_package() {
        let json = br#"{"reason":"compiler-artifact","manifest_path":"/p/Cargo.toml","target":{"kind":["lib"],"name":"x"},"executable":null}
{"reason":"compiler-artifact","manifest_path":"/p/Cargo.toml","target":{"kind":["bin"],"name":"app"},"executable":"/t/app"}
{"reason":"compiler-artifact","manifest_path":"/other/Cargo.toml","target":{"kind":["bin"],"name":"dep"},"executable":"/t/dep"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executables(json, Path::new("/p/Cargo.toml")),
            [("app".to_owned(), PathBuf::from("/t/app"))]
        );
    }
}
