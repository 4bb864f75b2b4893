// The handoff: the process becomes the i386 program. The fallible part
// (the process memory map) comes first; after the point of no return the
// steps are few, cannot fail in a way that matters, and end in the jump.

import ModeSwitch
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

struct Handoff {
    var entry: UInt32
    var stack: InitialStack
    var plan: LoadPlan
    var programBreak: UInt64
    var programFile: FileDescriptor
    var taskName: [UInt8]

    /// READ_IMPLIES_EXEC from <linux/personality.h>.
    static let readImpliesExec: UInt = 0x040_0000

    func enter() throws -> Never {
        try ProcessControl.setName(Array(taskName.prefix(15)))
        // From here on the loader must not allocate: its own malloc heap
        // follows brk, which now belongs to the program.
        try stack.auxiliaryVector.withUnsafeBufferPointer { auxv in
            try ProcessControl.setMemoryMap(memoryMap(auxv: auxv))
        }

        // The point of no return: what follows is what execve does to a process
        // after it has committed to the new program.
        try? programFile.close()
        try? Signals.resetForExec()
        if plan.stackPolicy == .readImpliesExec {
            let current = UInt(UInt32(bitPattern: ProcessControl.currentPersonality()))
            try? ProcessControl.setPersonality(current | Self.readImpliesExec)
        }
        try? RestartableSequences.unregister()
        mode_switch_enter_compat(entry, stack.stackPointer)
    }

    /// What /proc/self/stat, cmdline, environ and auxv show, and where brk is.
    private func memoryMap(auxv: UnsafeBufferPointer<UInt8>) -> prctl_mm_map {
        prctl_mm_map(
            start_code: plan.code.lowerBound, end_code: plan.code.upperBound,
            start_data: plan.data.lowerBound, end_data: plan.data.upperBound,
            start_brk: programBreak, brk: programBreak,
            start_stack: UInt64(stack.stackPointer),
            arg_start: UInt64(stack.arguments.lowerBound), arg_end: UInt64(stack.arguments.upperBound),
            env_start: UInt64(stack.environment.lowerBound), env_end: UInt64(stack.environment.upperBound),
            auxv: UnsafeMutablePointer(mutating: UnsafeRawPointer(auxv.baseAddress!).assumingMemoryBound(to: UInt64.self)),
            auxv_size: UInt32(auxv.count), exe_fd: UInt32.max)
    }
}
