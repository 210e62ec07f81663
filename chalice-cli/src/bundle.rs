//! The deployment package: the app built for Lambda and zipped as `bootstrap`, byte for byte the
//! same for the same binary, so its SHA-256 tells a changed app from an unchanged one.

use std::io::{Cursor, Read as _, Write as _};
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::bootstrap::{self, Linkage};
use crate::config::Architecture;
use crate::error::{Error, Result};
use crate::lambda_build::{self, Host};
use crate::project::{BuiltApp, CargoBuild, Profile, Project};

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

/// Builds the app for Lambda on `architecture` (see [`lambda_build`] for how), checks that it
/// runs there, and zips it. The manifest comes from the Lambda binary when it runs on this
/// machine, else from a debug build of the same app for this machine (the one `local` runs).
pub fn build(project: &Project, architecture: Architecture) -> Result<Bundle> {
    let lambda = lambda_build::choose(architecture, &Host::detect())?;
    let binary = project.compile(Profile::Release, &lambda.cargo)?;
    let (app, manifest_note) = if lambda.runs_here {
        (project.app(binary.clone(), &binary)?, "")
    } else {
        let here = project.compile(Profile::Debug, &CargoBuild::host())?;
        (
            project.app(binary, &here)?,
            "; manifest read from a build for this machine",
        )
    };
    let bytes = std::fs::read(&app.binary)
        .map_err(|error| Error::new(format!("cannot read {}: {error}", app.binary.display())))?;
    let linkage = bootstrap::check(&bytes, architecture)
        .map_err(|why| refused(&app.binary.display().to_string(), &why))?;
    let build_note = format!(
        "{}{manifest_note}; bootstrap checked: {}, {linkage}",
        lambda.note,
        architecture.as_str()
    );
    let zip = zip_bootstrap(&bytes)?;
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
