// Resource limits and argument sizes: under small RLIMIT_AS, RLIMIT_STACK,
// RLIMIT_DATA and RLIMIT_NOFILE (set by prlimit(1) for both runs), and with
// argv and envp up to the kernel's ARG_MAX, elf32-exec behaves as the native
// run does, or refuses with exit 126 and one line; it never dies by a signal.
//
// What the kernel needs to start elf32-exec itself is outside its control:
// below roughly 8.5 MiB of RLIMIT_AS or 2 MiB of RLIMIT_DATA the kernel
// fails the exec of the (64-bit, static) loader and kills the process with
// SIGSEGV, and a little above that static glibc's own start-up can fail
// ("Fatal glibc error: Cannot allocate TLS block"). The sweeps below probe
// each limit with `elf32-exec --version` first and compare only where the
// loader's main runs at all.

import Foundation
import XCTest

final class LimitsTests: XCTestCase {
    static let prlimit = URL(fileURLWithPath: "/usr/bin/prlimit")

    private let kiB = 1024
    private let miB = 1024 * 1024

    // MARK: Limits, swept

    func testAddressSpaceLimit() throws {
        let swept: [Int] = Array(stride(from: 8 * miB, through: 16 * miB, by: 128 * kiB))
        let values: [Int] = swept + [24 * miB, 32 * miB, 64 * miB, 256 * miB]
        try sweep(values, "args_env", ["a", "b c"]) { ["--as=\($0)"] }
    }

    /// From 16 KiB: below it glibc's and the Swift runtime's start-up, before
    /// elf32-exec's main, overflow the initial stack or not depending on the
    /// environment's size and the stack's random offset (measured: 12 KiB
    /// starts or crashes from run to run, 8 KiB never starts), so the
    /// `--version` probe cannot tell reliably whether the loader starts.
    /// From main on, elf32-exec runs on its own stack when the limit is tight.
    func testStackLimit() throws {
        let swept: [Int] = Array(stride(from: 16 * kiB, through: 64 * kiB, by: 4 * kiB))
        let values: [Int] = swept + [256 * kiB, miB, 8 * miB]
        try sweep(values, "args_env", ["a", "b c"]) { ["--stack=\($0)"] }
    }

    func testDataLimit() throws {
        let swept: [Int] = Array(stride(from: miB, through: 4 * miB, by: 128 * kiB))
        let values: [Int] = swept + [8 * miB, 16 * miB, 64 * miB]
        try sweep(values, "args_env", ["a", "b c"]) { ["--data=\($0)"] }
    }

    func testOpenFilesLimit() throws {
        let values: [Int] = Array(0...8) + [16, 1024]
        try sweep(values, "files") { ["--nofile=\($0)"] }
    }

    /// The threaded program under combined limits where it runs natively
    /// (below about 130 MiB of RLIMIT_AS with the default 8 MiB RLIMIT_STACK,
    /// its 16 threads' stacks do not fit and it waits forever on its barrier,
    /// natively as under elf32-exec).
    func testThreadsUnderLimits() throws {
        let combinations: [[String]] = [
            ["--as=\(256 * miB)"],
            ["--as=\(64 * miB)", "--stack=\(miB)"],
            ["--data=\(16 * miB)", "--stack=\(256 * kiB)"],
            ["--stack=\(32 * kiB)"],
            ["--nofile=5"],
            ["--as=\(32 * miB)", "--stack=\(64 * kiB)", "--data=\(8 * miB)", "--nofile=6"],
        ]
        for limits in combinations {
            try compare(limits, "threads", [])
        }
    }

    // MARK: Argument and environment sizes

    func testArgumentsOf100KiB() throws {
        let arguments = (0..<100).map { String(repeating: Character(UnicodeScalar(UInt8(97 + $0 % 26))), count: 1023) }
        try Harness.assertSameAsNative("args_env", arguments)
    }

