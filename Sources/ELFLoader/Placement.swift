// Where an image goes, as the kernel decides it in load_elf_binary and
// load_elf_interp for an ia32 process.

public enum Placement: Equatable, Sendable {
    /// ET_EXEC: at its link address.
    case linkAddress
    /// A PIE with an interpreter: ELF_ET_DYN_BASE moved up by `randomPages`.
    case dynamicBase(randomPages: UInt32)
    /// A static PIE or the interpreter: where a compat mmap of its span goes,
    /// top-down from the mmap base. Only the kernel knows: see `Memory.reserveCompat`.
    case topDown

    /// How `image` is placed, with or without an interpreter.
    public static func of(_ image: ELFImage, hasInterpreter: Bool, randomPages: UInt32) -> Placement {
        switch (image.type, hasInterpreter) {
        case (.executable, _): return .linkAddress
        case (.sharedObject, true): return .dynamicBase(randomPages: randomPages)
        case (.sharedObject, false): return .topDown
        }
    }

    /// The load bias, for the placements that need no kernel help; for
    /// `.topDown`, the bias that puts the image at `address`.
    public func loadBias(for image: ELFImage, topDownAddress address: UInt64 = 0) -> UInt64 {
        let firstAddress = UInt64(image.loadSegments.first?.virtualAddress ?? 0)
        switch self {
        case .linkAddress:
            return 0
        case .dynamicBase(let randomPages):
            var base = I386.dynamicBase + UInt64(randomPages) * I386.pageSize
            let alignment = Self.maximumAlignment(of: image)
            if alignment > I386.pageSize { base &= ~(alignment - 1) }
            return I386.pageDown(base &- firstAddress)
        case .topDown:
            return address &- I386.pageDown(firstAddress)
        }
    }

    /// The largest power-of-two p_align of the PT_LOADs (maximum_alignment).
    static func maximumAlignment(of image: ELFImage) -> UInt64 {
        var largest: UInt64 = 0
        for segment in image.loadSegments {
            let alignment = UInt64(segment.alignment)
            if alignment != 0 && alignment & (alignment - 1) == 0 { largest = max(largest, alignment) }
        }
        return I386.pageUp(largest)
    }
}
