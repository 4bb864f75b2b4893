// Loading needs memory of its own, within the program's RLIMIT_AS and
// RLIMIT_DATA: a Swift program cannot survive an allocation failure, so the
// loader checks its headroom before it starts and refuses cleanly instead.

import SystemPackage

enum MemoryHeadroom {
    /// What loading takes besides the program's image: the interpreter, the
    /// stack, the vDSO, the trampoline page and the loader's own allocations
    /// (measured well under 2 MiB; twice that for safety).
    static let working: UInt64 = 4 << 20
    /// Of that, what is data (RLIMIT_DATA counts private writable memory):
    /// the loader's heap and the writable parts of the images.
    static let workingData: UInt64 = 2 << 20

    /// Throws if the limits leave less than that beside an `image` bytes long.
    /// Without either limit (the usual case) there is nothing to read.
    static func check(image: UInt64) throws {
        let addressSpaceLimit = try ResourceLimits.addressSpace()
        let dataLimit = try ResourceLimits.data()
        guard addressSpaceLimit != nil || dataLimit != nil else { return }
        let (size, data) = try usage()
        if let limit = addressSpaceLimit, size + image + working > limit {
            throw LoadError.memoryLimit("RLIMIT_AS", limit: limit, used: size)
        }
        if let limit = dataLimit, data + workingData > limit {
            throw LoadError.memoryLimit("RLIMIT_DATA", limit: limit, used: data)
        }
    }

    /// The loader's address-space and data sizes in bytes, from /proc/self/statm
    /// ("size resident shared text lib data dt", in pages).
    private static func usage() throws -> (size: UInt64, data: UInt64) {
        let file = try FileDescriptor.open("/proc/self/statm", .readOnly, options: .closeOnExec)
        defer { try? file.close() }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0) }
        let fields = bytes.prefix(count).split(separator: UInt8(ascii: " ")).map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
        guard fields.count >= 6 else { throw Errno.invalidArgument }
        return (fields[0] * AddressSpaceLimits.pageSize, fields[5] * AddressSpaceLimits.pageSize)
    }
}
