// Loading needs memory of its own, within the program's RLIMIT_AS and
// RLIMIT_DATA: a failed allocation would end the loader with a trap, so it
// checks its headroom before it starts and refuses cleanly instead.

import LinuxCalls

enum MemoryHeadroom {
    /// What loading takes besides the program's image: the interpreter, the
    /// stack, the vDSO, the trampoline page and the loader's own allocations.
    static let working: UInt64 = 256 << 10
    /// Of that, what is data (RLIMIT_DATA counts private writable memory):
    /// the loader's heap and the writable parts of the images.
    static let workingData: UInt64 = 64 << 10

    /// Throws if `limits` leave less than that beside an `image` bytes long.
    /// Without either limit (the usual case) there is nothing to read.
    static func check(image: UInt64, limits: ProcessStart.Limits) throws(ExecError) {
        guard limits.addressSpace != nil || limits.data != nil else { return }
        let (size, data) = try usage()
        if let limit = limits.addressSpace, size + image + working > limit {
            throw .memoryLimit(resource: "RLIMIT_AS", limit: limit, used: size)
        }
        if let limit = limits.data, data + workingData > limit {
            throw .memoryLimit(resource: "RLIMIT_DATA", limit: limit, used: data)
        }
    }

    /// The loader's address-space and data sizes in bytes, from /proc/self/statm
    /// ("size resident shared text lib data dt", in pages).
    private static func usage() throws(ExecError) -> (size: UInt64, data: UInt64) {
        let fields = decimalFields(try SmallFile.readLine(Array("/proc/self/statm".utf8), limit: 256))
        guard fields.count >= 6 else { throw .system(SystemCallError("read /proc/self/statm", errno: EINVAL)) }
        return (fields[0] * I386.pageSize, fields[5] * I386.pageSize)
    }

    /// The decimal numbers in `text`, in order.
    private static func decimalFields(_ text: [UInt8]) -> [UInt64] {
        var fields: [UInt64] = []
        var current: UInt64?
        for byte in text {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                current = (current ?? 0) &* 10 &+ UInt64(byte - UInt8(ascii: "0"))
            } else if let value = current {
                fields.append(value)
                current = nil
            }
        }
        if let value = current { fields.append(value) }
        return fields
    }
}
