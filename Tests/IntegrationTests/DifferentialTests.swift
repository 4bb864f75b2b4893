// Every testdata program, natively and under elf32-exec: same output, same ending.

import Foundation
import XCTest

final class StaticProgramTests: XCTestCase {
    let variant = "static"

    func testArgumentsAndEnvironment() throws {
        try Harness.assertSameAsNative(
            "args_env", ["hello world", "", "quote\"back\\slash", "tab\there", "ünï", "--verbose"], variant: variant)
    }

    func testExitStatus() throws {
        for arguments in [["0"], ["42"], ["255"], ["3", "_exit"], ["256"]] {
            try Harness.assertSameAsNative("exit_status", arguments, variant: variant)
        }
    }

    func testAuxiliaryVectorAndInitialStack() throws {
        try Harness.assertSameAsNative("auxv", ["a", "b c"], variant: variant)
    }

    func testEntryRegisters() throws {
        try Harness.assertSameAsNative("entry_regs", ["a", "b"], variant: variant)
    }

    func testSignals() throws {
        try Harness.assertSameAsNative("signals", variant: variant)
    }

    func testThreads() throws {
        try Harness.assertSameAsNative("threads", variant: variant)
    }

    func testForkVforkSpawnExec() throws {
        try Harness.assertSameAsNative("processes", variant: variant)
    }

    func testFilesAndDirectories() throws {
        try Harness.assertSameAsNative("files", [FileManager.default.temporaryDirectory.path], variant: variant)
    }

    func testEpollAndSocketpair() throws {
        try Harness.assertSameAsNative("epoll_socketpair", variant: variant)
    }

    func testFPUState() throws {
        try Harness.assertSameAsNative("fpu", variant: variant)
    }

    func testAbort() throws {
        try Harness.assertSameAsNative("abort", variant: variant)
    }

    func testExecHygiene() throws {
        try Harness.assertSameAsNative("hygiene", variant: variant)
    }

    func testBrkAndStack() throws {
        try Harness.assertSameAsNative("brk_stack", variant: variant)
    }

    /// With int $0x80 only, every program behaves the same; just the vDSO is gone.
    func testWithoutVDSO() throws {
        for name in ["signals", "threads", "processes", "fpu", "hygiene"] {
            try Harness.assertSameAsNative(name, variant: variant, options: ["--no-vdso"])
        }
        let result = try Harness.runUnderLoader(try Harness.program("auxv", variant: variant), [], options: ["--no-vdso"])
        XCTAssertEqual(result.ending, .exited(0), result.description)
        XCTAssertFalse(result.stdout.contains("AT_SYSINFO"), result.stdout)
    }
}
