// The invariants each step of the pipeline promises, restated independently
// of ELFLoader and checked on what it returns; a broken one aborts.

import ELFLoader

#if canImport(Glibc)
import Glibc
#endif

extension FuzzPipeline {
    /// What `validate()` promises, restated independently.
    static func checkValidated(_ image: ELFImage) {
        let segments = image.loadSegments
        check(!segments.isEmpty, "validated image without PT_LOAD")
        var previousEnd: UInt64 = 0
        for (index, segment) in segments.enumerated() {
            let start = UInt64(segment.virtualAddress), end = start + UInt64(segment.memorySize)
            check(segment.fileSize <= segment.memorySize, "segment \(index): p_filesz > p_memsz accepted")
            check(UInt64(segment.offset) + UInt64(segment.fileSize) <= image.fileSize, "segment \(index): file range beyond the file accepted")
            check((UInt64(segment.offset) ^ start) & (I386.pageSize - 1) == 0, "segment \(index): incongruent offset accepted")
            check(end <= I386.top, "segment \(index): end 0x\(hex(end)) beyond the top accepted")
            check(image.type == .sharedObject || start >= I386.lowest, "segment \(index): ET_EXEC below mmap_min_addr accepted")
            check(index == 0 || start >= previousEnd, "segment \(index): overlap accepted")
            previousEnd = end
        }
        let entry = UInt64(image.entry)
        check(segments.contains { segment in
            let runnable = segment.flags & ProgramHeader.executable != 0
                || (image.stackPolicy == .readImpliesExec && segment.flags & ProgramHeader.readable != 0)
            return runnable && UInt64(segment.virtualAddress) <= entry && entry < UInt64(segment.virtualAddress) + UInt64(segment.memorySize)
        }, "entry 0x\(hex(entry)) outside every executable segment accepted")
        if let interpreter = image.interpreterHeader {
            check((2...4096).contains(interpreter.fileSize), "PT_INTERP of \(interpreter.fileSize) bytes accepted")
            check(UInt64(interpreter.offset) + UInt64(interpreter.fileSize) <= image.fileSize, "PT_INTERP beyond the file accepted")
        }
    }

    // MARK: Placement and load plan

    /// Places and plans a validated `image` as Exec does, checks the plan, and
    /// returns what the auxiliary vector reports about it.
    static func checkPlan(_ image: ELFImage, random: inout Parameters) -> ProgramAuxiliaryFacts? {
        let segments = image.loadSegments
        let span = LoadPlan.span(of: image)
        check(span % I386.pageSize == 0 && span > 0, "span 0x\(hex(span)) not a positive page multiple")
        check(span <= I386.top, "span 0x\(hex(span)) larger than the 32-bit space")

        let placement = Placement.of(
            image, hasInterpreter: image.interpreterHeader != nil,
            randomPages: random.next(below: I386.dynamicBaseRandomPages))
        // For a top-down placement the kernel's compat mmap picks any free
        // page-aligned spot below the top where the span fits.
        var topDownAddress: UInt64 = 0
        if placement == .topDown {
            let highest = I386.top - span
            guard highest >= I386.lowest else { return nil }  // the compat mmap fails: ENOMEM
            let pages = (highest - I386.lowest) / I386.pageSize + 1
            topDownAddress = I386.lowest + random.next64(below: pages) * I386.pageSize
        }
        // The library's own placing step, as Exec calls it. It refuses an
        // image placed outside [mmap_min_addr, TASK_SIZE); only a PIE at
        // ELF_ET_DYN_BASE can be: ET_EXEC is validated inside, and a top-down
        // span was chosen to fit.
        let plan: LoadPlan
        do {
            plan = try LoadPlan.placed(image, at: placement, topDownAddress: topDownAddress)
        } catch {
            guard case .outsideAddressSpace = error, case .dynamicBase = placement else {
                check(false, "placing refused \(error.message) for \(placement)")
                return nil
            }
            return nil
        }
        let bias = plan.loadBias
        check(bias % I386.pageSize == 0, "load bias 0x\(hex(bias)) not page-aligned")
        switch placement {
        case .linkAddress: check(bias == 0, "ET_EXEC with load bias 0x\(hex(bias))")
        case .topDown:
            check(bias &+ I386.pageDown(UInt64(segments[0].virtualAddress)) == topDownAddress,
                  "top-down image not at the address the kernel chose")
        case .dynamicBase: break
        }
        checkPlan(plan, image: image, bias: bias, span: span)
        _ = plan.programBreak(
            atDynamicBase: placement == .topDown && random.next(below: 2) == 0,
            randomPages: random.next(below: 2) == 0 ? nil : UInt64(random.next(below: I386.programBreakRandomPages)))
        return ProgramAuxiliaryFacts(
            programHeaders: UInt32(plan.programHeaderAddress), programHeaderCount: UInt32(plan.programHeaderCount),
            entry: UInt32(plan.entry), interpreterBase: random.next(below: 2) == 0 ? 0 : random.next() & ~0xfff,
            vdso: random.next(below: 2) == 0 ? nil : CompatVDSO(base: random.next() & ~0xfff, entry: random.next()),
            execFD: random.next(below: 4) == 0 ? random.next(below: 1024) : nil)
    }

