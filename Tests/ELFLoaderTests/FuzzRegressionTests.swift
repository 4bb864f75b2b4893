// The fuzz corpus as regression tests: every file in testdata/fuzz-corpus
// (seeds) and testdata/fuzz-corpus/crashers (inputs that once crashed) goes
// through the fuzz target's pipeline and invariants, built plainly: the
// ELFLoaderFuzz executable replays files when not built for libFuzzer. It
// runs as a child process, so that a crasher fails its test instead of
// killing the test run. Also a short bounded libFuzzer run (scripts/fuzz.sh).

import Foundation
import XCTest

final class FuzzRegressionTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = repositoryRoot.appendingPathComponent("testdata/fuzz-corpus")

    /// ELFLoaderFuzz as `swift build` built it: beside the test bundle.
    static let replayer: URL = {
        if let path = ProcessInfo.processInfo.environment["ELF32_FUZZ_REPLAY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ELFLoaderFuzz")
    }()

    func testSeedCorpus() throws {
        let files = try inputs(in: Self.corpus)
        XCTAssertGreaterThanOrEqual(files.count, 10, "the seed corpus is missing")
        for file in files { try assertReplays(file) }
    }

    /// Every input that ever crashed the pipeline (testdata/fuzz-corpus/README.md).
    func testCrashers() throws {
        for file in try inputs(in: Self.corpus.appendingPathComponent("crashers")) { try assertReplays(file) }
    }

    /// A bounded libFuzzer run (the long one is `scripts/fuzz.sh 3600` by
    /// hand): builds the instrumented target under .build-fuzz, then fuzzes
    /// for ELF32_FUZZ_SECONDS (default 15). ELF32_FUZZ_SECONDS=0 skips it.
    func testShortFuzzRun() throws {
        let seconds = ProcessInfo.processInfo.environment["ELF32_FUZZ_SECONDS"] ?? "15"
        guard seconds != "0" else { throw XCTSkip("ELF32_FUZZ_SECONDS=0") }
        let script = Self.repositoryRoot.appendingPathComponent("scripts/fuzz.sh")
        let result = try run(URL(fileURLWithPath: "/bin/bash"), [script.path, seconds], timeout: 1800)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("no crash"), result.output)
        let summary: Substring? = result.output.split(separator: "\n").last
        print(summary.map(String.init) ?? "")
    }

    // MARK: Helpers

    private func inputs(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true && $0.lastPathComponent != "README.md" }
            .sorted { $0.path < $1.path }
    }

    private func assertReplays(_ file: URL, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.replayer.path) else {
            throw XCTSkip("\(Self.replayer.path) was not built (swift build builds it)")
        }
        let result = try run(Self.replayer, [file.path], environment: ["SWIFT_BACKTRACE": "enable=no"])
        XCTAssertTrue(result.status == 0 && !result.signaled,
                      "\(file.lastPathComponent): \(result.signaled ? "killed by signal" : "exit status") \(result.status)\n\(result.output)",
                      line: line)
    }

    private struct Outcome {
        var status: Int32
        var signaled: Bool
        var output: String
    }

    private func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = Self.repositoryRoot
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-fuzz-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        try handle.close()
        let output = String(decoding: try Data(contentsOf: log), as: UTF8.self)
        return Outcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal, output: output)
    }
}
