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
        let argv = loader_arguments()!
        let arguments = (0..<Int(loader_argument_count())).map { bytes(of: argv[$0]!) }
        let execFilename = UnsafePointer<CChar>(bitPattern: getauxval(UInt(AT_EXECFN)))
        errno = 0
        let execFD = getauxval(UInt(AT_EXECFD))
        let hasExecFD = errno != ENOENT
        return ProcessStart(
            arguments: arguments, environment: environment(endingAt: execFilename),
            execFilename: execFilename.map(bytes(of:)) ?? [],
            flags: UInt32(truncatingIfNeeded: getauxval(UInt(AT_FLAGS))),
            execFD: hasExecFD ? Int32(truncatingIfNeeded: execFD) : nil)
    }

    /// The environment strings, which the kernel lays out right after the
    /// argument strings and right before the AT_EXECFN string.
    private static func environment(endingAt end: UnsafePointer<CChar>?) -> [[UInt8]] {
        let argc = Int(loader_argument_count())
        // Where the strings start: after the last argument, or (an execve with
        // no argv at all) at the first variable environ still lists.
        guard let end, let start = argc > 0 ? loader_arguments()[argc - 1].map({ UnsafePointer($0) + strlen($0) + 1 })
            : environ.pointee.map({ UnsafePointer($0) })
        else { return [] }
        var environment: [[UInt8]] = []
        var cursor = start
        while cursor < end {
            environment.append(bytes(of: cursor))
            cursor += strlen(cursor) + 1
        }
        return environment
    }

    /// AT_SECURE: the kernel gave this process credentials its caller lacks.
    public static func isSecure() -> Bool {
        getauxval(UInt(AT_SECURE)) != 0
    }

    private static func bytes(of string: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: string, count: strlen(string)))
    }
}