    static func checkPlan(_ plan: LoadPlan, image: ELFImage, bias: UInt64, span: UInt64) {
        let page = I386.pageSize
        let segments = image.loadSegments
        let reservation = plan.reservation
        check(reservation.lowerBound % page == 0 && reservation.upperBound % page == 0, "reservation \(reservation) not page-aligned")
        check(reservation.lowerBound == I386.pageDown(UInt64(segments[0].virtualAddress) &+ bias), "reservation does not start at the first segment")
        check(UInt64(reservation.count) == span, "reservation \(reservation) is not the span 0x\(hex(span))")
        check(plan.entry == UInt64(image.entry) &+ bias, "entry not displaced by the bias")
        check(plan.imageEnd <= reservation.upperBound, "image end beyond the reservation")

        for mapping in plan.mappings {
            check(mapping.address % page == 0 && mapping.length % page == 0 && mapping.length > 0,
                  "mapping \(mapping.range) not whole pages")
            check(reservation.contains(mapping.address) && mapping.range.upperBound <= reservation.upperBound,
                  "mapping \(mapping.range) outside the reservation \(reservation)")
            if case .file(let offset) = mapping.source {
                check(offset % page == 0, "file mapping at unaligned offset 0x\(hex(offset))")
                check(offset < image.fileSize || image.fileSize == 0, "file mapping starts beyond the file")
            }
        }
        // Mappings overlap only where two segments share a page (the later
        // mapping replaces the earlier, as the kernel's MAP_FIXED does), and in
        // address order.
        for (index, pair) in zip(plan.mappings, plan.mappings.dropFirst()).enumerated() {
            let (earlier, later) = pair
            check(earlier.address <= later.address, "mappings \(index) and \(index + 1) out of order")
            if earlier.range.overlaps(later.range) {
                let shared = max(earlier.address, later.address)..<min(earlier.range.upperBound, later.range.upperBound)
                check(shared.count == Int(page), "mappings \(earlier.range) and \(later.range) overlap by more than a shared page")
                check(segments.contains { seg in
                    seg.memorySize > 0 && I386.pageDown((seg.memoryEnd &+ bias) - 1) == shared.lowerBound
                }, "mappings \(earlier.range) and \(later.range) overlap outside a segment's last page")
            }
        }
        // Holes and mappings tile the reservation.
        var covered = plan.mappings.map(\.range) + plan.holes
        covered.sort { $0.lowerBound < $1.lowerBound }
        var cursor = reservation.lowerBound
        for range in covered {
            check(range.lowerBound <= cursor, "gap at 0x\(hex(cursor)) neither mapped nor a hole")
            cursor = max(cursor, range.upperBound)
        }
        check(cursor == reservation.upperBound, "tiling ends at 0x\(hex(cursor)), not at the reservation's end")
        for hole in plan.holes {
            check(!hole.isEmpty && hole.lowerBound % page == 0 && hole.upperBound % page == 0, "hole \(hole) not whole pages")
            check(!plan.mappings.contains { $0.range.overlaps(hole) }, "hole \(hole) overlaps a mapping")
        }
        // Zero fills: inside a writable file mapping, never a whole page.
        for fill in plan.zeroFills {
            check(!fill.isEmpty && fill.count < Int(page), "zero fill \(fill) empty or a whole page")
            check(plan.mappings.contains { mapping in
                if case .file = mapping.source {
                    return mapping.protection.contains(.write) && mapping.range.contains(fill.lowerBound)
                        && fill.upperBound <= mapping.range.upperBound
                }
                return false
            }, "zero fill \(fill) outside a writable file mapping")
        }
        // Every segment byte is mapped, and the entry is in an executable mapping:
        // the loader never jumps to memory the plan does not give execute rights.
        for segment in segments where segment.memorySize > 0 {
            let start = UInt64(segment.virtualAddress) &+ bias
            let end = start + UInt64(segment.memorySize)
            check(covers(plan.mappings, start..<end), "segment 0x\(hex(start))-0x\(hex(end)) not wholly mapped")
        }
        check(plan.mappings.contains { $0.range.contains(plan.entry) && $0.protection.contains(.execute) },
              "entry 0x\(hex(plan.entry)) not in an executable mapping")
        if plan.programHeaderAddress != 0 {
            check(reservation.contains(plan.programHeaderAddress), "AT_PHDR 0x\(hex(plan.programHeaderAddress)) outside the image")
        }
        check(plan.programHeaderCount == image.programHeaders.count, "AT_PHNUM differs from e_phnum")
        check(plan.code.lowerBound <= plan.code.upperBound && plan.data.lowerBound <= plan.data.upperBound, "code/data ranges reversed")
    }

