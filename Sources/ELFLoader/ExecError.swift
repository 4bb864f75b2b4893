// The one error of an exec, as the kernel has one errno up one path: every
// step throws it, and it knows its message and its shell-style exit status.

import LinuxCalls

/// A system call that failed: which call, and the errno it returned.
public struct SystemCallError: Error, Sendable {
    /// The call as a user reads it, e.g. "mmap" or "open /proc/self/maps".
    public var call: String
    public var errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The C library's text for the errno alone.
    public var reason: String { String(cString: strerror(errno)) }
    public var isMissingFile: Bool { errno == ENOENT || errno == ENOTDIR }
}

public enum ExecError: Error, Sendable {
    /// The command line is wrong (exit status 2).
    case usage(String)
    /// The file cannot be looked up or opened: 127 when it does not exist.
    case cannotOpen(SystemCallError)
    case notRegularFile
    case isDirectory
    case noExecMount
    /// Not a valid i386 ELF program.
    case invalidELF(ELFError)
    case addressRangeOccupied(Range<UInt64>)
    case outsideAddressSpace(Range<UInt64>)
    case mappingFailed(Range<UInt64>, SystemCallError)
    case stackFailed(SystemCallError)
    case memoryLimit(resource: String, limit: UInt64, used: UInt64)
    case vdsoNotFound(UInt64)
    /// Any other failed call: always 126, whatever the errno.
    case system(SystemCallError)
    /// The interpreter named by the program failed.
    indirect case interpreter(path: [UInt8], ExecError)

    /// 127 when the file (or its interpreter) is missing, 126 when it exists
    /// but cannot be run, 2 for a usage error: as a shell reports them.
    public var exitStatus: Int32 {
        switch self {
        case .usage: return 2
        case .cannotOpen(let error): return error.isMissingFile ? 127 : 126
        case .interpreter(_, let error): return error.exitStatus
        default: return 126
        }
    }

    /// The reason, for `elf32-exec: PATH: reason`.
    public var message: String {
        switch self {
        case .usage(let text): return text
        case .cannotOpen(let error): return error.reason
        case .notRegularFile: return "not a regular file"
        case .isDirectory: return "Is a directory"
        case .noExecMount: return "Permission denied (file system mounted noexec)"
        case .invalidELF(let reason): return reason.description
        case .addressRangeOccupied(let span):
            return "address range \(describe(span)) is already in use"
        case .outsideAddressSpace(let span):
            return "placed at \(describe(span)), the image does not fit in the 32-bit address space"
        case .mappingFailed(let span, let error):
            return "cannot map the image at \(describe(span)): \(error.call): \(error.reason)"
        case .stackFailed(let error):
            return "cannot map the initial stack: \(error.reason)"
        case .memoryLimit(let resource, let limit, let used):
            return "\(resource) of \(mebibytes(limit)) leaves too little memory to load it (elf32-exec itself uses \(mebibytes(used)))"
        case .vdsoNotFound(let address):
            return "no vDSO ELF header at 0x\(hex(address))"
        case .system(let error): return "\(error.call): \(error.reason)"
        case .interpreter(let path, let error):
            let name = path.isEmpty ? "(empty path)" : String(decoding: path, as: UTF8.self)
            return "interpreter \(name): \(error.message)"
        }
    }
}

// Equatable for the tests only: the loader never compares errors, and a
// String comparison would link Unicode normalization tables into the
// freestanding build.
#if !$Embedded
extension SystemCallError: Equatable {}
extension ExecError: Equatable {}
#endif

func mebibytes(_ bytes: UInt64) -> String {
    let tenths = bytes * 10 / (1 << 20)
    return "\(tenths / 10).\(tenths % 10) MiB"
}

func describe(_ span: Range<UInt64>) -> String {
    "0x\(hex(span.lowerBound))-0x\(hex(span.upperBound))"
}

public func hex<I: BinaryInteger>(_ value: I) -> String { String(value, radix: 16) }