    func testEnvironmentOf100KiB() throws {
        try requireNative()
        let program = try Harness.program("args_env")
        var environment: [String: String] = [:]
        for index in 0..<50 { environment["BIG\(index)"] = String(repeating: "e", count: 2000) }
        environment["HUGE"] = String(repeating: "h", count: 128 * 1024 - 6)  // MAX_ARG_STRLEN with "HUGE=" and the NUL
        let native = try Harness.run(program, ["x"], environment: environment)
        let loaded = try Harness.run(Harness.loader, [program.path, "x"], environment: environment)
        XCTAssertEqual(native.ending, .exited(0))
        XCTAssertEqual(loaded, native)
    }

    /// One string may be at most MAX_ARG_STRLEN (32 pages) with its NUL:
    /// beyond, execve fails with E2BIG, natively and for elf32-exec alike.
    func testLongestSingleArgument() throws {
        try requireNative()
        let program = try Harness.program("exit_status").path
        let longest = String(repeating: "7", count: 128 * 1024 - 1)
        XCTAssertEqual(try spawn(program, ["0", longest]), .ran(.exited(0)))
        XCTAssertEqual(try spawn(Harness.loader.path, [program, "0", longest]), .ran(.exited(0)))
        XCTAssertEqual(try spawn(program, ["0", longest + "7"]), .argumentListTooLong)
        XCTAssertEqual(try spawn(Harness.loader.path, [program, "0", longest + "7"]), .argumentListTooLong)
    }

    /// ARG_MAX: the kernel counts the file name, the argument and environment
    /// strings and one 8-byte pointer per string (its own pointer size, for an
    /// i386 program too) against a quarter of RLIMIT_STACK (2 MiB here).
    /// elf32-exec's own exec has its own path as file name and argv[0], the
    /// program's path as argv[1]: it reaches E2BIG exactly
    /// 2 × (strlen(loader) + 1) − (strlen(program) + 1) + 8 bytes earlier than
    /// the native exec. E2BIG then comes from the exec of elf32-exec, as from
    /// any exec; everything that exec accepts, elf32-exec runs as natively.
    /// (Harness.run starts programs through env(1), whose own exec, with the
    /// variables as arguments, would fail first: these runs use posix_spawn.)
    func testArgumentsUpToARGMAX() throws {
        try requireNative()
        let program = try Harness.program("exit_status").path
        let chunk = String(repeating: "a", count: 999)  // 1000 bytes with its NUL, plus its pointer
        // The arguments: "0", 2000 chunks (about 2 MB), and one pad argument of `pad` bytes.
        func arguments(_ pad: Int) -> [String] {
            ["0"] + Array(repeating: chunk, count: 2000) + [String(repeating: "p", count: pad)]
        }
        // The largest pad the native exec accepts, by bisection.
        var low = 0, high = 100_000
        guard try spawn(program, arguments(low)) == .ran(.exited(0)) else { return XCTFail("2 MB of arguments refused natively") }
        XCTAssertEqual(try spawn(program, arguments(high)), .argumentListTooLong)
        while high - low > 1 {
            let middle = (low + high) / 2
            if try spawn(program, arguments(middle)) == .ran(.exited(0)) { low = middle } else { high = middle }
        }
        let nativeLimit = low

        let loader = Harness.loader.path
        let overhead = 2 * (loader.utf8.count + 1) - (program.utf8.count + 1) + 8
        XCTAssertEqual(try spawn(loader, [program] + arguments(nativeLimit)), overhead > 0 ? .argumentListTooLong : .ran(.exited(0)))
        XCTAssertEqual(try spawn(loader, [program] + arguments(nativeLimit - overhead + 1)), .argumentListTooLong)
        XCTAssertEqual(try spawn(loader, [program] + arguments(nativeLimit - overhead)), .ran(.exited(0)))

        // At elf32-exec's limit, the program sees byte for byte what it sees natively.
        let argsEnv = try Harness.program("args_env").path
        let padded = Array(arguments(nativeLimit - overhead - (argsEnv.utf8.count - program.utf8.count) * 2).dropFirst())
        let nativeOutput = try temporaryFile(), loadedOutput = try temporaryFile()
        XCTAssertEqual(try spawn(argsEnv, padded, output: nativeOutput), .ran(.exited(0)))
        XCTAssertEqual(try spawn(loader, [argsEnv] + padded, output: loadedOutput), .ran(.exited(0)))
        let native = try Data(contentsOf: nativeOutput), loaded = try Data(contentsOf: loadedOutput)
        XCTAssertGreaterThan(native.count, 2_000_000)
        XCTAssertTrue(loaded == native, "args_env with \(padded.count) arguments (\(native.count) bytes of output) differs under elf32-exec")
        print("ARG_MAX: natively 2000 × 1000 + \(nativeLimit) bytes of arguments; under \(loader) \(overhead) bytes fewer")
    }

