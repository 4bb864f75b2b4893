// ELFFile.read(bytes:) and ELFImage.validate() on real ELF bytes.

import ELFTestSupport
import XCTest
@testable import ELFLoader

final class ELFValidationTests: XCTestCase {
    /// The default file with its program header `index` replaced.
    private func withHeader(_ index: Int, _ header: ProgramHeader, entry: UInt32? = nil) -> [UInt8] {
        CraftedELF {
            $0.programHeaders[index] = header
            if let entry { $0.entry = entry }
        }.bytes
    }

    private func withLoads(_ loads: [ProgramHeader], entry: UInt32, type: UInt16 = 2) -> [UInt8] {
        CraftedELF {
            $0.programHeaders = loads + [gnuStack]
            $0.entry = entry
            $0.type = type
        }.bytes
    }

    // MARK: The header

    func testValidExecutableIsReadExactly() throws {
        let image = try ELFFile.read(bytes: CraftedELF().bytes)
        XCTAssertNoThrow(try image.validate())
        XCTAssertEqual(image, ELFImage(
            type: .executable, entry: 0x0804_9000, programHeaderOffset: 52,
            programHeaders: [
                ProgramHeader(type: 1, flags: 4, offset: 0, virtualAddress: 0x0804_8000, fileSize: 0x100, memorySize: 0x100, alignment: 0x1000),
                ProgramHeader(type: 1, flags: 5, offset: 0x1000, virtualAddress: 0x0804_9000, fileSize: 0x100, memorySize: 0x100, alignment: 0x1000),
                ProgramHeader(type: 0x6474_e551, flags: 6, offset: 0, virtualAddress: 0, fileSize: 0, memorySize: 0, alignment: 16),
            ],
            fileSize: 0x1100))
        XCTAssertEqual(image.loadSegments.map(\.virtualAddress), [0x0804_8000, 0x0804_9000])
        XCTAssertNil(image.interpreterHeader)
    }

    func testSharedObjectIsRead() throws {
        let image = try ELFFile.read(bytes: withLoads(
            [segment(R | X, offset: 0, at: 0, file: 0x800)], entry: 0x100, type: 3))
        XCTAssertEqual(image.type, .sharedObject)
        XCTAssertNoThrow(try image.validate())
    }

    func testEmptyFile() {
        XCTAssertEqual(refusal([]), .empty)
        XCTAssertEqual(ELFError.empty.description, "empty file")
    }

    func testShortELFIsTruncated() {
        for size in [4, 16, 40, 51] {
            XCTAssertEqual(refusal(Array(CraftedELF().bytes.prefix(size))), .truncatedHeader, "\(size) bytes")
        }
        XCTAssertEqual(ELFError.truncatedHeader.description, "file too short for an ELF header")
    }

    func testShortNonELFBytes() {
        XCTAssertEqual(refusal([0x7f, 0x45, 0x4c]), .notELF)
        XCTAssertEqual(refusal([0x4d, 0x5a, 0x90, 0x00]), .notELF)
    }

    func testTextFile() {
        XCTAssertEqual(refusal(Array("#!/bin/sh\necho hello, world\n".utf8)), .notELF)
        XCTAssertEqual(ELFError.notELF.description, "not an ELF file")
    }

    func testELF64IsWrongClass() {
        let error = refusal(CraftedELF { $0.elfClass = 2 }.bytes)
        XCTAssertEqual(error, .wrongClass(2))
        XCTAssertEqual(error?.description, "64-bit ELF (ELFCLASS64); elf32-exec runs 32-bit i386 programs")
    }

    func testBigEndianIsWrongByteOrder() {
        let error = refusal(CraftedELF { $0.byteOrder = 2 }.bytes)
        XCTAssertEqual(error, .wrongByteOrder(2))
        XCTAssertEqual(error?.description, "big-endian ELF; i386 programs are little-endian")
    }

