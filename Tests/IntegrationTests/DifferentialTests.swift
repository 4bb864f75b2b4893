// Every testdata program, built three ways (static, dynamic with ld-linux.so.2,
// static-pie), natively and under elf32-exec: same output, same ending.

import Foundation
import XCTest

final class DifferentialTests: XCTestCase {
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

    /// The handoff ends through the vDSO's system call, which unmaps the
    /// trampoline's page right below the program. A program at 0x10000, the
    /// lowest address elf32-exec accepts, leaves that page only where
    /// vm.mmap_min_addr is below it; elsewhere (Debian's default is 0x10000)
    /// the handoff ends through __kernel_rt_sigreturn. Either way the program
    /// starts with the registers of a native exec.
    func testHandoffEndings() throws {
        let verbose = try Harness.runUnderLoader(try Harness.program("entry_regs"), [], options: ["-v"])
        XCTAssertTrue(verbose.stderr.contains("below the program; the vDSO's system call unmaps it"), verbose.stderr)

        let lowest: UInt64 = 0x1_0000
        let minimum = try String(contentsOfFile: "/proc/sys/vm/mmap_min_addr", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let mappable = UInt64(minimum) else { throw XCTSkip("vm.mmap_min_addr reads \(minimum)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-lowest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appendingPathComponent("entry_regs-lowest")
        let source = Harness.repositoryRoot.appendingPathComponent("testdata/entry_regs.S")
        let build = try Harness.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["gcc", "-m32", "-static", "-nostdlib", "-Wl,-Ttext-segment=0x\(String(lowest, radix: 16))", "-o", program.path, source.path])
        XCTAssertEqual(build.ending, .exited(0), build.description)
        let loaded = try Harness.runUnderLoader(program, ["a"], options: ["-v"])
        let ending = mappable <= lowest - 4096
            ? "trampoline page 0xf000, below the program" : "returns through __kernel_rt_sigreturn"
        print("note: vm.mmap_min_addr is 0x\(String(mappable, radix: 16)): a program at 0x10000 expects \"\(ending)\"")
        XCTAssertTrue(loaded.stderr.contains(ending), loaded.stderr)
        guard case .success = Harness.nativeRunner else { return }
        let native = try Harness.run(program, ["a"])
        XCTAssertEqual(native.ending, .exited(0), native.description)
        XCTAssertEqual(loaded.stdout, native.stdout)
        XCTAssertEqual(loaded.ending, native.ending)
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

    /// VmHWM right after a native exec is what is resident: the program's
    /// first pages. The loader's own pages, gone at the handoff, must not
    /// show as a peak. peak_memory (no libc) reads it as its first act; the
    /// others from an IFUNC resolver, the earliest code a libc program runs.
    /// The kernel's RSS counters are per-CPU, and the reset takes their
    /// approximate sum: when the loader's unmapped pages are still in this
    /// CPU's share (about one run in seven here) VmHWM stays up to 31 pages
    /// above VmRSS. So each program must show VmHWM = VmRSS in one of five
    /// runs; without the reset no run does (the loader's peak is 27 pages or
    /// more above). Natively every run shows it.
    func testPeakMemoryStartsAtWhatIsResident() throws {
        let programs = [("peak_memory", ["static", "static-pie"]), ("peak_at_start", Self.variants)]
        for (name, variants) in programs {
            for variant in variants {
                let program = try Harness.program(name, variant: variant)
                if case .success = Harness.nativeRunner {
                    let native = try Harness.run(program, [])
                    XCTAssertEqual(native.ending, .exited(0), "\(variant)/\(name) native: \(native.description)")
                    let counts = Self.peakAndResident(native.stdout)
                    XCTAssertNotNil(counts.peak, "\(variant)/\(name) native: \(native.stdout)")
                    XCTAssertEqual(counts.peak, counts.resident, "\(variant)/\(name) native: VmHWM is not VmRSS")
                }
                var seen: [(peak: Int?, resident: Int?)] = []
                func atResident(_ run: (peak: Int?, resident: Int?)) -> Bool { run.peak != nil && run.peak == run.resident }
                while seen.count < 5, !seen.contains(where: atResident) {
                    let loaded = try Harness.runUnderLoader(program, [])
                    XCTAssertEqual(loaded.ending, .exited(0), "\(variant)/\(name): \(loaded.description)")
                    seen.append(Self.peakAndResident(loaded.stdout))
                }
                XCTAssertTrue(seen.contains(where: atResident), "\(variant)/\(name): VmHWM above VmRSS in every run (kB): \(seen)")
            }
        }
    }

    /// VmHWM and VmRSS from /proc/self/status text, in kB.
    private static func peakAndResident(_ status: String) -> (peak: Int?, resident: Int?) {
        (statusValue("VmHWM", in: status), statusValue("VmRSS", in: status))
    }

    /// The number on the /proc/self/status line `name:`, in kB.
    private static func statusValue(_ name: String, in status: String) -> Int? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .flatMap { Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
    }

    /// With randomization off (setarch -R, as gdb runs programs) every
    /// address is fixed: /proc/self/maps at main must be the native one line
    /// for line. The one line allowed to differ is [vsyscall]: the loader's
    /// 64-bit exec gave the process one, and no i386 process has it.
    func testMapsWithoutRandomization() throws {
        if case .failure(let error) = Harness.nativeRunner {
            throw XCTSkip("no native run to compare /proc/self/maps with: \(error)")
        }
        let setarch = URL(fileURLWithPath: "/usr/bin/setarch")
        try forEachVariant { variant in
            let program = try Harness.program("maps", variant: variant)
            let native = try Harness.run(setarch, ["-R", program.path])
            let loaded = try Harness.run(setarch, ["-R", Harness.loader.path, program.path])
            XCTAssertEqual(native.ending, .exited(0), native.description)
            XCTAssertEqual(Self.withoutVsyscall(loaded), native, "\(variant)/maps with setarch -R")
        }
    }

    /// Randomized, addresses differ from run to run; the mappings must not:
    /// the same regions with the same permissions, files and names, and no
    /// mapping of the loader's below 4 GiB.
    func testMappingsWithRandomization() throws {
        if case .failure(let error) = Harness.nativeRunner {
            throw XCTSkip("no native run to compare /proc/self/maps with: \(error)")
        }
        try forEachVariant { variant in
            let program = try Harness.program("maps", variant: variant)
            let native = try Harness.run(program, [])
            let loaded = try Harness.run(Harness.loader, [program.path])
            XCTAssertEqual(Self.regions(Self.withoutVsyscall(loaded).stdout), Self.regions(native.stdout), "\(variant)/maps")
        }
    }

    private static func withoutVsyscall(_ result: RunResult) -> RunResult {
        var result = result
        result.stdout = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasSuffix("[vsyscall]") }.joined(separator: "\n")
        return result
    }

    /// Each line of /proc/self/maps without its addresses: permissions,
    /// offset, device, inode and name.
    private static func regions(_ maps: String) -> [String] {
        maps.split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().joined(separator: " ")
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
