// The i386 ABI under a 64-bit kernel, in one place: what the kernel's
// asm/elf.h, asm/processor.h and the ia32 parts of fs/binfmt_elf.c fix for a
// compat process. Every other file takes these values from here.

public enum I386 {
    public static let pageSize: UInt64 = 4096
    /// TASK_SIZE of a compat task (IA32_PAGE_OFFSET): the top of the usable
    /// 4 GiB, and STACK_TOP, the highest the stack top can be.
    public static let top: UInt64 = 0xFFFF_E000
    /// The lowest address a program's image may start at. prctl(PR_SET_MM_MAP)
    /// refuses addresses below the kernel's mmap_min_addr, which is at least
    /// CONFIG_LSM_MMAP_MIN_ADDR (65536 in the distributions' kernels) even
    /// where vm.mmap_min_addr is lower: refused here, before anything is mapped.
    public static let lowest: UInt64 = 0x1_0000
    /// COMPAT_ELF_ET_DYN_BASE: TASK_UNMAPPED_BASE (a third of the 32-bit
    /// space) plus 16 MiB. Where a PIE goes, and a static PIE's brk.
    public static let dynamicBase: UInt64 = 0x5655_5000

    /// Randomization, in pages: arch_mmap_rnd (8 bits) for ELF_ET_DYN_BASE,
    /// randomize_stack_top (0x7ff pages) for the stack, arch_randomize_brk
    /// (32 MiB) for brk.
    public static let dynamicBaseRandomPages: UInt32 = 256
    public static let stackRandomPages: UInt32 = 0x800
    public static let programBreakRandomPages: UInt32 = 0x200_0000 / 4096
    /// arch_align_stack moves the stack pointer down by up to this many bytes.
    public static let stackAlignmentRandomBytes: UInt32 = 8192
    /// setup_arg_pages leaves this much mapped below the strings and tables.
    public static let stackInitialExpansion: UInt64 = 128 * 1024

    /// ELF_PLATFORM (AT_PLATFORM) and ELF_MACHINE.
    public static let platform: [UInt8] = Array("i686".utf8)
    public static let machine: UInt16 = 3  // EM_386
    public static let programHeaderSize: UInt16 = 32  // sizeof(Elf32_Phdr)
    /// The kernel reads at most one page of program headers (ELF_MIN_ALIGN).
    public static let maximumProgramHeaders: UInt16 = 4096 / 32
    /// PATH_MAX: the longest PT_INTERP the kernel accepts.
    public static let maximumInterpreterPath: UInt32 = 4096
    /// The kernel's saved_auxv: AT_VECTOR_SIZE longs; an i386 vector is
    /// stored as 32-bit pairs in it.
    public static let savedAuxiliaryVectorBytes = 416

    /// __USER32_CS and __USER_DS, and EFLAGS (IF and the always-one bit 1):
    /// what start_thread_common gives a compat process.
    static let userCodeSelector: UInt32 = 0x23
    static let userDataSelector: UInt32 = 0x2b
    static let initialFlags: UInt32 = 0x202
    /// The i386 system call number of munmap.
    static let systemCallUnmap: UInt32 = 91

    /// arch_prctl code that maps the kernel's 32-bit vDSO.
    static let archMapVDSO32: Int32 = 0x2002
    /// <linux/personality.h>
    static let readImpliesExec: UInt32 = 0x040_0000
    static let addressNoRandomize: UInt32 = 0x004_0000
    /// <linux/capability.h>
    static let capabilityVersion3: UInt32 = 0x2008_0522
    static let capabilitySystemAdministration: Int32 = 21
    static let capabilityCheckpointRestore: Int32 = 40
    /// Everything of the 64-bit world lies in [4 GiB, TASK_SIZE_MAX).
    static let above4GiB: Range<UInt64> = 0x1_0000_0000..<0x7FFF_FFFF_F000

    public static func pageDown(_ value: UInt64) -> UInt64 { value & ~(pageSize - 1) }
    public static func pageUp(_ value: UInt64) -> UInt64 { (value + pageSize - 1) & ~(pageSize - 1) }

    /// The number `bytes` hold, least significant byte first: how i386
    /// stores every word, in ELF headers, the vDSO and the stack alike.
    public static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The auxiliary vector's entry types (<linux/auxvec.h>, asm/auxvec.h).
public enum AuxiliaryType: UInt32, Sendable {
    case null = 0, execFD = 2, programHeaders = 3, programHeaderSize = 4, programHeaderCount = 5
    case pageSize = 6, base = 7, flags = 8, entry = 9
    case uid = 11, euid = 12, gid = 13, egid = 14, platform = 15, hardwareCapabilities = 16
    case clockTicks = 17, secure = 23, random = 25, hardwareCapabilities2 = 26
    case rseqFeatureSize = 27, rseqAlignment = 28, execFilename = 31
    case sysinfo = 32, sysinfoELFHeader = 33, minimumSignalStackSize = 51
}
