// The kernel's own 32-bit vDSO, mapped where a native i386 process has it.
// With it the program's clock reads stay in user space and its system calls
// take the fast entry (AT_SYSINFO); without it they fall back to int $0x80.

public struct CompatVDSO: Equatable, Sendable {
    /// Where its block starts: the data pages ([vvar]) below the code.
    public let start: UInt32
    /// The vDSO's ELF header (AT_SYSINFO_EHDR).
    public let base: UInt32
    /// `__kernel_vsyscall`, the vDSO's ELF entry point (AT_SYSINFO).
    public let entry: UInt32
    /// `__kernel_vsyscall` past its `push %ecx; push %edx; push %ebp`: the
    /// system call itself (the fast entry, or `int $0x80` where the CPU has
    /// none), which returns to the kernel's landing pad that pops the three
    /// and returns. The handoff ends through it; nil if this vDSO's entry
    /// does not start with those pushes.
    public let systemCallBody: UInt32?
    /// The code's size: the image from `base`.
    public let size: UInt32

    public init(start: UInt32? = nil, base: UInt32, entry: UInt32, systemCallBody: UInt32? = nil, size: UInt32 = 0) {
        self.start = start ?? base
        self.base = base
        self.entry = entry
        self.systemCallBody = systemCallBody
        self.size = size
    }

    /// `__kernel_rt_sigreturn`, through which the handoff ends when it cannot
    /// end through `systemCallBody`; nil if this vDSO has none. Looked up in
    /// the mapped image only then: the symbol table is on a page the usual
    /// handoff never touches.
    func signalReturn() -> UInt32? {
        let image = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(base)), count: Int(size))
        return Self.dynamicSymbol("__kernel_rt_sigreturn", in: image).map { base + $0 }
    }

    /// What `__kernel_vsyscall` pushes first, and the landing pad pops last.
    static let savingPrologue: [UInt8] = [0x51, 0x52, 0x55]  // push %ecx; push %edx; push %ebp

    /// Replaces the loader's 64-bit vDSO by the 32-bit one, at the top of the
    /// compat mmap area: right below `knownTop` when the images show where
    /// that is (`top(below:above:mmapTopDown:smallestBlock:)`), else where a
    /// probe finds it. The kernel refuses a second vDSO (EEXIST), so the
    /// 64-bit block goes first: after this call the loader must not read the
    /// clock through libc.
    static func replaceLoaderVDSO(_ loaderVDSO: LoaderVDSO?, top knownTop: UInt64?) throws(ExecError) -> CompatVDSO {
        let vvarSize = loaderVDSO?.dataSize ?? 0
        if let block = loaderVDSO?.block {
            try Memory.unmap(at: block.lowerBound, length: UInt64(block.count))
        }

        let probeSize = vvarSize + (loaderVDSO.map { UInt64($0.code.count) } ?? 2 * I386.pageSize)
        let top: UInt64
        if let knownTop {
            top = knownTop
        } else {
            // Where a native process would have it: a compat mmap of about the
            // same size shows the top of the compat mmap area.
            let probe = try Memory.reserveCompat(length: UInt32(probeSize))
            try Memory.unmap(at: probe, length: probeSize)
            top = probe + probeSize
        }

        var start = top - probeSize
        let imageSize = UInt64(try ProcessControl.archPrctl(I386.archMapVDSO32, start))
        let totalSize = vvarSize + imageSize
        if totalSize != probeSize {
            try Memory.unmap(at: start, length: totalSize)
            start = top - totalSize
            guard knownTop == nil || totalSize <= largestBlock else { throw .vdsoNotFound(start + vvarSize) }
            _ = try ProcessControl.archPrctl(I386.archMapVDSO32, start)
        }
        let base = start + vvarSize
        guard let header = UnsafeRawPointer(bitPattern: UInt(base)),
            header.loadUnaligned(as: UInt32.self) == 0x464c_457f  // "\x7fELF"
        else { throw .vdsoNotFound(base) }
        let image = UnsafeRawBufferPointer(start: header, count: Int(imageSize))
        let entry = header.loadUnaligned(fromByteOffset: 24, as: UInt32.self)  // e_entry
        let prologue = Int(entry)..<Int(entry) + savingPrologue.count
        let savesRegisters = prologue.upperBound <= image.count && image[prologue].elementsEqual(savingPrologue)
        return CompatVDSO(
            start: UInt32(start), base: UInt32(base), entry: UInt32(base) + entry,
            systemCallBody: savesRegisters ? UInt32(base) + entry + UInt32(savingPrologue.count) : nil,
            size: UInt32(imageSize))
    }

    /// The most a vDSO block (data pages and code) takes; 32 KiB on 6.18.
    static let largestBlock: UInt64 = 1 << 20

    /// The top of the compat mmap area's free space, when the images show it:
    /// with mmap top-down, the image placed top-down last (the interpreter,
    /// or a static PIE) went to the top of the area if the `other` image lies
    /// below it, and the kernel's top-down search for the vDSO then stops
    /// right below that image, unless one of its holes can hold a vDSO block
    /// (`smallestBlock` bytes or more). Nil when only a probe can tell. Saves
    /// the probe's two calls, one an `int $0x80` (about 15 µs).
    static func top(below image: LoadPlan?, above other: LoadPlan?, mmapTopDown: Bool, smallestBlock: UInt64) -> UInt64? {
        guard mmapTopDown, let image, image.holes.allSatisfy({ UInt64($0.count) < smallestBlock }) else { return nil }
        let top = image.reservation.lowerBound
        guard top >= largestBlock, (other?.reservation.upperBound ?? 0) <= top - largestBlock else { return nil }
        return top
    }

    /// The value of the dynamic symbol `symbol` in the vDSO `image`, found
    /// through its section headers (SHT_DYNSYM and its string table); nil if
    /// it has none. Read by hand, not through libelf: the kernel built this
    /// image, and libelf's section-data calls would add 114 KB to elf32-exec.
    static func dynamicSymbol(_ symbol: StaticString, in image: UnsafeRawBufferPointer) -> UInt32? {
        let name = UnsafeRawBufferPointer(start: symbol.utf8Start, count: symbol.utf8CodeUnitCount)
        func word(_ offset: Int) -> UInt32? {
            guard offset >= 0, offset + 4 <= image.count else { return nil }
            return UInt32(littleEndian: image.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        func half(_ offset: Int) -> Int? { word(offset).map { Int($0 & 0xffff) } }
        let sectionHeaderSize = 40, symbolSize = 16, dynamicSymbols: UInt32 = 11  // Elf32_Shdr, Elf32_Sym, SHT_DYNSYM
        guard let tableOffset = word(32), let entrySize = half(46), let count = half(48),  // e_shoff, e_shentsize, e_shnum
            entrySize == sectionHeaderSize
        else { return nil }
        for index in 0..<count {
            let section = Int(tableOffset) + index * sectionHeaderSize
            guard word(section + 4) == dynamicSymbols,
                let symbols = word(section + 16), let size = word(section + 20), let link = word(section + 24),
                Int(link) < count, let strings = word(Int(tableOffset) + Int(link) * sectionHeaderSize + 16)
            else { continue }
            for symbol in stride(from: Int(symbols), to: Int(symbols) + Int(size), by: symbolSize) {
                guard let nameOffset = word(symbol), let value = word(symbol + 4) else { break }
                let start = Int(strings) + Int(nameOffset)
                guard start + name.count < image.count, image[start..<start + name.count].elementsEqual(name),
                    image[start + name.count] == 0
                else { continue }
                return value
            }
        }
        return nil
    }
}
