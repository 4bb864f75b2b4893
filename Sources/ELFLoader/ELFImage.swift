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
    public var memoryEnd: UInt64 { UInt64(virtualAddress) + UInt64(memorySize) }
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

extension ELFImage {
    /// Checks the program headers the way a careful loader must: everything
    /// that could make a mapping fail, overlap, wrap or read past the file.
    /// The header itself (class, machine, type...) was checked by `ELFFile`.
    public func validate() throws(ExecError) {
        let segments = loadSegments
        guard !segments.isEmpty else { throw .invalidELF(.noLoadableSegment) }
        var previousEnd: UInt64 = 0
        for (index, segment) in segments.enumerated() {
            guard segment.fileSize <= segment.memorySize else {
                throw .invalidELF(.segment(index, "file size 0x\(hex(segment.fileSize)) exceeds memory size 0x\(hex(segment.memorySize))"))
            }
            guard UInt64(segment.offset) + UInt64(segment.fileSize) <= fileSize else {
                throw .invalidELF(.segment(index, "file range 0x\(hex(segment.offset))+0x\(hex(segment.fileSize)) lies beyond the end of the file"))
            }
            guard UInt64(segment.offset) % I386.pageSize
                == UInt64(segment.virtualAddress) % I386.pageSize
            else {
                throw .invalidELF(.segment(index, "offset 0x\(hex(segment.offset)) and address 0x\(hex(segment.virtualAddress)) are not congruent modulo the page size"))
            }
            guard segment.memoryEnd <= I386.top else {
                throw .invalidELF(.segment(index, "ends at 0x\(hex(segment.memoryEnd)), beyond the 32-bit address space (0x\(hex(I386.top)))"))
            }
            if type == .executable && UInt64(segment.virtualAddress) < I386.lowest {
                throw .invalidELF(.segment(index, "address 0x\(hex(segment.virtualAddress)) is below the lowest mappable address 0x\(hex(I386.lowest))"))
            }
            guard index == 0 || UInt64(segment.virtualAddress) >= previousEnd else {
                throw .invalidELF(.segment(index, "overlaps the previous segment or is out of address order"))
            }
            previousEnd = segment.memoryEnd
        }
        let entryIsExecutable = segments.contains { segment in
            let executable = segment.flags & ProgramHeader.executable != 0
                || (stackPolicy == .readImpliesExec && segment.flags & ProgramHeader.readable != 0)
            return executable && entry >= segment.virtualAddress && UInt64(entry) < segment.memoryEnd
        }
        guard entryIsExecutable else { throw .invalidELF(.entryNotExecutable(entry)) }
        if let interpreter = interpreterHeader {
            guard (2...I386.maximumInterpreterPath).contains(interpreter.fileSize) else {
                throw .invalidELF(.interpreterPathLength(interpreter.fileSize))
            }
            guard UInt64(interpreter.offset) + UInt64(interpreter.fileSize) <= fileSize else {
                throw .invalidELF(.interpreterPathOutsideFile)
            }
        }
    }

    /// The interpreter path from the PT_INTERP segment's bytes, which must
    /// end in a NUL (the kernel's check); an earlier NUL ends the path.
    public static func interpreterPath(fromSegment bytes: [UInt8]) throws(ExecError) -> [UInt8] {
        guard bytes.last == 0 else { throw .invalidELF(.interpreterPathNotTerminated) }
        return Array(bytes.prefix { $0 != 0 })
    }

    /// Checks what an interpreter must be beyond a valid i386 ELF.
    public func validateAsInterpreter() throws(ExecError) {
        guard type == .sharedObject else { throw .invalidELF(.interpreterNotSharedObject) }
        guard interpreterHeader == nil else { throw .invalidELF(.interpreterHasInterpreter) }
    }
}

