// What the kernel handed elf32-exec itself: its argv, its environment, and
// the auxiliary values through which binfmt_misc says it started us.

import ModeSwitch

#if canImport(Glibc)
import Glibc
#endif

public struct ProcessStart: Equatable, Sendable {
    public var arguments: [[UInt8]]
    /// The environment exactly as the kernel passed it.
    public var environment: [[UInt8]]
    /// AT_EXECFN: the path execve was given (with binfmt_misc, the program's).
    public var execFilename: [UInt8]
    /// AT_FLAGS: binfmt_misc's P flag sets AT_FLAGS_PRESERVE_ARGV0.
    public var flags: UInt32
    /// AT_EXECFD: binfmt_misc's O flag passes the program open.
    public var execFD: Int32?

    public static let preserveArgv0: UInt32 = 1

    public init(arguments: [[UInt8]], environment: [[UInt8]], execFilename: [UInt8], flags: UInt32 = 0, execFD: Int32? = nil) {
        self.arguments = arguments
        self.environment = environment
        self.execFilename = execFilename
        self.flags = flags
        self.execFD = execFD
    }

    /// This process's start. The environment is read from the strings the
    /// kernel laid out between the last argument and AT_EXECFN, not from
    /// `environ`: glibc removes variables from that when AT_SECURE is set
    /// (elf32-exec with a file capability), and the program must get them all.
    public static func current() -> ProcessStart {
        let argv = CommandLine.unsafeArgv
        let arguments = (0..<Int(CommandLine.argc)).map { bytes(of: argv[$0]!) }
        let execFilenameAddress = getauxval(UInt(AT_EXECFN))
        let execFilename = bytes(of: UnsafePointer(bitPattern: execFilenameAddress)!)
        var environment: [[UInt8]] = []
        if let last = argv[Int(CommandLine.argc) - 1] {
            var cursor = UnsafePointer(last) + strlen(last) + 1
            let end = UnsafePointer<CChar>(bitPattern: execFilenameAddress)!
            while cursor < end {
                environment.append(bytes(of: cursor))
                cursor += strlen(cursor) + 1
            }
        }
        errno = 0
        let execFD = getauxval(UInt(AT_EXECFD))
        let hasExecFD = errno != ENOENT
        return ProcessStart(
            arguments: arguments, environment: environment, execFilename: execFilename,
            flags: UInt32(truncatingIfNeeded: getauxval(UInt(AT_FLAGS))),
            execFD: hasExecFD ? Int32(truncatingIfNeeded: execFD) : nil)
    }

    /// AT_SECURE: the kernel gave this process credentials its caller lacks.
    public static func isSecure() -> Bool {
        getauxval(UInt(AT_SECURE)) != 0
    }

    private static func bytes(of string: UnsafePointer<CChar>) -> [UInt8] {
        UnsafeRawBufferPointer(start: string, count: strlen(string)).map { $0 }
    }
}
