// Every malformed input refused cleanly, end to end through elf32-exec: one
// line `elf32-exec: PATH: reason` on standard error, nothing on standard
// output, exit 126 (127 for a missing file), and never a signal. The unit
// tests (ELFValidationTests) check the same refusals on bytes; these check
// that the real binary reads the file, refuses it before mapping a byte it
// would jump to, and says so in the same words.
//
// Covered in CommandTests and not repeated here: a missing file, a directory,
// no execute permission, a FIFO, an empty file, a text file, /bin/true (ELF64).

import ELFTestSupport
import Foundation
import XCTest

final class MalformedInputTests: XCTestCase {
    // MARK: The ELF header

    func testShorterThanAnELFHeader() throws {
        let valid = CraftedELF().bytes
        try assertRefused(Array(valid.prefix(40)), "file too short for an ELF header")
        try assertRefused(Array(valid.prefix(4)), "file too short for an ELF header")
        try assertRefused(Array(valid.prefix(51)), "file too short for an ELF header")
        // Too short to tell: not even the magic.
        try assertRefused(Array(valid.prefix(3)), "not an ELF file")
    }

    func testNotELF() throws {
        try assertRefused([UInt8](repeating: 0, count: 100), "not an ELF file")
        try assertRefused([0x4d, 0x5a, 0x90, 0x00] + [UInt8](repeating: 0, count: 60), "not an ELF file")  // "MZ": a PE file
    }

    func testELF64() throws {
        try assertRefused(CraftedELF { $0.elfClass = 2 }.bytes, "64-bit ELF (ELFCLASS64); elf32-exec runs 32-bit i386 programs")
        // An ELF64 header cut short of Elf64_Ehdr (64 bytes): libelf does not
        // recognise it, so it is merely "not an ELF file".
        try assertRefused(Array(CraftedELF { $0.elfClass = 2 }.bytes.prefix(52)), "not an ELF file")
    }

    func testInvalidClass() throws {
        try assertRefused(CraftedELF { $0.elfClass = 0 }.bytes, "not an ELF file")
        try assertRefused(CraftedELF { $0.elfClass = 3 }.bytes, "not an ELF file")
    }

    func testBigEndian() throws {
        try assertRefused(CraftedELF { $0.byteOrder = 2 }.bytes, "big-endian ELF; i386 programs are little-endian")
    }

    func testWrongMachine() throws {
        try assertRefused(CraftedELF { $0.machine = 62 }.bytes, "not an i386 program (machine x86-64)")
        try assertRefused(CraftedELF { $0.machine = 40 }.bytes, "not an i386 program (machine ARM)")
        try assertRefused(CraftedELF { $0.machine = 183 }.bytes, "not an i386 program (machine AArch64)")
        try assertRefused(CraftedELF { $0.machine = 6 }.bytes, "not an i386 program (machine 6)")  // EM_486, never used
    }

    func testWrongVersion() throws {
        try assertRefused(CraftedELF { $0.version = 0 }.bytes, "unsupported ELF version 0")
        try assertRefused(CraftedELF { $0.version = 2 }.bytes, "unsupported ELF version 2")
        // e_ident[EI_VERSION] other than EV_CURRENT: libelf does not recognise the file.
        try assertRefused(CraftedELF { $0.identVersion = 2 }.bytes, "not an ELF file")
    }

    func testWrongType() throws {
        try assertRefused(CraftedELF { $0.type = 0 }.bytes, "not an executable (ELF type ET_NONE)")
        try assertRefused(CraftedELF { $0.type = 1 }.bytes, "not an executable (ELF type ET_REL, an object file)")
        try assertRefused(CraftedELF { $0.type = 4 }.bytes, "not an executable (ELF type ET_CORE, a core dump)")
    }

    func testProgramHeaderEntrySize() throws {
        try assertRefused(CraftedELF { $0.programHeaderEntrySize = 56 }.bytes, "bad program header size 56 (expected 32)")
        try assertRefused(CraftedELF { $0.programHeaderEntrySize = 0 }.bytes, "bad program header size 0 (expected 32)")
    }

