// Dynamically linked programs: the interpreter found through --sysroot, and
// one clear line for every interpreter elf32-exec cannot use.

import Foundation
import XCTest

final class InterpreterTests: XCTestCase {
    static let interpreter = "/lib/ld-linux.so.2"

    func testDynamicLoadingAndATBase() throws {
        for variant in DifferentialTests.variants {
            try Harness.assertSameAsNative("dl", variant: variant)
        }
    }

    /// The interpreter comes from the sysroot: the mapping at AT_BASE names the copy.
    func testSysrootInterpreterIsUsed() throws {
        let sysroot = try temporaryDirectory()
        let copy = sysroot.appendingPathComponent(String(Self.interpreter.dropFirst()))
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.interpreter).resolvingSymlinksInPath(), to: copy)
        let program = try Harness.program("dl", variant: "dynamic")

        let withOption = try Harness.run(Harness.loader, ["--sysroot", sysroot.path, program.path], environment: ["SHOW_INTERP": "1"])
        XCTAssertEqual(withOption.ending, .exited(0), withOption.description)
        XCTAssertTrue(withOption.stdout.contains("interpreter mapped from: \(copy.path)\n"), withOption.stdout)

        let withVariable = try Harness.run(Harness.loader, [program.path], environment: ["SHOW_INTERP": "1", "ELF32_EXEC_SYSROOT": sysroot.path])
        XCTAssertTrue(withVariable.stdout.contains("interpreter mapped from: \(copy.path)\n"), withVariable.stdout)

        let without = try Harness.run(Harness.loader, [program.path], environment: ["SHOW_INTERP": "1"])
        XCTAssertFalse(without.stdout.contains(sysroot.path), without.stdout)
    }

    func testMissingInterpreter() throws {
        let program = try patchedProgram { try $0.replace(Self.interpreter, with: "/lib/ld-missing.so") }
        try assertRefused(program, "interpreter /lib/ld-missing.so: No such file or directory", status: 127)
    }

    func testInterpreter64Bit() throws {
        try assertRefusedWithInterpreter(URL(fileURLWithPath: "/bin/true"), "64-bit ELF (ELFCLASS64); elf32-exec runs 32-bit i386 programs")
    }

    func testInterpreterNotI386() throws {
        var armInterpreter = ELFBytes(data: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.interpreter))))
        armInterpreter.data[18] = 40  // e_machine: EM_ARM
        let file = try temporaryDirectory().appendingPathComponent("ld-arm.so")
        try Data(armInterpreter.data).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        try assertRefusedWithInterpreter(file, "not an i386 program (machine ARM)")
    }

    func testInterpreterNotSharedObject() throws {
        try assertRefusedWithInterpreter(try Harness.program("exit_status", variant: "static"), "not a shared object (ET_DYN), as an interpreter must be")
    }

    func testInterpreterWithInterpreter() throws {
        try assertRefusedWithInterpreter(try Harness.program("exit_status", variant: "dynamic"), "names an interpreter (PT_INTERP) itself")
    }

    func testInterpreterPathTooLong() throws {
        let program = try patchedProgram { try $0.setInterpreterSegmentSize(5000) }
        try assertRefused(program, "interpreter path (PT_INTERP) is 5000 bytes long (expected 2 to 4096)")
    }

    func testInterpreterPathNotTerminated() throws {
        let program = try patchedProgram { try $0.replace(Self.interpreter + "\0", with: Self.interpreter + "X") }
        try assertRefused(program, "interpreter path (PT_INTERP) is not NUL-terminated")
    }

    // MARK: helpers

    /// Puts `file` in a sysroot as the interpreter and runs a dynamic program with it.
    private func assertRefusedWithInterpreter(_ file: URL, _ reason: String, line: UInt = #line) throws {
        let sysroot = try temporaryDirectory()
        let path = sysroot.appendingPathComponent(String(Self.interpreter.dropFirst()))
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: path)
        let program = try Harness.program("exit_status", variant: "dynamic")
        let result = try Harness.run(Harness.loader, ["--sysroot", sysroot.path, program.path])
        XCTAssertEqual(result.ending, .exited(126), result.description, line: line)
        XCTAssertEqual(result.stderr, "elf32-exec: \(program.path): interpreter \(path.path): \(reason)\n", line: line)
    }

    private func assertRefused(_ program: URL, _ reason: String, status: Int32 = 126, line: UInt = #line) throws {
        let result = try Harness.runUnderLoader(program, [])
        XCTAssertEqual(result.ending, .exited(status), result.description, line: line)
        XCTAssertEqual(result.stderr, "elf32-exec: \(program.path): \(reason)\n", line: line)
    }

    /// A copy of the dynamic exit_status program, changed by `patch`.
    private func patchedProgram(_ patch: (inout ELFBytes) throws -> Void) throws -> URL {
        var bytes = ELFBytes(data: [UInt8](try Data(contentsOf: try Harness.program("exit_status", variant: "dynamic"))))
        try patch(&bytes)
        let url = try temporaryDirectory().appendingPathComponent("patched")
        try Data(bytes.data).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Just enough of an i386 ELF file to patch its interpreter.
struct ELFBytes {
    var data: [UInt8]

    struct NotFound: Error {}

    mutating func replace(_ old: String, with new: String) throws {
        let old = Array(old.utf8), new = Array(new.utf8)
        precondition(old.count == new.count)
        guard let start = (0...(data.count - old.count)).first(where: { data[$0..<$0 + old.count].elementsEqual(old) }) else { throw NotFound() }
        data.replaceSubrange(start..<start + old.count, with: new)
    }

    mutating func setInterpreterSegmentSize(_ size: UInt32) throws {
        let tableOffset = Int(word(at: 28)), count = Int(data[44]) | Int(data[45]) << 8
        guard let header = (0..<count).map({ tableOffset + 32 * $0 }).first(where: { word(at: $0) == 3 }) else { throw NotFound() }
        withUnsafeBytes(of: size.littleEndian) { data.replaceSubrange(header + 16..<header + 20, with: $0) }
    }

    private func word(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(data[offset + $1]) << (8 * $1) }
    }
}
