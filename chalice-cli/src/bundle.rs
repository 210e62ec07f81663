//! The deployment package: the app built for Lambda and zipped as `bootstrap`, byte for byte the
//! same for the same binary, so its SHA-256 tells a changed app from an unchanged one.

use std::io::{Cursor, Read as _, Write as _};
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::bootstrap::{self, Linkage};
use crate::config::Architecture;
use crate::error::{Error, Result};
use crate::project::{BuiltApp, Profile, Project};

/// The file name Lambda's `provided.al2023` runtime executes.
pub const BOOTSTRAP: &str = "bootstrap";

/// The built app and its zip.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The binary and its manifest.
    pub app: BuiltApp,
    /// The zip's bytes.
    pub zip: Vec<u8>,
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub sha256: String,
    /// How the binary was built, for the user.
    pub build_note: String,
}

/// Builds the app for Lambda on `architecture`, checks that it runs there, and zips it.
pub fn build(project: &Project, architecture: Architecture) -> Result<Bundle> {
    let (target, build_note) = lambda_target(architecture)?;
    let app = project.build(Profile::Release, target.as_deref())?;
    let binary = std::fs::read(&app.binary)
        .map_err(|error| Error::new(format!("cannot read {}: {error}", app.binary.display())))?;
    let linkage = bootstrap::check(&binary, architecture)
        .map_err(|why| refused(&app.binary.display().to_string(), &why))?;
    let build_note = format!(
        "{build_note}; bootstrap checked: {}, {linkage}",
        architecture.as_str()
    );
    let zip = zip_bootstrap(&binary)?;
    let sha256 = code_sha256(&zip);
    Ok(Bundle {
        app,
        zip,
        sha256,
        build_note,
    })
}

impl Bundle {
    /// The line a deploy prints once the app is built: the binary and the zip's size, and how it
    /// was built (target, linker, the bootstrap check) only when that is news: the first time,
    /// and again whenever it changes (say, once a musl target is installed), not at every deploy.
    /// What was told is remembered beside the binary, so `cargo clean` forgets it too.
    pub fn built_line(&self) -> String {
        let binary = self.app.binary.display();
        let size = self.zip.len();
        if tell_once(&self.app.binary, &self.build_note) {
            format!("Built {binary} ({}, {size} bytes zipped)", self.build_note)
        } else {
            format!("Built {binary} ({size} bytes zipped)")
        }
    }
}

/// Whether `note` is news for `binary` (not the note last told for it); remembers it as told.
/// Where it cannot be remembered, it is told every time.
fn tell_once(binary: &Path, note: &str) -> bool {
    let mut told = binary.as_os_str().to_owned();
    told.push(".build-note");
    let told = std::path::PathBuf::from(told);
    if std::fs::read_to_string(&told).is_ok_and(|last| last == note) {
        return false;
    }
    let _ = std::fs::write(&told, note);
    true
}

/// Checks the `bootstrap` a deployment zip holds (one built elsewhere than by [`build`]) as
/// [`build`] checks the binary it zips.
pub fn check_zip(zip: &[u8], architecture: Architecture) -> Result<Linkage> {
    let unreadable = |error: &dyn std::fmt::Display| {
        Error::new(format!("the deployment zip cannot be read: {error}"))
    };
    let mut archive = ZipArchive::new(Cursor::new(zip)).map_err(|error| unreadable(&error))?;
    let mut file = archive.by_name(BOOTSTRAP).map_err(|_| {
        Error::new(format!(
            "the deployment zip holds no `{BOOTSTRAP}`, the file provided.al2023 runs"
        ))
    })?;
    let mut binary = Vec::new();
    file.read_to_end(&mut binary)
        .map_err(|error| unreadable(&error))?;
    bootstrap::check(&binary, architecture)
        .map_err(|why| refused(&format!("`{BOOTSTRAP}` in the deployment zip"), &why))
}

/// The error for a bootstrap that would not run on Lambda: which, and why.
fn refused(which: &str, why: &str) -> Error {
    Error::new(format!(
        "the app's binary ({which}) cannot run on Lambda's provided.al2023 runtime: {why}"
    ))
}

/// The cargo target to build for, and a note saying what was chosen and why.
///
/// A musl target, when its standard library is installed, gives a static binary that runs on
/// any Lambda image; otherwise the host target is used when it matches the architecture
/// (built on a glibc no newer than Amazon Linux 2023's, it runs there too).
fn lambda_target(architecture: Architecture) -> Result<(Option<String>, String)> {
    let (musl, gnu, arch) = match architecture {
        Architecture::X86_64 => (
            "x86_64-unknown-linux-musl",
            "x86_64-unknown-linux-gnu",
            "x86_64",
        ),
        Architecture::Arm64 => (
            "aarch64-unknown-linux-musl",
            "aarch64-unknown-linux-gnu",
            "aarch64",
        ),
    };
    let installed = installed_targets();
    let linker = |target: &str| linker(target, |name| std::env::var(name).ok());
    if installed.iter().any(|t| t == musl) {
        return Ok((
            Some(musl.to_owned()),
            format!("target {musl} (static), linker {}", linker(musl)),
        ));
    }
    if std::env::consts::OS == "linux" && std::env::consts::ARCH == arch {
        return Ok((
            None,
            format!(
                "target {gnu} (the host's), linker {}; install the {musl} target (`rustup target add {musl}`) for a static binary",
                linker(gnu)
            ),
        ));
    }
    if installed.iter().any(|t| t == gnu) {
        return Ok((
            Some(gnu.to_owned()),
            format!("target {gnu}, linker {}", linker(gnu)),
        ));
    }
    Err(Error::new(format!(
        "cannot build for Lambda {arch}: install a target with `rustup target add {musl}`"
    )))
}

