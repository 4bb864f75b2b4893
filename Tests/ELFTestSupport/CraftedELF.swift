// A minimal i386 ELF32 file built in memory, shared by the unit tests and the
// integration tests: the one builder of crafted and malformed inputs.

/// An Elf32_Ehdr, the program headers at e_phoff, zeros up to `fileSize`, then
/// `patches` written over it. The default is a valid static ET_EXEC whose entry
/// code calls exit(42) through int $0x80.
public struct CraftedELF {
    /// One Elf32_Phdr, in the order readelf prints the fields.
    public struct Segment: Equatable {
        public var type: UInt32 = 1
        public var flags: UInt32
        public var offset: UInt32
        public var address: UInt32
        public var fileSize: UInt32
        public var memorySize: UInt32
        public var alignment: UInt32 = 0x1000

        public init(
            type: UInt32 = 1, flags: UInt32, offset: UInt32, address: UInt32, fileSize: UInt32, memorySize: UInt32,
            alignment: UInt32 = 0x1000
        ) {
            (self.type, self.flags, self.offset, self.address) = (type, flags, offset, address)
            (self.fileSize, self.memorySize, self.alignment) = (fileSize, memorySize, alignment)
        }

        public static func load(_ flags: UInt32, offset: UInt32, at address: UInt32, file: UInt32, memory: UInt32? = nil) -> Segment {
            Segment(flags: flags, offset: offset, address: address, fileSize: file, memorySize: memory ?? file)
        }

        public static func interpreter(offset: UInt32, at address: UInt32, size: UInt32) -> Segment {
            Segment(type: 3, flags: R, offset: offset, address: address, fileSize: size, memorySize: size, alignment: 1)
        }

        public static let gnuStack = Segment(type: 0x6474_e551, flags: R | W, offset: 0, address: 0, fileSize: 0, memorySize: 0, alignment: 16)
    }

    /// p_flags bits.
    public static let R: UInt32 = 4, W: UInt32 = 2, X: UInt32 = 1

    /// mov $1, %eax; mov $42, %ebx; int $0x80
    public static let exit42: [UInt8] = [0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80]

    public var elfClass: UInt8 = 1  // ELFCLASS32
    public var byteOrder: UInt8 = 1  // ELFDATA2LSB
    public var identVersion: UInt8 = 1
    public var type: UInt16 = 2  // ET_EXEC
    public var machine: UInt16 = 3  // EM_386
    public var version: UInt32 = 1  // e_version
    public var entry: UInt32 = 0x0804_9000
    public var programHeaderOffset: UInt32 = 52
    public var programHeaderEntrySize: UInt16 = 32
    public var programHeaderCount: UInt16?  // nil: segments.count
    public var segments: [Segment] = [
        .load(R, offset: 0, at: 0x0804_8000, file: 0x100),
        .load(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100),
        .gnuStack,
    ]
    /// Anything beyond it is cut off, so short and truncated files can be made.
    public var fileSize = 0x1100
    /// Bytes written over the file at an offset, last: the code at 0x1000 by default.
    public var patches: [(offset: Int, bytes: [UInt8])] = [(0x1000, CraftedELF.exit42)]

    /// The default file with `change` applied.
    public init(_ change: (inout CraftedELF) -> Void = { _ in }) { change(&self) }

    /// Adds a PT_INTERP holding `path` (as given: add the NUL yourself) at file offset 0x100.
    public mutating func interpreter(_ path: [UInt8]) {
        segments.insert(.interpreter(offset: 0x100, at: 0x0804_8100, size: UInt32(path.count)), at: 0)
        patches.append((0x100, path))
        segments[1].fileSize = max(segments[1].fileSize, UInt32(0x100 + path.count))
        segments[1].memorySize = max(segments[1].memorySize, segments[1].fileSize)
    }

    public var bytes: [UInt8] {
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
        put(programHeaderCount ?? UInt16(segments.count), at: 44)
        for (index, segment) in segments.enumerated() {
            let words = [
                segment.type, segment.offset, segment.address, segment.address,  // p_paddr = p_vaddr
                segment.fileSize, segment.memorySize, segment.flags, segment.alignment,
            ]
            for (field, word) in words.enumerated() { put(word, at: Int(programHeaderOffset) + 32 * index + 4 * field) }
        }
        for patch in patches { put(patch.bytes, at: patch.offset) }
        return file
    }
}
