//! The `chalice-rs` binary of this checkout and the commands that run it.
//!
//! Cargo names only a package's own binaries to its tests (`CARGO_BIN_EXE_*`), and the binary
//! is chalice-cli's, so it is built here as cargo builds it, once per test process, and found
//! in cargo's own account of what it built. When it is up to date that is a no-op.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// The AWS region the tests deploy to.
pub const REGION: &str = "us-west-2";

/// The workspace's root directory: this package is its member `tests/`.
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives in a directory of the workspace")
}

/// An example app of the workspace.
pub fn example(name: &str) -> PathBuf {
    workspace().join("examples").join(name)
}

/// Where apps are built: the workspace's target directory (or `CARGO_TARGET_DIR`), so the
/// examples' builds share its compiled dependencies.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace().join("target"), PathBuf::from)
}

/// The `chalice-rs` binary, built from this checkout in the profile of the tests.
///
/// # Panics
/// If it does not build.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build)
}

/// The `chalice-rs` binary of the README's first command: chalice-cli alone, without its default
/// `aws` feature (the AWS SDK), built into a target directory of its own so that it neither
/// replaces [`binary`] nor changes the features the workspace's build resolves.
///
/// # Panics
/// If it does not build.
pub fn binary_without_aws() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let target = target_dir().join("without-aws");
        build_with(
            &[
                "build",
                "-p",
                "chalice-cli",
                "--no-default-features",
                "--bin",
                "chalice-rs",
            ],
            &target,
        )
    })
}

fn build() -> PathBuf {
    // The whole workspace with its examples resolves features as `cargo test --workspace`
    // does (dev-dependencies included), so after that run the binary is already built.
    build_with(
        &["build", "--workspace", "--bin", "chalice-rs", "--examples"],
        &target_dir(),
    )
}

fn build_with(args: &[&str], target: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    without_test_env(&mut command)
        .current_dir(workspace())
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}); the compiler's errors are above",
        output.status
    );
    executable(&output.stdout, "chalice-rs")
        .unwrap_or_else(|| panic!("cargo built no binary named chalice-rs: {command:?}"))
}

/// `command` without the variables cargo sets for the test process (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, `OUT_DIR`, ...), so the cargo builds it runs see the environment a shell's
/// would. Build scripts such as ring's rerun when those change, and would otherwise rebuild
/// their crates, and all that depends on them, at every switch between the tests and a shell.
fn without_test_env(command: &mut Command) -> &mut Command {
    const SET_FOR_TESTS: [&str; 7] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if SET_FOR_TESTS.contains(&name)
            || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
        {
            command.env_remove(name);
        }
    }
    command
}

/// The path of the binary `name` in cargo's JSON messages.
fn executable(cargo_json: &[u8], name: &str) -> Option<PathBuf> {
    cargo_json
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["name"] == name
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// `chalice-rs --project-dir <project>`, building apps into [`target_dir`].
pub fn chalice_rs(project: &Path) -> Command {
    chalice_rs_binary(binary(), project)
}

/// [`chalice_rs`] with another build of the binary (e.g. [`binary_without_aws`]).
pub fn chalice_rs_binary(binary: &Path, project: &Path) -> Command {
    let mut command = Command::new(binary);
    without_test_env(&mut command)
        .env("CARGO_TARGET_DIR", target_dir())
        .arg("--project-dir")
        .arg(project)
        .stdin(Stdio::null());
    command
}

/// `cargo` run in `project` as a user's shell would, building into [`target_dir`].
pub fn cargo_in(project: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    without_test_env(&mut command)
        .env("CARGO_TARGET_DIR", target_dir())
        .current_dir(project)
        .stdin(Stdio::null());
    command
}

/// [`chalice_rs`] pointed at the AWS emulator at `endpoint` through the standard settings,
/// with test credentials and no profile or instance metadata: it cannot reach real AWS.
pub fn chalice_rs_on(project: &Path, endpoint: &str) -> Command {
    let mut command = chalice_rs(project);
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs `command`, which must succeed; its output.
#[track_caller]
pub fn succeed(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `command`, which must fail saying `expected` on stderr.
#[track_caller]
pub fn fails_with(command: &mut Command, expected: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{command:?} succeeded: {stderr}");
    assert!(
        stderr.contains(expected),
        "{command:?}: expected {expected:?} in:\n{stderr}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_is_found_in_cargos_messages() {
        let json = br#"{"reason":"build-script-executed","package_id":"x"}
{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"chalice_cli"},"executable":null}
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"chalice-rs"},"executable":"/t/debug/chalice-rs"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(json, "chalice-rs"),
            Some(PathBuf::from("/t/debug/chalice-rs"))
        );
        assert_eq!(executable(json, "chalice_cli"), None);
        assert_eq!(executable(b"not json\n", "chalice-rs"), None);
    }

    #[test]
    fn nested_builds_do_not_see_what_cargo_set_for_the_tests() {
        // cargo runs this test with these set.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let mut command = Command::new("cargo");
        command.env("CARGO_TARGET_DIR", "/t");
        without_test_env(&mut command);
        let envs: Vec<_> = command.get_envs().collect();
        for removed in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
        ] {
            assert!(
                envs.contains(&(removed.as_ref(), None)),
                "{removed} is kept: {envs:?}"
            );
        }
        assert!(envs.contains(&("CARGO_TARGET_DIR".as_ref(), Some("/t".as_ref()))));
    }
}
