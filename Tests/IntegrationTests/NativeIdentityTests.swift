// What a program learns about itself from the kernel (/proc/self, brk and
// stack limits, re-exec through /proc/self/exe), natively and under elf32-exec.

import Foundation
import XCTest

final class NativeIdentityTests: XCTestCase {
    let variant = "static"

    /// brk past 1 GiB and back, 1 GiB of mmap, mremap growth, a 300 MiB
    /// malloc, recursion to RLIMIT_STACK - 1 MiB, what /proc/self/maps names.
    func testMemory() throws {
        for variant in DifferentialTests.variants {
            try Harness.assertSameAsNative("memory", variant: variant)
        }
    }

    /// /proc/self/cmdline, environ, exe, comm, stat, status, task, fd, auxv.
    func testIdentity() throws {
        for variant in DifferentialTests.variants {
            try Harness.assertSameAsNative("identity", ["a", "b c"], variant: variant)
        }
    }

    /// A multi-call program re-executing itself through /proc/self/exe.
    func testReexec() throws {
        for variant in DifferentialTests.variants {
            try Harness.assertSameAsNative("reexec", variant: variant)
        }
    }

    /// As an ordinary user (uid 65534) the loader cannot make /proc/self/exe
    /// name the program (PR_SET_MM_MAP's exe_fd needs CAP_CHECKPOINT_RESTORE),
    /// so a re-exec through /proc/self/exe starts elf32-exec again, which finds
    /// the program through the re-exec record its ancestor left
    /// (Sources/ELFLoader/ReexecRecord.swift). The applets must run as natively.
    func testReexecUnprivileged() throws {
        let program = try Harness.program("reexec", variant: variant)
        if case .failure(let error) = Harness.nativeRunner {
            throw XCTSkip("cannot compare \(variant)/reexec with a native run: \(error)")
        }
        let copies = try UnprivilegedCopies(of: program)
        defer { copies.remove() }
        let native = try copies.run([copies.program.path])
        XCTAssertEqual(
            native.ending, .exited(0),
            "the native run as uid 65534 failed; can uid 65534 reach \(copies.directory.path)?\n\(native)")
        let loaded = try copies.run([copies.loader.path, copies.program.path])
        XCTAssertEqual(loaded, native, "\(variant)/reexec as uid 65534 under elf32-exec differs from native")
    }
}