    func testWrongMachine() {
        for (machine, name) in [(UInt16(62), "x86-64"), (40, "ARM")] {
            let error = refusal(CraftedELF { $0.machine = machine }.bytes)
            XCTAssertEqual(error, .wrongMachine(machine))
            XCTAssertEqual(error?.description, "not an i386 program (machine \(name))")
        }
    }

    func testWrongHeaderVersion() {
        XCTAssertEqual(refusal(CraftedELF { $0.version = 0 }.bytes), .wrongVersion(0))
        XCTAssertEqual(refusal(CraftedELF { $0.version = 2 }.bytes), .wrongVersion(2))
        XCTAssertEqual(ELFError.wrongVersion(2).description, "unsupported ELF version 2")
    }

    /// libelf itself does not recognise an ELF whose e_ident[EI_VERSION] is not EV_CURRENT.
    func testWrongIdentVersionIsNotELF() {
        XCTAssertEqual(refusal(CraftedELF { $0.identVersion = 2 }.bytes), .notELF)
    }

    func testRelocatableAndCoreAreWrongType() {
        let relocatable = refusal(CraftedELF { $0.type = 1 }.bytes)
        XCTAssertEqual(relocatable, .wrongType(1))
        XCTAssertEqual(relocatable?.description, "not an executable (ELF type ET_REL, an object file)")
        let core = refusal(CraftedELF { $0.type = 4 }.bytes)
        XCTAssertEqual(core, .wrongType(4))
        XCTAssertEqual(core?.description, "not an executable (ELF type ET_CORE, a core dump)")
    }

