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

    /// COMPAT_ELF_ET_DYN_BASE: TASK_UNMAPPED_BASE (a third of the 32-bit
    /// space) plus 16 MiB.
    public static let dynamicBaseAddress: UInt64 = 0x5655_5000
    /// arch_mmap_rnd for ia32: 8 bits of pages.
    public static let dynamicBaseRandomPages: UInt32 = 256

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
            var base = Self.dynamicBaseAddress + UInt64(randomPages) * AddressSpaceLimits.pageSize
            let alignment = Self.maximumAlignment(of: image)
            if alignment > AddressSpaceLimits.pageSize { base &= ~(alignment - 1) }
            return AddressSpaceLimits.pageDown(base &- firstAddress)
        case .topDown:
            return address &- AddressSpaceLimits.pageDown(firstAddress)
        }
    }

    /// The largest power-of-two p_align of the PT_LOADs (maximum_alignment).
    static func maximumAlignment(of image: ELFImage) -> UInt64 {
        let alignments = image.loadSegments.map { UInt64($0.alignment) }.filter { $0 != 0 && $0 & ($0 - 1) == 0 }
        return AddressSpaceLimits.pageUp(alignments.max() ?? 0)
    }
}
