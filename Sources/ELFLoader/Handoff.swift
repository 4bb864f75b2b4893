// The handoff: the process becomes the i386 program. Everything that can
// fail is prepared first, into one anonymous page holding the trampoline
// code and its handoff_block. The point of no return is the jump to the
// trampoline, which removes the loader's own memory, sets the process memory
// map and enters 32-bit mode, where the vDSO's system call unmaps the
// trampoline's page and returns to the entry. The loader installs no signal
// handlers, no alternate stack and no rseq area, so unlike execve there is
// nothing of that kind to reset.

import ModeSwitch

struct Handoff {
    /// The program's entry, or its interpreter's.
    var entry: UInt32
    var stack: InitialStack
    /// The 32-bit vDSO, through which the handoff ends; without it the
    /// trampoline's page stays.
    var vdso: CompatVDSO?
    /// The lowest address of the program's memory (images, vDSO, stack).
    var lowestMapping: UInt64
    var plan: LoadPlan
    var programBreak: UInt64
    var programFile: FileDescriptor
    /// The program's path as given, for the one error the trampoline can report.
    var programPath: [UInt8]
    /// The program's comm (/proc/self/comm): its file name, as execve sets it.
    var taskName: [UInt8]
    /// Reset VmHWM once the loader's pages are gone. Not needed when an
    /// interpreter runs first: the process is far above the loader's peak
    /// (about 150 KiB) before any of the program's code can read it (ld.so:
    /// 700 KiB at an IFUNC resolver; musl's: 470 KiB at a constructor), and
    /// the reset's /proc open is the handoff's dearest call (about 20 µs).
    var resetsPeak: Bool
    var process: ProcessStart

    func enter(report: LayoutReport) throws(ExecError) -> Never {
        try ProcessControl.setName(Array(taskName.prefix(15)))
        if plan.stackPolicy == .readImpliesExec {
            try ProcessControl.setPersonality(process.personality | I386.readImpliesExec)
        }
        let trampoline = try prepareTrampoline(report: report)
        // The point of no return.
        trampoline.code(trampoline.block)
        fatalError("the handoff trampoline returned")
    }

    /// How the handoff ends once the trampoline has entered 32-bit mode.
    enum Ending {
        /// The vDSO's system call (CompatVDSO.systemCallBody) unmaps
        /// [0, end of the page): the page is the lowest mapping, so that is
        /// the page alone, and EBX, its first argument, is 0. The landing pad
        /// then pops EBP, EDX and ECX (zeros) and returns to the entry: every
        /// register as a native exec leaves it.
        case unmapFromZero(systemCall: UInt32)
        /// __kernel_vsyscall unmaps the page and returns into
        /// __kernel_rt_sigreturn, which restores the start from a StartFrame.
        case signalReturn(vsyscall: UInt32, sigreturn: UInt32)
        /// No vDSO: the trampoline enters the program directly; its page stays.
        case keepPage
    }

    private struct Trampoline {
        var code: @convention(c) (UnsafeMutableRawPointer) -> Void
        var block: UnsafeMutableRawPointer
    }

    /// One page for the trampoline's code, then its block; read-only and
    /// executable once filled.
    private func prepareTrampoline(report: LayoutReport) throws(ExecError) -> Trampoline {
        let pageSize = I386.pageSize
        var codeSize: UInt64 = 0
        let code = handoff_trampoline_code(&codeSize)!
        let blockOffset = (codeSize + 15) & ~15
        precondition(blockOffset + UInt64(MemoryLayout<handoff_block>.size) <= pageSize)

        let (page, ending) = try mapTrampolinePage()
        report.handoff(page: page, ending: ending)
        let base = UnsafeMutableRawPointer(bitPattern: UInt(page))!
        base.copyMemory(from: code, byteCount: Int(codeSize))
        let block = base + Int(blockOffset)
        try fillBlock(block.bindMemory(to: handoff_block.self, capacity: 1), page: page, ending: ending)
        try Memory.protect(at: page, length: pageSize, [.read, .execute])
        return Trampoline(code: unsafeBitCast(base, to: (@convention(c) (UnsafeMutableRawPointer) -> Void).self), block: block)
    }

    /// The page goes right below the program's lowest mapping, where nothing
    /// is below it, when the vDSO can unmap it from there (not below
    /// vm.mmap_min_addr). Else right above the i386 TASK_SIZE (0xffffe000), a
    /// page a native i386 process never has and its mmap never picks. Either
    /// way it is mapped after everything else: it moves nothing.
    private func mapTrampolinePage() throws(ExecError) -> (page: UInt64, ending: Ending) {
        let flags: MappingFlags = [.privateCopy, .anonymous, .fixedNoReplace, .populate]
        if let systemCall = vdso?.systemCallBody, let low = Self.lowPage(below: lowestMapping) {
            do throws(ExecError) {
                try Memory.map(at: low, length: I386.pageSize, protection: [.read, .write], flags: flags)
                return (low, .unmapFromZero(systemCall: systemCall))
            } catch {
                // refused (below vm.mmap_min_addr): the top instead
            }
        }
        try Memory.map(at: I386.top, length: I386.pageSize, protection: [.read, .write], flags: flags)
        if let vdso, let sigreturn = vdso.signalReturn() {
            return (I386.top, .signalReturn(vsyscall: vdso.entry, sigreturn: sigreturn))
        }
        return (I386.top, .keepPage)
    }

