// The address space step: carries out a load plan with real mappings.

import SystemPackage

public enum AddressSpace {
    /// Maps `plan` from `file`: one PROT_NONE reservation of the whole span
    /// (refused if anything already sits there), the segments inside it with
    /// MAP_FIXED, the partial bss page zeroed, the holes given back. On any
    /// failure the whole span is unmapped again before the error propagates.
    ///
    /// - Parameter reserved: the span is already reserved (an ET_DYN placed
    ///   by a compat mmap): map into it without reserving again.
    public static func load(_ plan: LoadPlan, from file: FileDescriptor, reserved: Bool = false) throws {
        let span = plan.reservation
        if !reserved {
            do {
                try Memory.map(
                    at: span.lowerBound, length: UInt64(span.count), protection: [],
                    flags: [.privateCopy, .anonymous, .fixedNoReplace])
            } catch Errno.fileExists {
                throw LoadError.addressRangeOccupied(span)
            }
        }
        do {
            for mapping in plan.mappings {
                switch mapping.source {
                case .file(let offset):
                    try Memory.map(
                        at: mapping.address, length: mapping.length, protection: mapping.protection,
                        flags: [.privateCopy, .fixed], file: file, offset: offset)
                case .anonymous:
                    try Memory.map(
                        at: mapping.address, length: mapping.length, protection: mapping.protection,
                        flags: [.privateCopy, .anonymous, .fixed])
                }
            }
            for range in plan.zeroFills {
                UnsafeMutableRawPointer(bitPattern: UInt(range.lowerBound))!
                    .initializeMemory(as: UInt8.self, repeating: 0, count: range.count)
            }
            for hole in plan.holes {
                try Memory.unmap(at: hole.lowerBound, length: UInt64(hole.count))
            }
        } catch {
            try? Memory.unmap(at: span.lowerBound, length: UInt64(span.count))
            throw LoadError.mappingFailed(span, error)
        }
    }
}
