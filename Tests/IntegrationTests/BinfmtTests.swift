// elf32-exec as the binfmt_misc interpreter for i386 ELF, in a private
// binfmt_misc instance (a new user and mount namespace, Linux >= 6.7), so the
// host's registrations are never touched. Every run happens inside such a
// namespace: once with elf32-exec registered, once without (the kernel runs
// the program itself), and the two must print the same.

import Foundation
import XCTest

final class BinfmtTests: XCTestCase {
    static let flagSets = ["", "P", "F", "PF", "OC", "POCF"]
    /// Stands for `binfmt.sh install` without --flags.
    static let defaultFlags = "default"

    /// What each run does, from the static testdata directory: a program
    /// exec'd directly, from a shell pipeline, and through execve from
    /// another i386 program; argv[0], AT_FLAGS, AT_EXECFN, /proc/self/exe,
    /// comm and the exit status are all in the output.
    static let commands = """
        ./args_env a 'b c'
        ./args_env x | cat
        ./auxv a | grep -E '^AT_(FLAGS|EXECFN|SECURE|EUID)|SOME CHECKS'
        ./identity a 'b c'
        ./launch ./args_env launched
        ./launch ./identity launched | grep -E 'exe|comm'
        ./exit_status 7; echo "exit status $?"
        """

    /// The default registration (PF) keeps argv[0] as the caller gave it:
    /// `exec -a NAME`, a login shell's leading dash, in argv and in
    /// /proc/self/cmdline, and through a launching i386 program.
    func testDefaultRegistrationKeepsArgv0() throws {
        let commands = """
            (exec -a custom-name ./args_env x)
            (exec -a -bash ./args_env)
            (exec -a named ./identity) | grep -E 'cmdline|comm'
            ./launch ./args_env launched
            """
        let native = try runInPrivateBinfmt(registering: nil, commands: commands)
        XCTAssertEqual(native.ending, .exited(0), native.description)
        XCTAssertTrue(native.stdout.contains("-bash"), native.description)
        XCTAssertEqual(try runInPrivateBinfmt(registering: Self.defaultFlags, commands: commands), native)
        let entry = try runInPrivateBinfmt(registering: Self.defaultFlags, commands: "grep '^flags' /proc/sys/fs/binfmt_misc/elf32-exec")
        XCTAssertEqual(entry.stdout, "flags: PF\n", entry.description)
    }

    func testEveryFlagSet() throws {
        let native = try runInPrivateBinfmt(registering: nil)
        XCTAssertEqual(native.ending, .exited(0), native.description)
        for flags in Self.flagSets {
            let loaded = try runInPrivateBinfmt(registering: flags)
            XCTAssertEqual(loaded, native, "flags '\(flags)': through binfmt_misc and elf32-exec differs from native")
        }
    }