    func testProgramHeaderCount() throws {
        try assertRefused(CraftedELF { $0.programHeaderCount = 0 }.bytes, "bad program header count 0 (expected 1 to 128)")
        try assertRefused(CraftedELF { $0.programHeaderCount = 129; $0.fileSize = 0x2000 }.bytes, "bad program header count 129 (expected 1 to 128)")
        try assertRefused(CraftedELF { $0.programHeaderCount = 0xffff }.bytes, "bad program header count 65535 (expected 1 to 128)")
    }

    func testProgramHeadersOutsideFile() throws {
        let outside = "program headers lie outside the file"
        try assertRefused(CraftedELF { $0.programHeaderOffset = 0x2000 }.bytes, outside)
        // The table starts inside the file and runs past its end.
        try assertRefused(CraftedELF { $0.programHeaderOffset = UInt32($0.fileSize) - 40 }.bytes, outside)
        // e_phoff + e_phnum * 32 wraps around 32 bits.
        try assertRefused(CraftedELF { $0.programHeaderOffset = 0xffff_fff0 }.bytes, outside)
    }

    // MARK: The program headers

    func testFileSizeExceedsMemorySize() throws {
        try assertRefused(
            CraftedELF { $0.segments[1] = .load(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100, memory: 0x80) }.bytes,
            "PT_LOAD segment 1: file size 0x100 exceeds memory size 0x80")
    }

    func testOffsetBeyondFile() throws {
        try assertRefused(
            CraftedELF { $0.segments[1] = .load(R | X, offset: 0x3000, at: 0x0804_9000, file: 0x100) }.bytes,
            "PT_LOAD segment 1: file range 0x3000+0x100 lies beyond the end of the file")
        try assertRefused(
            CraftedELF { $0.segments[1] = .load(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x101) }.bytes,
            "PT_LOAD segment 1: file range 0x1000+0x101 lies beyond the end of the file")
        // p_offset + p_filesz wraps around 32 bits.
        try assertRefused(
            CraftedELF { $0.segments[1] = .load(R | X, offset: 0xffff_f000, at: 0x0804_9000, file: 0x2000) }.bytes,
            "PT_LOAD segment 1: file range 0xfffff000+0x2000 lies beyond the end of the file")
    }

    func testSegmentWrapsAround32Bits() throws {
        try assertRefused(
            CraftedELF {
                $0.segments[1] = .load(R | X, offset: 0x1000, at: 0xffff_f000, file: 0x100, memory: 0x2000)
                $0.entry = 0xffff_f000
            }.bytes,
            "PT_LOAD segment 1: ends at 0x100001000, beyond the 32-bit address space (0xffffe000)")
    }

    func testSegmentReaches4GiB() throws {
        try assertRefused(
            CraftedELF {
                $0.segments[1] = .load(R | X, offset: 0x1000, at: 0xffff_d000, file: 0x100, memory: 0x3000)
                $0.entry = 0xffff_d000
            }.bytes,
            "PT_LOAD segment 1: ends at 0x100000000, beyond the 32-bit address space (0xffffe000)")
        // One byte into the page the compat TASK_SIZE excludes.
        try assertRefused(
            CraftedELF {
                $0.segments[1] = .load(R | X, offset: 0x1000, at: 0xffff_d000, file: 0x100, memory: 0x1001)
                $0.entry = 0xffff_d000
            }.bytes,
            "PT_LOAD segment 1: ends at 0xffffe001, beyond the 32-bit address space (0xffffe000)")
    }

    func testBelowMmapMinAddr() throws {
        try assertRefused(
            CraftedELF {
                $0.segments = [.load(R | X, offset: 0x1000, at: 0x8000, file: 0x100), .gnuStack]
                $0.entry = 0x8000
            }.bytes,
            "PT_LOAD segment 0: address 0x8000 is below the lowest mappable address 0x10000")
    }

