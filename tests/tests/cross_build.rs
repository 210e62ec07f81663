//! A Lambda package that runs on Lambda whatever builds it: the real `chalice-rs package`, with
//! zig and cargo-zigbuild on `PATH`, builds the demo app for arm64 on this x86_64 machine (and
//! for x86_64 with Lambda's glibc pinned), reads its manifest without running the arm64 binary,
//! and says which target and linker it used. The `bootstrap` in each zip is read here on its
//! own terms: its ELF header's machine and the newest glibc symbol version it names.
//!
//! zig and cargo-zigbuild are those of the `bin` directory `CHALICE_RS_ZIG_BIN` names, else of
//! the virtualenv `scripts/install-zig` makes (run when missing, with the rustup targets).

use std::io::Read as _;
use std::path::Path;

use chalice_rs_tests::cli::{self, succeed};
use chalice_rs_tests::copy::ExampleCopy;
use chalice_testkit::elf::{EM_AARCH64, EM_X86_64};
use serde_json::Value;

/// Amazon Linux 2023's glibc, which `provided.al2023` runs on.
const LAMBDA_GLIBC: (u32, u32) = (2, 34);

/// What packaging the demo app for `architecture` printed, and the `bootstrap` its zip holds.
fn package_for(architecture: &str, package: &str) -> (String, Vec<u8>, Value) {
    let app = ExampleCopy::new("demoauth", package, &["src/main.rs", "src/tests.rs"], "dev");
    let config_path = app.dir().join(".chalice/config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["stages"]["dev"]["lambda_architecture"] = architecture.into();
    std::fs::write(&config_path, config.to_string()).unwrap();

    let zig = chalice_testkit::venv::zig();
    let path = std::env::join_paths(
        std::iter::once(zig).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = app.dir().join("packaged");
    let output = succeed(
        cli::chalice_rs(app.dir())
            .env("PATH", path)
            .args(["package", out.to_str().unwrap()]),
    );
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    let template: Value =
        serde_json::from_slice(&std::fs::read(out.join("sam.json")).unwrap()).unwrap();
    (said, bootstrap(&out.join("deployment.zip")), template)
}

fn bootstrap(zip: &Path) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut binary = Vec::new();
    archive
        .by_name("bootstrap")
        .unwrap()
        .read_to_end(&mut binary)
        .unwrap();
    binary
}

/// The `e_machine` of a 64-bit little-endian ELF file.
fn elf_machine(binary: &[u8]) -> u16 {
    assert_eq!(&binary[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(binary[4], 2, "not a 64-bit ELF file");
    assert_eq!(binary[5], 1, "not a little-endian ELF file");
    u16::from_le_bytes([binary[18], binary[19]])
}

/// The newest `GLIBC_x.y` the binary's strings name (its symbol versions are among them).
fn newest_glibc(binary: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_2.";
    let mut newest = None;
    for start in 0..binary.len().saturating_sub(needle.len()) {
        if &binary[start..start + needle.len()] != needle {
            continue;
        }
        let digits: Vec<u8> = binary[start + needle.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        if let Ok(minor) = String::from_utf8(digits).unwrap().parse::<u32>() {
            newest = newest.max(Some((2, minor)));
        }
    }
    newest
}

/// Checks that `binary` is an ELF executable for `machine` needing no glibc newer than Lambda's.
#[track_caller]
fn assert_runs_on_lambda(binary: &[u8], machine: u16) {
    assert_eq!(elf_machine(binary), machine);
    let glibc = newest_glibc(binary).expect("a glibc binary names its glibc symbol versions");
    assert!(glibc <= LAMBDA_GLIBC, "needs glibc {glibc:?}");
}

#[test]
fn arm64_is_built_on_this_host_with_zig_and_its_manifest_read_from_a_host_build() {
    let (said, binary, template) = package_for("arm64", "crossarm");
    assert!(
        said.contains(
            "target aarch64-unknown-linux-gnu for glibc 2.34, linker zig (cargo-zigbuild); \
             manifest read from a build for this machine; bootstrap checked: arm64"
        ),
        "{said}"
    );
    assert_runs_on_lambda(&binary, EM_AARCH64);
    // The template was made from the manifest the host build printed: every function is there,
    // each for arm64.
    let resources = template["Resources"].as_object().unwrap();
    let functions: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .collect();
    assert!(functions.len() >= 2, "{template:#}");
    for function in functions {
        assert_eq!(function["Properties"]["Architectures"][0], "arm64");
    }
}

#[test]
fn x86_64_built_with_zig_needs_no_glibc_newer_than_lambdas() {
    let (said, binary, _) = package_for("x86_64", "crossx86");
    assert!(
        said.contains(
            "target x86_64-unknown-linux-gnu for glibc 2.34, linker zig (cargo-zigbuild); \
             bootstrap checked: x86_64"
        ),
        "{said}"
    );
    assert_runs_on_lambda(&binary, EM_X86_64);
}