    // MARK: Helpers

    private func requireNative() throws {
        if case .failure(let error) = Harness.nativeRunner { throw XCTSkip("no native i386 runs to compare with: \(error)") }
    }

    private func run(_ limits: [String], _ command: [String]) throws -> RunResult {
        try Harness.run(Self.prlimit, limits + ["--"] + command, timeout: 60)
    }

    /// Whether elf32-exec's main runs at all under `limits`.
    private func loaderStarts(_ limits: [String]) throws -> Bool {
        let probe = try run(limits, [Harness.loader.path, "--version"])
        return probe.stdout.hasPrefix("elf32-exec ") || probe.stderr.hasPrefix("elf32-exec: ")
    }

    /// Runs `program` natively and under elf32-exec with each of `values` as
    /// the limit `option` builds, wherever elf32-exec can start.
    private func sweep(
        _ values: [Int], _ program: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line,
        _ option: (Int) -> [String]
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.prlimit.path) else { throw XCTSkip("no \(Self.prlimit.path)") }
        try requireNative()
        var compared = 0
        var notStarted: [Int] = []
        for value in values {
            let limits = option(value)
            guard try loaderStarts(limits) else {
                notStarted.append(value)
                continue
            }
            try compare(limits, program, arguments, file: file, line: line)
            compared += 1
        }
        print("\(option(0).first ?? ""): compared at \(compared) values; elf32-exec cannot start at \(notStarted)")
        XCTAssertGreaterThan(compared, 0, "elf32-exec started under none of the limits", file: file, line: line)
    }

    /// The differential check under limits: the same as natively, or exit
    /// 126 with one line `elf32-exec: PATH: reason`; never a signal.
    private func compare(_ limits: [String], _ program: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.prlimit.path) else { throw XCTSkip("no \(Self.prlimit.path)") }
        try requireNative()
        let path = try Harness.program(program).path
        let native = try run(limits, [path] + arguments)
        let loaded = try run(limits, [Harness.loader.path, path] + arguments)
        // Static glibc's own start-up, before elf32-exec's code: not the loader's doing.
        if loaded.stderr.hasPrefix("Fatal glibc error: ") { return print("\(limits): \(loaded.stderr)") }
        let context = "\(limits.joined(separator: " ")) \(program): native \(native.ending), elf32-exec:\n\(loaded)"
        if loaded == native { return }
        if case .killed(let signal) = loaded.ending {
            return XCTFail("elf32-exec killed by signal \(signal) under \(context)", file: file, line: line)
        }
        XCTAssertEqual(loaded.ending, .exited(126), "neither as native nor refused under \(context)", file: file, line: line)
        XCTAssertEqual(loaded.stdout, "", context, file: file, line: line)
        let lines = loaded.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("elf32-exec: \(path): "),
                      "not one line naming the program under \(context)", file: file, line: line)
    }

    enum Spawn: Equatable {
        case ran(RunResult.Ending)
        case argumentListTooLong
    }

    /// Runs `path` with `arguments` and the harness's environment through
    /// posix_spawn, standard output to `output` (else /dev/null), and tells a
    /// refused exec (E2BIG) from a run.
    private func spawn(_ path: String, _ arguments: [String], output: URL? = nil) throws -> Spawn {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = Harness.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        if result == E2BIG { return .argumentListTooLong }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return .ran(status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: status & 0x7f))
    }

    private func temporaryFile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-limits-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
