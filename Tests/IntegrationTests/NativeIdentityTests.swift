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

    /// With the cap_checkpoint_restore file capability (what `binfmt.sh
    /// install` and the package give the loader), an ordinary user's program
    /// is its own /proc/self/exe: readlink of it names the program (what
    /// perl's $^X relies on), a re-exec through it starts the program itself,
    /// and the capability reaches neither the program's capability sets nor
    /// its AT_SECURE.
    func testUnprivilegedWithCapability() throws {
        let setcap = URL(fileURLWithPath: "/usr/sbin/setcap")
        guard FileManager.default.isExecutableFile(atPath: setcap.path) else {
            throw XCTSkip("\(setcap.path) is missing (Debian: libcap2-bin)")
        }
        if case .failure(let error) = Harness.nativeRunner {
            throw XCTSkip("cannot compare with a native run: \(error)")
        }
        for (name, arguments) in [("identity", ["a b"]), ("reexec", []), ("auxv", [])] {
            let copies = try UnprivilegedCopies(of: try Harness.program(name, variant: variant))
            defer { copies.remove() }
            let given = try Harness.run(setcap, ["cap_checkpoint_restore+ep", copies.loader.path])
            XCTAssertEqual(given.ending, .exited(0), given.description)
            let native = try copies.run([copies.program.path] + arguments)
            let loaded = try copies.run([copies.loader.path, copies.program.path] + arguments)
            XCTAssertEqual(native.ending, .exited(0), native.description)
            XCTAssertEqual(loaded, native, "\(name) as uid 65534 under elf32-exec with cap_checkpoint_restore differs from native")
        }
    }
}
