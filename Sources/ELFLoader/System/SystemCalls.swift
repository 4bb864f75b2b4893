// Thin typed wrappers over the libc and kernel calls the loader makes. Each
// call is wrapped exactly once, throws an ExecError that names the call, and
// the loader's logic never touches errno.

import LinuxCalls

/// Returns `result`, or throws what errno says `call` failed with.
@inline(__always)
func checked<I: FixedWidthInteger>(_ result: I, _ call: @autoclosure () -> String) throws(ExecError) -> I {
    guard result != -1 else { throw .system(SystemCallError(call(), errno: linux_errno())) }
    return result
}

/// Calls `body` with `path` as a NUL-terminated C string.
func withCString<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    (path + [0]).withUnsafeBufferPointer { bytes in
        bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { body($0) }
    }
}

/// The bytes of a C string.
func bytes(of string: UnsafePointer<CChar>) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: string, count: strlen(string)))
}

/// An open file descriptor.
public struct FileDescriptor: Equatable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    static let standardOutput = FileDescriptor(rawValue: 1)
    static let standardError = FileDescriptor(rawValue: 2)

    /// Opens `path` with `flags` (O_CLOEXEC always added).
    ///
    /// The corresponding C function is `open`.
    static func open(_ path: [UInt8], _ flags: Int32, mode: UInt32 = 0) throws(ExecError) -> FileDescriptor {
        let result = withCString(path) { linux_open($0, flags | O_CLOEXEC, mode) }
        return FileDescriptor(rawValue: try checked(result, "open \(String(decoding: path, as: UTF8.self))"))
    }

    /// Reads up to `buffer.count` bytes at `offset` (or at the file position
    /// when nil), retrying on EINTR.
    ///
    /// The corresponding C functions are `read` and `pread`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64? = nil) throws(ExecError) -> Int {
        while true {
            let count = offset.map { pread(rawValue, buffer.baseAddress, buffer.count, off_t($0)) }
                ?? LinuxCalls.read(rawValue, buffer.baseAddress, buffer.count)
            if count == -1 && linux_errno() == EINTR { continue }
            return try checked(count, "read")
        }
    }

    /// Reads `count` bytes at `offset`, fewer at the end of the file.
    func read(count: Int, at offset: UInt64) throws(ExecError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(ExecError) in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: offset + UInt64(filled))
                }
            }.get()
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Reads from the file position to the end, at most `limit` bytes, or
    /// until `isComplete` accepts what was read (which saves the read that
    /// would return 0).
    func readToEnd(limit: Int, until isComplete: (ArraySlice<UInt8>) -> Bool) throws(ExecError) -> [UInt8] {
        var contents = [UInt8](repeating: 0, count: min(limit, 4096))
        var filled = 0
        while filled < limit && !isComplete(contents[..<filled]) {
            if filled == contents.count { contents += repeatElement(0, count: min(contents.count, limit - filled)) }
            let count = try contents.withUnsafeMutableBytes { buffer in
                Result { () throws(ExecError) in try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) }
            }.get()
            if count == 0 { break }
            filled += count
        }
        contents.removeSubrange(filled...)
        return contents
    }

    /// Writes all of `bytes`, retrying on EINTR and short writes.
    ///
    /// The corresponding C function is `write`.
    public func writeAll(_ bytes: [UInt8]) throws(ExecError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(rawValue, $0.baseAddress! + written, $0.count - written) }
            if count == -1 && linux_errno() == EINTR { continue }
            written += try checked(count, "write")
        }
    }

    /// The corresponding C function is `fstat`.
    func status() throws(ExecError) -> stat {
        var status = stat()
        _ = try checked(fstat(rawValue, &status), "fstat")
        return status
    }

    /// The corresponding C function is `fstatvfs`.
    func fileSystemFlags() throws(ExecError) -> UInt {
        var status = statvfs()
        _ = try checked(fstatvfs(rawValue, &status), "fstatvfs")
        return status.f_flag
    }

    /// The corresponding C function is `close`.
    func close() {
        _ = LinuxCalls.close(rawValue)
    }
}

/// The one-line files the loader reads: /proc/PID/stat, /proc/self/statm.
enum SmallFile {
    /// Reads a one-line file of /proc or /proc/sys up to its newline, without
    /// the read that would return 0.
    static func readLine(_ path: [UInt8], limit: Int) throws(ExecError) -> [UInt8] {
        let file = try FileDescriptor.open(path, O_RDONLY)
        defer { file.close() }
        return try file.readToEnd(limit: limit) { $0.contains(UInt8(ascii: "\n")) }
    }
}

