// gdb on an i386 program that binfmt_misc runs through elf32-exec, with the
// gdb extension scripts/gdb/elf32-exec.py loaded: `run` must stop at the
// crash with the same backtrace (functions, files, lines) as natively. Both
// runs happen in a private binfmt_misc instance (see BinfmtTests), one with
// elf32-exec registered, one without (the kernel runs the program itself).

import Foundation
import XCTest

final class DebuggerTests: XCTestCase {
    /// One frame of `bt`: what must match; addresses may differ.
    struct Frame: Equatable, CustomStringConvertible {
        var function: String
        var location: String  // "file:line", or "from library" / "" without debug info

        var description: String { "\(function) \(location)" }
    }

    static let extensionScript = Harness.repositoryRoot.appendingPathComponent("scripts/gdb/elf32-exec.py")
    static let source = Harness.repositoryRoot.appendingPathComponent("testdata/crash_backtrace.c")
    static let variants = ["dynamic": [String](), "static": ["-static"], "static-pie": ["-static-pie", "-fPIE"]]

    func testBacktraceOfCrashMatchesNative() throws {
        try compareWithNative(["-ex", "run", "-ex", "bt"]) { output, frames, variant in
            XCTAssertTrue(output.contains("Program received signal SIGSEGV"), "\(variant): \(output)")
            XCTAssertEqual(frames.map(\.function), ["inner", "outer", "main"], "\(variant): \(output)")
        }
    }

    /// A breakpoint set before `run`, in a PIE's code at that (its address is
    /// only known once the program is mapped), must stop there; then the crash.
    func testBreakpointBeforeRunMatchesNative() throws {
        try compareWithNative(["-ex", "break outer", "-ex", "run", "-ex", "bt", "-ex", "continue", "-ex", "bt"]) {
            output, frames, variant in
            XCTAssertTrue(output.contains("Breakpoint 1, outer (depth=1)"), "\(variant): \(output)")
            XCTAssertEqual(frames.map(\.function), ["outer", "main", "inner", "outer", "main"], "\(variant): \(output)")
        }
    }

    /// Runs gdb with `commands` on the program built each way, natively and
    /// through elf32-exec; the frames must be the same and pass `check`.
    private func compareWithNative(
        _ commands: [String], file: StaticString = #filePath, line: UInt = #line,
        check: (String, [Frame], String) -> Void
    ) throws {
        let gdb = try Self.requireGdb()
        try BinfmtTests.requirePrivateBinfmt()
        let directory = try Self.buildPrograms()
        defer { try? FileManager.default.removeItem(at: directory) }
        for variant in Self.variants.keys.sorted() {
            let program = directory.appendingPathComponent("crash_backtrace-\(variant)")
            let native = try runGdb(gdb, commands, program, registering: false)
            let loaded = try runGdb(gdb, commands, program, registering: true)
            let nativeFrames = Self.frames(native.stdout), loadedFrames = Self.frames(loaded.stdout)
            check(native.stdout, nativeFrames, "\(variant) native")
            XCTAssertEqual(loadedFrames, nativeFrames,
                "\(variant): gdb's backtrace through elf32-exec differs from native\n--- native\n\(native)\n--- elf32-exec\n\(loaded)",
                file: file, line: line)
            XCTAssertFalse(loaded.stdout.contains("?? ()") || loaded.stderr.contains("not compatible"),
                "\(variant): \(loaded)", file: file, line: line)
        }
    }

    /// gdb, batch mode, no ~/.gdbinit, the extension loaded (natively too: it
    /// must leave a native run alone), in a private binfmt_misc instance.
    private func runGdb(_ gdb: URL, _ commands: [String], _ program: URL, registering: Bool) throws -> RunResult {
        let quoted = ([gdb.path, "-nx", "-batch", "-x", Self.extensionScript.path] + commands + [program.path])
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let register = registering
            ? "\(Harness.repositoryRoot.path)/scripts/binfmt.sh install --interpreter \(Harness.loader.path) --flags F --no-capability --no-persist >/dev/null"
            : ":"
        let script = """
            set -e
            mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
            \(register)
            set +e
            exec \(quoted) 2>&1
            """
        return try Harness.run(
            URL(fileURLWithPath: "/usr/bin/unshare"), ["--user", "--map-root-user", "--mount", "/bin/bash", "-c", script],
            timeout: 60)
    }

    /// The frames `bt` printed: "#N  [0xADDR in ]FUNCTION (ARGS) at FILE:LINE"
    /// (or "from LIBRARY", or nothing without debug information).
    static func frames(_ output: String) -> [Frame] {
        let pattern = try! NSRegularExpression(pattern: #"^#[0-9]+ +(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: (at|from) (\S+))?$"#)
        return output.split(separator: "\n").compactMap { line in
            let text = String(line)
            guard let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            func group(_ index: Int) -> String {
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
            let location = group(2).isEmpty ? "" : "\(group(2)) \(URL(fileURLWithPath: group(3)).lastPathComponent)"
            return Frame(function: group(1), location: location)
        }
    }

    /// testdata/crash_backtrace.c with debug information, dynamic, static and
    /// static-pie, in a fresh temporary directory.
    static func buildPrograms() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-gdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        for (variant, flags) in variants {
            let output = directory.appendingPathComponent("crash_backtrace-\(variant)")
            let result = try Harness.run(
                URL(fileURLWithPath: "/usr/bin/env"), ["gcc", "-m32", "-g", "-O0"] + flags + ["-o", output.path, source.path])
            guard result.ending == .exited(0) else {
                try? FileManager.default.removeItem(at: directory)
                throw XCTSkip("gcc -m32 -g cannot build the i386 test program (\(variant)): \(result.stderr)")
            }
        }
        return directory
    }

    /// gdb from PATH or the usual places; skips the test, saying so, without it.
    static func requireGdb() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent("gdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("gdb is not installed (Debian: apt-get install gdb); the debugger test needs it")
    }
}