    static func covers(_ mappings: [LoadPlan.Mapping], _ range: Range<UInt64>) -> Bool {
        var cursor = range.lowerBound
        for mapping in mappings.sorted(by: { $0.address < $1.address }) where mapping.address <= cursor {
            cursor = max(cursor, mapping.range.upperBound)
        }
        return cursor >= range.upperBound
    }

    // MARK: Interpreter path

    static func checkInterpreterPath(_ bytes: [UInt8]) {
        guard let path = try? ELFImage.interpreterPath(fromSegment: bytes) else {
            check(bytes.last != 0, "NUL-terminated PT_INTERP refused")
            return
        }
        check(bytes.last == 0, "PT_INTERP without a final NUL accepted")
        check(!path.contains(0) && bytes.starts(with: path) && bytes[path.count] == 0, "interpreter path is not the bytes up to the first NUL")
    }

    // MARK: Auxiliary vector and initial stack

    static func checkStack(arguments: [[UInt8]], environment: [[UInt8]], facts: ProgramAuxiliaryFacts?, random: inout Parameters) {
        let facts = facts ?? ProgramAuxiliaryFacts(
            programHeaders: random.next(), programHeaderCount: random.next(below: 129), entry: random.next())
        var kernelValues = KernelAuxiliaryValues()
        for type: AuxiliaryType in [.clockTicks, .uid, .euid, .gid, .egid, .secure] { kernelValues.set(type, random.next()) }
        for type: AuxiliaryType in [.minimumSignalStackSize, .hardwareCapabilities, .hardwareCapabilities2, .rseqFeatureSize, .rseqAlignment]
        where random.next(below: 4) != 0 { kernelValues.set(type, random.next()) }
        let entries = AuxiliaryVector.entries(program: facts, kernel: kernelValues)
        check(!entries.contains { $0.type == .null }, "AT_NULL inside the vector")
        check(Set(entries.map { $0.type.rawValue }).count == entries.count, "an auxiliary type appears twice")
        for required: AuxiliaryType in [.pageSize, .programHeaders, .programHeaderSize, .programHeaderCount, .entry, .random, .execFilename, .platform] {
            check(entries.contains { $0.type == required }, "AT_\(required) missing")
        }

        let top = StackMapping.top(randomPage: random.next(below: I386.stackRandomPages))
        let randomBytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let execFilename = arguments.first ?? []
        let stack = InitialStack(
            top: top, arguments: arguments, environment: environment, execFilename: execFilename,
            auxiliary: entries, randomBytes: randomBytes,
            // Mostly small: the bytes of the padding cost time, not coverage.
            alignmentPadding: random.next(below: 8) == 0 ? random.next(below: 8192) : random.next(below: 64))

        let sp = stack.stackPointer
        check(sp % 16 == 0, "stack pointer 0x\(hex(sp)) not 16-byte aligned")
        check(UInt64(stack.bytes.count) == UInt64(top) - UInt64(sp), "stack bytes do not reach from the stack pointer to the top")
        check(stack.auxiliaryVector.count == 8 * (entries.count + 1), "auxv is \(stack.auxiliaryVector.count) bytes for \(entries.count) entries and AT_NULL")
        check(stack.arguments.lowerBound >= sp && stack.arguments.upperBound == stack.environment.lowerBound
              && stack.environment.upperBound < top, "string areas outside the stack")

        func word(_ address: UInt32) -> UInt32 {
            let offset = Int(address - sp)
            check(offset >= 0 && offset + 4 <= stack.bytes.count, "word at 0x\(hex(address)) outside the stack")
            return UInt32(I386.littleEndian(stack.bytes[offset..<offset + 4]))
        }
        func string(_ address: UInt32) -> [UInt8] {
            let offset = Int(address - sp)
            check(address >= sp && offset < stack.bytes.count, "string at 0x\(hex(address)) outside the stack")
            let rest = stack.bytes[offset...]
            check(rest.contains(0), "string at 0x\(hex(address)) runs off the top")
            return Array(rest.prefix { $0 != 0 })
        }
        /// Checks the NULL-terminated pointer array at `cursor` and moves past it.
        func checkPointers(_ cursor: inout UInt32, to strings: [[UInt8]], in area: Range<UInt32>, _ name: String) {
            for expected in strings {
                let address = word(cursor)
                check(area.contains(address), "\(name) pointer outside its strings")
                check(string(address) == expected, "\(name) string differs")
                cursor += 4
            }
            check(word(cursor) == 0, "\(name) not NULL-terminated")
            cursor += 4
        }
        check(word(sp) == UInt32(arguments.count), "argc")
        var cursor = sp + 4
        checkPointers(&cursor, to: arguments, in: stack.arguments, "argv")
        checkPointers(&cursor, to: environment, in: stack.environment, "envp")
        let auxStart = Int(cursor - sp)
        check(Array(stack.bytes[auxStart..<auxStart + stack.auxiliaryVector.count]) == stack.auxiliaryVector,
              "the stack's auxv differs from the saved auxv")
        for (index, entry) in entries.enumerated() {
            let value = word(cursor + UInt32(8 * index) + 4)
            check(word(cursor + UInt32(8 * index)) == entry.type.rawValue, "auxv type \(index)")
            switch entry.value {
            case .value(let number): check(value == number, "AT_\(entry.type) value")
            case .randomBytesAddress:
                let offset = Int(value - sp)
                check(value >= sp && Array(stack.bytes[offset..<offset + 16]) == randomBytes, "AT_RANDOM bytes")
            case .platformAddress: check(string(value) == I386.platform, "AT_PLATFORM string")
            case .execFilenameAddress: check(string(value) == execFilename, "AT_EXECFN string")
            }
        }
        check(word(cursor + UInt32(8 * entries.count)) == 0, "no AT_NULL")

        let range = StackMapping.initialRange(top: top, stack: stack, limit: random.next(below: 2) == 0 ? nil : UInt64(random.next()))
        check(range.upperBound == UInt64(top) && range.lowerBound % I386.pageSize == 0
              && range.lowerBound <= UInt64(sp), "initial stack mapping \(range) does not hold the stack")
    }
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fputs("ELFLoaderFuzz: invariant broken: \(message())\n", stderr)
        abort()
    }
}
