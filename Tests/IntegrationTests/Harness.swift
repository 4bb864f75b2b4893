// Runs i386 test programs natively and under elf32-exec and compares what
// they print and how they end: differential testing against the kernel.

import Foundation
import XCTest

/// How a run ended and what it printed.
struct RunResult: Equatable, CustomStringConvertible {
    enum Ending: Equatable {
        case exited(Int32)
        case killed(signal: Int32)
    }

    var ending: Ending
    var stdout: String
    var stderr: String

    var description: String { "\(ending)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

enum Harness {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The freestanding elf32-exec scripts/build.sh builds, unless ELF32_EXEC names another.
    static let loader: URL = {
        if let path = ProcessInfo.processInfo.environment["ELF32_EXEC"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".build-freestanding/release/elf32-exec")
    }()

    /// The environment every run gets, native or not: small, fixed, with a space in it.
    static let environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C", "TESTVAR": "a b"]

    /// Builds the testdata once per test process (the script only rebuilds what changed).
    static let testdataBuilt: Result<Void, Error> = Result {
        let script = repositoryRoot.appendingPathComponent("scripts/build-testdata.sh")
        let result = try run(URL(fileURLWithPath: "/bin/bash"), [script.path])
        guard result.ending == .exited(0) else { throw HarnessError.testdataBuildFailed(result.description) }
    }

    static func program(_ name: String, variant: String = "static") throws -> URL {
        try testdataBuilt.get()
        let url = repositoryRoot.appendingPathComponent("testdata/build/\(variant)/\(name)")
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw HarnessError.missingProgram(url.path) }
        return url
    }

    /// Closes every descriptor above 2, then execs its arguments: the test
    /// process may hold descriptors without close-on-exec, whose numbers
    /// change from run to run, and the programs list what they inherit.
    static let closeInheritedDescriptors = """
        for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@"
        """

    /// Runs `executable` with `arguments` (argv[0] is the executable's path),
    /// the fixed environment in sorted order, and standard output and error
    /// captured in files.
    static func run(
        _ executable: URL, _ arguments: [String], environment extra: [String: String] = [:], timeout: TimeInterval = 120
    ) throws -> RunResult {
        // Through bash, which closes inherited descriptors, then env(1), so that
        // the environment comes in one fixed order (Process would pass a
        // dictionary's, which changes from run to run).
        let variables = environment.merging(extra) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", closeInheritedDescriptors, "bash", "/usr/bin/env", "-i"] + variables + [executable.path] + arguments
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = try CapturedFile(), error = try CapturedFile()
        process.standardOutput = output.handle
        process.standardError = error.handle
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            throw HarnessError.timedOut("\(executable.path) \(arguments)")
        }
        let ending: RunResult.Ending = process.terminationReason == .uncaughtSignal
            ? .killed(signal: process.terminationStatus) : .exited(process.terminationStatus)
        return RunResult(ending: ending, stdout: try output.contents(), stderr: try error.contents())
    }

    /// Runs `program` under elf32-exec, with `options` before it.
    static func runUnderLoader(_ program: URL, _ arguments: [String], options: [String] = []) throws -> RunResult {
        try run(loader, options + [program.path] + arguments)
    }

    /// Whether this kernel can run i386 programs itself, without anyone's help:
    /// IA32 emulation on, and no binfmt_misc entry that would send i386 ELF
    /// through an interpreter (elf32-exec itself, or qemu) instead.
    static let nativeRunner: Result<Void, Error> = Result {
        if ProcessInfo.processInfo.environment["ELF32_EXEC_NO_NATIVE"] != nil {
            throw HarnessError.noNativeI386("ELF32_EXEC_NO_NATIVE is set")
        }
        if let entry = try activeI386BinfmtEntry() { throw HarnessError.binfmtIntercepts(entry) }
        let probe = try program("exit_status")
        do {
            let result = try run(probe, ["42"])
            guard result.ending == .exited(42) else { throw HarnessError.noNativeI386(result.description) }
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError.noNativeI386("\(error)")
        }
    }

    /// The name of an enabled binfmt_misc entry matching i386 ELF, elf32-exec's
    /// own included, if any (`scripts/binfmt.sh i386-handlers --all`).
    static func activeI386BinfmtEntry() throws -> String? {
        let result = try run(repositoryRoot.appendingPathComponent("scripts/binfmt.sh"), ["i386-handlers", "--all"])
        guard result.ending == .exited(0) else { throw HarnessError.noNativeI386("binfmt.sh i386-handlers: \(result)") }
        return result.stdout.split(separator: "\n").first.map(String.init)
    }

