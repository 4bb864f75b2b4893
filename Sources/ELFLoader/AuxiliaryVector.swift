// The auxiliary vector an i386 program receives, in the kernel's order
// (fs/binfmt_elf.c create_elf_tables, ARCH_DLINFO_IA32 first). Adding an
// entry is one line in `order` and one case in `value(of:)`, as NEW_AUX_ENT
// is one line in the kernel.

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
/// An entry this kernel does not give the loader, it would not give the
/// program either: nil, and left out.
public struct KernelAuxiliaryValues: Equatable, Sendable {
    public var minimumSignalStackSize: UInt32?
    public var hardwareCapabilities: UInt32?
    public var hardwareCapabilities2: UInt32?
    public var rseqFeatureSize: UInt32?
    public var rseqAlignment: UInt32?
    /// Entries every process gets; the defaults are USER_HZ and root.
    public var clockTicks: UInt32 = 100
    public var uid: UInt32 = 0, euid: UInt32 = 0, gid: UInt32 = 0, egid: UInt32 = 0
    public var secure: UInt32 = 0

    public init() {}

    /// Takes the loader's own entry `type`, if it is one the program inherits.
    public mutating func set(_ type: AuxiliaryType, _ value: UInt32) {
        switch type {
        case .minimumSignalStackSize: minimumSignalStackSize = value
        case .hardwareCapabilities: hardwareCapabilities = value
        case .hardwareCapabilities2: hardwareCapabilities2 = value
        case .rseqFeatureSize: rseqFeatureSize = value
        case .rseqAlignment: rseqAlignment = value
        case .clockTicks: clockTicks = value
        case .uid: uid = value
        case .euid: euid = value
        case .gid: gid = value
        case .egid: egid = value
        case .secure: secure = value
        default: break
        }
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
    public var vdso: CompatVDSO?
    /// AT_EXECFD, when the program arrives as an open descriptor.
    public var execFD: UInt32?
    /// AT_SECURE as the kernel would set it for the program.
    public var secure: UInt32

    public init(
        programHeaders: UInt32, programHeaderCount: UInt32, entry: UInt32,
        interpreterBase: UInt32 = 0, flags: UInt32 = 0, vdso: CompatVDSO? = nil, execFD: UInt32? = nil,
        secure: UInt32 = 0
    ) {
        self.programHeaders = programHeaders
        self.programHeaderCount = programHeaderCount
        self.entry = entry
        self.interpreterBase = interpreterBase
        self.flags = flags
        self.vdso = vdso
        self.execFD = execFD
        self.secure = secure
    }
}

public enum AuxiliaryVector {
    /// create_elf_tables' order.
    public static let order: [AuxiliaryType] = [
        .sysinfo, .sysinfoELFHeader, .minimumSignalStackSize,
        .hardwareCapabilities, .pageSize, .clockTicks, .programHeaders, .programHeaderSize,
        .programHeaderCount, .base, .flags, .entry, .uid, .euid, .gid, .egid, .secure,
        .random, .hardwareCapabilities2, .execFilename, .platform, .execFD,
        .rseqFeatureSize, .rseqAlignment,
    ]

    /// The entries, without the terminating AT_NULL.
    public static func entries(program: ProgramAuxiliaryFacts, kernel: KernelAuxiliaryValues) -> [AuxiliaryEntry] {
        var entries: [AuxiliaryEntry] = []
        entries.reserveCapacity(order.count)
        for type in order {
            if let value = value(of: type, program: program, kernel: kernel) { entries.append(AuxiliaryEntry(type, value)) }
        }
        return entries
    }

    /// Where entry `type` comes from; nil when the program gets none.
    static func value(of type: AuxiliaryType, program: ProgramAuxiliaryFacts, kernel: KernelAuxiliaryValues) -> AuxiliaryValue? {
        func number(_ value: UInt32?) -> AuxiliaryValue? { value.map { .value($0) } }
        switch type {
        case .sysinfo: return number(program.vdso?.entry)
        case .sysinfoELFHeader: return number(program.vdso?.base)
        case .minimumSignalStackSize: return number(kernel.minimumSignalStackSize)
        case .hardwareCapabilities: return number(kernel.hardwareCapabilities)
        case .pageSize: return .value(UInt32(I386.pageSize))
        case .clockTicks: return .value(kernel.clockTicks)
        case .programHeaders: return .value(program.programHeaders)
        case .programHeaderSize: return .value(UInt32(I386.programHeaderSize))
        case .programHeaderCount: return .value(program.programHeaderCount)
        case .base: return .value(program.interpreterBase)
        case .flags: return .value(program.flags)
        case .entry: return .value(program.entry)
        case .uid: return .value(kernel.uid)
        case .euid: return .value(kernel.euid)
        case .gid: return .value(kernel.gid)
        case .egid: return .value(kernel.egid)
        case .secure: return .value(program.secure)
        case .random: return .randomBytesAddress
        case .hardwareCapabilities2: return number(kernel.hardwareCapabilities2)
        case .execFilename: return .execFilenameAddress
        case .platform: return .platformAddress
        case .execFD: return number(program.execFD)
        case .rseqFeatureSize: return number(kernel.rseqFeatureSize)
        case .rseqAlignment: return number(kernel.rseqAlignment)
        case .null: return nil
        }
    }
}
