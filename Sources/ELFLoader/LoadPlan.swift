// The load plan: what to map where, with which protection, as pure values.
// It follows the kernel's elf_load: file pages for p_filesz, the rest of the
// last file page zeroed when the segment is writable, anonymous pages for
// the remaining bss.

public struct LoadPlan: Equatable, Sendable {
    public struct Mapping: Equatable, Sendable {
        public enum Source: Equatable, Sendable {
            case file(offset: UInt64)
            case anonymous
        }

        public var address: UInt64
        public var length: UInt64
        public var protection: MemoryProtection
        public var source: Source

        public var range: Range<UInt64> { address..<address + length }
    }

    /// The page-aligned span every segment lies in: reserved first, whole.
    public var reservation: Range<UInt64>
    public var mappings: [Mapping]
    /// The bytes after p_filesz in a writable segment's last file page.
    public var zeroFills: [Range<UInt64>]
    /// Parts of the reservation no segment covers: unmapped once loaded, as
    /// a native process has nothing there.
    public var holes: [Range<UInt64>]

    public var loadBias: UInt64
    public var entry: UInt64
    /// Where the program headers are in memory (AT_PHDR), 0 if not loaded.
    public var programHeaderAddress: UInt64
    public var programHeaderCount: Int
    /// The memory ranges the kernel reports for the process (/proc/self/stat).
    public var code: Range<UInt64>
    public var data: Range<UInt64>
    /// One past the last byte of any segment (bss included).
    public var imageEnd: UInt64
    public var stackPolicy: ELFImage.StackPolicy

    /// Plans the mappings of a validated `image` displaced by `loadBias`.
    public init(image: ELFImage, loadBias: UInt64) {
        let segments = image.loadSegments
        let readImpliesExec = image.stackPolicy == .readImpliesExec
        var mappings: [Mapping] = []
        var zeroFills: [Range<UInt64>] = []
        var codeStart = UInt64.max, codeEnd: UInt64 = 0
        var dataStart: UInt64 = 0, dataEnd: UInt64 = 0
        var imageEnd: UInt64 = 0
        var programHeaderAddress: UInt64 = 0

        for segment in segments {
            let protection = Self.protection(of: segment.flags, readImpliesExec: readImpliesExec)
            // The bias may be "negative" (a PIE linked above its load address):
            // addresses wrap around as in the kernel's unsigned arithmetic.
            let start = UInt64(segment.virtualAddress) &+ loadBias
            let pageOffset = start % I386.pageSize
            let mapStart = start - pageOffset
            var zeroStart = mapStart
            if segment.fileSize > 0 {
                let length = I386.pageUp(pageOffset + UInt64(segment.fileSize))
                mappings.append(Mapping(
                    address: mapStart, length: length, protection: protection,
                    source: .file(offset: UInt64(segment.offset) - pageOffset)))
                zeroStart = start + UInt64(segment.fileSize)
                let pageEnd = I386.pageUp(zeroStart)
                if segment.memorySize > segment.fileSize && protection.contains(.write) && zeroStart < pageEnd {
                    zeroFills.append(zeroStart..<pageEnd)
                }
            }
            let anonymousStart = I386.pageUp(zeroStart)
            let anonymousEnd = I386.pageUp(start + UInt64(segment.memorySize))
            if segment.memorySize > segment.fileSize && anonymousEnd > anonymousStart {
                // The kernel maps these pages with vm_brk_flags: always read-write,
                // executable only if the segment is.
                var bssProtection: MemoryProtection = [.read, .write]
                if protection.contains(.execute) { bssProtection.insert(.execute) }
                mappings.append(Mapping(
                    address: anonymousStart, length: anonymousEnd - anonymousStart,
                    protection: bssProtection, source: .anonymous))
            }

            // The kernel's bookkeeping in load_elf_binary, kept as odd as it is:
            // start_data is the highest segment start, not the lowest data one.
            let fileEnd = start + UInt64(segment.fileSize)
            if segment.flags & ProgramHeader.executable != 0 {
                codeStart = min(codeStart, start)
                codeEnd = max(codeEnd, fileEnd)
            }
            dataStart = max(dataStart, start)
            dataEnd = max(dataEnd, fileEnd)
            imageEnd = max(imageEnd, start + UInt64(segment.memorySize))
            let phoff = UInt64(image.programHeaderOffset)
            if UInt64(segment.offset) <= phoff && phoff < UInt64(segment.offset) + UInt64(segment.fileSize) {
                programHeaderAddress = phoff - UInt64(segment.offset) + start
            }
        }

        let reservationStart = I386.pageDown(UInt64(segments[0].virtualAddress) &+ loadBias)
        self.reservation = reservationStart..<I386.pageUp(imageEnd)
        self.mappings = mappings
        self.zeroFills = zeroFills
        self.holes = Self.holes(in: reservation, outside: mappings.map { $0.range })
        self.loadBias = loadBias
        self.entry = UInt64(image.entry) &+ loadBias
        self.programHeaderAddress = programHeaderAddress
        self.programHeaderCount = image.programHeaders.count
        if codeStart == .max { codeStart = reservationStart; codeEnd = imageEnd }
        self.code = codeStart..<max(codeStart, codeEnd)
        self.data = min(dataStart, dataEnd)..<dataEnd
        self.imageEnd = imageEnd
        self.stackPolicy = image.stackPolicy
    }

