// elf32-exec: runs a 32-bit i386 Linux program natively in this process.

import ELFLoader
import ModeSwitch
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

let version = "0.1.0"

func printError(_ message: String) {
    _ = try? FileDescriptor.standardError.writeAll(Array("\(message)\n".utf8))
}

/// The whole command: runs the program, or prints help, version or an error.
func command() {
    do {
        switch try Invocation.of(.current(), reexecRecord: ReexecRecord.lookup) {
        case .help:
            _ = try? FileDescriptor.standardOutput.writeAll(Array(CommandLineOptions.usage.utf8))
        case .version:
            _ = try? FileDescriptor.standardOutput.writeAll(Array("elf32-exec \(version)\n".utf8))
        case .run(let request):
            try Exec.run(request)
        }
        exit(0)
    } catch let error as CommandLineOptions.UsageError {
        printError("elf32-exec: \(error.message) (see elf32-exec --help)")
        exit(2)
    } catch let error as ExecError {
        printError(error.description)
        exit(error.exitStatus)
    } catch {
        printError("elf32-exec: \(error)")
        exit(126)
    }
}

run_with_adequate_stack { command() }
