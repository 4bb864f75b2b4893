// --verbose: the layout, one fact a line, on standard error.

struct LayoutReport {
    let enabled: Bool

    func line(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        try? FileDescriptor.standardError.writeAll(Array("elf32-exec: \(text())\n".utf8))
    }

    func plan(_ plan: LoadPlan, image: ELFImage, path: [UInt8]) {
        guard enabled else { return }
        let type = image.type == .executable ? "ET_EXEC" : "ET_DYN"
        let stack: String
        switch image.stackPolicy {
        case .nonExecutable: stack = "nonExecutable"
        case .executable: stack = "executable"
        case .readImpliesExec: stack = "readImpliesExec"
        }
        line("program \(String(decoding: path, as: UTF8.self)): \(type), \(image.loadSegments.count) PT_LOAD, load bias 0x\(hex(plan.loadBias)), stack \(stack)")
        line("reserve \(describe(plan.reservation))")
        for mapping in plan.mappings {
            let source: String
            switch mapping.source {
            case .file(let offset): source = "file offset 0x\(hex(offset))"
            case .anonymous: source = "anonymous (bss)"
            }
            line("map \(describe(mapping.range)) \(permissions(mapping.protection)) \(source)")
        }
        for range in plan.zeroFills { line("zero \(describe(range))") }
        if image.type != .executable { for hole in plan.holes { line("unmap hole \(describe(hole))") } }
    }

    func vdso(_ vdso: CompatVDSO?, requested: Bool) {
        if let vdso {
            line("vdso: 32-bit vDSO at 0x\(hex(vdso.base)), AT_SYSINFO 0x\(hex(vdso.entry))")
        } else if !requested {
            line("vdso: off (--no-vdso); system calls use int $0x80")
        }
    }

    func stack(_ range: Range<UInt64>, stackPointer: UInt32, programBreak: UInt64, entry: UInt64) {
        line("stack \(describe(range)) (grows down), sp 0x\(hex(stackPointer))")
        line("brk 0x\(hex(programBreak))")
        line("entry 0x\(hex(entry))")
    }

    func handoff(page: UInt64, ending: Handoff.Ending) {
        switch ending {
        case .unmapFromZero:
            line("handoff: trampoline page 0x\(hex(page)), below the program; the vDSO's system call unmaps it and returns to the entry")
        case .signalReturn:
            line("handoff: trampoline page 0x\(hex(page)); the vDSO unmaps it and returns through __kernel_rt_sigreturn")
        case .keepPage:
            line("handoff: no vDSO; the trampoline page stays at 0x\(hex(page))")
        }
    }

    private func permissions(_ protection: MemoryProtection) -> String {
        (protection.contains(.read) ? "r" : "-") + (protection.contains(.write) ? "w" : "-")
            + (protection.contains(.execute) ? "x" : "-")
    }
}
