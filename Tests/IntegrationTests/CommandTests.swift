// The command itself: options, and one clear line for every file it cannot run.

import Foundation
import XCTest

final class CommandTests: XCTestCase {
    func run(_ arguments: [String]) throws -> RunResult {
        try Harness.run(Harness.loader, arguments)
    }

    func assertRefused(_ path: String, _ reason: String, status: Int32 = 126, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run([path])
        XCTAssertEqual(result.ending, .exited(status), result.description, file: file, line: line)
        XCTAssertEqual(result.stderr, "elf32-exec: \(path): \(reason)\n", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    func testArgv0() throws {
        let program = try Harness.program("args_env")
        let result = try Harness.runUnderLoader(program, ["x"], options: ["--argv0", "custom name"])
        XCTAssertEqual(result.ending, .exited(0))
        XCTAssertTrue(result.stdout.contains("argv[0]=\"custom name\""), result.stdout)
        XCTAssertTrue(result.stdout.contains("argv[1]=\"x\""), result.stdout)
    }

    func testOptionsStopAtProgram() throws {
        let program = try Harness.program("args_env")
        let result = try Harness.runUnderLoader(program, ["--version", "-v"])
        XCTAssertEqual(result.ending, .exited(0))
        XCTAssertTrue(result.stdout.contains("argv[1]=\"--version\""), result.stdout)
        XCTAssertEqual(result.stderr, "")
    }

    func testVerboseReportsLayout() throws {
        let program = try Harness.program("exit_status")
        let result = try Harness.runUnderLoader(program, ["7"], options: ["--verbose"])
        XCTAssertEqual(result.ending, .exited(7))
        for fact in ["elf32-exec: program ", "elf32-exec: reserve 0x", "elf32-exec: map 0x", "elf32-exec: stack 0x", "elf32-exec: brk 0x", "elf32-exec: entry 0x", "elf32-exec: vdso: "] {
            XCTAssertTrue(result.stderr.contains(fact), "missing \(fact) in:\n\(result.stderr)")
        }
    }

    func testHelpAndVersion() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.ending, .exited(0))
        XCTAssertTrue(help.stdout.hasPrefix("usage: elf32-exec [OPTIONS] PROGRAM [ARGS...]"), help.stdout)
        let version = try run(["--version"])
        XCTAssertEqual(version.ending, .exited(0))
        XCTAssertTrue(version.stdout.hasPrefix("elf32-exec "), version.stdout)
    }

    func testUsageErrors() throws {
        let unknown = try run(["--frobnicate", "x"])
        XCTAssertEqual(unknown.ending, .exited(2))
        XCTAssertEqual(unknown.stderr, "elf32-exec: unknown option '--frobnicate' (see elf32-exec --help)\n")
        let missing = try run([])
        XCTAssertEqual(missing.ending, .exited(2))
        XCTAssertEqual(missing.stderr, "elf32-exec: missing PROGRAM (see elf32-exec --help)\n")
    }

    func testMissingFile() throws {
        try assertRefused("/nonexistent/program", "No such file or directory", status: 127)
    }

    func testDirectory() throws {
        try assertRefused("/tmp", "Is a directory")
    }

    func testNotELF() throws {
        let script = try temporaryFile(contents: Data("#!/bin/sh\necho hi\n".utf8), executable: true)
        try assertRefused(script.path, "not an ELF file")
    }

    func testEmptyFile() throws {
        try assertRefused(try temporaryFile(contents: Data(), executable: true).path, "empty file")
    }

    func testELF64() throws {
        try assertRefused("/bin/true", "64-bit ELF (ELFCLASS64); elf32-exec runs 32-bit i386 programs")
    }

    func testNoExecutePermission() throws {
        let copy = try temporaryFile(contents: try Data(contentsOf: try Harness.program("exit_status")), executable: false)
        try assertRefused(copy.path, "Permission denied")
    }

    func testFIFO() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-fifo-\(UUID().uuidString)").path
        XCTAssertEqual(mkfifo(path, 0o755), 0)
        defer { unlink(path) }
        try assertRefused(path, "not a regular file")
    }

    private func temporaryFile(contents: Data, executable: Bool) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-input-\(UUID().uuidString)")
        try contents.write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
