// Puts the initial stack where a native i386 process has it: at the top of
// the 32-bit space, as a grows-down mapping the kernel extends on demand up
// to RLIMIT_STACK.

public enum StackMapping {
    /// The stack top after randomization by `randomPage` (< I386.stackRandomPages).
    public static func top(randomPage: UInt32) -> UInt32 {
        UInt32(I386.top) - randomPage * UInt32(I386.pageSize)
    }

    /// The span mapped at first, as setup_arg_pages sizes it: the pages of
    /// the strings plus 128 KiB, at most RLIMIT_STACK, at least what the
    /// tables below the strings need.
    public static func initialRange(top: UInt32, stack: InitialStack, limit: UInt64?) -> Range<UInt64> {
        let stringsStart = I386.pageDown(UInt64(stack.arguments.lowerBound))
        var start = stringsStart - I386.stackInitialExpansion
        if let limit, UInt64(top) - start > limit { start = UInt64(top) - I386.pageDown(limit) }
        return min(start, I386.pageDown(UInt64(stack.stackPointer)))..<UInt64(top)
    }

    /// Maps the stack and copies `stack` into it, but for its gap.
    static func map(_ stack: InitialStack, top: UInt32, limit: UInt64?, executable: Bool) throws(ExecError) -> Range<UInt64> {
        let range = initialRange(top: top, stack: stack, limit: limit)
        var protection: MemoryProtection = [.read, .write]
        if executable { protection.insert(.execute) }
        do throws(ExecError) {
            try Memory.map(
                at: range.lowerBound, length: UInt64(range.count), protection: protection,
                flags: [.privateCopy, .anonymous, .fixedNoReplace, .growsDown])
        } catch .system(let error) {
            throw .stackFailed(error)
        }
        for (bytes, address) in [(stack.tables, stack.stackPointer), (stack.strings, stack.arguments.lowerBound)] {
            bytes.withUnsafeBytes { Memory.copy($0, to: UInt64(address)) }
        }
        return range
    }
}
