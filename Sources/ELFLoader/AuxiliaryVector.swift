// The auxiliary vector an i386 program receives, in the kernel's order
// (fs/binfmt_elf.c create_elf_tables, ARCH_DLINFO_IA32 first).

import ModeSwitch

public enum AuxiliaryType: UInt32, Sendable {
    case null = 0, execFD = 2, programHeaders = 3, programHeaderSize = 4, programHeaderCount = 5
    case pageSize = 6, base = 7, flags = 8, entry = 9
    case uid = 11, euid = 12, gid = 13, egid = 14, platform = 15, hardwareCapabilities = 16
    case clockTicks = 17, secure = 23, random = 25, hardwareCapabilities2 = 26
    case rseqFeatureSize = 27, rseqAlignment = 28, execFilename = 31
    case sysinfo = 32, sysinfoELFHeader = 33, minimumSignalStackSize = 51
}

/// An entry's value: a number, or the address of something the initial
/// stack holds, filled in when the stack is laid out.
public enum AuxiliaryValue: Equatable, Sendable {
    case value(UInt32)
    case randomBytesAddress
    case platformAddress
    case execFilenameAddress
}

public struct AuxiliaryEntry: Equatable, Sendable {
    public var type: AuxiliaryType
    public var value: AuxiliaryValue

    public init(_ type: AuxiliaryType, _ value: AuxiliaryValue) {
        self.type = type
        self.value = value
    }
}

/// What the kernel told the loader about the machine and the credentials:
/// the same values it gives an i386 process (the x86 hardware capabilities,
/// AT_MINSIGSTKSZ and the rseq sizes do not depend on the process's mode).
public struct KernelAuxiliaryValues: Equatable, Sendable {
    public var values: [AuxiliaryType: UInt32]

    public init(values: [AuxiliaryType: UInt32]) { self.values = values }

    /// The loader's own values, read from the auxiliary vector the kernel put
    /// on its stack after the environment. (getauxval is no substitute: glibc
    /// replaces AT_HWCAP with its own value on x86-64.)
    public static func ofThisProcess() -> KernelAuxiliaryValues {
        let copied: Set<AuxiliaryType> = [
            .minimumSignalStackSize, .hardwareCapabilities, .pageSize, .clockTicks,
            .uid, .euid, .gid, .egid, .secure, .hardwareCapabilities2,
            .rseqFeatureSize, .rseqAlignment,
        ]
        // The original argv is on the initial stack: argv, NULL, envp, NULL, auxv.
        var cursor = loader_arguments()! + Int(loader_argument_count()) + 1
        while cursor.pointee != nil { cursor += 1 }
        var entry = UnsafeRawPointer(cursor + 1).assumingMemoryBound(to: UInt.self)
        var values: [AuxiliaryType: UInt32] = [:]
        while entry[0] != 0 {
            if let type = AuxiliaryType(rawValue: UInt32(truncatingIfNeeded: entry[0])), copied.contains(type) {
                values[type] = UInt32(truncatingIfNeeded: entry[1])
            }
            entry += 2
        }
        return KernelAuxiliaryValues(values: values)
    }
}

/// Facts about the loaded program the vector reports.
public struct ProgramAuxiliaryFacts: Equatable, Sendable {
    public var programHeaders: UInt32
    public var programHeaderCount: UInt32
    public var entry: UInt32
    /// The interpreter's load address, 0 without one.
    public var interpreterBase: UInt32
    public var flags: UInt32
    /// The 32-bit vDSO's ELF header and `__kernel_vsyscall`, when mapped.
    public var vdso: (base: UInt32, entry: UInt32)?
    /// AT_EXECFD, when the program arrives as an open descriptor.
    public var execFD: UInt32?

    public init(
        programHeaders: UInt32, programHeaderCount: UInt32, entry: UInt32,
        interpreterBase: UInt32 = 0, flags: UInt32 = 0,
        vdso: (base: UInt32, entry: UInt32)? = nil, execFD: UInt32? = nil
    ) {
        self.programHeaders = programHeaders
        self.programHeaderCount = programHeaderCount
        self.entry = entry
        self.interpreterBase = interpreterBase
        self.flags = flags
        self.vdso = vdso
        self.execFD = execFD
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.programHeaders == b.programHeaders && a.programHeaderCount == b.programHeaderCount
            && a.entry == b.entry && a.interpreterBase == b.interpreterBase && a.flags == b.flags
            && a.vdso?.base == b.vdso?.base && a.vdso?.entry == b.vdso?.entry && a.execFD == b.execFD
    }
}

public enum AuxiliaryVector {
    /// The entries, without the terminating AT_NULL, in create_elf_tables' order.
    public static func entries(program: ProgramAuxiliaryFacts, kernel: KernelAuxiliaryValues) -> [AuxiliaryEntry] {
        var entries: [AuxiliaryEntry] = []
        func kernelValue(_ type: AuxiliaryType) {
            if let value = kernel.values[type] { entries.append(AuxiliaryEntry(type, .value(value))) }
        }
        if let vdso = program.vdso {
            entries.append(AuxiliaryEntry(.sysinfo, .value(vdso.entry)))
            entries.append(AuxiliaryEntry(.sysinfoELFHeader, .value(vdso.base)))
        }
        kernelValue(.minimumSignalStackSize)
        kernelValue(.hardwareCapabilities)
        entries.append(AuxiliaryEntry(.pageSize, .value(UInt32(AddressSpaceLimits.pageSize))))
        entries.append(AuxiliaryEntry(.clockTicks, .value(kernel.values[.clockTicks] ?? 100)))
        entries.append(AuxiliaryEntry(.programHeaders, .value(program.programHeaders)))
        entries.append(AuxiliaryEntry(.programHeaderSize, .value(32)))
        entries.append(AuxiliaryEntry(.programHeaderCount, .value(program.programHeaderCount)))
        entries.append(AuxiliaryEntry(.base, .value(program.interpreterBase)))
        entries.append(AuxiliaryEntry(.flags, .value(program.flags)))
        entries.append(AuxiliaryEntry(.entry, .value(program.entry)))
        for type: AuxiliaryType in [.uid, .euid, .gid, .egid, .secure] {
            entries.append(AuxiliaryEntry(type, .value(kernel.values[type] ?? 0)))
        }
        entries.append(AuxiliaryEntry(.random, .randomBytesAddress))
        kernelValue(.hardwareCapabilities2)
        entries.append(AuxiliaryEntry(.execFilename, .execFilenameAddress))
        entries.append(AuxiliaryEntry(.platform, .platformAddress))
        if let execFD = program.execFD { entries.append(AuxiliaryEntry(.execFD, .value(execFD))) }
        kernelValue(.rseqFeatureSize)
        kernelValue(.rseqAlignment)
        return entries
    }
}
