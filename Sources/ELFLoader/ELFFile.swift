// The ELF file, read through libelf: the header checked field by field, the
// program headers turned into pure values.

import CLibELF
import SystemPackage

public enum ELFFile {
    /// The smallest file that can hold an Elf32_Ehdr.
    static let headerSize: UInt64 = 52
    static let programHeaderSize: UInt16 = 32
    /// The kernel reads at most one page of program headers (ELF_MIN_ALIGN).
    static let maximumProgramHeaders: UInt16 = 4096 / 32

    /// Reads the i386 ELF behind `descriptor`, `fileSize` bytes long.
    public static func read(descriptor: FileDescriptor, fileSize: UInt64) throws -> ELFImage {
        var prefix = [UInt8](repeating: 0, count: 4)
        let count = try prefix.withUnsafeMutableBytes { try descriptor.read(fromAbsoluteOffset: 0, into: $0) }
        try checkSize(prefix: prefix.prefix(count), fileSize: fileSize)
        return try withLibELF(elf_begin(descriptor.rawValue, ELF_C_READ, nil)) {
            try image(of: $0, fileSize: fileSize)
        }
    }

    /// Reads an i386 ELF held in memory (tests and fuzzing use this path).
    public static func read(bytes: [UInt8]) throws -> ELFImage {
        try checkSize(prefix: bytes.prefix(4), fileSize: UInt64(bytes.count))
        var copy = bytes  // libelf takes a mutable buffer, even to read
        return try copy.withUnsafeMutableBytes { buffer in
            try withLibELF(elf_memory(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)) {
                try image(of: $0, fileSize: UInt64(buffer.count))
            }
        }
    }

    /// Refuses a file too short for an ELF header before libelf sees it
    /// (libelf calls a short ELF merely "invalid").
    private static func checkSize(prefix: ArraySlice<UInt8>, fileSize: UInt64) throws {
        guard fileSize > 0 else { throw ELFError.empty }
        guard fileSize >= headerSize else {
            throw prefix.elementsEqual([0x7f, 0x45, 0x4c, 0x46].prefix(prefix.count)) && prefix.count == 4
                ? ELFError.truncatedHeader : ELFError.notELF
        }
    }

    private static func withLibELF<T>(_ open: @autoclosure () -> OpaquePointer?, _ body: (OpaquePointer) throws -> T) throws -> T {
        // libelf refuses every call until the application names its ELF version.
        guard elf_version(UInt32(EV_CURRENT)) != EV_NONE else { throw ELFError.libelf(lastLibELFError()) }
        guard let elf = open() else { throw ELFError.libelf(lastLibELFError()) }
        defer { elf_end(elf) }
        return try body(elf)
    }

    private static func image(of elf: OpaquePointer, fileSize: UInt64) throws -> ELFImage {
        guard elf_kind(elf) == ELF_K_ELF else { throw ELFError.notELF }
        var identSize = 0
        guard let ident = elf_getident(elf, &identSize), identSize >= Int(EI_NIDENT) else {
            throw ELFError.truncatedHeader
        }
        let elfClass = UInt8(bitPattern: ident[Int(EI_CLASS)])
        let byteOrder = UInt8(bitPattern: ident[Int(EI_DATA)])
        let identVersion = UInt8(bitPattern: ident[Int(EI_VERSION)])
        guard elfClass == ELFCLASS32 else { throw ELFError.wrongClass(elfClass) }
        guard byteOrder == ELFDATA2LSB else { throw ELFError.wrongByteOrder(byteOrder) }
        guard identVersion == EV_CURRENT else { throw ELFError.wrongVersion(UInt32(identVersion)) }
        guard let header = elf32_getehdr(elf)?.pointee else { throw ELFError.libelf(lastLibELFError()) }

        guard header.e_machine == EM_386 else { throw ELFError.wrongMachine(header.e_machine) }
        guard header.e_version == EV_CURRENT else { throw ELFError.wrongVersion(header.e_version) }
        guard let type = ELFImage.ObjectType(rawValue: header.e_type) else {
            throw ELFError.wrongType(header.e_type)
        }
        guard header.e_phentsize == programHeaderSize else {
            throw ELFError.badProgramHeaderSize(header.e_phentsize)
        }
        guard (1...maximumProgramHeaders).contains(header.e_phnum) else {
            throw ELFError.badProgramHeaderCount(header.e_phnum)
        }
        guard UInt64(header.e_phoff) + UInt64(header.e_phnum) * UInt64(programHeaderSize) <= fileSize,
            let table = elf32_getphdr(elf)
        else { throw ELFError.programHeadersOutsideFile }

        let programHeaders = (0..<Int(header.e_phnum)).map { index in
            let raw = table[index]
            return ProgramHeader(
                type: raw.p_type, flags: raw.p_flags, offset: raw.p_offset,
                virtualAddress: raw.p_vaddr, fileSize: raw.p_filesz,
                memorySize: raw.p_memsz, alignment: raw.p_align)
        }
        return ELFImage(
            type: type, entry: header.e_entry, programHeaderOffset: header.e_phoff,
            programHeaders: programHeaders, fileSize: fileSize)
    }

    private static func lastLibELFError() -> String {
        elf_errmsg(-1).map { String(cString: $0) } ?? "unknown libelf error"
    }
}
