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
/// Plain fields, not a dictionary: this runs on every exec, and a Dictionary
/// or Set of a loader type costs the Swift runtime a scan of every protocol
/// conformance in the binary the first time.
public struct KernelAuxiliaryValues: Equatable, Sendable {
    /// Entries the kernel gives only where the machine has them.
    public var minimumSignalStackSize: UInt32?
    public var hardwareCapabilities: UInt32?
    public var hardwareCapabilities2: UInt32?
    public var rseqFeatureSize: UInt32?
    public var rseqAlignment: UInt32?
    /// Entries every process gets; the defaults are USER_HZ and root.
    public var clockTicks: UInt32
    public var uid: UInt32
    public var euid: UInt32
    public var gid: UInt32
    public var egid: UInt32
    public var secure: UInt32

    public init(
        minimumSignalStackSize: UInt32? = nil, hardwareCapabilities: UInt32? = nil,
        hardwareCapabilities2: UInt32? = nil, rseqFeatureSize: UInt32? = nil, rseqAlignment: UInt32? = nil,
        clockTicks: UInt32 = 100, uid: UInt32 = 0, euid: UInt32 = 0, gid: UInt32 = 0, egid: UInt32 = 0,
        secure: UInt32 = 0
    ) {
        self.minimumSignalStackSize = minimumSignalStackSize
        self.hardwareCapabilities = hardwareCapabilities
        self.hardwareCapabilities2 = hardwareCapabilities2
        self.rseqFeatureSize = rseqFeatureSize
        self.rseqAlignment = rseqAlignment
        self.clockTicks = clockTicks
        self.uid = uid
        self.euid = euid
        self.gid = gid
        self.egid = egid
        self.secure = secure
    }

    /// The loader's own values, read from the auxiliary vector the kernel put
    /// on its stack after the environment. (getauxval is no substitute: glibc
    /// replaces AT_HWCAP with its own value on x86-64.)
    public static func ofThisProcess() -> KernelAuxiliaryValues {
        // The original argv is on the initial stack: argv, NULL, envp, NULL, auxv.
        var cursor = loader_arguments()! + Int(loader_argument_count()) + 1
        while cursor.pointee != nil { cursor += 1 }
        var entry = UnsafeRawPointer(cursor + 1).assumingMemoryBound(to: UInt.self)
        var values = KernelAuxiliaryValues()
        while entry[0] != 0 {
            let value = UInt32(truncatingIfNeeded: entry[1])
            switch AuxiliaryType(rawValue: UInt32(truncatingIfNeeded: entry[0])) {
            case .minimumSignalStackSize: values.minimumSignalStackSize = value
            case .hardwareCapabilities: values.hardwareCapabilities = value
            case .hardwareCapabilities2: values.hardwareCapabilities2 = value
            case .rseqFeatureSize: values.rseqFeatureSize = value
            case .rseqAlignment: values.rseqAlignment = value
            case .clockTicks: values.clockTicks = value
            case .uid: values.uid = value
            case .euid: values.euid = value
            case .gid: values.gid = value
            case .egid: values.egid = value
            case .secure: values.secure = value
            default: break
            }
            entry += 2
        }
        return values
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
        entries.reserveCapacity(24)
        func append(_ type: AuxiliaryType, _ value: UInt32) { entries.append(AuxiliaryEntry(type, .value(value))) }
        func appendIfPresent(_ type: AuxiliaryType, _ value: UInt32?) { if let value { append(type, value) } }
        if let vdso = program.vdso {
            append(.sysinfo, vdso.entry)
            append(.sysinfoELFHeader, vdso.base)
        }
        appendIfPresent(.minimumSignalStackSize, kernel.minimumSignalStackSize)
        appendIfPresent(.hardwareCapabilities, kernel.hardwareCapabilities)
        append(.pageSize, UInt32(AddressSpaceLimits.pageSize))
        append(.clockTicks, kernel.clockTicks)
        append(.programHeaders, program.programHeaders)
        append(.programHeaderSize, 32)
        append(.programHeaderCount, program.programHeaderCount)
        append(.base, program.interpreterBase)
        append(.flags, program.flags)
        append(.entry, program.entry)
        append(.uid, kernel.uid)
        append(.euid, kernel.euid)
        append(.gid, kernel.gid)
        append(.egid, kernel.egid)
        append(.secure, kernel.secure)
        entries.append(AuxiliaryEntry(.random, .randomBytesAddress))
        appendIfPresent(.hardwareCapabilities2, kernel.hardwareCapabilities2)
        entries.append(AuxiliaryEntry(.execFilename, .execFilenameAddress))
        entries.append(AuxiliaryEntry(.platform, .platformAddress))
        appendIfPresent(.execFD, program.execFD)
        appendIfPresent(.rseqFeatureSize, kernel.rseqFeatureSize)
        appendIfPresent(.rseqAlignment, kernel.rseqAlignment)
        return entries
    }
}
