// The i386 ELF program as read from the file: pure values, and the checks a
// loader owes every file before it maps a byte of it.

/// One program header (Elf32_Phdr).
public struct ProgramHeader: Equatable, Sendable {
    public static let load: UInt32 = 1  // PT_LOAD
    public static let interpreter: UInt32 = 3  // PT_INTERP
    public static let gnuStack: UInt32 = 0x6474_e551  // PT_GNU_STACK

    public static let executable: UInt32 = 1  // PF_X
    public static let writable: UInt32 = 2  // PF_W
    public static let readable: UInt32 = 4  // PF_R

    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt32
    public var virtualAddress: UInt32
    public var fileSize: UInt32
    public var memorySize: UInt32
    public var alignment: UInt32

    public init(
        type: UInt32, flags: UInt32, offset: UInt32, virtualAddress: UInt32,
        fileSize: UInt32, memorySize: UInt32, alignment: UInt32 = 0x1000
    ) {
        self.type = type
        self.flags = flags
        self.offset = offset
        self.virtualAddress = virtualAddress
        self.fileSize = fileSize
        self.memorySize = memorySize
        self.alignment = alignment
    }

    /// One past the last byte in memory, in 64 bits so that it cannot wrap.
    var memoryEnd: UInt64 { UInt64(virtualAddress) + UInt64(memorySize) }
}

/// The header fields the loader uses, and the program headers.
public struct ELFImage: Equatable, Sendable {
    public enum ObjectType: UInt16, Sendable {
        case executable = 2  // ET_EXEC
        case sharedObject = 3  // ET_DYN: PIE, static-pie or an interpreter
    }

    public var type: ObjectType
    public var entry: UInt32
    public var programHeaderOffset: UInt32
    public var programHeaders: [ProgramHeader]
    public var fileSize: UInt64

    public init(
        type: ObjectType, entry: UInt32, programHeaderOffset: UInt32,
        programHeaders: [ProgramHeader], fileSize: UInt64
    ) {
        self.type = type
        self.entry = entry
        self.programHeaderOffset = programHeaderOffset
        self.programHeaders = programHeaders
        self.fileSize = fileSize
    }

    /// The PT_LOAD headers, in file order.
    public var loadSegments: [ProgramHeader] {
        programHeaders.filter { $0.type == ProgramHeader.load }
    }

    /// The PT_INTERP header, if the program names an interpreter.
    public var interpreterHeader: ProgramHeader? {
        programHeaders.first { $0.type == ProgramHeader.interpreter }
    }

    /// What PT_GNU_STACK asks for the stack. With no PT_GNU_STACK an i386
    /// program gets READ_IMPLIES_EXEC, as the kernel's elf_read_implies_exec says.
    public var stackPolicy: StackPolicy {
        guard let header = programHeaders.first(where: { $0.type == ProgramHeader.gnuStack }) else {
            return .readImpliesExec
        }
        return header.flags & ProgramHeader.executable != 0 ? .executable : .nonExecutable
    }

    public enum StackPolicy: Equatable, Sendable {
        case nonExecutable
        case executable
        /// No PT_GNU_STACK: every readable mapping is executable, the stack too.
        case readImpliesExec
    }
}

/// Limits of the i386 address space under a 64-bit kernel.
public enum AddressSpaceLimits {
    public static let pageSize: UInt64 = 4096
    /// TASK_SIZE of a compat task (IA32_PAGE_OFFSET): the top of the usable 4 GiB.
    public static let top: UInt64 = 0xFFFF_E000
    /// The usual vm.mmap_min_addr: nothing may be mapped below it.
    public static let lowest: UInt64 = 0x1_0000

    static func pageDown(_ value: UInt64) -> UInt64 { value & ~(pageSize - 1) }
    static func pageUp(_ value: UInt64) -> UInt64 { (value + pageSize - 1) & ~(pageSize - 1) }
}

extension ELFImage {
    /// Checks the program headers the way a careful loader must: everything
    /// that could make a mapping fail, overlap, wrap or read past the file.
    /// The header itself (class, machine, type...) was checked by `ELFFile`.
    public func validate() throws {
        let segments = loadSegments
        guard !segments.isEmpty else { throw ELFError.noLoadableSegment }
        var previousEnd: UInt64 = 0
        for (index, segment) in segments.enumerated() {
            guard segment.fileSize <= segment.memorySize else {
                throw ELFError.segment(index, "file size 0x\(hex(segment.fileSize)) exceeds memory size 0x\(hex(segment.memorySize))")
            }
            guard UInt64(segment.offset) + UInt64(segment.fileSize) <= fileSize else {
                throw ELFError.segment(index, "file range 0x\(hex(segment.offset))+0x\(hex(segment.fileSize)) lies beyond the end of the file")
            }
            guard UInt64(segment.offset) % AddressSpaceLimits.pageSize
                == UInt64(segment.virtualAddress) % AddressSpaceLimits.pageSize
            else {
                throw ELFError.segment(index, "offset 0x\(hex(segment.offset)) and address 0x\(hex(segment.virtualAddress)) are not congruent modulo the page size")
            }
            guard segment.memoryEnd <= AddressSpaceLimits.top else {
                throw ELFError.segment(index, "ends at 0x\(String(segment.memoryEnd, radix: 16)), beyond the 32-bit address space (0x\(String(AddressSpaceLimits.top, radix: 16)))")
            }
            if type == .executable && UInt64(segment.virtualAddress) < AddressSpaceLimits.lowest {
                throw ELFError.segment(index, "address 0x\(hex(segment.virtualAddress)) is below the lowest mappable address 0x\(String(AddressSpaceLimits.lowest, radix: 16))")
            }
            guard index == 0 || UInt64(segment.virtualAddress) >= previousEnd else {
                throw ELFError.segment(index, "overlaps the previous segment or is out of address order")
            }
            previousEnd = segment.memoryEnd
        }
        let entryIsExecutable = segments.contains { segment in
            let executable = segment.flags & ProgramHeader.executable != 0
                || (stackPolicy == .readImpliesExec && segment.flags & ProgramHeader.readable != 0)
            return executable && entry >= segment.virtualAddress && UInt64(entry) < segment.memoryEnd
        }
        guard entryIsExecutable else { throw ELFError.entryNotExecutable(entry) }
        if let interpreter = interpreterHeader {
            guard (2...Self.maximumInterpreterPath).contains(interpreter.fileSize) else {
                throw ELFError.interpreterPathLength(interpreter.fileSize)
            }
            guard UInt64(interpreter.offset) + UInt64(interpreter.fileSize) <= fileSize else {
                throw ELFError.interpreterPathOutsideFile
            }
        }
    }

    /// PATH_MAX: the longest PT_INTERP the kernel accepts.
    static let maximumInterpreterPath: UInt32 = 4096

    /// The interpreter path from the PT_INTERP segment's bytes, which must
    /// end in a NUL (the kernel's check); an earlier NUL ends the path.
    public static func interpreterPath(fromSegment bytes: [UInt8]) throws -> [UInt8] {
        guard bytes.last == 0 else { throw ELFError.interpreterPathNotTerminated }
        return Array(bytes.prefix { $0 != 0 })
    }

    /// Checks what an interpreter must be beyond a valid i386 ELF.
    public func validateAsInterpreter() throws {
        guard type == .sharedObject else { throw ELFError.interpreterNotSharedObject }
        guard interpreterHeader == nil else { throw ELFError.interpreterHasInterpreter }
    }
}

func hex<I: BinaryInteger>(_ value: I) -> String { String(value, radix: 16) }