enum FileSystem {
    /// The corresponding C function is `stat`.
    static func status(_ path: [UInt8]) throws(ExecError) -> stat {
        var status = stat()
        let result = withCString(path) { stat($0, &status) }
        _ = try checked(result, "stat")
        return status
    }

    /// The corresponding C function is `lstat`.
    static func linkStatus(_ path: [UInt8]) throws(ExecError) -> stat {
        var status = stat()
        let result = withCString(path) { lstat($0, &status) }
        _ = try checked(result, "lstat")
        return status
    }

    /// Whether the caller's effective ids may execute `path`.
    ///
    /// The corresponding C call is `faccessat(AT_FDCWD, path, X_OK, AT_EACCESS)`.
    static func checkExecutable(_ path: [UInt8]) throws(ExecError) {
        let result = withCString(path) { faccessat(AT_FDCWD, $0, X_OK, AT_EACCESS) }
        _ = try checked(result, "access")
    }

    /// The corresponding C function is `readlink`.
    static func readLink(_ path: [UInt8]) throws(ExecError) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = withCString(path) { readlink($0, &buffer, buffer.count) }
        return buffer.prefix(try checked(count, "readlink")).map { UInt8(bitPattern: $0) }
    }

    /// The corresponding C function is `mkdir`.
    static func makeDirectory(_ path: [UInt8], mode: UInt32) throws(ExecError) {
        let result = withCString(path) { mkdir($0, mode_t(mode)) }
        _ = try checked(result, "mkdir")
    }

    /// The corresponding C function is `rename`.
    static func rename(_ from: [UInt8], to: [UInt8]) throws(ExecError) {
        let result = withCString(from) { source in withCString(to) { LinuxCalls.rename(source, $0) } }
        _ = try checked(result, "rename")
    }

    /// The corresponding C function is `unlink`.
    static func remove(_ path: [UInt8]) {
        _ = withCString(path) { unlink($0) }
    }

    /// The names in directory `path`, "." and ".." left out.
    ///
    /// The corresponding C functions are `opendir` and `readdir`.
    static func names(in path: [UInt8]) throws(ExecError) -> [[UInt8]] {
        guard let directory = withCString(path, { opendir($0) }) else {
            throw .system(SystemCallError("opendir", errno: linux_errno()))
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }
}

/// Page protection for a mapping.
public struct MemoryProtection: OptionSet, Equatable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let read = MemoryProtection(rawValue: PROT_READ)
    public static let write = MemoryProtection(rawValue: PROT_WRITE)
    public static let execute = MemoryProtection(rawValue: PROT_EXEC)
}

/// Flags for `Memory.map`.
struct MappingFlags: OptionSet {
    let rawValue: Int32

    static let privateCopy = MappingFlags(rawValue: MAP_PRIVATE)
    static let anonymous = MappingFlags(rawValue: MAP_ANONYMOUS)
    static let fixed = MappingFlags(rawValue: MAP_FIXED)
    /// Fails with EEXIST instead of replacing what is already mapped.
    static let fixedNoReplace = MappingFlags(rawValue: 0x10_0000)
    /// Allocated at once, in the call, instead of on the first write's fault.
    static let populate = MappingFlags(rawValue: MAP_POPULATE)
    /// A stack: the kernel grows it downwards on faults, up to RLIMIT_STACK.
    static let growsDown = MappingFlags(rawValue: MAP_GROWSDOWN)
}

enum Memory {
    /// Maps `length` bytes at exactly `address`, from `file` at `offset` or
    /// anonymous zero pages.
    ///
    /// The corresponding C function is `mmap`.
    static func map(
        at address: UInt64, length: UInt64, protection: MemoryProtection,
        flags: MappingFlags, file: FileDescriptor? = nil, offset: UInt64 = 0
    ) throws(ExecError) {
        let result = mmap(
            UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length), protection.rawValue,
            flags.rawValue, file?.rawValue ?? -1, off_t(offset))
        guard result != UnsafeMutableRawPointer(bitPattern: -1) else {  // MAP_FAILED
            throw .system(SystemCallError("mmap", errno: linux_errno()))
        }
        // A kernel without MAP_FIXED_NOREPLACE treats the address as a hint.
        guard UInt64(UInt(bitPattern: result)) == address else {
            munmap(result, Int(length))
            throw .system(SystemCallError("mmap", errno: EEXIST))
        }
    }

    /// Copies `bytes` to `address`, in memory this process has mapped.
    static func copy(_ bytes: UnsafeRawBufferPointer, to address: UInt64) {
        UnsafeMutableRawPointer(bitPattern: UInt(address))!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    /// The corresponding C function is `munmap`.
    static func unmap(at address: UInt64, length: UInt64) throws(ExecError) {
        _ = try checked(munmap(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length)), "munmap")
    }

    /// The corresponding C function is `mprotect`.
    static func protect(at address: UInt64, length: UInt64, _ protection: MemoryProtection) throws(ExecError) {
        _ = try checked(
            mprotect(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length), protection.rawValue), "mprotect")
    }

    /// Whether the page at `address` is in a VM_IO mapping, such as the
    /// vDSO's data pages: madvise(MADV_DOFORK) refuses those alone (EINVAL),
    /// and changes nothing in a mapping this loader makes.
    ///
    /// The corresponding C function is `madvise`.
    static func isIOPage(_ address: UInt64) -> Bool {
        madvise(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(I386.pageSize), MADV_DOFORK) == -1
            && linux_errno() == EINVAL
    }

    /// Where the kernel would place a native i386 process's `length`-byte
    /// mapping: a compat mmap, left in place as a PROT_NONE reservation.
    static func reserveCompat(length: UInt32) throws(ExecError) -> UInt64 {
        UInt64(try checked(kernel_compat_map_probe(length), "compat mmap of 0x\(hex(length)) bytes"))
    }
}

