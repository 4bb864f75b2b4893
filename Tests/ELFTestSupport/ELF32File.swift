// The bytes of a crafted i386 ELF32 file, shared by the unit tests' and the
// integration tests' ELF builders (two test targets cannot share code otherwise).

/// An Elf32_Ehdr with `programHeaders` (each its eight Elf32_Phdr words in
/// file order: p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags,
/// p_align) at e_phoff, zeros up to `fileSize`, then `patches` written over it.
/// Anything beyond `fileSize` is cut off, so short and truncated files can be made.
public func elf32File(
    elfClass: UInt8, byteOrder: UInt8, identVersion: UInt8, type: UInt16, machine: UInt16, version: UInt32,
    entry: UInt32, programHeaderOffset: UInt32, programHeaderEntrySize: UInt16, programHeaderCount: UInt16,
    programHeaders: [[UInt32]], fileSize: Int, patches: [(offset: Int, bytes: [UInt8])] = []
) -> [UInt8] {
    var file = [UInt8](repeating: 0, count: fileSize)
    func put(_ bytes: [UInt8], at offset: Int) {
        for (index, byte) in bytes.enumerated() where offset + index < file.count { file[offset + index] = byte }
    }
    func put<I: FixedWidthInteger>(_ value: I, at offset: Int) {
        put(withUnsafeBytes(of: value.littleEndian, Array.init), at: offset)
    }
    put(UInt32(0x464c_457f), at: 0)  // "\x7fELF"
    put(elfClass, at: 4)
    put(byteOrder, at: 5)
    put(identVersion, at: 6)
    put(type, at: 16)
    put(machine, at: 18)
    put(version, at: 20)
    put(entry, at: 24)
    put(programHeaderOffset, at: 28)
    put(UInt16(52), at: 40)  // e_ehsize; no section headers
    put(programHeaderEntrySize, at: 42)
    put(programHeaderCount, at: 44)
    for (index, words) in programHeaders.enumerated() {
        for (field, word) in words.enumerated() { put(word, at: Int(programHeaderOffset) + 32 * index + 4 * field) }
    }
    for patch in patches { put(patch.bytes, at: patch.offset) }
    return file
}