    /// Plans `image` at `placement` and checks that it fits in the i386
    /// address space: the pure step of mapping an image, which Exec and the
    /// fuzzer share. `topDownAddress` is where the kernel's compat mmap put
    /// a `.topDown` image's span.
    public static func placed(_ image: ELFImage, at placement: Placement, topDownAddress: UInt64 = 0) throws(ExecError) -> LoadPlan {
        let plan = LoadPlan(image: image, loadBias: placement.loadBias(for: image, topDownAddress: topDownAddress))
        guard plan.reservation.lowerBound >= I386.lowest, plan.reservation.upperBound <= I386.top else {
            throw .outsideAddressSpace(plan.reservation)
        }
        return plan
    }

    /// The size of the span a program needs, to choose where an ET_DYN goes.
    public static func span(of image: ELFImage) -> UInt64 {
        let segments = image.loadSegments
        guard let first = segments.first else { return 0 }
        var end: UInt64 = 0
        for segment in segments { end = max(end, segment.memoryEnd) }
        return I386.pageUp(end) - I386.pageDown(UInt64(first.virtualAddress))
    }

    /// Where brk starts, as load_elf_binary sets it: at the page-aligned end
    /// of bss, or at ELF_ET_DYN_BASE for a static PIE the kernel moves out of
    /// the mmap area it was loaded in. Randomized (`randomPages` not nil), a
    /// brk not moved leaves a page after bss, then moves up by `randomPages`
    /// (ia32: below 32 MiB).
    public func programBreak(atDynamicBase: Bool, randomPages: UInt64?) -> UInt64 {
        let start = atDynamicBase ? I386.dynamicBase : I386.pageUp(imageEnd)
        guard let randomPages else { return start }
        return start + (atDynamicBase ? 0 : I386.pageSize) + randomPages * I386.pageSize
    }

    static func protection(of flags: UInt32, readImpliesExec: Bool) -> MemoryProtection {
        var protection: MemoryProtection = []
        if flags & ProgramHeader.readable != 0 { protection.insert(.read) }
        if flags & ProgramHeader.writable != 0 { protection.insert(.write) }
        if flags & ProgramHeader.executable != 0 { protection.insert(.execute) }
        if readImpliesExec && protection.contains(.read) { protection.insert(.execute) }
        return protection
    }

    static func holes(in span: Range<UInt64>, outside covered: [Range<UInt64>]) -> [Range<UInt64>] {
        var holes: [Range<UInt64>] = []
        var cursor = span.lowerBound
        for range in covered.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > cursor { holes.append(cursor..<range.lowerBound) }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < span.upperBound { holes.append(cursor..<span.upperBound) }
        return holes
    }
}