    func testOverlappingSegments() throws {
        try assertRefused(
            CraftedELF { $0.segments[0] = .load(R, offset: 0, at: 0x0804_8000, file: 0x100, memory: 0x1001) }.bytes,
            "PT_LOAD segment 1: overlaps the previous segment or is out of address order")
        // Out of address order.
        try assertRefused(
            CraftedELF { $0.segments.swapAt(0, 1) }.bytes,
            "PT_LOAD segment 1: overlaps the previous segment or is out of address order")
    }

    func testMisalignedOffsetAndAddress() throws {
        try assertRefused(
            CraftedELF {
                $0.segments[1] = .load(R | X, offset: 0x1000, at: 0x0804_9100, file: 0x100)
                $0.entry = 0x0804_9100
            }.bytes,
            "PT_LOAD segment 1: offset 0x1000 and address 0x8049100 are not congruent modulo the page size")
    }

    func testNoLoadableSegment() throws {
        try assertRefused(CraftedELF { $0.segments = [.gnuStack] }.bytes, "no loadable segment (PT_LOAD)")
    }

    func testEntryOutsideEveryExecutableSegment() throws {
        try assertRefused(CraftedELF { $0.entry = 0x0900_0000 }.bytes, "entry point 0x9000000 is outside every executable segment")
        // In the read-only segment: not executable with a PT_GNU_STACK.
        try assertRefused(CraftedELF { $0.entry = 0x0804_8010 }.bytes, "entry point 0x8048010 is outside every executable segment")
        // One past the end of the executable segment.
        try assertRefused(CraftedELF { $0.entry = 0x0804_9100 }.bytes, "entry point 0x8049100 is outside every executable segment")
    }

    // MARK: The interpreter path

    func testInterpreterPathNotTerminated() throws {
        try assertRefused(
            CraftedELF { $0.interpreter(Array("/lib/ld-linux.so.2".utf8)) }.bytes,
            "interpreter path (PT_INTERP) is not NUL-terminated")
    }

    func testInterpreterPathAbsurdlyLong() throws {
        try assertRefused(
            CraftedELF {
                $0.fileSize = 0x4000
                $0.segments.append(.interpreter(offset: 0x1100, at: 0x0804_9100, size: 5000))
            }.bytes,
            "interpreter path (PT_INTERP) is 5000 bytes long (expected 2 to 4096)")
        // 4097 bytes: one more than PATH_MAX, NUL included.
        try assertRefused(
            CraftedELF {
                $0.fileSize = 0x3000
                $0.segments.append(.interpreter(offset: 0x1100, at: 0x0804_9100, size: 4097))
                $0.patches.append((0x1100, [UInt8](repeating: UInt8(ascii: "a"), count: 4096) + [0]))
            }.bytes,
            "interpreter path (PT_INTERP) is 4097 bytes long (expected 2 to 4096)")
    }

    func testInterpreterPathTooShort() throws {
        try assertRefused(
            CraftedELF { $0.interpreter([0]) }.bytes,
            "interpreter path (PT_INTERP) is 1 byte long (expected 2 to 4096)")
    }

    func testInterpreterPathOutsideFile() throws {
        try assertRefused(
            CraftedELF { $0.segments.append(.interpreter(offset: 0x10f0, at: 0x0804_90f0, size: 0x20)) }.bytes,
            "interpreter path (PT_INTERP) lies outside the file")
    }

    /// An empty path ("\0\0"): no such file, as the kernel's open_exec("") says.
    func testInterpreterPathEmpty() throws {
        try assertRefused(CraftedELF { $0.interpreter([0, 0]) }.bytes, "interpreter (empty path): No such file or directory", status: 127)
    }

    /// A NUL before the last byte ends the path, as in the kernel.
    func testInterpreterPathEndsAtFirstNUL() throws {
        try assertRefused(CraftedELF { $0.interpreter(Array("/dev/null\0/lib/ld-linux.so.2\0".utf8)) }.bytes,
                          "interpreter /dev/null: not a regular file")
    }

