//! Hand-made ELF files, for tests of what chalice-rs reads from a Lambda bootstrap: its
//! class, machine, loader and glibc symbol versions, without building anything for real.

/// `e_type` of a relocatable object file.
pub const ET_REL: u16 = 1;
/// `e_type` of a fixed-address executable.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a position-independent executable (or a shared library).
pub const ET_DYN: u16 = 3;
/// `e_machine` of x86-64.
pub const EM_X86_64: u16 = 62;
/// `e_machine` of AArch64.
pub const EM_AARCH64: u16 = 183;
/// The section type of GNU version requirements (`.gnu.version_r`).
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

/// A minimal ELF64 little-endian file: header, an optional `PT_INTERP`, and, when
/// `versions` is not empty, a `.dynstr` and a `.gnu.version_r` requiring them of libc.
pub fn elf(e_type: u16, machine: u16, interpreter: Option<&str>, versions: &[&str]) -> Vec<u8> {
    const EHDR: usize = 64;
    const PHDR: usize = 56;
    const SHDR: usize = 64;
    let mut strings = b"\0libc.so.6\0".to_vec();
    let mut name_offsets = Vec::new();
    for version in versions {
        name_offsets.push(strings.len());
        strings.extend_from_slice(version.as_bytes());
        strings.push(0);
    }
    let mut verneed = Vec::new();
    if !versions.is_empty() {
        verneed.extend(1u16.to_le_bytes()); // vn_version
        verneed.extend(u16::try_from(versions.len()).unwrap().to_le_bytes()); // vn_cnt
        verneed.extend(1u32.to_le_bytes()); // vn_file: "libc.so.6"
        verneed.extend(16u32.to_le_bytes()); // vn_aux
        verneed.extend(0u32.to_le_bytes()); // vn_next
        for (index, offset) in name_offsets.iter().enumerate() {
            let last = index + 1 == name_offsets.len();
            verneed.extend(0u32.to_le_bytes()); // vna_hash (unchecked)
            verneed.extend(0u16.to_le_bytes()); // vna_flags
            verneed.extend(u16::try_from(index + 2).unwrap().to_le_bytes()); // vna_other
            verneed.extend(u32::try_from(*offset).unwrap().to_le_bytes()); // vna_name
            verneed.extend(if last { 0u32 } else { 16 }.to_le_bytes()); // vna_next
        }
    }
    let interp = interpreter.map(|path| [path.as_bytes(), b"\0"].concat());
    let phnum = usize::from(interp.is_some());
    let interp_at = EHDR + phnum * PHDR;
    let strings_at = interp_at + interp.as_ref().map_or(0, Vec::len);
    let verneed_at = strings_at + strings.len();
    let shoff = verneed_at + verneed.len();
    let shnum = if versions.is_empty() { 0 } else { 3 };

    let u16s = |v: usize| u16::try_from(v).unwrap().to_le_bytes();
    let u64s = |v: usize| u64::try_from(v).unwrap().to_le_bytes();
    let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend(e_type.to_le_bytes());
    out.extend(machine.to_le_bytes());
    out.extend(1u32.to_le_bytes()); // e_version
    out.extend(u64s(0x1000)); // e_entry
    out.extend(u64s(if phnum > 0 { EHDR } else { 0 })); // e_phoff
    out.extend(u64s(if shnum > 0 { shoff } else { 0 })); // e_shoff
    out.extend(0u32.to_le_bytes()); // e_flags
    out.extend(u16s(EHDR));
    out.extend(u16s(PHDR));
    out.extend(u16s(phnum));
    out.extend(u16s(SHDR));
    out.extend(u16s(shnum));
    out.extend(u16s(0)); // e_shstrndx: none
    if let Some(interp) = &interp {
        out.extend(3u32.to_le_bytes()); // PT_INTERP
        out.extend(4u32.to_le_bytes()); // PF_R
        out.extend(u64s(interp_at));
        out.extend(u64s(0));
        out.extend(u64s(0));
        out.extend(u64s(interp.len()));
        out.extend(u64s(interp.len()));
        out.extend(u64s(1));
        out.extend(interp);
    }
    out.extend(&strings);
    out.extend(&verneed);
    if shnum > 0 {
        let mut section = |kind: u32, offset: usize, size: usize, link: u32, info: u32| {
            out.extend(0u32.to_le_bytes()); // sh_name
            out.extend(kind.to_le_bytes());
            out.extend(u64s(0)); // sh_flags
            out.extend(u64s(0)); // sh_addr
            out.extend(u64s(offset));
            out.extend(u64s(size));
            out.extend(link.to_le_bytes());
            out.extend(info.to_le_bytes());
            out.extend(u64s(1)); // sh_addralign
            out.extend(u64s(0)); // sh_entsize
        };
        section(0, 0, 0, 0, 0);
        section(3, strings_at, strings.len(), 0, 0); // SHT_STRTAB
        section(SHT_GNU_VERNEED, verneed_at, verneed.len(), 1, 1);
    }
    out
}

/// A small static x86-64 executable as a Lambda bootstrap check reads it, with `marker` after
/// it so that two of them differ: a stand-in for an app's binary where its bytes do not matter.
pub fn static_x86_64(marker: &[u8]) -> Vec<u8> {
    [elf(ET_EXEC, EM_X86_64, None, &[]), marker.to_vec()].concat()
}