/// The linker cargo runs for `target`: the one `CARGO_TARGET_<TRIPLE>_LINKER` names (as `env`
/// reads it), else `cc`, the C compiler driver cargo links with by default.
fn linker(target: &str, env: impl Fn(&str) -> Option<String>) -> String {
    let variable = format!(
        "CARGO_TARGET_{}_LINKER",
        target.to_ascii_uppercase().replace(['-', '.'], "_")
    );
    match env(&variable).filter(|linker| !linker.is_empty()) {
        Some(linker) => format!("{linker} (from {variable})"),
        None => "cc (cargo's default)".to_owned(),
    }
}

fn installed_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A zip holding one executable `bootstrap`, with fixed timestamp and modes.
pub fn zip_bootstrap(binary: &[u8]) -> Result<Vec<u8>> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755);
    let zip_error = |error: zip::result::ZipError| {
        Error::new(format!("cannot write the deployment zip: {error}"))
    };
    writer.start_file(BOOTSTRAP, options).map_err(zip_error)?;
    writer
        .write_all(binary)
        .map_err(|error| Error::new(format!("cannot write the deployment zip: {error}")))?;
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

/// Base64 of the SHA-256, the form of Lambda's `CodeSha256`.
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

/// Writes the zip to `path`.
pub fn write_zip(bundle: &Bundle, path: &Path) -> Result<()> {
    std::fs::write(path, &bundle.zip)
        .map_err(|error| Error::new(format!("cannot write {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_binary_gives_the_same_bytes() {
        let binary = b"\x7fELF pretend binary".repeat(1000);
        let first = zip_bootstrap(&binary).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = zip_bootstrap(&binary).unwrap();
        assert_eq!(first, second);
        assert_eq!(code_sha256(&first), code_sha256(&second));
        assert_ne!(
            code_sha256(&first),
            code_sha256(&zip_bootstrap(b"other").unwrap())
        );
    }

    #[test]
    fn how_the_app_was_built_is_told_once_and_again_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("chalice-rs-note-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("app");
        let mut bundle = Bundle {
            app: BuiltApp {
                binary: binary.clone(),
                manifest: crate::test_support::demoauth(),
            },
            zip: vec![0; 42],
            sha256: String::new(),
            build_note: "target t (the host's), linker cc".into(),
        };
        let note = format!(
            "Built {} (target t (the host's), linker cc, 42 bytes zipped)",
            binary.display()
        );
        let short = format!("Built {} (42 bytes zipped)", binary.display());
        assert_eq!(bundle.built_line(), note);
        assert_eq!(bundle.built_line(), short);
        assert_eq!(bundle.built_line(), short);
        bundle.build_note = "target t-musl (static), linker cc".into();
        assert!(bundle.built_line().contains("t-musl (static)"));
        assert_eq!(bundle.built_line(), short);
        // Another binary (another app) is told its own.
        bundle.app.binary = dir.join("other");
        assert!(bundle.built_line().contains("t-musl (static)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_linker_is_the_targets_configured_one_else_cc() {
        let env = |name: &str| {
            (name == "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER")
                .then(|| "aarch64-linux-gnu-gcc".to_owned())
        };
        assert_eq!(
            linker("aarch64-unknown-linux-gnu", env),
            "aarch64-linux-gnu-gcc (from CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER)"
        );
        assert_eq!(
            linker("x86_64-unknown-linux-musl", env),
            "cc (cargo's default)"
        );
    }

    #[test]
    fn a_zip_is_checked_by_the_bootstrap_it_holds() {
        use chalice_testkit::elf::{EM_X86_64, ET_DYN, elf};
        let good = elf(ET_DYN, EM_X86_64, None, &[]);
        assert_eq!(
            check_zip(&zip_bootstrap(&good).unwrap(), Architecture::X86_64),
            Ok(Linkage::Static)
        );
        let error = check_zip(&zip_bootstrap(b"#!/bin/sh").unwrap(), Architecture::X86_64)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "the app's binary (`bootstrap` in the deployment zip) cannot run on Lambda's \
                 provided.al2023 runtime: it is a script"
            ),
            "{error}"
        );
        assert!(
            check_zip(b"not a zip", Architecture::X86_64)
                .unwrap_err()
                .to_string()
                .starts_with("the deployment zip cannot be read")
        );
    }

    #[test]
    fn holds_an_executable_bootstrap() {
        let zip = zip_bootstrap(b"binary").unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut file = archive.by_name(BOOTSTRAP).unwrap();
        assert_eq!(file.unix_mode().map(|mode| mode & 0o777), Some(0o755));
        let mut contents = Vec::new();
        file.read_to_end(&mut contents).unwrap();
        assert_eq!(contents, b"binary");
    }
}
