// Invocation.of and CommandLineOptions.parse: how a start of elf32-exec is
// read, as pure functions of the ProcessStart.

import XCTest
@testable import ELFLoader

final class InvocationTests: XCTestCase {
    private func bytes(_ strings: [String]) -> [[UInt8]] { strings.map { Array($0.utf8) } }

    private func start(
        _ arguments: [String], execFilename: String, flags: UInt32 = 0, execFD: Int32? = nil,
        isLoader: Bool, environment: [String] = ["A=1"], secure: UInt32 = 0
    ) -> ProcessStart {
        var auxiliary = KernelAuxiliaryValues()
        auxiliary.secure = secure
        return ProcessStart(
            arguments: bytes(arguments), environment: bytes(environment), execFilename: Array(execFilename.utf8),
            flags: flags, execFD: execFD, auxiliary: auxiliary, execFilenameIsLoader: isLoader)
    }

    private func request(_ invocation: Invocation, file: StaticString = #filePath, line: UInt = #line) -> ExecRequest? {
        guard case .run(let request) = invocation else { XCTFail("not a run: \(invocation)", file: file, line: line); return nil }
        return request
    }

    // MARK: Command line

    func testCommandLine() throws {
        let process = start(["elf32-exec", "--no-vdso", "-v", "./prog", "--verbose", "x"], execFilename: "/usr/bin/elf32-exec", isLoader: true)
        let run = try XCTUnwrap(request(try Invocation.of(process) { nil }))
        XCTAssertEqual(run.path, Array("./prog".utf8))
        XCTAssertEqual(run.execFilename, Array("./prog".utf8))
        XCTAssertEqual(run.arguments, bytes(["./prog", "--verbose", "x"]))
        XCTAssertEqual(run.environment, bytes(["A=1"]))
        XCTAssertFalse(run.useVDSO)
        XCTAssertTrue(run.verbose)
    }

    func testOptionValues() throws {
        for arguments in [["--argv0", "name", "--sysroot", "/root"], ["--argv0=name", "--sysroot=/root"]] {
            let options = try CommandLineOptions.parse(bytes(arguments + ["prog", "a"]))
            XCTAssertEqual(options.programArguments, bytes(["name", "a"]))
            XCTAssertEqual(options.sysroot, Array("/root".utf8))
        }
        XCTAssertEqual(try CommandLineOptions.parse(bytes(["--", "-prog"])).program, Array("-prog".utf8))
        XCTAssertEqual(try CommandLineOptions.parse(bytes(["-"])).program, Array("-".utf8))
        XCTAssertEqual(try CommandLineOptions.parse(bytes(["--help", "--bogus"])).action, .help)
        XCTAssertEqual(try CommandLineOptions.parse(bytes(["--version"])).action, .version)
    }

    func testUsageErrors() {
        let cases: [([String], String)] = [
            ([], "missing PROGRAM"),
            (["-v"], "missing PROGRAM"),
            (["--"], "missing PROGRAM"),
            (["--bogus", "prog"], "unknown option '--bogus'"),
            (["--argv0"], "option '--argv0' needs a value"),
            (["--no-vdso=1", "prog"], "option '--no-vdso' takes no value"),
        ]
        for (arguments, message) in cases {
            XCTAssertThrowsError(try CommandLineOptions.parse(bytes(arguments))) {
                XCTAssertEqual($0 as? ExecError, .usage(message), "\(arguments)")
                XCTAssertEqual(($0 as? ExecError)?.exitStatus, 2)
            }
        }
    }

    func testHelpListsEveryOption() {
        for option in CommandLineOptions.options {
            for name in option.names { XCTAssertTrue(Invocation.usage.contains(name), name) }
        }
    }

    func testSysrootVariableUnlessSecure() throws {
        let environment = ["A=1", "ELF32_EXEC_SYSROOT=/tree"]
        let plain = start(["elf32-exec", "prog"], execFilename: "elf32-exec", isLoader: true, environment: environment)
        XCTAssertEqual(request(try Invocation.of(plain) { nil })?.sysroot, Array("/tree".utf8))
        let secure = start(["elf32-exec", "prog"], execFilename: "elf32-exec", isLoader: true, environment: environment, secure: 1)
        XCTAssertNil(request(try Invocation.of(secure) { nil })?.sysroot)
        let option = start(["elf32-exec", "--sysroot", "/other", "prog"], execFilename: "elf32-exec", isLoader: true, environment: environment)
        XCTAssertEqual(request(try Invocation.of(option) { nil })?.sysroot, Array("/other".utf8))
    }

    // MARK: binfmt_misc

    func testBinfmtWithoutFlags() throws {
        // argv[0] replaced by the path: [interpreter, program, arguments...].
        let process = start(["/usr/bin/elf32-exec", "./prog", "--no-vdso"], execFilename: "./prog", isLoader: false)
        let run = try XCTUnwrap(request(try Invocation.of(process) { nil }))
        XCTAssertEqual(run.path, Array("./prog".utf8))
        XCTAssertEqual(run.arguments, bytes(["./prog", "--no-vdso"]))
        XCTAssertTrue(run.useVDSO)
    }

    func testBinfmtPreservingArgv0() throws {
        let process = start(["/usr/bin/elf32-exec", "/bin/prog", "prog", "a"], execFilename: "/bin/prog", flags: 1, isLoader: false)
        let run = try XCTUnwrap(request(try Invocation.of(process) { nil }))
        XCTAssertEqual(run.arguments, bytes(["prog", "a"]))
        XCTAssertThrowsError(try Invocation.of(start(["/usr/bin/elf32-exec", "/bin/prog"], execFilename: "/bin/prog", flags: 1, isLoader: false)) { nil })
    }

