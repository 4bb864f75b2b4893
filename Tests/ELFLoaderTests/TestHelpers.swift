// Shared helpers: program headers for the loader's types and for CraftedELF,
// and a reader of the initial stack's words and strings.

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

extension CraftedELF {
    /// The file's segments as the loader reads them.
    var programHeaders: [ProgramHeader] {
        get {
            segments.map {
                ProgramHeader(
                    type: $0.type, flags: $0.flags, offset: $0.offset, virtualAddress: $0.address,
                    fileSize: $0.fileSize, memorySize: $0.memorySize, alignment: $0.alignment)
            }
        }
        set {
            segments = newValue.map {
                Segment(
                    type: $0.type, flags: $0.flags, offset: $0.offset, address: $0.virtualAddress,
                    fileSize: $0.fileSize, memorySize: $0.memorySize, alignment: $0.alignment)
            }
        }
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
        return UInt32(I386.littleEndian(stack.bytes[start..<start + 4]))
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
