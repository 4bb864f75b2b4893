// elf32-exec: runs a 32-bit i386 Linux program natively in this process.

import ELFLoader
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

let version = "0.1.0"

func rawArguments() -> [[UInt8]] {
    (1..<Int(CommandLine.argc)).map { index in
        let argument = CommandLine.unsafeArgv[index]!
        return Array(UnsafeBufferPointer(start: argument, count: strlen(argument))).map { UInt8(bitPattern: $0) }
    }
}

func rawEnvironment() -> [[UInt8]] {
    var result: [[UInt8]] = []
    var cursor = environ
    while let variable = cursor.pointee {
        result.append(Array(UnsafeBufferPointer(start: variable, count: strlen(variable))).map { UInt8(bitPattern: $0) })
        cursor += 1
    }
    return result
}

func printError(_ message: String) {
    _ = try? FileDescriptor.standardError.writeAll(Array("\(message)\n".utf8))
}

let options: CommandLineOptions
do {
    options = try CommandLineOptions.parse(rawArguments())
} catch let error as CommandLineOptions.UsageError {
    printError("elf32-exec: \(error.message) (see elf32-exec --help)")
    exit(2)
}

switch options.action {
case .help:
    _ = try? FileDescriptor.standardOutput.writeAll(Array(CommandLineOptions.usage.utf8))
    exit(0)
case .version:
    _ = try? FileDescriptor.standardOutput.writeAll(Array("elf32-exec \(version)\n".utf8))
    exit(0)
case .run:
    let environment = rawEnvironment()
    let sysrootVariable = Array("ELF32_EXEC_SYSROOT=".utf8)
    let sysroot = options.sysroot
        ?? environment.first { $0.starts(with: sysrootVariable) }.map { Array($0.dropFirst(sysrootVariable.count)) }
    let request = ExecRequest(
        path: options.program, arguments: options.programArguments, environment: environment,
        sysroot: sysroot, useVDSO: options.useVDSO, verbose: options.verbose)
    do {
        try Exec.run(request)
    } catch let error as ExecError {
        printError(error.description)
        exit(error.exitStatus)
    }
}