    func testProgramHeaderEntrySize() {
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaderEntrySize = 56 }.bytes), .badProgramHeaderSize(56))
    }

    func testProgramHeaderCount() {
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaderCount = 0 }.bytes), .badProgramHeaderCount(0))
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaderCount = 200; $0.fileSize = 0x2000 }.bytes), .badProgramHeaderCount(200))
        XCTAssertEqual(ELFError.badProgramHeaderCount(200).description, "bad program header count 200 (expected 1 to 128)")
    }

    func testProgramHeadersOutsideFile() {
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaderOffset = 0x11f0 }.bytes), .programHeadersOutsideFile)
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaderOffset = 0xffff_fff0 }.bytes), .programHeadersOutsideFile)
    }

    // MARK: The program headers

    func testNoLoadableSegment() {
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaders = [gnuStack] }.bytes), .noLoadableSegment)
    }

    func testFileSizeBeyondMemorySize() {
        XCTAssertEqual(
            refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100, memory: 0x80))),
            .segment(1, "file size 0x100 exceeds memory size 0x80"))
    }

    func testFileRangeBeyondEndOfFile() {
        let error = refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x101)))
        XCTAssertEqual(error, .segment(1, "file range 0x1000+0x101 lies beyond the end of the file"))
        XCTAssertEqual(error?.description, "PT_LOAD segment 1: file range 0x1000+0x101 lies beyond the end of the file")
        XCTAssertEqual(
            refusal(withHeader(1, segment(R | X, offset: 0xffff_f000, at: 0x0804_9000, file: 0x2000))),
            .segment(1, "file range 0xfffff000+0x2000 lies beyond the end of the file"))
    }

    func testOffsetNotCongruentToAddress() {
        XCTAssertEqual(
            refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0x0804_9100, file: 0x100), entry: 0x0804_9110)),
            .segment(1, "offset 0x1000 and address 0x8049100 are not congruent modulo the page size"))
    }

    func testSegmentBeyondTopOfAddressSpace() {
        XCTAssertEqual(
            refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0xffff_d000, file: 0x100, memory: 0x1001), entry: 0xffff_d000)),
            .segment(1, "ends at 0xffffe001, beyond the 32-bit address space (0xffffe000)"))
        // Right up to the top is fine.
        XCTAssertNil(refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0xffff_d000, file: 0x100, memory: 0x1000), entry: 0xffff_d000)))
    }

    func testSegmentWrappingAround32Bits() {
        XCTAssertEqual(
            refusal(withHeader(1, segment(R | X, offset: 0x1000, at: 0xffff_f000, file: 0x100, memory: 0x2000), entry: 0xffff_f000)),
            .segment(1, "ends at 0x100001000, beyond the 32-bit address space (0xffffe000)"))
    }

    func testExecutableBelowLowestAddress() {
        XCTAssertEqual(
            refusal(withLoads([segment(R | X, offset: 0, at: 0x8000, file: 0x800)], entry: 0x8100)),
            .segment(0, "address 0x8000 is below the lowest mappable address 0x10000"))
        // A shared object is placed by the loader: its addresses start at 0.
        XCTAssertNil(refusal(withLoads([segment(R | X, offset: 0, at: 0, file: 0x800)], entry: 0x100, type: 3)))
    }

    func testOverlappingSegments() {
        XCTAssertEqual(
            refusal(withHeader(0, segment(R, offset: 0, at: 0x0804_8000, file: 0x100, memory: 0x1001))),
            .segment(1, "overlaps the previous segment or is out of address order"))
    }

    func testSegmentsOutOfOrder() {
        let loads = [
            segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100),
            segment(R, offset: 0, at: 0x0804_8000, file: 0x100),
        ]
        XCTAssertEqual(refusal(withLoads(loads, entry: 0x0804_9010)),
                       .segment(1, "overlaps the previous segment or is out of address order"))
    }

    func testEntryOutsideEveryExecutableSegment() {
        let error = refusal(CraftedELF { $0.entry = 0x0900_0000 }.bytes)
        XCTAssertEqual(error, .entryNotExecutable(0x0900_0000))
        XCTAssertEqual(error?.description, "entry point 0x9000000 is outside every executable segment")
        // One past the end of the executable segment.
        XCTAssertEqual(refusal(CraftedELF { $0.entry = 0x0804_9100 }.bytes), .entryNotExecutable(0x0804_9100))
    }

    func testEntryInReadableSegmentNeedsReadImpliesExec() {
        // 0x8048010 lies in the R segment only.
        XCTAssertEqual(refusal(CraftedELF { $0.entry = 0x0804_8010 }.bytes), .entryNotExecutable(0x0804_8010))
        XCTAssertNil(refusal(CraftedELF {
            $0.entry = 0x0804_8010
            $0.programHeaders.removeLast()  // no PT_GNU_STACK: READ_IMPLIES_EXEC
        }.bytes))
    }

    func testInterpreterPathOutsideFile() {
        let interpreter = segment(R, offset: 0x11f0, at: 0x0804_81f0, file: 0x13, type: ProgramHeader.interpreter)
        XCTAssertEqual(refusal(CraftedELF { $0.programHeaders.append(interpreter) }.bytes), .interpreterPathOutsideFile)
        var inside = interpreter
        inside.offset = 0xf0
        XCTAssertNil(refusal(CraftedELF { $0.programHeaders.append(inside) }.bytes))
        for length: UInt32 in [0, 1, 4097] {
            inside.fileSize = length
            XCTAssertEqual(refusal(CraftedELF { $0.programHeaders.append(inside); $0.fileSize = 0x2000 }.bytes),
                           .interpreterPathLength(length))
        }
    }

    // MARK: The stack policy

    func testStackPolicy() throws {
        func policy(_ headers: [ProgramHeader]) throws -> ELFImage.StackPolicy {
            try ELFFile.read(bytes: CraftedELF { $0.programHeaders = headers }.bytes).stackPolicy
        }
        let load = segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100)
        var executableStack = gnuStack
        executableStack.flags = R | W | X
        XCTAssertEqual(try policy([load, gnuStack]), .nonExecutable)
        XCTAssertEqual(try policy([load, executableStack]), .executable)
        XCTAssertEqual(try policy([load]), .readImpliesExec)
    }
}
