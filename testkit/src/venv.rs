//! The pinned Python tools some tests run, each in a virtualenv that one of the workspace's
//! `scripts/install-*` makes when it is missing: the installs `scripts/test` uses, so that a
//! plain `cargo test` on a fresh clone needs nothing set up first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Names the `bin` directory holding `cfn-lint` and `openapi-spec-validator`, when set.
pub const TOOLS_BIN_VAR: &str = "CHALICE_RS_TOOLS_BIN";

/// The workspace's root directory: testkit is its member `testkit/`.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in a directory of the workspace")
}

/// The virtualenv `scripts/install-moto` makes: moto, the AWS emulator.
pub fn moto() -> PathBuf {
    install("install-moto")
}

/// The `bin` directory holding `cfn-lint` and `openapi-spec-validator`: the one
/// [`TOOLS_BIN_VAR`] names, else the one `scripts/install-tools` makes.
///
/// # Panics
/// If [`TOOLS_BIN_VAR`] names a directory without both tools, or the install fails.
pub fn package_tools() -> PathBuf {
    const TOOLS: [&str; 2] = ["cfn-lint", "openapi-spec-validator"];
    let bin = match std::env::var_os(TOOLS_BIN_VAR).filter(|v| !v.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => install("install-tools").join("bin"),
    };
    for tool in TOOLS {
        assert!(
            bin.join(tool).is_file(),
            "{} has no {tool}; unset {TOOLS_BIN_VAR} to have scripts/install-tools install the \
             package tools, or point it at a bin directory holding {}",
            bin.display(),
            TOOLS.join(" and ")
        );
    }
    bin
}

/// Names the `bin` directory holding `zig` and `cargo-zigbuild`, when set.
pub const ZIG_BIN_VAR: &str = "CHALICE_RS_ZIG_BIN";

/// The `bin` directory holding `zig` and `cargo-zigbuild`, the cross-building linker: the one
/// [`ZIG_BIN_VAR`] names, else the one `scripts/install-zig` makes (which also adds the Linux
/// gnu targets' standard libraries with rustup).
///
/// # Panics
/// If [`ZIG_BIN_VAR`] names a directory without both, or the install fails.
pub fn zig() -> PathBuf {
    const TOOLS: [&str; 2] = ["zig", "cargo-zigbuild"];
    let bin = match std::env::var_os(ZIG_BIN_VAR).filter(|v| !v.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => install("install-zig"),
    };
    for tool in TOOLS {
        assert!(
            bin.join(tool).is_file(),
            "{} has no {tool}; unset {ZIG_BIN_VAR} to have scripts/install-zig install zig and \
             cargo-zigbuild, or point it at a bin directory holding both",
            bin.display()
        );
    }
    bin
}

/// Runs `scripts/<script>`, which installs its virtualenv unless it is there and prints its
/// path, once per process; the path. The scripts lock against each other, so test processes
/// running at once install once.
///
/// # Panics
/// If the script fails: its own output (on stderr, shown as it runs) says why.
pub fn install(script: &str) -> PathBuf {
    static INSTALLED: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    let installed = installed.get_or_insert_with(HashMap::new);
    if let Some(venv) = installed.get(script) {
        return venv.clone();
    }
    let path = workspace_root().join("scripts").join(script);
    let output = Command::new(&path)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(
        output.status.success(),
        "{} failed ({}); its output is above",
        path.display(),
        output.status
    );
    let venv = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(
        venv.is_dir(),
        "{} printed {venv:?}, which is not a directory",
        path.display()
    );
    installed.insert(script.to_owned(), venv.clone());
    venv
}
