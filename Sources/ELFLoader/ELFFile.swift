// The ELF file, read through libelf: the header checked field by field, the
// program headers turned into pure values.

import CLibELF

public enum ELFFile {
    /// The smallest file that can hold an Elf32_Ehdr.
    static let headerSize: UInt64 = 52

    /// How much of the file is read before libelf sees it: enough for the
    /// header, 30 program headers and PT_INTERP, which gcc and ld put right
    /// after them (at most 487 bytes in testdata). A larger table is read
    /// again whole; a page would cost every exec a page fault of its heap.
    static let headSize: UInt64 = 1024

    /// Reads the i386 ELF behind `descriptor`, `fileSize` bytes long, whose
    /// first bytes (up to `headSize`) are `head`. libelf reads the header and
    /// program headers from `head` when it holds them (one pread for the
    /// whole step), else from the file.
    public static func read(descriptor: FileDescriptor, fileSize: UInt64, head: inout [UInt8]) throws(ExecError) -> ELFImage {
        try checkSize(prefix: head.prefix(4), fileSize: fileSize)
        guard programHeadersEnd(in: head) <= UInt64(head.count) else {
            return try withLibELF(elf_begin(descriptor.rawValue, ELF_C_READ, nil)) { elf throws(ExecError) in
                try image(of: elf, fileSize: fileSize)
            }
        }
        return try withLibELF(memory: &head) { elf throws(ExecError) in try image(of: elf, fileSize: fileSize) }
    }

    /// Reads an i386 ELF held in memory (tests and fuzzing use this path).
    public static func read(bytes: [UInt8]) throws(ExecError) -> ELFImage {
        try checkSize(prefix: bytes.prefix(4), fileSize: UInt64(bytes.count))
        var copy = bytes
        return try withLibELF(memory: &copy) { elf throws(ExecError) in try image(of: elf, fileSize: UInt64(bytes.count)) }
    }

    /// Where e_phoff and e_phnum say the program header table ends: read raw,
    /// only to choose what libelf reads from (libelf checks the fields).
    static func programHeadersEnd(in head: [UInt8]) -> UInt64 {
        guard head.count >= Int(headerSize) else { return .max }
        // e_phoff + e_phnum * sizeof(Elf32_Phdr)
        return I386.littleEndian(head[28..<32]) + I386.littleEndian(head[44..<46]) * UInt64(I386.programHeaderSize)
    }

    /// Refuses a file too short for an ELF header before libelf sees it
    /// (libelf calls a short ELF merely "invalid").
    private static func checkSize(prefix: ArraySlice<UInt8>, fileSize: UInt64) throws(ExecError) {
        guard fileSize > 0 else { throw .invalidELF(.empty) }
        guard fileSize >= headerSize else {
            let isELF = prefix.count == 4 && prefix.elementsEqual([0x7f, 0x45, 0x4c, 0x46])
            throw .invalidELF(isELF ? .truncatedHeader : .notELF)
        }
    }

    private static func withLibELF<T>(
        _ open: @autoclosure () -> OpaquePointer?, _ body: (OpaquePointer) throws(ExecError) -> T
    ) throws(ExecError) -> T {
        // libelf refuses every call until the application names its ELF version.
        guard elf_version(UInt32(EV_CURRENT)) != EV_NONE else { throw .invalidELF(.libelf(lastLibELFError())) }
        guard let elf = open() else { throw .invalidELF(.libelf(lastLibELFError())) }
        defer { elf_end(elf) }
        return try body(elf)
    }

    /// libelf takes a mutable buffer, even to read: `bytes` is lent, not copied.
    private static func withLibELF<T>(memory bytes: inout [UInt8], _ body: (OpaquePointer) throws(ExecError) -> T) throws(ExecError) -> T {
        let size = bytes.count
        return try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(ExecError) in
                try withLibELF(elf_memory(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), size), body)
            }
        }.get()
    }

    private static func image(of elf: OpaquePointer, fileSize: UInt64) throws(ExecError) -> ELFImage {
        guard elf_kind(elf) == ELF_K_ELF else { throw .invalidELF(.notELF) }
        var identSize = 0
        guard let ident = elf_getident(elf, &identSize), identSize >= Int(EI_NIDENT) else {
            throw .invalidELF(.truncatedHeader)
        }
        let elfClass = UInt8(bitPattern: ident[Int(EI_CLASS)])
        let byteOrder = UInt8(bitPattern: ident[Int(EI_DATA)])
        let identVersion = UInt8(bitPattern: ident[Int(EI_VERSION)])
        guard elfClass == ELFCLASS32 else { throw .invalidELF(.wrongClass(elfClass)) }
        guard byteOrder == ELFDATA2LSB else { throw .invalidELF(.wrongByteOrder(byteOrder)) }
        guard identVersion == EV_CURRENT else { throw .invalidELF(.wrongVersion(UInt32(identVersion))) }
        guard let header = elf32_getehdr(elf)?.pointee else { throw .invalidELF(.libelf(lastLibELFError())) }

        guard header.e_machine == I386.machine else { throw .invalidELF(.wrongMachine(header.e_machine)) }
        guard header.e_version == EV_CURRENT else { throw .invalidELF(.wrongVersion(header.e_version)) }
        guard let type = ELFImage.ObjectType(rawValue: header.e_type) else {
            throw .invalidELF(.wrongType(header.e_type))
        }
        guard header.e_phentsize == I386.programHeaderSize else {
            throw .invalidELF(.badProgramHeaderSize(header.e_phentsize))
        }
        guard header.e_phnum >= 1 && header.e_phnum <= I386.maximumProgramHeaders else {
            throw .invalidELF(.badProgramHeaderCount(header.e_phnum))
        }
        guard UInt64(header.e_phoff) + UInt64(header.e_phnum) * UInt64(I386.programHeaderSize) <= fileSize,
            let table = elf32_getphdr(elf)
        else { throw .invalidELF(.programHeadersOutsideFile) }

        var programHeaders: [ProgramHeader] = []
        programHeaders.reserveCapacity(Int(header.e_phnum))
        for index in 0..<Int(header.e_phnum) {
            let raw = table[index]
            programHeaders.append(ProgramHeader(
                type: raw.p_type, flags: raw.p_flags, offset: raw.p_offset,
                virtualAddress: raw.p_vaddr, fileSize: raw.p_filesz,
                memorySize: raw.p_memsz, alignment: raw.p_align))
        }
        return ELFImage(
            type: type, entry: header.e_entry, programHeaderOffset: header.e_phoff,
            programHeaders: programHeaders, fileSize: fileSize)
    }

    private static func lastLibELFError() -> String {
        elf_errmsg(-1).map { String(cString: $0) } ?? "unknown libelf error"
    }
}
