// What a program learns about itself from the kernel (/proc/self, brk and
// stack limits, re-exec through /proc/self/exe), natively and under elf32-exec.

import Foundation
import XCTest

final class NativeIdentityTests: XCTestCase {
    let variant = "static"

    /// brk past 1 GiB and back, 1 GiB of mmap, mremap growth, a 300 MiB
    /// malloc, recursion to RLIMIT_STACK - 1 MiB, what /proc/self/maps names.
    func testMemory() throws {
        for variant in ProgramTests.variants {
            try Harness.assertSameAsNative("memory", variant: variant)
        }
    }

    /// /proc/self/cmdline, environ, exe, comm, stat, status, task, fd, auxv.
    func testIdentity() throws {
        for variant in ProgramTests.variants {
            try Harness.assertSameAsNative("identity", ["a", "b c"], variant: variant)
        }
    }

    /// A multi-call program re-executing itself through /proc/self/exe.
    func testReexec() throws {
        for variant in ProgramTests.variants {
            try Harness.assertSameAsNative("reexec", variant: variant)
        }
    }

    /// As an ordinary user (uid 65534) the loader cannot make /proc/self/exe
    /// name the program (PR_SET_MM_MAP's exe_fd needs CAP_CHECKPOINT_RESTORE),
    /// so a re-exec through /proc/self/exe starts elf32-exec again, which finds
    /// the program through the re-exec record its ancestor left
    /// (Sources/ELFLoader/ReexecRecord.swift). The applets must run as natively.
    func testReexecUnprivileged() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to drop to uid 65534 with setpriv; running as uid \(getuid())")
        }
        let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
        guard FileManager.default.isExecutableFile(atPath: setpriv.path) else {
            throw XCTSkip("/usr/bin/setpriv is missing (Debian: util-linux)")
        }
        let program = try Harness.program("reexec", variant: variant)
        if case .failure(let error) = Harness.nativeRunner {
            throw XCTSkip("cannot compare \(variant)/reexec with a native run: \(error)")
        }

        // uid 65534 must be able to read and execute both binaries, and the
        // repository (under /work) may not be reachable for it: copy them.
        let files = FileManager.default
        let directory = files.temporaryDirectory.appendingPathComponent("elf32-exec-unprivileged-\(UUID().uuidString)")
        try files.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? files.removeItem(at: directory) }
        let programCopy = directory.appendingPathComponent("reexec")
        let loaderCopy = directory.appendingPathComponent("elf32-exec")
        try files.copyItem(at: program, to: programCopy)
        try files.copyItem(at: Harness.loader, to: loaderCopy)
        for copy in [programCopy, loaderCopy] {
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        }

        let unprivileged = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let native = try Harness.run(setpriv, unprivileged + [programCopy.path])
        XCTAssertEqual(
            native.ending, .exited(0),
            "the native run as uid 65534 failed; can uid 65534 reach \(directory.path)?\n\(native)")
        let loaded = try Harness.run(setpriv, unprivileged + [loaderCopy.path, programCopy.path])
        XCTAssertEqual(loaded, native, "\(variant)/reexec as uid 65534 under elf32-exec differs from native")
    }
}
