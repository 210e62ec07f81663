//! How the app is built for Lambda, whatever machine builds it: the cargo target for the stage's
//! `lambda_architecture` and what links it.
//!
//! With zig and cargo-zigbuild installed (as cargo-lambda builds), any host builds for either
//! architecture: a static musl binary when that target's standard library is installed, else a
//! glibc binary pinned to Amazon Linux 2023's glibc (`<target>.2.34`), so no symbol it needs is
//! newer than `provided.al2023` has. Without zig, cargo links with the target's configured linker
//! (`CARGO_TARGET_<TRIPLE>_LINKER`) or, for the host's own architecture on Linux, the C compiler.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bootstrap::LAMBDA_GLIBC;
use crate::config::Architecture;
use crate::error::{Error, Result};
use crate::project::CargoBuild;

/// The chosen build: the cargo command, whether its binary runs on this machine, and a note
/// for the user saying what was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaBuild {
    /// The cargo command that builds the Lambda binary.
    pub cargo: CargoBuild,
    /// Whether the binary can run here, so its manifest can be read from it; otherwise the
    /// manifest comes from a host build of the same app.
    pub runs_here: bool,
    /// The target and linker, as the deploy output shows them.
    pub note: String,
}

/// What this machine has that the choice depends on.
#[derive(Debug, Clone, Default)]
pub struct Host {
    /// `std::env::consts::OS` of the machine running chalice-rs.
    pub os: String,
    /// `std::env::consts::ARCH` of the machine running chalice-rs.
    pub arch: String,
    /// The targets whose standard library rustup has installed.
    pub installed_targets: Vec<String>,
    /// Whether `cargo zigbuild` can run: cargo-zigbuild on `PATH` and a zig it finds.
    pub zigbuild: bool,
    /// The `CARGO_TARGET_<TRIPLE>_LINKER` variables that are set, as `(name, value)`.
    pub linkers: Vec<(String, String)>,
}

impl Host {
    /// This machine.
    pub fn detect() -> Host {
        Host {
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            installed_targets: installed_targets(),
            zigbuild: zigbuild_available(),
            linkers: std::env::vars()
                .filter(|(name, value)| {
                    name.starts_with("CARGO_TARGET_")
                        && name.ends_with("_LINKER")
                        && !value.is_empty()
                })
                .collect(),
        }
    }

    fn has_target(&self, target: &str) -> bool {
        self.installed_targets.iter().any(|t| t == target)
    }

    /// The linker configured for `target`, as `(variable, linker)`.
    fn linker(&self, target: &str) -> Option<(String, &str)> {
        let variable = format!(
            "CARGO_TARGET_{}_LINKER",
            target.to_ascii_uppercase().replace(['-', '.'], "_")
        );
        let linker = self
            .linkers
            .iter()
            .find(|(name, _)| *name == variable)
            .map(|(_, linker)| linker.as_str())?;
        Some((variable, linker))
    }

    /// Whether a Linux binary of `arch` runs on this machine.
    fn runs(&self, arch: &str) -> bool {
        self.os == "linux" && self.arch == arch
    }
}

/// The targets of one Lambda architecture.
struct Targets {
    /// Rust's name of the architecture (`aarch64`).
    arch: &'static str,
    musl: &'static str,
    gnu: &'static str,
}

fn targets(architecture: Architecture) -> Targets {
    match architecture {
        Architecture::X86_64 => Targets {
            arch: "x86_64",
            musl: "x86_64-unknown-linux-musl",
            gnu: "x86_64-unknown-linux-gnu",
        },
        Architecture::Arm64 => Targets {
            arch: "aarch64",
            musl: "aarch64-unknown-linux-musl",
            gnu: "aarch64-unknown-linux-gnu",
        },
    }
}