    func testBinfmtScript() throws {
        // `./sc a` with "#!/bin/interp opt": binfmt_script gives [interp, opt,
        // ./sc, a] and binfmt_misc with P prepends [elf32-exec, interp].
        let process = start(
            ["/usr/bin/elf32-exec", "/bin/interp", "/bin/interp", "opt", "./sc", "a"], execFilename: "./sc", flags: 1,
            isLoader: false)
        let run = try XCTUnwrap(request(try Invocation.of(process) { nil }))
        XCTAssertEqual(run.path, Array("/bin/interp".utf8))
        XCTAssertEqual(run.execFilename, Array("./sc".utf8))
        XCTAssertEqual(run.arguments, bytes(["/bin/interp", "opt", "./sc", "a"]))
        // Without P the script's argv loses nothing: argv[0] is the interpreter anyway.
        let withoutP = start(["/usr/bin/elf32-exec", "/bin/interp", "opt", "./sc", "a"], execFilename: "./sc", isLoader: false)
        XCTAssertEqual(request(try Invocation.of(withoutP) { nil })?.arguments, bytes(["/bin/interp", "opt", "./sc", "a"]))
    }

    func testBinfmtOpenDescriptor() throws {
        // O: AT_EXECFD, even when AT_EXECFN happens to be elf32-exec itself.
        let process = start(["/usr/bin/elf32-exec", "/x", "a"], execFilename: "/x", execFD: 3, isLoader: true)
        XCTAssertEqual(request(try Invocation.of(process) { nil })?.descriptor, 3)
    }

    func testLoaderLookedUpOnlyWhenInDoubt() {
        // Records the look-up: it costs two stat calls, so it must be asked
        // only when the start itself leaves the doubt.
        func namesLoader(_ arguments: [String], _ execFilename: String, flags: UInt32 = 0, execFD: Int32? = nil,
                         isLoader: Bool) -> (Bool, looked: Bool) {
            var looked = false
            let result = ProcessStart.execFilenameNamesLoader(
                arguments: bytes(arguments), execFilename: Array(execFilename.utf8), flags: flags, execFD: execFD
            ) { _ in looked = true; return isLoader }
            return (result, looked)
        }
        // Run by name: AT_EXECFN (the loader's path) is none of argv[1...].
        XCTAssertTrue(namesLoader(["elf32-exec", "-v", "./prog"], "/usr/bin/elf32-exec", isLoader: false) == (true, false))
        // binfmt_misc without P: argv[1] is AT_EXECFN; for a script, after the interpreter.
        XCTAssertTrue(namesLoader(["/usr/bin/elf32-exec", "./prog", "a"], "./prog", isLoader: false) == (false, true))
        XCTAssertTrue(namesLoader(["/usr/bin/elf32-exec", "/bin/interp", "opt", "./sc"], "./sc", isLoader: false) == (false, true))
        // ...unless the path really is the loader's (elf32-exec run on itself).
        XCTAssertTrue(namesLoader(["elf32-exec", "/usr/bin/elf32-exec"], "/usr/bin/elf32-exec", isLoader: true) == (true, true))
        // P or O: binfmt_misc, no look-up.
        XCTAssertTrue(namesLoader(["/usr/bin/elf32-exec", "/x", "x"], "/x", flags: 1, isLoader: true) == (false, false))
        XCTAssertTrue(namesLoader(["/usr/bin/elf32-exec", "/x"], "/x", execFD: 3, isLoader: true) == (false, false))
    }

    // MARK: Re-exec

    func testReexecThroughProcSelfExe() throws {
        let record = ReexecRecord(program: Array("/bin/prog".utf8), sysroot: nil, useVDSO: false)
        for path in ["/proc/self/exe", "/proc/thread-self/exe", "/proc/\(getpid())/exe"] {
            let process = start(["applet", "-x"], execFilename: path, isLoader: true)
            let run = try XCTUnwrap(request(try Invocation.of(process) { record }))
            XCTAssertEqual(run.path, record.program)
            XCTAssertEqual(run.arguments, bytes(["applet", "-x"]))
            XCTAssertFalse(run.useVDSO)
        }
        // Another process's executable is not this one.
        XCTAssertFalse(ReexecRecord.isSelfExecutable(Array("/proc/\(getpid() + 1)/exe".utf8)))
        XCTAssertFalse(ReexecRecord.isSelfExecutable(Array("/proc//exe".utf8)))
        // Without a record it is a command line.
        XCTAssertThrowsError(try Invocation.of(start(["applet", "-x"], execFilename: "/proc/self/exe", isLoader: true)) { nil })
    }

    func testRecordEncoding() {
        let identity = ProcessIdentity(pid: 7, parent: 1, startTime: Array("12345".utf8), pidNamespace: Array("pid:[4026531836]".utf8))
        let record = ReexecRecord(program: Array("/bin/prog".utf8), sysroot: Array("/tree".utf8), useVDSO: true)
        XCTAssertEqual(ReexecRecord.decode(record.encoded(identity), identity: identity), record)
        var other = identity
        other.startTime = Array("12346".utf8)
        XCTAssertNil(ReexecRecord.decode(record.encoded(identity), identity: other))
        other = identity
        other.pidNamespace = Array("pid:[1]".utf8)
        XCTAssertNil(ReexecRecord.decode(record.encoded(identity), identity: other))
    }
}
