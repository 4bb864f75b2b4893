// Failures of the loading steps after the ELF checks, and the exec-level
// error that carries the file name and the shell-style exit status.

import SystemPackage

public enum LoadError: Error, CustomStringConvertible {
    case addressRangeOccupied(Range<UInt64>)
    case outsideAddressSpace(Range<UInt64>)
    case mappingFailed(Range<UInt64>, Error)
    case stackFailed(Error)
    case memoryLimit(String, limit: UInt64, used: UInt64)
    case processMapFailed(Error)

    public var description: String {
        switch self {
        case .addressRangeOccupied(let span):
            return "address range \(describe(span)) is already in use by elf32-exec itself"
        case .outsideAddressSpace(let span):
            return "placed at \(describe(span)), the image does not fit in the 32-bit address space"
        case .mappingFailed(let span, let error):
            return "cannot map the image at \(describe(span)): \(error)"
        case .memoryLimit(let name, let limit, let used):
            return "\(name) of \(mebibytes(limit)) leaves too little memory to load it (elf32-exec itself uses \(mebibytes(used)))"
        case .stackFailed(let error):
            return "cannot map the initial stack: \(error)"
        case .processMapFailed(let error):
            return "cannot set the process memory map (PR_SET_MM_MAP): \(error)"
        }
    }
}

/// An error with the file it concerns, printed as `elf32-exec: PATH: reason`.
public struct ExecError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// 127 when the file is missing, 126 when it exists but cannot be run,
    /// as a shell reports the two.
    public var exitStatus: Int32

    public init(path: String, reason: String, exitStatus: Int32 = 126) {
        self.path = path
        self.reason = reason
        self.exitStatus = exitStatus
    }

    public var description: String { "elf32-exec: \(path): \(reason)" }
}

func mebibytes(_ bytes: UInt64) -> String {
    let tenths = bytes * 10 / (1 << 20)
    return "\(tenths / 10).\(tenths % 10) MiB"
}

func describe(_ span: Range<UInt64>) -> String {
    "0x\(String(span.lowerBound, radix: 16))-0x\(String(span.upperBound, radix: 16))"
}