    /// The differential check: the same program, arguments and environment
    /// natively and under elf32-exec must print the same and end the same.
    static func assertSameAsNative(
        _ name: String, _ arguments: [String] = [], variant: String = "static", options: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let program = try program(name, variant: variant)
        let expectation = RecordedExpectation(name: name, arguments: arguments, variant: variant)
        switch nativeRunner {
        case .success:
            let native = try run(program, arguments)
            let loaded = try runUnderLoader(program, arguments, options: options)
            XCTAssertEqual(loaded, native, "\(variant)/\(name) under elf32-exec differs from native", file: file, line: line)
            if ProcessInfo.processInfo.environment["ELF32_EXEC_RECORD"] != nil { try expectation?.record(native) }
        case .failure(let error):
            guard let expected = try expectation?.recorded() else {
                throw XCTSkip("cannot compare \(variant)/\(name) with a native run (\(error)), and no expectation is recorded")
            }
            print("note: \(variant)/\(name): no native run (\(error)); comparing with the recorded expectation \(expectation!.path)")
            let loaded = try runUnderLoader(program, arguments, options: options)
            XCTAssertEqual(RecordedExpectation.normalized(loaded), expected, "\(variant)/\(name) under elf32-exec differs from the recorded native run", file: file, line: line)
        }
    }
}

/// A native run's result kept in testdata/expected, for machines where the
/// kernel cannot run i386 programs itself (or a binfmt_misc entry would
/// intercept them). Only for programs whose output does not depend on the
/// machine or the user (not auxv's hardware capabilities, identity's
/// capabilities, memory's stack limit, hygiene's inherited descriptors).
/// `ELF32_EXEC_RECORD=1 swift test` rewrites them from native runs.
struct RecordedExpectation {
    static let machineSpecific: Set<String> = ["auxv", "identity", "memory", "hygiene", "dl"]

    let path: URL

    init?(name: String, arguments: [String], variant: String) {
        guard !Self.machineSpecific.contains(name) else { return nil }
        // FNV-1a of the arguments tells the runs of one program apart.
        let key = arguments.map(Self.normalized).joined(separator: "\u{0}").utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        path = Harness.repositoryRoot.appendingPathComponent("testdata/expected/\(variant)/\(name)-\(String(key, radix: 16)).txt")
    }

    func recorded() throws -> String? {
        FileManager.default.fileExists(atPath: path.path) ? try String(contentsOf: path, encoding: .utf8) : nil
    }

    func record(_ native: RunResult) throws {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.normalized(native).write(to: path, atomically: true, encoding: .utf8)
    }

    /// The result with this checkout's and this machine's paths replaced.
    static func normalized(_ result: RunResult) -> String {
        normalized(result.description)
    }

    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: Harness.repositoryRoot.path, with: "$ROOT")
            .replacingOccurrences(of: FileManager.default.temporaryDirectory.path, with: "$TMPDIR")
    }
}

/// A program and elf32-exec copied where uid 65534 can run them (the
/// repository may be out of its reach), for runs through setpriv as that user.
struct UnprivilegedCopies {
    static let uid: uid_t = 65534
    let directory: URL
    let program: URL
    let loader: URL

    /// Skips the test unless it runs as root with setpriv at hand.
    init(of program: URL) throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to drop to uid \(Self.uid) with setpriv; running as uid \(getuid())")
        }
        guard FileManager.default.isExecutableFile(atPath: Self.setpriv.path) else {
            throw XCTSkip("\(Self.setpriv.path) is missing (Debian: util-linux)")
        }
        let files = FileManager.default
        directory = files.temporaryDirectory.appendingPathComponent("elf32-exec-unprivileged-\(UUID().uuidString)")
        try files.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        self.program = directory.appendingPathComponent(program.lastPathComponent)
        loader = directory.appendingPathComponent("elf32-exec")
        try files.copyItem(at: program, to: self.program)
        try files.copyItem(at: Harness.loader, to: loader)
        for copy in [self.program, loader] {
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        }
    }

    static let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")

    /// Runs `command` as uid 65534, without supplementary groups.
    func run(_ command: [String]) throws -> RunResult {
        try Harness.run(Self.setpriv, ["--reuid=\(Self.uid)", "--regid=\(Self.uid)", "--clear-groups", "--"] + command)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case testdataBuildFailed(String)
    case missingProgram(String)
    case timedOut(String)
    case noNativeI386(String)
    case binfmtIntercepts(String)

    var description: String {
        switch self {
        case .testdataBuildFailed(let output): return "scripts/build-testdata.sh failed:\n\(output)"
        case .missingProgram(let path): return "test program \(path) was not built"
        case .timedOut(let command): return "timed out: \(command)"
        case .noNativeI386(let why): return "this kernel does not run i386 programs natively (\(why))"
        case .binfmtIntercepts(let entry):
            return "binfmt_misc entry '\(entry)' sends i386 programs through an interpreter, so a \"native\" run would not be native; disable it (echo 0 > /proc/sys/fs/binfmt_misc/\(entry)) to compare"
        }
    }
}

/// A temporary file standing in for a pipe: no reader thread, no deadlock.
struct CapturedFile {
    let url: URL
    let handle: FileHandle

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-test-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    func contents() throws -> String {
        try handle.close()
        defer { try? FileManager.default.removeItem(at: url) }
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }
}
