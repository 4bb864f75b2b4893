// How elf32-exec was started, and so what to run: a command line typed by
// someone, binfmt_misc running an i386 program, or a program re-executing
// itself through /proc/self/exe.

import ELFLoader

enum Invocation {
    case run(ExecRequest)
    case help
    case version

    /// - binfmt_misc: argv is [interpreter, program path, (original argv[0]
    ///   with the P flag), arguments...] and the program path is also our
    ///   AT_EXECFN, which no one typing a command line can arrange.
    /// - re-exec: AT_EXECFN is /proc/self/exe and a record names the program.
    /// - otherwise: `elf32-exec [OPTIONS] PROGRAM [ARGS...]`.
    static func of(_ start: ProcessStart, reexecRecord: () -> ReexecRecord?) throws -> Invocation {
        let arguments = start.arguments
        if arguments.count >= 2 && arguments[1] == start.execFilename {
            let preserveArgv0 = start.flags & ProcessStart.preserveArgv0 != 0
            guard !preserveArgv0 || arguments.count >= 3 else {
                throw CommandLineOptions.UsageError(message: "binfmt_misc P flag without argv[0]")
            }
            return .run(ExecRequest(
                path: arguments[1], descriptor: start.execFD, execFilename: start.execFilename,
                arguments: Array(arguments[(preserveArgv0 ? 2 : 1)...]), environment: start.environment,
                sysroot: sysroot(in: start)))
        }
        if ReexecRecord.isSelfExecutable(start.execFilename), let record = reexecRecord() {
            return .run(ExecRequest(
                path: record.program, execFilename: start.execFilename, arguments: arguments,
                environment: start.environment, sysroot: record.sysroot, useVDSO: record.useVDSO))
        }
        let options = try CommandLineOptions.parse(Array(arguments.dropFirst()))
        switch options.action {
        case .help: return .help
        case .version: return .version
        case .run:
            return .run(ExecRequest(
                path: options.program, arguments: options.programArguments, environment: start.environment,
                sysroot: options.sysroot ?? sysroot(in: start), useVDSO: options.useVDSO, verbose: options.verbose))
        }
    }

    static let sysrootVariable = Array("ELF32_EXEC_SYSROOT=".utf8)

    /// ELF32_EXEC_SYSROOT, unless the process runs with AT_SECURE credentials
    /// (a setuid program through binfmt_misc's C flag): then the caller's
    /// environment must not choose the interpreter.
    private static func sysroot(in start: ProcessStart) -> [UInt8]? {
        guard !ProcessStart.isSecure() else { return nil }
        return start.environment.first { $0.starts(with: sysrootVariable) }.map { Array($0.dropFirst(sysrootVariable.count)) }
    }
}
