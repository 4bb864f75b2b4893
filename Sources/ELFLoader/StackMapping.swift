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

    /// The span mapped at first, as setup_arg_pages sizes it: the pages of
    /// the strings plus 128 KiB, at most RLIMIT_STACK, at least what the
    /// tables below the strings need.
    public static func initialRange(top: UInt32, stack: InitialStack, limit: UInt64?) -> Range<UInt64> {
        let stringsStart = AddressSpaceLimits.pageDown(UInt64(stack.arguments.lowerBound))
        var start = stringsStart - initialExpansion
        if let limit, UInt64(top) - start > limit { start = UInt64(top) - AddressSpaceLimits.pageDown(limit) }
        return min(start, AddressSpaceLimits.pageDown(UInt64(stack.stackPointer)))..<UInt64(top)
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
