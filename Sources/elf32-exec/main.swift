// elf32-exec: runs a 32-bit i386 Linux program natively in this process.

import ELFLoader
import LinuxCalls

let version = "0.2.0"

/// The whole command: runs the program, or prints help, version or an
/// error. Returns the exit status when there is no program to run.
func command() -> Int32 {
    var path: [UInt8] = []
    do {
        let start = try ProcessStart.current()
        switch try Invocation.of(start, reexecRecord: { ReexecRecord.lookup(uid: start.auxiliary.uid) }) {
        case .help:
            write(FileDescriptor(rawValue: 1), Invocation.usage)
        case .version:
            write(FileDescriptor(rawValue: 1), "elf32-exec \(version)\n")
        case .run(let request):
            path = request.path
            try Exec.run(request)
        }
        return 0
    } catch .usage(let message) {
        write(FileDescriptor(rawValue: 2), "elf32-exec: \(message) (see elf32-exec --help)\n")
        return 2
    } catch {
        let name = String(decoding: path, as: UTF8.self)
        write(FileDescriptor(rawValue: 2), "elf32-exec: \(name.isEmpty ? "" : name + ": ")\(error.message)\n")
        return error.exitStatus
    }
}

func write(_ file: FileDescriptor, _ text: String) {
    try? file.writeAll(Array(text.utf8))
}

/// Embedded Swift seeds its hashing with arc4random_buf, which musl lacks.
@_cdecl("arc4random_buf")
func fillRandom(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    var filled = 0
    while filled < count {
        let result = getrandom(buffer + filled, count - filled, 0)
        if result > 0 { filled += result }
    }
}

exit(command())
