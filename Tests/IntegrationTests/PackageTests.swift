// The Debian package (scripts/package.sh): built from the elf32-exec under
// test, its contents checked against their sources (binfmt.sh's registration
// line, the man page, the maintainer scripts), lintian, the man page's lint,
// and an install, reinstall, removal and purge in throw-away roots with a
// private binfmt_misc instance (scripts/package-check.sh): the host's
// registrations and files are never touched, and nothing is installed on it.

import Foundation
import XCTest

final class PackageTests: XCTestCase {
    static let bash = URL(fileURLWithPath: "/bin/bash")

    static func script(_ name: String) -> String {
        Harness.repositoryRoot.appendingPathComponent("scripts/\(name)").path
    }

    /// The package, built once per test process into a temporary directory.
    static let built: Result<URL, Error> = Result {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb") else {
            throw PackageTestError.missingTool("dpkg-deb (Debian: dpkg)")
        }
        // One directory, emptied by each run, so that runs leave one .deb behind.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-package-test")
        try? FileManager.default.removeItem(at: output)
        let result = try Harness.run(
            bash, [script("package.sh"), "--output", output.path], environment: ["ELF32_EXEC_BINARY": Harness.loader.path])
        guard result.ending == .exited(0), let last = result.stdout.split(separator: "\n").last else {
            throw PackageTestError.failed("scripts/package.sh", result)
        }
        return URL(fileURLWithPath: String(last))
    }

    /// The version the package must have: what the binary prints.
    static func version() throws -> String {
        let result = try Harness.run(Harness.loader, ["--version"])
        let words = result.stdout.split(whereSeparator: \.isWhitespace)
        guard result.ending == .exited(0), words.count == 2, words[0] == "elf32-exec" else {
            throw PackageTestError.failed("elf32-exec --version", result)
        }
        return String(words[1])
    }

    func deb() throws -> URL { try Self.built.get() }

    /// Runs a shell command line (fixed environment, no descriptors above 2).
    @discardableResult
    func shell(_ command: String, environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> RunResult {
        try Harness.run(Self.bash, ["-c", command], environment: environment, timeout: timeout)
    }

    func unpacked() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-unpacked-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let result = try shell("mkdir -p \"$DIR\" && dpkg-deb -x \"$DEB\" \"$DIR/root\" && dpkg-deb -e \"$DEB\" \"$DIR/control\"",
                               environment: ["DEB": try deb().path, "DIR": directory.path])
        XCTAssertEqual(result.ending, .exited(0), result.description)
        return directory
    }

    func testPackageIsNamedAndVersionedFromTheBinary() throws {
        let version = try Self.version()
        XCTAssertEqual(try deb().lastPathComponent, "elf32-exec_\(version)_amd64.deb")
        let fields = try shell("dpkg-deb -f \"$DEB\" Package Version Architecture Depends", environment: ["DEB": try deb().path])
        XCTAssertEqual(fields.stdout, "Package: elf32-exec\nVersion: \(version)\nArchitecture: amd64\nDepends: libcap2-bin\n", fields.description)
        let changelog = try shell("gzip -dc \"$DIR/root/usr/share/doc/elf32-exec/changelog.Debian.gz\" | head -n 1",
                                  environment: ["DIR": try unpacked().path])
        XCTAssertTrue(changelog.stdout.hasPrefix("elf32-exec (\(version)) "), changelog.description)
    }

    /// Every path with its mode and owner: nothing more, nothing less.
    func testPathsAndModes() throws {
        let listing = try shell("dpkg-deb -c \"$DEB\"", environment: ["DEB": try deb().path])
        XCTAssertEqual(listing.ending, .exited(0), listing.description)
        let entries = listing.stdout.split(separator: "\n").map { line -> String in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            return "\(columns[0]) \(columns[1]) \(columns.last!)"
        }
        let directories = ["./", "./usr/", "./usr/bin/", "./usr/lib/", "./usr/lib/binfmt.d/", "./usr/libexec/", "./usr/libexec/elf32-exec/",
                           "./usr/share/", "./usr/share/binfmts/", "./usr/share/doc/", "./usr/share/doc/elf32-exec/",
                           "./usr/share/lintian/", "./usr/share/lintian/overrides/", "./usr/share/man/", "./usr/share/man/man1/"]
        let executables = ["./usr/bin/elf32-exec", "./usr/libexec/elf32-exec/binfmt.sh"]
        let files = ["./usr/lib/binfmt.d/elf32-exec.conf", "./usr/share/binfmts/elf32-exec",
                     "./usr/share/doc/elf32-exec/README.md", "./usr/share/doc/elf32-exec/changelog.Debian.gz",
                     "./usr/share/doc/elf32-exec/copyright", "./usr/share/lintian/overrides/elf32-exec",
                     "./usr/share/man/man1/elf32-exec.1.gz"]
        let expected = directories.map { "drwxr-xr-x root/root \($0)" } + executables.map { "-rwxr-xr-x root/root \($0)" }
            + files.map { "-rw-r--r-- root/root \($0)" }
        XCTAssertEqual(entries.sorted(), expected.sorted())

        let control = try unpacked().appendingPathComponent("control")
        for script in ["postinst", "prerm", "postrm"] {
            let path = control.appendingPathComponent(script).path
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o755, script)
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8),
                           try String(contentsOf: Harness.repositoryRoot.appendingPathComponent("packaging/\(script)"), encoding: .utf8),
                           "DEBIAN/\(script) is not packaging/\(script)")
        }
        let postinst = try String(contentsOf: control.appendingPathComponent("postinst"), encoding: .utf8)
        XCTAssertTrue(postinst.contains("setcap cap_checkpoint_restore+ep \"$binary\""))
    }

    /// The registration line is binfmt.sh's, and binfmt-support's format file says the same.
    func testRegistrationFilesComeFromBinfmtScript() throws {
        let line = try Harness.run(Self.bash, [Self.script("binfmt.sh"), "line", "--interpreter", "/usr/bin/elf32-exec"])
        XCTAssertEqual(line.ending, .exited(0), line.description)
        let root = try unpacked().appendingPathComponent("root")
        let conf = try String(contentsOf: root.appendingPathComponent("usr/lib/binfmt.d/elf32-exec.conf"), encoding: .utf8)
        XCTAssertEqual(conf, line.stdout)

        let fields = line.stdout.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields.count, 7, line.stdout)
        let flags = fields[6]
        let format = try String(contentsOf: root.appendingPathComponent("usr/share/binfmts/elf32-exec"), encoding: .utf8)
        func yesNo(_ letter: Character) -> String { flags.contains(letter) ? "yes" : "no" }
        XCTAssertEqual(format, """
            package elf32-exec
            interpreter /usr/bin/elf32-exec
            magic \(fields[3])
            offset \(fields[2].isEmpty ? "0" : fields[2])
            mask \(fields[4])
            credentials \(yesNo("C"))
            preserve \(yesNo("P"))
            fix_binary \(yesNo("F"))

            """)
    }

    func testPackagedBinaryAndDocumentation() throws {
        let directory = try unpacked()
        let root = directory.appendingPathComponent("root")
        let binary = try Harness.run(root.appendingPathComponent("usr/bin/elf32-exec"), ["--version"])
        XCTAssertEqual(binary.stdout, "elf32-exec \(try Self.version())\n", binary.description)
        // The man page is docs/elf32-exec.1 with the version on its .Os line.
        let page = try shell("gzip -dc \"$DIR/root/usr/share/man/man1/elf32-exec.1.gz\"", environment: ["DIR": directory.path])
        let source = try String(contentsOf: Harness.repositoryRoot.appendingPathComponent("docs/elf32-exec.1"), encoding: .utf8)
        XCTAssertEqual(page.stdout, source.replacingOccurrences(of: "\n.Os elf32-exec\n", with: "\n.Os elf32-exec \(try Self.version())\n"))
        let helper = try String(contentsOf: root.appendingPathComponent("usr/libexec/elf32-exec/binfmt.sh"), encoding: .utf8)
        let script = try String(contentsOfFile: Self.script("binfmt.sh"), encoding: .utf8)
        XCTAssertEqual(helper, script.replacingOccurrences(of: "#!/usr/bin/env bash\n", with: "#!/bin/bash\n"))
        for file in ["copyright", "README.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/share/doc/elf32-exec/\(file)").path), file)
        }
    }

    /// lintian: no errors; each warning named in the README with its reason.
    func testLintian() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") else {
            throw XCTSkip("lintian is missing (Debian: lintian; scripts/setup.sh installs it)")
        }
        let result = try shell("lintian --fail-on error --display-level '>=warning' \"$DEB\"", environment: ["DEB": try deb().path], timeout: 300)
        XCTAssertEqual(result.ending, .exited(0), "lintian reports errors:\n\(result)")
        XCTAssertFalse(result.stdout.contains("\nE: ") || result.stdout.hasPrefix("E: "), result.description)
        let readme = try String(contentsOf: Harness.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("W: ") {
            // "W: elf32-exec: TAG [where]"
            let tag = line.split(separator: " ").dropFirst(2).first.map(String.init) ?? String(line)
            XCTAssertTrue(readme.contains(tag), "lintian warning '\(line)' is neither fixed nor listed in README.md")
        }
    }

    /// The man page renders without a warning from man (groff) or mandoc.
    func testManPageLint() throws {
        let page = Harness.repositoryRoot.appendingPathComponent("docs/elf32-exec.1").path
        var checked = false
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/man") {
            let result = try shell("MANWIDTH=80 man --warnings -l \"$PAGE\" >/dev/null", environment: ["PAGE": page])
            XCTAssertEqual(result.ending, .exited(0), result.description)
            XCTAssertEqual(result.stderr, "", "man --warnings -l docs/elf32-exec.1")
            let rendered = try shell("MANWIDTH=80 man -l \"$PAGE\"", environment: ["PAGE": page])
            for section in ["SYNOPSIS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "BINFMT_MISC", "WHAT A PROGRAM OBSERVES",
                            "FILES", "EXAMPLES", "SEE ALSO", "ELF32_EXEC_SYSROOT", "/dev/shm/elf32-exec-", "qemu-user(1)", "binfmt-misc"] {
                XCTAssertTrue(rendered.stdout.contains(section), "the man page has no \(section)")
            }
            checked = true
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/mandoc") {
            let result = try shell("mandoc -T lint -W warning \"$PAGE\"", environment: ["PAGE": page])
            XCTAssertEqual(result.ending, .exited(0), result.description)
            XCTAssertEqual(result.stdout + result.stderr, "", "mandoc -T lint docs/elf32-exec.1")
            checked = true
        }
        if !checked { throw XCTSkip("neither man (Debian: man-db) nor mandoc is installed") }
    }

    /// binfmt.sh's two subcommands the packaging relies on.
    func testBinfmtLineAndI386Handlers() throws {
        let binfmt = Self.script("binfmt.sh")
        let line = try Harness.run(Self.bash, [binfmt, "line", "--interpreter", "/opt/x/elf32-exec", "--flags", "PF"])
        XCTAssertEqual(line.ending, .exited(0), line.description)
        XCTAssertTrue(line.stdout.hasPrefix(":elf32-exec:M::\\x7fELF\\x01\\x01\\x01\\x00"), line.stdout)
        XCTAssertTrue(line.stdout.hasSuffix(":/opt/x/elf32-exec:PF\n"), line.stdout)
        for bad in [["--flags", "Z"], ["--interpreter", "relative/elf32-exec"], ["--bogus"]] {
            let refused = try Harness.run(Self.bash, [binfmt, "line"] + bad)
            XCTAssertEqual(refused.ending, .exited(1), "line \(bad): \(refused)")
            XCTAssertEqual(refused.stdout, "")
        }

        if case .failure(let error) = BinfmtTests.privateBinfmt { throw XCTSkip("no private binfmt_misc instance: \(error)") }
        // In a private instance: elf32-exec itself (only with --all), qemu-i386
        // (matches), an ET_DYN-only i386 entry without a mask (matches),
        // qemu-arm (another machine), a disabled i386 entry, an extension entry.
        let ident = "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
        let magic = ident + "\\x02\\x00"
        let mask = "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff"
        let commands = """
            set -e
            mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
            r=/proc/sys/fs/binfmt_misc/register
            bash "$BINFMT" line --interpreter /usr/bin/elf32-exec --flags '' >$r
            echo ':qemu-i386:M::\(magic)\\x03\\x00:\(mask):/usr/libexec/qemu-binfmt/i386-binfmt-P:P' >$r
            echo ':qemu-arm:M::\(magic)\\x28\\x00:\(mask):/usr/libexec/qemu-binfmt/arm-binfmt-P:P' >$r
            echo ':old-i386:M::\(magic)\\x03\\x00:\(mask):/usr/bin/old-i386:' >$r
            echo 0 >/proc/sys/fs/binfmt_misc/old-i386
            echo ':dyn-i386:M::\(ident)\\x03\\x00\\x03\\x00::/usr/bin/dyn-i386:' >$r
            echo ':text:E::txt::/usr/bin/cat:' >$r
            bash "$BINFMT" i386-handlers
            echo --
            bash "$BINFMT" i386-handlers --all
            """
        let result = try Harness.run(
            URL(fileURLWithPath: "/usr/bin/unshare"), ["--user", "--map-root-user", "--mount", "/bin/bash", "-c", commands],
            environment: ["BINFMT": binfmt])
        XCTAssertEqual(result.ending, .exited(0), result.description)
        XCTAssertEqual(result.stdout, "dyn-i386\nqemu-i386\n--\ndyn-i386\nelf32-exec\nqemu-i386\n", result.description)
    }

    /// Install, reinstall, remove and purge in throw-away roots
    /// (scripts/package-check.sh): one made from this machine's /usr, /etc and
    /// /var, where each way the postinst registers is tried (by itself,
    /// systemd-binfmt, update-binfmts) and the refusal when another i386
    /// handler is there; and, as root with debootstrap at hand, a clean
    /// Debian 12 (debootstrap'd once into .build-package/, about 30 s and
    /// 200 MB; ELF32_EXEC_PACKAGE_CHECK_DEBIAN12=0 leaves it out).
    func testInstallAndRemoveInThrowAwayRoot() throws {
        // The programs the check runs (build-testdata.sh builds them).
        _ = try Harness.program("args_env")
        _ = try Harness.program("exit_status")
        _ = try Harness.program("dl", variant: "dynamic")
        try check(root: "host", timeout: 300)
    }

    func testInstallAndRemoveInCleanDebian12Root() throws {
        guard ProcessInfo.processInfo.environment["ELF32_EXEC_PACKAGE_CHECK_DEBIAN12"] != "0" else {
            throw XCTSkip("ELF32_EXEC_PACKAGE_CHECK_DEBIAN12=0")
        }
        guard getuid() == 0 else { throw XCTSkip("debootstrap needs root; running as uid \(getuid())") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/debootstrap") else {
            throw XCTSkip("debootstrap is missing (Debian: debootstrap)")
        }
        _ = try Harness.program("args_env")
        _ = try Harness.program("exit_status")
        _ = try Harness.program("dl", variant: "dynamic")
        try check(root: "debian12", timeout: 1200)
    }

    private func check(root: String, timeout: TimeInterval) throws {
        let result = try Harness.run(Self.bash, [Self.script("package-check.sh"), "--root", root, "--deb", try deb().path],
                                     timeout: timeout)
        if result.ending == .exited(77) { throw XCTSkip("scripts/package-check.sh --root \(root): \(result.stderr)") }
        XCTAssertEqual(result.ending, .exited(0), "scripts/package-check.sh --root \(root):\n\(result)")
        XCTAssertTrue(result.stdout.contains("package-check: all passed (\(root) root)"), result.description)
        for variant in ["own", "conflict-entry", "conflict-file"] {
            XCTAssertTrue(result.stdout.contains("package-check: \(root) root, \(variant): ok"), "\(variant): \(result)")
        }
        print(result.stdout, terminator: "")
    }
}

enum PackageTestError: Error, CustomStringConvertible {
    case missingTool(String)
    case failed(String, RunResult)

    var description: String {
        switch self {
        case .missingTool(let tool): return "\(tool) is missing"
        case .failed(let what, let result): return "\(what) failed:\n\(result)"
        }
    }
}
