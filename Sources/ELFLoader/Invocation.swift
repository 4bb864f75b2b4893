// How elf32-exec was started, and so what to run: binfmt_misc running an
// i386 program (or a script whose interpreter is one), a program
// re-executing itself through /proc/self/exe, or a command line.

public enum Invocation: Equatable, Sendable {
    case run(ExecRequest)
    case help
    case version

    /// - binfmt_misc: AT_EXECFN is the program's (or script's) path, not
    ///   elf32-exec's, or the kernel said so (AT_FLAGS' P bit, AT_EXECFD).
    ///   argv is [interpreter, program, (the original argv[0] with the P
    ///   flag), arguments...]; for a script the program is the script's
    ///   interpreter and the arguments hold its optional argument and the
    ///   script's path, as binfmt_script left them.
    /// - re-exec: AT_EXECFN is /proc/self/exe and a record names the program.
    /// - otherwise: `elf32-exec [OPTIONS] PROGRAM [ARGS...]`.
    public static func of(_ start: ProcessStart, reexecRecord: () -> ReexecRecord?) throws(ExecError) -> Invocation {
        let arguments = start.arguments
        let preserveArgv0 = start.flags & ProcessStart.preserveArgv0 != 0
        if (!start.execFilenameIsLoader || preserveArgv0 || start.execFD != nil) && arguments.count >= 2 {
            guard !preserveArgv0 || arguments.count >= 3 else { throw .usage("binfmt_misc P flag without argv[0]") }
            return .run(ExecRequest(
                path: arguments[1], descriptor: start.execFD, execFilename: start.execFilename,
                arguments: Array(arguments[(preserveArgv0 ? 2 : 1)...]), environment: start.environment,
                sysroot: sysroot(in: start), process: start))
        }
        if ReexecRecord.isSelfExecutable(start.execFilename), let record = reexecRecord() {
            return .run(ExecRequest(
                path: record.program, execFilename: start.execFilename, arguments: arguments,
                environment: start.environment, sysroot: record.sysroot, useVDSO: record.useVDSO, process: start))
        }
        let options = try CommandLineOptions.parse(Array(arguments.dropFirst()))
        switch options.action {
        case .help: return .help
        case .version: return .version
        case .run:
            return .run(ExecRequest(
                path: options.program, arguments: options.programArguments, environment: start.environment,
                sysroot: options.sysroot ?? sysroot(in: start), useVDSO: options.useVDSO, verbose: options.verbose,
                process: start))
        }
    }

    /// The --help text.
    public static var usage: String { CommandLineOptions.usage }

    static let sysrootVariable = Array("ELF32_EXEC_SYSROOT=".utf8)

    /// ELF32_EXEC_SYSROOT, unless the process runs with AT_SECURE credentials
    /// (a setuid program through binfmt_misc's C flag): then the caller's
    /// environment must not choose the interpreter.
    static func sysroot(in start: ProcessStart) -> [UInt8]? {
        guard start.auxiliary.secure == 0 else { return nil }
        return start.environment.first { $0.starts(with: sysrootVariable) }.map { Array($0.dropFirst(sysrootVariable.count)) }
    }
}
