// The address space step: carries out a load plan with real mappings.

import LinuxCalls

public enum AddressSpace {
    /// Maps `plan` from `file` the way load_elf_binary does for its
    /// placement. An ET_EXEC goes segment by segment, its first mapping
    /// refused if anything already sits there, the gaps between segments
    /// left free for the program. An ET_DYN gets one PROT_NONE reservation
    /// of its whole span first (at ELF_ET_DYN_BASE, or already made by the
    /// compat mmap that chose a top-down place), the segments inside it with
    /// MAP_FIXED, the holes given back. The partial bss page is zeroed. On
    /// any failure the whole span is unmapped again before the error goes up.
    public static func load(_ plan: LoadPlan, from file: FileDescriptor, placement: Placement) throws(ExecError) {
        let span = plan.reservation
        if case .dynamicBase = placement {
            try reserve(span)
        }
        do throws(ExecError) {
            for (index, mapping) in plan.mappings.enumerated() {
                var flags: MappingFlags = [.privateCopy, placement == .linkAddress && index == 0 ? .fixedNoReplace : .fixed]
                switch mapping.source {
                case .file(let offset):
                    do throws(ExecError) {
                        try Memory.map(
                            at: mapping.address, length: mapping.length, protection: mapping.protection,
                            flags: flags, file: file, offset: offset)
                    } catch .system(let error) where error.errno == EEXIST {
                        throw ExecError.addressRangeOccupied(mapping.range)
                    }
                case .anonymous:
                    flags.insert(.anonymous)
                    try Memory.map(at: mapping.address, length: mapping.length, protection: mapping.protection, flags: flags)
                }
            }
            for range in plan.zeroFills {
                UnsafeMutableRawPointer(bitPattern: UInt(range.lowerBound))!
                    .initializeMemory(as: UInt8.self, repeating: 0, count: range.count)
            }
            if placement != .linkAddress {
                for hole in plan.holes { try Memory.unmap(at: hole.lowerBound, length: UInt64(hole.count)) }
            }
        } catch {
            try? Memory.unmap(at: span.lowerBound, length: UInt64(span.count))
            switch error {
            case .addressRangeOccupied: throw error
            case .system(let failure): throw .mappingFailed(span, failure)
            default: throw error
            }
        }
    }

    private static func reserve(_ span: Range<UInt64>) throws(ExecError) {
        do throws(ExecError) {
            try Memory.map(
                at: span.lowerBound, length: UInt64(span.count), protection: [],
                flags: [.privateCopy, .anonymous, .fixedNoReplace])
        } catch .system(let error) where error.errno == EEXIST {
            throw .addressRangeOccupied(span)
        }
    }
}