    /// The page right below `lowestMapping`, nil if there is none above page 0.
    static func lowPage(below lowestMapping: UInt64) -> UInt64? {
        let page = I386.pageDown(lowestMapping)
        return page >= 2 * I386.pageSize ? page - I386.pageSize : nil
    }

    private func fillBlock(_ block: UnsafeMutablePointer<handoff_block>, page: UInt64, ending: Ending) throws(ExecError) {
        block.pointee.unmap_start = I386.above4GiB.lowerBound
        block.pointee.unmap_length = UInt64(I386.above4GiB.count)

        let auxvBytes = stack.auxiliaryVector.prefix(I386.savedAuxiliaryVectorBytes)
        Self.copy(auxvBytes, into: &block.pointee.auxv)
        let auxv = handoff_block_auxv(block)!
        let withExe = memoryMap(auxv: auxv, auxvSize: auxvBytes.count, exeFD: UInt32(bitPattern: programFile.rawValue))
        block.pointee.memory_map = (withExe, memoryMap(auxv: auxv, auxvSize: auxvBytes.count, exeFD: UInt32.max))
        block.pointee.exe_fd = programFile.rawValue

        // A native exec by an ordinary user gains no capabilities; elf32-exec
        // may carry CAP_CHECKPOINT_RESTORE as a file capability: drop it all.
        // (Root keeps its capabilities through execve; so does the program.)
        block.pointee.drop_capabilities = process.auxiliary.euid != 0 ? 1 : 0
        block.pointee.capability_header.version = I386.capabilityVersion3
        block.pointee.capability_header.pid = 0

        switch ending {
        case .unmapFromZero(let systemCall):
            // What the landing pad pops into EBP, EDX and ECX, then returns to.
            let landing: [UInt32] = [0, 0, 0, entry]
            let pointer = stack.stackPointer - UInt32(4 * landing.count)
            landing.withUnsafeBytes { Memory.copy($0, to: UInt64(pointer)) }
            block.pointee.start_ip = systemCall
            block.pointee.start_sp = pointer
            block.pointee.start_eax = I386.systemCallUnmap
            block.pointee.start_ebx = 0
            block.pointee.start_ecx = UInt32(page + I386.pageSize)
        case .signalReturn(let vsyscall, let sigreturn):
            let address = StartFrame.address(below: stack.stackPointer)
            let frame = StartFrame(
                address: address, entry: entry, stackPointer: stack.stackPointer, signalReturn: sigreturn,
                blockedSignals: try Signals.blocked())
            frame.bytes.withUnsafeBytes { Memory.copy($0, to: UInt64(address)) }
            block.pointee.start_ip = vsyscall
            block.pointee.start_sp = address
            block.pointee.start_eax = I386.systemCallUnmap
            block.pointee.start_ebx = UInt32(page)
            block.pointee.start_ecx = UInt32(I386.pageSize)
        case .keepPage:
            block.pointee.start_ip = entry
            block.pointee.start_sp = stack.stackPointer
        }
        block.pointee.mxcsr = 0x1f80
        if resetsPeak {
            Self.copy(Array("/proc/self/clear_refs".utf8)[...], into: &block.pointee.peak_reset_path)
            Self.copy(Array("5".utf8)[...], into: &block.pointee.peak_reset_value)
        }
        let message = (Array("elf32-exec: ".utf8) + programPath
            + Array(": cannot set the process memory map (PR_SET_MM_MAP)\n".utf8)).prefix(256)
        Self.copy(message, into: &block.pointee.failure_message)
        block.pointee.failure_message_length = UInt32(message.count)
    }

    /// Copies `bytes` to the start of a fixed-size C array field.
    private static func copy<Field>(_ bytes: ArraySlice<UInt8>, into field: inout Field) {
        withUnsafeMutableBytes(of: &field) { destination in
            precondition(bytes.count <= destination.count)
            destination.copyBytes(from: bytes)
        }
    }

    /// What /proc/self/stat, cmdline, environ, auxv and exe show, and where brk is.
    private func memoryMap(auxv: UnsafeMutablePointer<UInt64>, auxvSize: Int, exeFD: UInt32) -> prctl_mm_map {
        prctl_mm_map(
            start_code: plan.code.lowerBound, end_code: plan.code.upperBound,
            start_data: plan.data.lowerBound, end_data: plan.data.upperBound,
            start_brk: programBreak, brk: programBreak,
            start_stack: UInt64(stack.stackPointer),
            arg_start: UInt64(stack.arguments.lowerBound), arg_end: UInt64(stack.arguments.upperBound),
            env_start: UInt64(stack.environment.lowerBound), env_end: UInt64(stack.environment.upperBound),
            auxv: auxv,
            auxv_size: UInt32(auxvSize), exe_fd: exeFD)
    }

    /// The last non-empty component of `path`, as the comm execve sets.
    static func baseName(_ path: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let end = (path.lastIndex { $0 != slash } ?? -1) + 1
        let start = path[..<end].lastIndex(of: slash).map { $0 + 1 } ?? 0
        return Array(path[start..<end])
    }
}