    func testInterpreterIsADirectory() throws {
        try assertRefused(CraftedELF { $0.interpreter(Array("/tmp\0".utf8)) }.bytes, "interpreter /tmp: Is a directory")
    }

    func testInterpreterIsMalformed() throws {
        let interpreter = try write(CraftedELF { $0.machine = 40; $0.type = 3 }.bytes, name: "ld-arm.so")
        try assertRefused(
            CraftedELF { $0.interpreter(Array(interpreter.path.utf8) + [0]) }.bytes,
            "interpreter \(interpreter.path): not an i386 program (machine ARM)")
        let empty = try write([], name: "ld-empty.so")
        try assertRefused(CraftedELF { $0.interpreter(Array(empty.path.utf8) + [0]) }.bytes, "interpreter \(empty.path): empty file")
    }

    // MARK: Not a regular file

    func testCharacterDevice() throws {
        try assertRefused(path: "/dev/null", "not a regular file")
        try assertRefused(path: "/dev/zero", "not a regular file")
    }

    func testBlockDevice() throws {
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        let block = devices.sorted().map { "/dev/\($0)" }.first { path in
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFBLK && access(path, R_OK) == 0
        }
        guard let block else { throw XCTSkip("no readable block device in /dev") }
        try assertRefused(path: block, "not a regular file")
    }

    // MARK: Refused only when mapped: clean, nothing run

    /// A program in the middle of the 32-bit space (0x70000000): nothing of
    /// elf32-exec is below 4 GiB, so it runs as natively.
    func testSegmentInTheMiddleOfTheAddressSpace() throws {
        try assertSameAsNative(
            CraftedELF {
                $0.segments = [.load(R, offset: 0, at: 0x7000_0000, file: 0x100), .load(R | X, offset: 0x1000, at: 0x7000_1000, file: 0x100), .gnuStack]
                $0.entry = 0x7000_1000
            }.bytes, expected: .exited(42))
    }

    /// A static PIE spanning 3.75 GiB: with nothing of the loader below
    /// 4 GiB it fits where a native exec puts it.
    func testStaticPIEAsLargeAsTheAddressSpaceAllows() throws {
        try assertSameAsNative(
            CraftedELF {
                $0.type = 3
                $0.segments = [.load(R, offset: 0, at: 0, file: 0x100), .load(R | X, offset: 0x1000, at: 0x1000, file: 0x100, memory: 0xf000_0000), .gnuStack]
                $0.entry = 0x1000
            }.bytes, expected: .exited(42))
    }

    /// A PIE whose bss carries it past the top of the 32-bit space from
    /// ELF_ET_DYN_BASE (natively the exec fails past its point of no return:
    /// SIGSEGV). Without randomization (setarch -R) the place is fixed.
    func testPIETooLargeForTheAddressSpace() throws {
        let interpreter = try write(Self.exit42Interpreter, name: "interp42")
        let program = try write(CraftedELF {
            $0.type = 3
            $0.segments = [.load(R, offset: 0, at: 0, file: 0x100), .load(R | X, offset: 0x1000, at: 0x1000, file: 0x100, memory: 0xb000_0000), .gnuStack]
            $0.entry = 0x1000
            $0.interpreter(Array(interpreter.path.utf8) + [0])
        }.bytes)
        let setarch = URL(fileURLWithPath: "/usr/bin/setarch")
        guard FileManager.default.isExecutableFile(atPath: setarch.path) else { throw XCTSkip("no setarch") }
        let result = try Harness.run(setarch, ["x86_64", "-R", Harness.loader.path, program.path])
        XCTAssertEqual(result.ending, .exited(126), result.description)
        XCTAssertEqual(result.stderr, "elf32-exec: \(program.path): placed at 0x56555000-0x106556000, the image does not fit in the 32-bit address space\n")
        XCTAssertEqual(result.stdout, "")
    }

