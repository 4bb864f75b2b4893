// The kernel's own 32-bit vDSO, mapped where a native i386 process has it.
// With it the program's clock reads stay in user space and its system calls
// take the fast entry (AT_SYSINFO); without it they fall back to int $0x80.

public struct CompatVDSO: Equatable, Sendable {
    /// The vDSO's ELF header (AT_SYSINFO_EHDR).
    public let base: UInt32
    /// `__kernel_vsyscall`, the vDSO's ELF entry point (AT_SYSINFO).
    public let entry: UInt32

    public init(base: UInt32, entry: UInt32) {
        self.base = base
        self.entry = entry
    }

    /// Replaces the loader's 64-bit vDSO by the 32-bit one, at the top of the
    /// compat mmap area. The kernel refuses a second vDSO (EEXIST), so the
    /// 64-bit [vdso] and [vvar*] go first: after this call the loader must
    /// not read the clock through libc.
    static func replaceLoaderVDSO(mappings: [MappingEntry]) throws(ExecError) -> CompatVDSO {
        let vdso64 = mappings.first { $0.named("[vdso]") }
        let vvars = mappings.filter { $0.nameStarts(with: "[vvar") }
        // The data pages ([vvar], [vvar_vclock]) come right below the code and
        // are the same for both images.
        var vvarSize: UInt64 = 0
        if let vdso64 {
            var lowest = vdso64.range.lowerBound
            for vvar in vvars { lowest = min(lowest, vvar.range.lowerBound) }
            vvarSize = vdso64.range.lowerBound - lowest
        }
        for mapping in vvars + (vdso64.map { [$0] } ?? []) {
            try Memory.unmap(at: mapping.range.lowerBound, length: UInt64(mapping.range.count))
        }

        // Where a native process would have it: a compat mmap of about the same
        // size shows the top of the compat mmap area.
        let probeSize = vvarSize + (vdso64.map { UInt64($0.range.count) } ?? 2 * I386.pageSize)
        let probe = try Memory.reserveCompat(length: UInt32(probeSize))
        try Memory.unmap(at: probe, length: probeSize)
        let top = probe + probeSize

        var start = probe
        let imageSize = UInt64(try ProcessControl.archPrctl(I386.archMapVDSO32, start))
        let totalSize = vvarSize + imageSize
        if totalSize != probeSize {
            try Memory.unmap(at: start, length: totalSize)
            start = top - totalSize
            _ = try ProcessControl.archPrctl(I386.archMapVDSO32, start)
        }
        let base = start + vvarSize
        guard let header = UnsafeRawPointer(bitPattern: UInt(base)),
            header.loadUnaligned(as: UInt32.self) == 0x464c_457f  // "\x7fELF"
        else { throw .vdsoNotFound(base) }
        let entry = header.loadUnaligned(fromByteOffset: 24, as: UInt32.self)  // e_entry
        return CompatVDSO(base: UInt32(base), entry: UInt32(base) + entry)
    }
}
