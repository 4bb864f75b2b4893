// MemoryMap: /proc/self/maps text to ranges and names.

import XCTest
@testable import ELFLoader

final class ProcSelfMapsTests: XCTestCase {
    func testParse() {
        let text = """
            08048000-08049000 r--p 00000000 08:01 1234                               /usr/bin/prog
            7f0000000000-7f0000021000 rw-p 00000000 00:00 0 
            7f1000000000-7f1000001000 r--p 00001000 08:01 99                         /tmp/dir with spaces/lib  x.so
            7f2000000000-7f2000001000 rw-p 00000000 00:00 0
            not a mapping
            7ffd1234c000-7ffd1234e000 r--p 00000000 00:00 0                          [vvar]
            7ffd1234e000-7ffd12350000 r-xp 00000000 00:00 0                          [vdso]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]

            """
        XCTAssertEqual(ProcSelfMaps.parse(Array(text.utf8)), [
            MappingEntry(range: 0x0804_8000..<0x0804_9000, name: Array("/usr/bin/prog".utf8)),
            MappingEntry(range: 0x7f00_0000_0000..<0x7f00_0002_1000, name: Array("".utf8)),
            MappingEntry(range: 0x7f10_0000_0000..<0x7f10_0000_1000, name: Array("/tmp/dir with spaces/lib  x.so".utf8)),
            MappingEntry(range: 0x7f20_0000_0000..<0x7f20_0000_1000, name: Array("".utf8)),
            MappingEntry(range: 0x7ffd_1234_c000..<0x7ffd_1234_e000, name: Array("[vvar]".utf8)),
            MappingEntry(range: 0x7ffd_1234_e000..<0x7ffd_1235_0000, name: Array("[vdso]".utf8)),
            MappingEntry(range: 0xffff_ffff_ff60_0000..<0xffff_ffff_ff60_1000, name: Array("[vsyscall]".utf8)),
        ])
        XCTAssertEqual(ProcSelfMaps.parse([]), [])
    }

    func testTheVDSOBlockIsTheCodeAndTheDataRightBelowIt() {
        // [vvar], [vvar_vclock], [vdso] as 6.18 lays them out.
        let block = [
            MappingEntry(range: 0x7000_0000..<0x7000_1000, name: Array("".utf8)),
            MappingEntry(range: 0x7000_2000..<0x7000_6000, name: Array("[vvar]".utf8)),
            MappingEntry(range: 0x7000_6000..<0x7000_8000, name: Array("[vvar_vclock]".utf8)),
            MappingEntry(range: 0x7000_8000..<0x7000_a000, name: Array("[vdso]".utf8)),
            MappingEntry(range: 0x7000_a000..<0x7000_b000, name: Array("[stack]".utf8)),
        ]
        XCTAssertEqual(
            ProcSelfMaps.loaderVDSO(in: block, code: 0x7000_8000),
            LoaderVDSO(dataStart: 0x7000_2000, code: 0x7000_8000..<0x7000_a000))
        // Data pages that do not touch the code, or another mapping between,
        // are not part of the block.
        let apart = [block[1], block[3]]
        XCTAssertEqual(ProcSelfMaps.loaderVDSO(in: apart, code: 0x7000_8000)?.dataStart, 0x7000_8000)
        let between = [block[1], MappingEntry(range: 0x7000_6000..<0x7000_8000, name: Array("/lib/x.so".utf8)), block[3]]
        XCTAssertEqual(ProcSelfMaps.loaderVDSO(in: between, code: 0x7000_8000)?.dataSize, 0)
        // No [vdso] at the address: no block.
        XCTAssertNil(ProcSelfMaps.loaderVDSO(in: block, code: 0x7000_2000))
        XCTAssertNil(ProcSelfMaps.loaderVDSO(in: [], code: 0x7000_8000))
    }

    func testThisProcessHasItsStackAndItsVDSOBlock() throws {
        let maps = try FileDescriptor.open(Array("/proc/self/maps".utf8), O_RDONLY)
        defer { maps.close() }
        let entries = ProcSelfMaps.parse(try maps.readToEnd(limit: 1 << 20) { _ in false })
        let stacks = entries.filter { $0.named("[stack]") }
        XCTAssertEqual(stacks.count, 1)
        XCTAssertFalse(stacks.first?.range.isEmpty ?? true)
        // In address order, never overlapping.
        for (lower, upper) in zip(entries, entries.dropFirst()) {
            XCTAssertLessThanOrEqual(lower.range.upperBound, upper.range.lowerBound)
        }
        // The argv strings the kernel put on the stack lie inside it.
        let argv0 = UInt64(UInt(bitPattern: CommandLine.unsafeArgv[0]))
        XCTAssertTrue(stacks.first?.range.contains(argv0) ?? false)

        // The vDSO block, found by PROCMAP_QUERY where the kernel has it, is
        // the one the text shows: the [vdso] code, data pages below.
        let code = try XCTUnwrap(entries.first { $0.named("[vdso]") }).range.lowerBound
        let queried = try XCTUnwrap(try ProcSelfMaps.loaderVDSO(code: code))
        XCTAssertEqual(queried, ProcSelfMaps.loaderVDSO(in: entries, code: code))
        XCTAssertEqual(queried.code.lowerBound, code)
        XCTAssertGreaterThan(queried.dataSize, 0)
        XCTAssertNil(try ProcSelfMaps.loaderVDSO(code: 0))
    }
}
