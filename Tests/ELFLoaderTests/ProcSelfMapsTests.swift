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

    func testCurrentHasTheStackAndTheVDSO() throws {
        let entries = try ProcSelfMaps.read()
        XCTAssertTrue(entries.contains { $0.named("[vdso]") })
        XCTAssertTrue(entries.contains { $0.nameStarts(with: "[vvar") })
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
    }
}
