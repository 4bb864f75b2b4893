// Shared helpers: a builder of minimal i386 ELF32 files in memory, and a
// reader of the initial stack's words and strings.

import ELFTestSupport
import XCTest
@testable import ELFLoader

let R = ProgramHeader.readable, W = ProgramHeader.writable, X = ProgramHeader.executable

/// A PT_LOAD header (or another `type`), in the order readelf prints the fields.
func segment(
    _ flags: UInt32, offset: UInt32, at address: UInt32, file: UInt32, memory: UInt32? = nil,
    type: UInt32 = ProgramHeader.load
) -> ProgramHeader {
    ProgramHeader(
        type: type, flags: flags, offset: offset, virtualAddress: address,
        fileSize: file, memorySize: memory ?? file)
}

let gnuStack = segment(R | W, offset: 0, at: 0, file: 0, type: ProgramHeader.gnuStack)

/// A minimal i386 ELF32 file: Elf32_Ehdr, the program headers at e_phoff,
/// zero padding up to `fileSize`. The defaults make a valid static ET_EXEC.
struct ELFBuilder {
    var elfClass: UInt8 = 1  // ELFCLASS32
    var byteOrder: UInt8 = 1  // ELFDATA2LSB
    var identVersion: UInt8 = 1
    var version: UInt32 = 1  // e_version
    var machine: UInt16 = 3  // EM_386
    var type: UInt16 = 2  // ET_EXEC
    var entry: UInt32 = 0x0804_9010
    var programHeaderEntrySize: UInt16 = 32
    var programHeaderCount: UInt16?  // nil: programHeaders.count
    var programHeaderOffset: UInt32 = 52
    var programHeaders: [ProgramHeader] = [
        segment(R, offset: 0, at: 0x0804_8000, file: 0x100),
        segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x200),
        gnuStack,
    ]
    var fileSize = 0x1200

    var bytes: [UInt8] {
        elf32File(
            elfClass: elfClass, byteOrder: byteOrder, identVersion: identVersion, type: type, machine: machine,
            version: version, entry: entry, programHeaderOffset: programHeaderOffset,
            programHeaderEntrySize: programHeaderEntrySize,
            programHeaderCount: programHeaderCount ?? UInt16(programHeaders.count),
            programHeaders: programHeaders.map {
                [$0.type, $0.offset, $0.virtualAddress, $0.virtualAddress, $0.fileSize, $0.memorySize, $0.flags, $0.alignment]
            },
            fileSize: fileSize)
    }

    /// The default file with `change` applied.
    static func valid(_ change: (inout ELFBuilder) -> Void = { _ in }) -> ELFBuilder {
        var builder = ELFBuilder()
        change(&builder)
        return builder
    }
}

/// Reads `ELFFile.read(bytes:)` then `validate()`; returns the ELFError thrown, nil if none.
func refusal(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> ELFError? {
    do {
        try ELFFile.read(bytes: bytes).validate()
        return nil
    } catch .invalidELF(let reason) {
        return reason
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
        return nil
    }
}

/// Reads the initial stack as the program would: words and C strings by address.
struct StackReader {
    let stack: InitialStack

    func offset(_ address: UInt32) -> Int { Int(address - stack.stackPointer) }

    func word(at address: UInt32) -> UInt32 {
        let start = offset(address)
        return stack.bytes[start..<start + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    func words(from address: UInt32, count: Int) -> [UInt32] {
        (0..<count).map { word(at: address + UInt32(4 * $0)) }
    }

    /// The bytes from `address` up to (not including) the next NUL.
    func string(at address: UInt32) -> [UInt8] {
        Array(stack.bytes[offset(address)...].prefix { $0 != 0 })
    }

    func bytes(_ range: Range<UInt32>) -> [UInt8] {
        Array(stack.bytes[offset(range.lowerBound)..<offset(range.upperBound)])
    }
}