enum Random {
    /// Drawn from the kernel 64 bytes at a time: one getrandom covers all the
    /// draws of an exec.
    nonisolated(unsafe) private static var pool: [UInt8] = []

    /// `count` bytes from the kernel's random pool.
    static func bytes(_ count: Int) throws(ExecError) -> [UInt8] {
        if pool.count < count { pool += try fill(max(64, count)) }
        defer { pool.removeFirst(count) }
        return Array(pool.prefix(count))
    }

    /// Fills `count` bytes from the kernel's random pool.
    ///
    /// The corresponding C function is `getrandom`.
    private static func fill(_ count: Int) throws(ExecError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = result.withUnsafeMutableBytes { getrandom($0.baseAddress! + filled, count - filled, 0) }
            if n == -1 && linux_errno() == EINTR { continue }
            filled += try checked(n, "getrandom")
        }
        return result
    }

    /// A uniformly distributed value below `bound`.
    static func below(_ bound: UInt32) throws(ExecError) -> UInt32 {
        let raw = try bytes(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        return raw % bound
    }
}

enum ResourceLimits {
    /// The soft limit of `resource`, or nil when unlimited.
    ///
    /// The corresponding C function is `getrlimit`.
    static func soft(_ resource: __rlimit_resource) throws(ExecError) -> UInt64? {
        var limit = rlimit()
        _ = try checked(getrlimit(__rlimit_resource_t(resource.rawValue), &limit), "getrlimit")
        return limit.rlim_cur == rlim_t.max ? nil : UInt64(limit.rlim_cur)  // RLIM_INFINITY
    }
}

enum ProcessControl {
    /// Sets the task's name (/proc/self/comm), truncated by the kernel to 15 bytes.
    ///
    /// The corresponding C call is `prctl(PR_SET_NAME, ...)`.
    static func setName(_ name: [UInt8]) throws(ExecError) {
        _ = try checked(withCString(name) { kernel_set_task_name($0) }, "prctl(PR_SET_NAME)")
    }

    /// The current execution domain and flags.
    ///
    /// The corresponding C call is `personality(0xffffffff)`.
    static func currentPersonality() -> UInt32 {
        UInt32(bitPattern: personality(0xffff_ffff))
    }

    /// Sets the execution domain flags, e.g. READ_IMPLIES_EXEC.
    ///
    /// The corresponding C function is `personality`.
    static func setPersonality(_ persona: UInt32) throws(ExecError) {
        _ = try checked(personality(UInt(persona)), "personality")
    }

    /// The corresponding C call is `arch_prctl(code, address)`.
    static func archPrctl(_ code: Int32, _ address: UInt64) throws(ExecError) -> Int {
        try checked(kernel_arch_prctl(code, address), "arch_prctl")
    }

    /// Whether `capability` is in this process's effective set.
    ///
    /// The corresponding C function is `capget`.
    static func hasEffectiveCapability(_ capability: Int32) -> Bool {
        kernel_has_effective_capability(capability) != 0
    }

    /// Whether process `pid` exists (kill(pid, 0) does not fail with ESRCH).
    ///
    /// The corresponding C function is `kill`.
    static func exists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || linux_errno() != ESRCH
    }
}

enum Signals {
    /// The signals this thread blocks, as the kernel's 64-bit mask.
    ///
    /// The corresponding C call is `sigprocmask(SIG_BLOCK, NULL, &set)`.
    static func blocked() throws(ExecError) -> UInt64 {
        var set = sigset_t()
        _ = try checked(sigprocmask(SIG_BLOCK, nil, &set), "sigprocmask")
        return withUnsafeBytes(of: &set) { $0.loadUnaligned(as: UInt64.self) }
    }
}