    /// Shebang scripts whose interpreter is an i386 program: binfmt_script
    /// runs first and hands binfmt_misc the interpreter, with the script's
    /// path as AT_EXECFN. With and without an interpreter argument, through
    /// a symlink, nested (refused natively: a script cannot interpret a
    /// script), and with argv[0] set by the caller.
    func testShebangScripts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-scripts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let programs = try Harness.program("args_env").deletingLastPathComponent()
        func script(_ name: String, _ line: String) throws {
            let url = directory.appendingPathComponent(name)
            try "#!\(line)\necho not reached\n".write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        try script("plain", programs.appendingPathComponent("args_env").path)
        try script("with-argument", programs.appendingPathComponent("args_env").path + " one argument")
        try script("auxv-script", programs.appendingPathComponent("auxv").path)
        try script("identity-script", programs.appendingPathComponent("identity").path)
        try script("nested", directory.appendingPathComponent("plain").path)
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("link"), withDestinationURL: directory.appendingPathComponent("plain"))
        let commands = """
            cd \(directory.path)
            ./plain a 'b c'
            ./with-argument x
            ./link y
            ./nested z; echo "nested: $?"
            (exec -a custom-name ./plain q)
            ./auxv-script | grep -E '^AT_(EXECFN|FLAGS)|SOME CHECKS'
            ./identity-script a | grep -E 'comm|cmdline|exe'
            """
        let native = try runInPrivateBinfmt(registering: nil, commands: commands)
        XCTAssertTrue(native.stdout.contains("argv[1]=\"one argument\""), native.description)
        for flags in Self.flagSets {
            let loaded = try runInPrivateBinfmt(registering: flags, commands: commands)
            XCTAssertEqual(loaded, native, "flags '\(flags)': scripts through binfmt_misc and elf32-exec differ from native")
        }
    }

    /// Proof that the registered runs really go through elf32-exec (the kernel
    /// would not know ELF32_EXEC_SYSROOT): a dynamic program's interpreter
    /// comes from the sysroot the variable names.
    func testRegisteredRunsGoThroughElf32Exec() throws {
        let sysroot = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-sysroot-\(UUID().uuidString)")
        let copy = sysroot.appendingPathComponent("lib/ld-linux.so.2")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sysroot) }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "/lib/ld-linux.so.2").resolvingSymlinksInPath(), to: copy)
        let dynamic = try Harness.program("dl", variant: "dynamic")
        let command = "SHOW_INTERP=1 ELF32_EXEC_SYSROOT=\(sysroot.path) \(dynamic.path) | grep 'interpreter mapped from'"
        for flags in ["", "POCF"] {
            let result = try runInPrivateBinfmt(registering: flags, commands: command)
            XCTAssertEqual(result.stdout, "interpreter mapped from: \(copy.path)\n", "flags '\(flags)': \(result)")
        }
        let native = try runInPrivateBinfmt(registering: nil, commands: command)
        XCTAssertFalse(native.stdout.contains(sysroot.path), native.description)
    }

    /// A setuid-root i386 program run by uid 65534: with the C flag the kernel
    /// takes the credentials from the program (euid 0, AT_SECURE 1), as a
    /// native exec does; without it, from elf32-exec's caller.
    func testSetuidProgramWithCredentialsFlag() throws {
        try Self.requirePrivateBinfmt()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elf32-exec-setuid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appendingPathComponent("setuid-auxv")
        try FileManager.default.copyItem(at: try Harness.program("auxv"), to: program)
        try FileManager.default.setAttributes([.ownerAccountID: 0], ofItemAtPath: program.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o4755], ofItemAtPath: program.path)  // after chown, which clears it
        let command = "setpriv --reuid=65534 --regid=65534 --clear-groups \(program.path) | grep -E '^AT_(EUID|SECURE)='"

        let native = try runWithUnprivilegedUser(registering: nil, command)
        XCTAssertEqual(native.stdout, "AT_EUID=0x0\nAT_SECURE=0x1\n", native.description)
        for flags in ["OC", "POCF"] {
            XCTAssertEqual(try runWithUnprivilegedUser(registering: flags, command), native, "flags '\(flags)'")
        }
        for flags in ["", "PF"] {
            let result = try runWithUnprivilegedUser(registering: flags, command)
            XCTAssertEqual(result.stdout, "AT_EUID=0xfffe\nAT_SECURE=0x0\n", "flags '\(flags)': \(result)")
        }
    }

    /// Like `runInPrivateBinfmt`, with uid and gid 65534 mapped too, so that a
    /// command can drop to them: the namespace's maps are written from outside.
    private func runWithUnprivilegedUser(registering flags: String?, _ command: String) throws -> RunResult {
        guard getuid() == 0 else { throw XCTSkip("needs root to map a second user into the namespace") }
        let inner = script(registering: flags, commands: command)
        // One write per map (so /usr/bin/printf, not the builtin); the child
        // gives up after 5 s should the maps never come.
        let outer = """
            unshare --user --mount --fork /bin/bash -c \\
              'for i in $(seq 500); do grep -q 65534 /proc/self/uid_map && exec /bin/bash -c "$0"; sleep 0.01; done; exit 99' "$INNER" &
            until [ "$(readlink /proc/$!/ns/user)" != "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
            for map in uid_map gid_map; do /usr/bin/printf '0 0 1\\n65534 65534 1\\n' >/proc/$!/$map; done
            wait $!
            """
        return try Harness.run(URL(fileURLWithPath: "/bin/bash"), ["-c", outer], environment: ["INNER": inner])
    }

    /// Runs `commands` in a fresh user and mount namespace with its own
    /// binfmt_misc; with `flags`, elf32-exec is registered for i386 ELF first.
    private func runInPrivateBinfmt(registering flags: String?, commands: String = commands) throws -> RunResult {
        try Self.requirePrivateBinfmt()
        return try Harness.run(
            URL(fileURLWithPath: "/usr/bin/unshare"),
            ["--user", "--map-root-user", "--mount", "/bin/bash", "-c", script(registering: flags, commands: commands)])
    }

    /// Mounts the namespace's binfmt_misc, registers elf32-exec with `flags`
    /// (none: the kernel runs i386 programs itself), runs `commands` from the
    /// static testdata directory.
    /// (`defaultFlags`: as `install` registers without --flags.) The build
    /// output gets no file capability.
    private func script(registering flags: String?, commands: String) -> String {
        let register = flags.map {
            "\(Harness.repositoryRoot.path)/scripts/binfmt.sh install --interpreter \(Harness.loader.path)"
                + ($0 == Self.defaultFlags ? "" : " --flags '\($0)'") + " --no-capability --no-persist >/dev/null"
        } ?? ":"
        return """
            set -e
            mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
            \(register)
            set +e
            /bin/true  # the last external command, which `exec -a` passes on as $_: the same both ways
            cd \((try? Harness.program("args_env").deletingLastPathComponent().path) ?? ".")
            \(commands)
            """
    }

    /// Skips, saying why, where the kernel cannot give a private instance.
    static func requirePrivateBinfmt() throws {
        if case .failure(let error) = privateBinfmt { throw XCTSkip("no private binfmt_misc instance: \(error)") }
        if case .failure(let error) = Harness.nativeRunner { throw XCTSkip("no native i386 run to compare with: \(error)") }
    }

    static let privateBinfmt: Result<Void, Error> = Result {
        let probe = try Harness.run(
            URL(fileURLWithPath: "/usr/bin/unshare"),
            ["--user", "--map-root-user", "--mount", "/bin/sh", "-c",
             "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && test -e /proc/sys/fs/binfmt_misc/register"])
        guard probe.ending == .exited(0) else { throw HarnessError.noNativeI386("unshare/mount failed: \(probe.stderr)") }
    }
}
