// The signal frame the handoff ends through when its page cannot go below the
// program (Handoff.Ending.signalReturn), as pure bytes. The trampoline
// enters the 32-bit vDSO's __kernel_vsyscall for munmap of its own page; the
// call returns into __kernel_rt_sigreturn, and rt_sigreturn restores from
// this frame the state a native exec gives _start: every register, the FPU
// reset (no fpstate), the signal mask as it was, no alternate stack. Nothing
// of the loader is left below 4 GiB. The layout is the kernel's struct
// rt_sigframe_ia32 (arch/x86/include/asm/sigframe.h), whose pretcode is the
// return address __kernel_vsyscall's `ret` pops; sys32_rt_sigreturn then
// finds the frame 4 bytes below the stack pointer.
//
//   0  pretcode  4 sig  8 pinfo  12 puc  16 siginfo (128 bytes)
//   144 ucontext_ia32: flags, link, stack_t (12 bytes), sigcontext_32 (88 bytes), sigmask (8 bytes)
//   260 retcode (8 bytes)

public struct StartFrame: Equatable, Sendable {
    public let bytes: [UInt8]

    static let size = 268
    static let siginfoOffset = 16
    static let ucontextOffset = 144
    static let alternateStackFlagsOffset = ucontextOffset + 12
    static let sigcontextOffset = ucontextOffset + 20
    static let signalMaskOffset = ucontextOffset + 108
    /// <asm/signal.h> SS_DISABLE: no alternate signal stack, as after execve.
    static let alternateStackDisabled: UInt32 = 2

    /// sigcontext_32's fields, by byte offset.
    enum Register: Int {
        case gs = 0, fs = 4, es = 8, ds = 12, edi = 16, esi = 20, ebp = 24, esp = 28
        case ebx = 32, edx = 36, ecx = 40, eax = 44, trapNumber = 48, error = 52, eip = 56
        case cs = 60, eflags = 64, espAtSignal = 68, ss = 72, fpstate = 76, oldMask = 80, cr2 = 84
    }

    /// The frame, to be placed at `address`: it returns to `entry` with the
    /// stack pointer `stackPointer`, general registers 0, and the signal
    /// mask `blockedSignals`. `signalReturn` is __kernel_rt_sigreturn.
    public init(address: UInt32, entry: UInt32, stackPointer: UInt32, signalReturn: UInt32, blockedSignals: UInt64) {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        func store(_ value: UInt32, at offset: Int) {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        store(signalReturn, at: 0)
        store(address + UInt32(Self.siginfoOffset), at: 8)
        store(address + UInt32(Self.ucontextOffset), at: 12)
        store(Self.alternateStackDisabled, at: Self.alternateStackFlagsOffset)

        let registers: [(Register, UInt32)] = [
            (.ds, I386.userDataSelector), (.es, I386.userDataSelector), (.ss, I386.userDataSelector),
            (.cs, I386.userCodeSelector), (.eip, entry), (.esp, stackPointer), (.espAtSignal, stackPointer),
            (.eflags, I386.initialFlags), (.oldMask, UInt32(truncatingIfNeeded: blockedSignals)),
        ]
        for (register, value) in registers { store(value, at: Self.sigcontextOffset + register.rawValue) }
        store(UInt32(truncatingIfNeeded: blockedSignals), at: Self.signalMaskOffset)
        store(UInt32(truncatingIfNeeded: blockedSignals >> 32), at: Self.signalMaskOffset + 4)
        self.bytes = bytes
    }

    /// Where the frame goes: right below the initial stack, 16-byte aligned.
    public static func address(below stackPointer: UInt32) -> UInt32 {
        (stackPointer - UInt32(size)) & ~0xf
    }
}
