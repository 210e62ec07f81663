//! Whether a `bootstrap` runs on Lambda's `provided.al2023` runtime, checked before it is
//! uploaded or packaged: Lambda only reports a bad one when the function is first called
//! (`Runtime.InvalidEntrypoint`, or glibc's "version `GLIBC_2.38' not found").
//!
//! It must be a 64-bit little-endian ELF executable for the stage's `lambda_architecture`,
//! either static or linked against glibc through the system's loader, needing no glibc symbol
//! version newer than Amazon Linux 2023's.

use std::fmt;

use goblin::elf::Elf;
use goblin::elf::header::{EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC, machine_to_str};
use goblin::elf::section_header::SHT_GNU_VERNEED;
use goblin::strtab::Strtab;

use crate::config::Architecture;

/// The glibc of Amazon Linux 2023, which `provided.al2023` runs on.
pub const LAMBDA_GLIBC: GlibcVersion = GlibcVersion(2, 34);

/// A glibc version, as its symbol versions name it (`GLIBC_2.34`; `GLIBC_2.2.5` is 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub u32, pub u32);

impl GlibcVersion {
    /// The version a symbol version names: `GLIBC_2.34`; `None` for other libraries' and for
    /// `GLIBC_PRIVATE`.
    fn of_symbol_version(name: &str) -> Option<GlibcVersion> {
        let mut numbers = name.strip_prefix("GLIBC_")?.split('.');
        let major = numbers.next()?.parse().ok()?;
        let minor = numbers.next().map_or(Some(0), |minor| minor.parse().ok())?;
        Some(GlibcVersion(major, minor))
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// How a checked bootstrap is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// No loader: runs on any Linux of its architecture.
    Static,
    /// Through glibc's loader; the newest glibc its symbols need (`None`: no versioned symbol).
    Glibc(Option<GlibcVersion>),
}

impl fmt::Display for Linkage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Linkage::Static => f.write_str("static"),
            Linkage::Glibc(Some(newest)) => write!(
                f,
                "linked against glibc, needs {newest} (provided.al2023 has {LAMBDA_GLIBC})"
            ),
            Linkage::Glibc(None) => f.write_str("linked against glibc"),
        }
    }
}

/// Checks that `binary` runs on `provided.al2023` for `architecture`; the error says what is
/// wrong with it and what to install or change.
pub fn check(binary: &[u8], architecture: Architecture) -> Result<Linkage, String> {
    let elf = Elf::parse(binary).map_err(|error| not_elf(binary, Some(&error)))?;
    let (machine, loader) = expected(architecture);
    let arch = architecture.as_str();
    if !elf.is_64 || !elf.little_endian {
        return Err(format!(
            "it is a {}-bit {}-endian ELF file; Lambda {arch} runs 64-bit little-endian \
             executables. {}",
            if elf.is_64 { 64 } else { 32 },
            if elf.little_endian { "little" } else { "big" },
            remedy(architecture)
        ));
    }
    if elf.header.e_machine != machine {
        return Err(format!(
            "it is built for {}, but the stage's lambda_architecture is {arch}. {}",
            machine_to_str(elf.header.e_machine),
            remedy(architecture)
        ));
    }
    let executable =
        elf.header.e_type == ET_EXEC || (elf.header.e_type == ET_DYN && elf.entry != 0);
    if !executable {
        return Err(format!(
            "it is an ELF {} file, not an executable: the package's bootstrap must be the app's binary",
            goblin::elf::header::et_to_str(elf.header.e_type)
        ));
    }
    let Some(interpreter) = elf.interpreter else {
        return Ok(Linkage::Static);
    };
    if interpreter != loader {
        let what = if interpreter.contains("musl") {
            "it is linked dynamically against musl"
        } else {
            "its loader is not Amazon Linux 2023's"
        };
        return Err(format!(
            "{what} (it needs {interpreter}; Amazon Linux 2023 has {loader}). {}",
            remedy(architecture)
        ));
    }
    let needed = glibc_versions(binary, &elf)?;
    let newest = needed.iter().copied().max();
    let too_new: Vec<String> = needed
        .iter()
        .filter(|version| **version > LAMBDA_GLIBC)
        .map(|version| format!("GLIBC_{version}"))
        .collect();
    if let Some(newest) = newest.filter(|newest| *newest > LAMBDA_GLIBC) {
        return Err(format!(
            "it needs glibc {newest} (symbol versions {}), but provided.al2023 has glibc \
             {LAMBDA_GLIBC}: it was linked against a newer glibc than Lambda's. {}",
            too_new.join(", "),
            remedy(architecture)
        ));
    }
    Ok(Linkage::Glibc(newest))
}

