// Thin typed wrappers over the system calls swift-system does not cover.
// Each call is wrapped exactly once; the loader's logic never touches errno.

import ModeSwitch
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Returns `result`, or throws the current `errno` when it is -1.
@inline(__always)
func valueOrErrno<I: FixedWidthInteger>(_ result: I) throws -> I {
    guard result != -1 else { throw Errno(rawValue: errno) }
    return result
}

/// Page protection for a mapping.
public struct MemoryProtection: OptionSet, Hashable, Sendable {
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
    ) throws {
        let result = mmap(
            UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length), protection.rawValue,
            flags.rawValue, file?.rawValue ?? -1, off_t(offset))
        guard result != MAP_FAILED else { throw Errno(rawValue: errno) }
        // A kernel without MAP_FIXED_NOREPLACE treats the address as a hint.
        guard UInt64(UInt(bitPattern: result)) == address else {
            munmap(result, Int(length))
            throw Errno.fileExists
        }
    }

    /// The corresponding C function is `munmap`.
    static func unmap(at address: UInt64, length: UInt64) throws {
        _ = try valueOrErrno(munmap(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length)))
    }

    /// The corresponding C function is `mprotect`.
    static func protect(at address: UInt64, length: UInt64, _ protection: MemoryProtection) throws {
        _ = try valueOrErrno(
            mprotect(UnsafeMutableRawPointer(bitPattern: UInt(address)), Int(length), protection.rawValue))
    }

    /// Where the kernel would place a native i386 process's `length`-byte
    /// mapping: a compat mmap, left in place as a PROT_NONE reservation.
    static func reserveCompat(length: UInt32) throws -> UInt64 {
        UInt64(try valueOrErrno(kernel_compat_map_probe(length)))
    }
}

enum Random {
    /// Fills `count` bytes from the kernel's random pool.
    ///
    /// The corresponding C function is `getrandom`.
    static func bytes(_ count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try result.withUnsafeMutableBytes {
                try valueOrErrno(getrandom($0.baseAddress! + filled, count - filled, 0))
            }
            filled += n
        }
        return result
    }

    /// A uniformly distributed value below `bound`.
    static func below(_ bound: UInt32) throws -> UInt32 {
        let raw = try bytes(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        return raw % bound
    }
}

enum ResourceLimits {
    /// The soft RLIMIT_STACK, or nil when unlimited.
    static func stack() throws -> UInt64? { try soft(RLIMIT_STACK) }

    /// The soft RLIMIT_AS, or nil when unlimited.
    static func addressSpace() throws -> UInt64? { try soft(RLIMIT_AS) }

    /// The soft RLIMIT_DATA, or nil when unlimited.
    static func data() throws -> UInt64? { try soft(RLIMIT_DATA) }

    /// The corresponding C function is `getrlimit`.
    private static func soft(_ resource: __rlimit_resource) throws -> UInt64? {
        var limit = rlimit()
        _ = try valueOrErrno(getrlimit(__rlimit_resource_t(resource.rawValue), &limit))
        return limit.rlim_cur == rlim_t.max ? nil : UInt64(limit.rlim_cur)  // RLIM_INFINITY
    }
}

enum ProcessControl {
    /// Sets the task's memory-map description (code, data, brk, stack,
    /// argument and environment ranges, saved auxv) in one call.
    ///
    /// The corresponding C call is `prctl(PR_SET_MM, PR_SET_MM_MAP, ...)`.
    static func setMemoryMap(_ map: prctl_mm_map) throws {
        var map = map
        _ = try valueOrErrno(kernel_set_mm_map(&map))
    }

    /// Sets the task's name (/proc/self/comm), truncated by the kernel to 15 bytes.
    ///
    /// The corresponding C call is `prctl(PR_SET_NAME, ...)`.
    static func setName(_ name: [UInt8]) throws {
        _ = try valueOrErrno(kernel_set_task_name(name.map { CChar(bitPattern: $0) } + [0]))
    }

    /// Sets the execution domain flags, e.g. READ_IMPLIES_EXEC.
    ///
    /// The corresponding C function is `personality`.
    static func setPersonality(_ persona: UInt) throws {
        _ = try valueOrErrno(personality(persona))
    }

    /// The corresponding C call is `arch_prctl(code, address)`.
    static func archPrctl(_ code: Int32, _ address: UInt64) throws -> Int {
        try valueOrErrno(kernel_arch_prctl(code, address))
    }
}

enum Signals {
    /// Resets every caught signal to SIG_DFL and disables the alternate
    /// signal stack, as execve does. Ignored signals and the mask are kept.
    ///
    /// The corresponding C functions are `rt_sigaction` and `sigaltstack`.
    static func resetForExec() throws {
        for signal in 1...64 where signal != SIGKILL && signal != SIGSTOP {
            _ = try valueOrErrno(kernel_reset_signal_handler(Int32(signal)))
        }
        var disabled = stack_t()
        disabled.ss_flags = Int32(SS_DISABLE)
        _ = try valueOrErrno(sigaltstack(&disabled, nil))
    }
}

enum RestartableSequences {
    /// Unregisters the loader thread's rseq area.
    ///
    /// The corresponding C call is `rseq(area, size, RSEQ_FLAG_UNREGISTER, sig)`.
    static func unregister() throws {
        _ = try valueOrErrno(kernel_unregister_rseq())
    }
}

extension ProcessControl {
    /// The current execution domain and flags.
    ///
    /// The corresponding C call is `personality(0xffffffff)`.
    static func currentPersonality() -> Int32 {
        personality(0xffff_ffff)
    }
}