/// Chooses how to build for `architecture` on `host`, or says what to install.
pub fn choose(architecture: Architecture, host: &Host) -> Result<LambdaBuild> {
    let targets = targets(architecture);
    let runs_here = host.runs(targets.arch);
    if host.zigbuild {
        return with_zig(&targets, host, runs_here);
    }
    let cargo = |target: Option<&str>| CargoBuild {
        zig: false,
        target: target.map(str::to_owned),
    };
    let linker = |target: &str| match host.linker(target) {
        Some((variable, linker)) => format!("{linker} (from {variable})"),
        None => "cc (cargo's default)".to_owned(),
    };
    let musl = targets.musl;
    if host.has_target(musl) && (runs_here || host.linker(musl).is_some()) {
        return Ok(LambdaBuild {
            cargo: cargo(Some(musl)),
            runs_here,
            note: format!("target {musl} (static), linker {}", linker(musl)),
        });
    }
    let gnu = targets.gnu;
    if runs_here {
        return Ok(LambdaBuild {
            cargo: cargo(None),
            runs_here,
            note: format!(
                "target {gnu} (the host's), linker {}; install the {musl} target (`rustup target add {musl}`) for a static binary",
                linker(gnu)
            ),
        });
    }
    if host.has_target(gnu) && host.linker(gnu).is_some() {
        return Ok(LambdaBuild {
            cargo: cargo(Some(gnu)),
            runs_here,
            note: format!("target {gnu}, linker {}", linker(gnu)),
        });
    }
    Err(Error::new(format!(
        "cannot build for Lambda {} on this {} {} machine: install zig and cargo-zigbuild \
         (`pip3 install ziglang cargo-zigbuild`, or `brew install zig` and `cargo install \
         cargo-zigbuild`) and the target (`rustup target add {gnu}`), and chalice-rs builds with \
         them",
        architecture.as_str(),
        host.os,
        host.arch
    )))
}

