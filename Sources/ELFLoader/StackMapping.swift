// Puts the initial stack where a native i386 process has it: at the top of
// the 32-bit space, as a grows-down mapping the kernel extends on demand up
// to RLIMIT_STACK.

public enum StackMapping {
    /// The highest the stack top can be (STACK_TOP of a compat task).
    public static let highestTop: UInt32 = 0xFFFF_E000
    /// randomize_stack_top for ia32 lowers the top by up to 0x7ff pages.
    public static let randomPages: UInt32 = 0x800
    /// setup_arg_pages leaves this much mapped below the strings and tables.
    static let initialExpansion: UInt64 = 128 * 1024

    /// The stack top after randomization by `randomPage` (< `randomPages`).
    public static func top(randomPage: UInt32) -> UInt32 {
        highestTop - randomPage * UInt32(AddressSpaceLimits.pageSize)
    }

    /// The span mapped at first, as setup_arg_pages sizes it.
    public static func initialRange(top: UInt32, stack: InitialStack, limit: UInt64?) -> Range<UInt64> {
        let used = AddressSpaceLimits.pageUp(UInt64(top) - UInt64(AddressSpaceLimits.pageDown(UInt64(stack.stackPointer))))
        var size = used + initialExpansion
        if let limit, size > limit { size = max(used, AddressSpaceLimits.pageDown(limit)) }
        return UInt64(top) - size..<UInt64(top)
    }

    /// Maps the stack and copies `stack` into it.
    static func map(_ stack: InitialStack, top: UInt32, executable: Bool) throws -> Range<UInt64> {
        let range = initialRange(top: top, stack: stack, limit: try ResourceLimits.stack())
        var protection: MemoryProtection = [.read, .write]
        if executable { protection.insert(.execute) }
        do {
            try Memory.map(
                at: range.lowerBound, length: UInt64(range.count), protection: protection,
                flags: [.privateCopy, .anonymous, .fixedNoReplace, .growsDown])
        } catch {
            throw LoadError.stackFailed(error)
        }
        stack.bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(bitPattern: UInt(stack.stackPointer))!
                .copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        return range
    }
}