    // MARK: Unusual but valid: run as natively, the loader never dies by a signal

    /// The crafted file itself is sound: with nothing broken it runs (exit 42), natively too.
    func testCraftedProgramRuns() throws {
        try assertSameAsNative(CraftedELF().bytes, expected: .exited(42))
        try assertSameAsNative(CraftedELF {
            $0.type = 3
            $0.segments = [.load(R, offset: 0, at: 0, file: 0x100), .load(R | X, offset: 0x1000, at: 0x1000, file: 0x100), .gnuStack]
            $0.entry = 0x1000
        }.bytes, expected: .exited(42))
    }

    /// A PIE with an interpreter linked above ELF_ET_DYN_BASE (0x56555000): the
    /// kernel's load bias wraps below zero and the image lands at ELF_ET_DYN_BASE.
    func testPIELinkedAboveDynamicBase() throws {
        let interpreter = try write(Self.exit42Interpreter, name: "interp42")
        for base: UInt32 in [0x5665_6000, 0x8000_0000] {
            try assertSameAsNative(CraftedELF {
                $0.type = 3
                $0.segments = [.load(R, offset: 0, at: base, file: 0x100), .load(R | X, offset: 0x1000, at: base + 0x1000, file: 0x100), .gnuStack]
                $0.entry = base + 0x1000
                $0.interpreter(Array(interpreter.path.utf8) + [0])
            }.bytes, expected: .exited(42))
        }
    }

    /// A static PIE linked high: the kernel puts it where its compat mmap
    /// chooses, below its link address.
    func testStaticPIELinkedHigh() throws {
        try assertSameAsNative(CraftedELF {
            $0.type = 3
            $0.segments = [.load(R, offset: 0, at: 0xfff0_0000, file: 0x100), .load(R | X, offset: 0x1000, at: 0xfff0_1000, file: 0x100), .gnuStack]
            $0.entry = 0xfff0_1000
        }.bytes, expected: .exited(42))
    }

    // MARK: Helpers

    /// An interpreter (ET_DYN, no PT_INTERP) that exits 42 at once.
    static let exit42Interpreter = CraftedELF {
        $0.type = 3
        $0.segments = [.load(R, offset: 0, at: 0, file: 0x100), .load(R | X, offset: 0x1000, at: 0x1000, file: 0x100), .gnuStack]
        $0.entry = 0x1000
    }.bytes

    private lazy var directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-malformed-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }()

    private var fileCount = 0

    /// Writes `bytes` to a new file of mode 0755 in this test's directory.
    private func write(_ bytes: [UInt8], name: String? = nil) throws -> URL {
        fileCount += 1
        let url = directory.appendingPathComponent(name ?? "input-\(fileCount)")
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    private func assertRefused(_ bytes: [UInt8], _ reason: String, status: Int32 = 126, file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRefused(path: try write(bytes).path, reason, status: status, file: file, line: line)
    }

    private func assertRefused(path: String, _ reason: String, status: Int32 = 126, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Harness.run(Harness.loader, [path])
        XCTAssertEqual(result.ending, .exited(status), "\(path): \(result)", file: file, line: line)
        XCTAssertEqual(result.stderr, "elf32-exec: \(path): \(reason)\n", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    /// Runs `bytes` natively (when this kernel can) and under elf32-exec: both must end as `expected`.
    private func assertSameAsNative(_ bytes: [UInt8], expected: RunResult.Ending, file: StaticString = #filePath, line: UInt = #line) throws {
        let program = try write(bytes)
        if case .success = Harness.nativeRunner {
            let native = try Harness.run(program, [])
            XCTAssertEqual(native.ending, expected, "natively: \(native)", file: file, line: line)
        }
        let loaded = try Harness.run(Harness.loader, [program.path])
        XCTAssertEqual(loaded, RunResult(ending: expected, stdout: "", stderr: ""), "under elf32-exec", file: file, line: line)
    }
}

private let R = CraftedELF.R, W = CraftedELF.W, X = CraftedELF.X
