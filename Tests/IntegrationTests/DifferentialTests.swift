// Every testdata program, built three ways (static, dynamic with ld-linux.so.2,
// static-pie), natively and under elf32-exec: same output, same ending.

import Foundation
import XCTest

final class ProgramTests: XCTestCase {
    static let variants = ["static", "dynamic", "static-pie"]

    /// Runs `check` once per build variant.
    func forEachVariant(_ check: (String) throws -> Void) rethrows {
        for variant in Self.variants { try check(variant) }
    }

    func testArgumentsAndEnvironment() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative(
                "args_env", ["hello world", "", "quote\"back\\slash", "tab\there", "ünï", "--verbose"], variant: variant)
        }
    }

    func testExitStatus() throws {
        try forEachVariant { variant in
            for arguments in [["0"], ["42"], ["255"], ["3", "_exit"], ["256"]] {
                try Harness.assertSameAsNative("exit_status", arguments, variant: variant)
            }
        }
    }

    func testAuxiliaryVectorAndInitialStack() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("auxv", ["a", "b c"], variant: variant)
        }
    }

    /// No dynamic build: ld.so, not the kernel, would set the registers `_start` sees.
    func testEntryRegisters() throws {
        for variant in ["static", "static-pie"] {
            try Harness.assertSameAsNative("entry_regs", ["a", "b"], variant: variant)
        }
    }

    /// ET_EXEC only (no PIE build): linked with -Ttext-segment=0x70000000.
    func testHighTextSegment() throws {
        for variant in ["static", "dynamic"] {
            try Harness.assertSameAsNative("high_text", variant: variant)
        }
    }

    /// ET_EXEC only: laid out like wine-preloader (PT_LOADs at 0x08048000 and
    /// 0x7d400000), claiming parts of the gap with MAP_FIXED_NOREPLACE.
    func testSplitSegments() throws {
        for variant in ["static", "dynamic"] {
            try Harness.assertSameAsNative("split_segments", variant: variant)
        }
    }

    func testSignals() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("signals", variant: variant)
        }
    }

    func testThreads() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("threads", variant: variant)
        }
    }

    func testForkVforkSpawnExec() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("processes", variant: variant)
        }
    }

    func testFilesAndDirectories() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("files", [FileManager.default.temporaryDirectory.path], variant: variant)
        }
    }

    func testEpollAndSocketpair() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("epoll_socketpair", variant: variant)
        }
    }

    func testFPUState() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("fpu", variant: variant)
        }
    }

    func testAbort() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("abort", variant: variant)
        }
    }

    func testExecHygiene() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("hygiene", variant: variant)
        }
    }

    func testBrkAndStack() throws {
        try forEachVariant { variant in
            try Harness.assertSameAsNative("brk_stack", variant: variant)
        }
    }

    /// With int $0x80 only, every program behaves the same; just the vDSO is gone.
    func testWithoutVDSO() throws {
        for name in ["signals", "threads", "processes", "fpu", "hygiene"] {
            try Harness.assertSameAsNative(name, variant: "static", options: ["--no-vdso"])
        }
        let result = try Harness.runUnderLoader(try Harness.program("auxv"), [], options: ["--no-vdso"])
        XCTAssertEqual(result.ending, .exited(0), result.description)
        XCTAssertFalse(result.stdout.contains("AT_SYSINFO"), result.stdout)
    }
}