/// The build through cargo-zigbuild: musl when installed, else glibc pinned to Lambda's.
fn with_zig(targets: &Targets, host: &Host, runs_here: bool) -> Result<LambdaBuild> {
    let zig = |target: String| CargoBuild {
        zig: true,
        target: Some(target),
    };
    if host.has_target(targets.musl) {
        return Ok(LambdaBuild {
            cargo: zig(targets.musl.to_owned()),
            runs_here,
            note: format!(
                "target {} (static), linker zig (cargo-zigbuild)",
                targets.musl
            ),
        });
    }
    if host.has_target(targets.gnu) {
        return Ok(LambdaBuild {
            cargo: zig(format!("{}.{LAMBDA_GLIBC}", targets.gnu)),
            runs_here,
            note: format!(
                "target {} for glibc {LAMBDA_GLIBC}, linker zig (cargo-zigbuild)",
                targets.gnu
            ),
        });
    }
    Err(Error::new(format!(
        "cannot build for Lambda {}: the Rust standard library for {} is not installed; run \
         `rustup target add {}` (or `rustup target add {}` for a static binary)",
        targets.arch, targets.gnu, targets.gnu, targets.musl
    )))
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

/// Whether cargo-zigbuild is on `PATH` and finds a zig: the one `CARGO_ZIGBUILD_ZIG_PATH`
/// names, `zig` on `PATH`, or Python's `ziglang` package (`pip install ziglang`), where
/// cargo-zigbuild looks.
fn zigbuild_available() -> bool {
    if on_path("cargo-zigbuild").is_none() {
        return false;
    }
    std::env::var_os("CARGO_ZIGBUILD_ZIG_PATH").is_some_and(|zig| !zig.is_empty())
        || on_path("zig").is_some()
        || Command::new("python3")
            .args(["-c", "import ziglang"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// The file `program` names on `PATH`, if any.
fn on_path(program: &str) -> Option<PathBuf> {
    let file: OsString = format!("{program}{}", std::env::consts::EXE_SUFFIX).into();
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(&file))
        .find(|path| Path::is_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(os: &str, arch: &str, targets: &[&str], zigbuild: bool) -> Host {
        Host {
            os: os.to_owned(),
            arch: arch.to_owned(),
            installed_targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            zigbuild,
            linkers: Vec::new(),
        }
    }

    fn chosen(architecture: Architecture, host: &Host) -> (CargoBuild, bool) {
        let build = choose(architecture, host).unwrap();
        (build.cargo, build.runs_here)
    }

    fn zig(target: &str) -> CargoBuild {
        CargoBuild {
            zig: true,
            target: Some(target.to_owned()),
        }
    }

    #[test]
    fn zig_pins_lambdas_glibc_for_either_architecture_from_any_host() {
        let linux = host(
            "linux",
            "x86_64",
            &["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"],
            true,
        );
        assert_eq!(
            chosen(Architecture::X86_64, &linux),
            (zig("x86_64-unknown-linux-gnu.2.34"), true)
        );
        assert_eq!(
            chosen(Architecture::Arm64, &linux),
            (zig("aarch64-unknown-linux-gnu.2.34"), false)
        );
        let mac = host("macos", "aarch64", &["aarch64-unknown-linux-gnu"], true);
        let build = choose(Architecture::Arm64, &mac).unwrap();
        assert_eq!(build.cargo, zig("aarch64-unknown-linux-gnu.2.34"));
        assert!(!build.runs_here, "a Linux binary never runs on macOS");
        assert_eq!(
            build.note,
            "target aarch64-unknown-linux-gnu for glibc 2.34, linker zig (cargo-zigbuild)"
        );
    }

    #[test]
    fn zig_prefers_an_installed_musl_target() {
        let linux = host(
            "linux",
            "x86_64",
            &["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-musl"],
            true,
        );
        let build = choose(Architecture::Arm64, &linux).unwrap();
        assert_eq!(build.cargo, zig("aarch64-unknown-linux-musl"));
        assert!(build.note.contains("(static)"), "{}", build.note);
    }

    #[test]
    fn zig_without_the_targets_standard_library_says_what_to_add() {
        let mac = host("macos", "aarch64", &["aarch64-apple-darwin"], true);
        let error = choose(Architecture::X86_64, &mac).unwrap_err().to_string();
        assert!(
            error.contains("`rustup target add x86_64-unknown-linux-gnu`"),
            "{error}"
        );
    }

    #[test]
    fn without_zig_the_host_builds_its_own_architecture() {
        let linux = host("linux", "x86_64", &["x86_64-unknown-linux-gnu"], false);
        let build = choose(Architecture::X86_64, &linux).unwrap();
        assert_eq!(
            build.cargo,
            CargoBuild {
                zig: false,
                target: None
            }
        );
        assert!(build.runs_here);
        assert!(build.note.starts_with(
            "target x86_64-unknown-linux-gnu (the host's), linker cc (cargo's default)"
        ));
        let with_musl = host(
            "linux",
            "x86_64",
            &["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"],
            false,
        );
        assert_eq!(
            choose(Architecture::X86_64, &with_musl).unwrap().note,
            "target x86_64-unknown-linux-musl (static), linker cc (cargo's default)"
        );
    }

    #[test]
    fn without_zig_another_architecture_needs_a_configured_linker() {
        let mut linux = host(
            "linux",
            "x86_64",
            &["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"],
            false,
        );
        let error = choose(Architecture::Arm64, &linux).unwrap_err().to_string();
        assert!(
            error.starts_with("cannot build for Lambda arm64 on this linux x86_64 machine: install zig and cargo-zigbuild"),
            "{error}"
        );
        assert!(
            error.contains("`rustup target add aarch64-unknown-linux-gnu`"),
            "{error}"
        );
        linux.linkers.push((
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER".into(),
            "aarch64-linux-gnu-gcc".into(),
        ));
        let build = choose(Architecture::Arm64, &linux).unwrap();
        assert_eq!(
            build.cargo,
            CargoBuild {
                zig: false,
                target: Some("aarch64-unknown-linux-gnu".into())
            }
        );
        assert_eq!(
            build.note,
            "target aarch64-unknown-linux-gnu, linker aarch64-linux-gnu-gcc (from CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER)"
        );
    }

    #[test]
    fn without_zig_a_mac_is_told_what_to_install() {
        let mac = host("macos", "aarch64", &["aarch64-apple-darwin"], false);
        let error = choose(Architecture::Arm64, &mac).unwrap_err().to_string();
        assert!(
            error.starts_with("cannot build for Lambda arm64 on this macos aarch64 machine"),
            "{error}"
        );
        assert!(error.contains("brew install zig"), "{error}");
    }
}
