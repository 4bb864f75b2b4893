// The loader's own 64-bit vDSO, which the 32-bit one replaces: where its
// block lies, found without /proc (a process's first /proc open costs about
// 20 µs here, more than all the rest of the vDSO's replacement).

/// The loader's own vDSO: its code ([vdso]) and, right below it, its data
/// pages ([vvar], [vvar_vclock]), which the kernel maps as one block.
struct LoaderVDSO: Equatable {
    var dataStart: UInt64
    var code: Range<UInt64>

    var block: Range<UInt64> { dataStart..<code.upperBound }
    var dataSize: UInt64 { code.lowerBound - dataStart }

    /// How many data pages Linux 6.18 maps (4 [vvar], 2 [vvar_vclock]): where
    /// the search for them looks first, not an assumption.
    static let usualDataPages: UInt64 = 6
    /// The most data pages looked for: the vDSO's whole block is far smaller.
    static let mostDataPages: UInt64 = 256

    /// The block whose code starts at `code` (the loader's AT_SYSINFO_EHDR;
    /// 0 without a vDSO).
    /// - The code is the vDSO's ELF image, which the kernel maps whole: the
    ///   file up to its section headers, which come last, in whole pages.
    /// - The data pages are the VM_IO mappings right below the code. Nothing
    ///   else in the loader is VM_IO, so the pages below the code are VM_IO up
    ///   to the block's start and not from there on: a check of the usual
    ///   start settles it in two calls, a walk down otherwise.
    static func find(code: UInt64) -> LoaderVDSO? {
        guard code != 0, let header = UnsafeRawPointer(bitPattern: UInt(code)),
            header.loadUnaligned(as: UInt32.self) == 0x464c_457f  // "\x7fELF"
        else { return nil }
        let sectionHeaders = header.loadUnaligned(fromByteOffset: 40, as: UInt64.self)  // e_shoff
        let sectionHeaderSize = header.loadUnaligned(fromByteOffset: 58, as: UInt16.self)  // e_shentsize
        let sectionCount = header.loadUnaligned(fromByteOffset: 60, as: UInt16.self)  // e_shnum
        let imageSize = I386.pageUp(sectionHeaders + UInt64(sectionHeaderSize) * UInt64(sectionCount))
        guard imageSize > 0 else { return nil }
        func isData(page: UInt64) -> Bool { page <= code / I386.pageSize && Memory.isIOPage(code - page * I386.pageSize) }
        var dataPages = usualDataPages
        if !(isData(page: dataPages) && !isData(page: dataPages + 1)) {
            dataPages = 0
            while dataPages < mostDataPages && isData(page: dataPages + 1) { dataPages += 1 }
        }
        return LoaderVDSO(dataStart: code - dataPages * I386.pageSize, code: code..<code + imageSize)
    }
}