/// The ELF machine and the glibc loader of an architecture.
fn expected(architecture: Architecture) -> (u16, &'static str) {
    match architecture {
        Architecture::X86_64 => (EM_X86_64, "/lib64/ld-linux-x86-64.so.2"),
        Architecture::Arm64 => (EM_AARCH64, "/lib/ld-linux-aarch64.so.1"),
    }
}

/// What to install so that chalice-rs builds a bootstrap that runs on Lambda.
fn remedy(architecture: Architecture) -> String {
    let arch = architecture.as_str();
    let musl = match architecture {
        Architecture::X86_64 => "x86_64-unknown-linux-musl",
        Architecture::Arm64 => "aarch64-unknown-linux-musl",
    };
    format!(
        "Install the musl target (`rustup target add {musl}`): chalice-rs then builds a static \
         bootstrap, which runs on any Lambda {arch}"
    )
}

/// The error for a file that is not ELF: what it looks like instead.
fn not_elf(binary: &[u8], error: Option<&goblin::error::Error>) -> String {
    let looks_like = match binary {
        [0x7f, b'E', b'L', b'F', ..] => {
            return format!(
                "it is not a readable ELF file ({}): the build wrote a damaged binary",
                error.map_or_else(|| "truncated".to_owned(), ToString::to_string)
            );
        }
        [] => "an empty file",
        [b'#', b'!', ..] => "a script",
        [0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xfe, 0xed, 0xfa, 0xcf, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => "a macOS (Mach-O) binary",
        [b'M', b'Z', ..] => "a Windows (PE) binary",
        _ => "not an executable Lambda can run",
    };
    format!(
        "it is {looks_like}, not a Linux ELF executable. Lambda's provided.al2023 runtime runs \
         a Linux binary: build the app for Lambda with `chalice-rs deploy` or `chalice-rs package`"
    )
}

/// The glibc versions the binary's versioned symbols need (its `.gnu.version_r` entries, with
/// names from the string table that section links to).
fn glibc_versions(binary: &[u8], elf: &Elf<'_>) -> Result<Vec<GlibcVersion>, String> {
    let Some(verneed) = &elf.verneed else {
        return Ok(Vec::new());
    };
    let names = elf
        .section_headers
        .iter()
        .find(|section| section.sh_type == SHT_GNU_VERNEED)
        .and_then(|section| elf.section_headers.get(section.sh_link as usize))
        .and_then(|strings| {
            let offset = usize::try_from(strings.sh_offset).ok()?;
            let size = usize::try_from(strings.sh_size).ok()?;
            Strtab::parse(binary, offset, size, 0).ok()
        })
        .ok_or_else(|| "its symbol version requirements name no string table".to_owned())?;
    let mut versions = Vec::new();
    for needed in verneed.iter() {
        for version in needed.iter() {
            let name = names.get_at(version.vna_name).ok_or_else(|| {
                "its symbol version requirements name a string that is not there".to_owned()
            })?;
            versions.extend(GlibcVersion::of_symbol_version(name));
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use chalice_testkit::elf::elf;

    use super::*;

    const X86_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
    const ARM_LOADER: &str = "/lib/ld-linux-aarch64.so.1";

    #[test]
    fn a_glibc_executable_needing_at_most_2_34_is_accepted() {
        let binary = elf(
            ET_DYN,
            EM_X86_64,
            Some(X86_LOADER),
            &["GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.18", "GLIBC_PRIVATE"],
        );
        assert_eq!(
            check(&binary, Architecture::X86_64),
            Ok(Linkage::Glibc(Some(GlibcVersion(2, 34))))
        );
        let arm = elf(ET_EXEC, EM_AARCH64, Some(ARM_LOADER), &["GLIBC_2.17"]);
        assert_eq!(
            check(&arm, Architecture::Arm64),
            Ok(Linkage::Glibc(Some(GlibcVersion(2, 17))))
        );
        let unversioned = elf(ET_DYN, EM_X86_64, Some(X86_LOADER), &[]);
        assert_eq!(
            check(&unversioned, Architecture::X86_64),
            Ok(Linkage::Glibc(None))
        );
    }

    #[test]
    fn the_linkage_is_told_with_lambdas_glibc() {
        assert_eq!(Linkage::Static.to_string(), "static");
        assert_eq!(
            Linkage::Glibc(Some(GlibcVersion(2, 28))).to_string(),
            "linked against glibc, needs 2.28 (provided.al2023 has 2.34)"
        );
    }

    #[test]
    fn a_static_executable_is_accepted() {
        assert_eq!(
            check(&elf(ET_EXEC, EM_X86_64, None, &[]), Architecture::X86_64),
            Ok(Linkage::Static)
        );
        assert_eq!(
            check(&elf(ET_DYN, EM_AARCH64, None, &[]), Architecture::Arm64),
            Ok(Linkage::Static)
        );
    }

    #[test]
    fn a_newer_glibc_than_lambdas_is_refused_naming_the_versions_and_the_fix() {
        let binary = elf(
            ET_DYN,
            EM_X86_64,
            Some(X86_LOADER),
            &["GLIBC_2.2.5", "GLIBC_2.38", "GLIBC_2.35", "GLIBC_2.34"],
        );
        assert_eq!(
            check(&binary, Architecture::X86_64).unwrap_err(),
            "it needs glibc 2.38 (symbol versions GLIBC_2.38, GLIBC_2.35), but provided.al2023 \
             has glibc 2.34: it was linked against a newer glibc than Lambda's. Install the musl \
             target (`rustup target add x86_64-unknown-linux-musl`): chalice-rs then builds a \
             static bootstrap, which runs on any Lambda x86_64"
        );
    }

    #[test]
    fn another_architecture_than_the_stages_is_refused() {
        let x86 = elf(ET_DYN, EM_X86_64, Some(X86_LOADER), &["GLIBC_2.34"]);
        let error = check(&x86, Architecture::Arm64).unwrap_err();
        assert!(
            error.starts_with(
                "it is built for X86_64, but the stage's lambda_architecture is arm64. Install \
                 the musl target (`rustup target add aarch64-unknown-linux-musl`)"
            ),
            "{error}"
        );
        let arm = elf(ET_DYN, EM_AARCH64, None, &[]);
        assert!(
            check(&arm, Architecture::X86_64).unwrap_err().starts_with(
                "it is built for AARCH64, but the stage's lambda_architecture is x86_64"
            )
        );
    }

    #[test]
    fn a_loader_amazon_linux_lacks_is_refused() {
        let musl = elf(ET_DYN, EM_X86_64, Some("/lib/ld-musl-x86_64.so.1"), &[]);
        assert!(check(&musl, Architecture::X86_64).unwrap_err().starts_with(
            "it is linked dynamically against musl (it needs /lib/ld-musl-x86_64.so.1; \
                     Amazon Linux 2023 has /lib64/ld-linux-x86-64.so.2)"
        ));
        let nix = elf(
            ET_DYN,
            EM_X86_64,
            Some("/nix/store/x-glibc-2.40/lib/ld-linux-x86-64.so.2"),
            &["GLIBC_2.34"],
        );
        assert!(
            check(&nix, Architecture::X86_64)
                .unwrap_err()
                .starts_with("its loader is not Amazon Linux 2023's")
        );
    }

    #[test]
    fn what_is_not_a_linux_executable_is_refused_saying_what_it_is() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"#!/bin/sh\nexec ./app\n",
                "it is a script, not a Linux ELF executable.",
            ),
            (b"", "it is an empty file, not a Linux ELF executable."),
            (
                &[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1],
                "it is a macOS (Mach-O) binary",
            ),
            (b"MZ\x90\x00", "it is a Windows (PE) binary"),
            (b"\x7fELF\x02", "it is not a readable ELF file"),
        ];
        for (binary, expected) in cases {
            let error = check(binary, Architecture::X86_64).unwrap_err();
            assert!(error.starts_with(expected), "{expected}: {error}");
        }
        let object_file = elf(1, EM_X86_64, None, &[]); // ET_REL
        assert!(
            check(&object_file, Architecture::X86_64)
                .unwrap_err()
                .starts_with("it is an ELF REL file, not an executable")
        );
        let mut big_endian = elf(ET_EXEC, EM_X86_64, None, &[]);
        big_endian[5] = 2;
        assert!(check(&big_endian, Architecture::X86_64).is_err());
    }

    /// This very test binary, built for the host, reads as the host's kind of executable.
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn a_real_host_executable_is_read() {
        let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        match check(&binary, Architecture::X86_64) {
            Ok(Linkage::Glibc(Some(newest))) => assert!(newest >= GlibcVersion(2, 2)),
            Ok(other) => panic!("a glibc test binary read as {other}"),
            // A host glibc newer than Lambda's may show through: then it must say so.
            Err(error) => assert!(error.starts_with("it needs glibc 2."), "{error}"),
        }
        assert!(check(&binary, Architecture::Arm64).is_err());
    }
}
