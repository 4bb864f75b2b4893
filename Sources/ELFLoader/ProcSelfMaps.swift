// The process's own mappings, as /proc/self/maps lists them.

struct MappingEntry: Equatable {
    var range: Range<UInt64>
    /// The pathname column: empty for anonymous memory, "[vdso]", ...
    var name: [UInt8]

    func named(_ text: StaticString) -> Bool { name.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
    func nameStarts(with text: StaticString) -> Bool { name.starts(with: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
}

enum ProcSelfMaps {
    /// Reads /proc/self/maps. To its end: stopping at the [vdso] line would
    /// save a read of about 0.2 µs but parse the text twice (about 5 µs).
    static func read() throws(ExecError) -> [MappingEntry] {
        parse(try SmallFile.read(Array("/proc/self/maps".utf8)))
    }

    /// Parses lines of the form `start-end perms offset dev inode    name`,
    /// by a byte scan over the buffer: it runs on every exec.
    static func parse(_ text: [UInt8]) -> [MappingEntry] {
        text.withUnsafeBufferPointer { bytes in
            var entries: [MappingEntry] = []
            var lineStart = 0
            while lineStart < bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if let entry = entry(in: UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])) { entries.append(entry) }
                lineStart = lineEnd + 1
            }
            return entries
        }
    }

    /// One line's range and name, nil if the line does not have the five
    /// leading fields.
    private static func entry(in line: UnsafeBufferPointer<UInt8>) -> MappingEntry? {
        let space = UInt8(ascii: " ")
        var index = 0
        func skipSpaces() { while index < line.count && line[index] == space { index += 1 } }
        /// The next field's bounds; `index` moves past it.
        func nextField() -> Range<Int>? {
            skipSpaces()
            guard index < line.count else { return nil }
            let start = index
            while index < line.count && line[index] != space { index += 1 }
            return start..<index
        }
        guard let bounds = nextField(), nextField() != nil, nextField() != nil, nextField() != nil, nextField() != nil,
            let dash = line[bounds].firstIndex(of: UInt8(ascii: "-")),
            let start = hexadecimal(line[bounds.lowerBound..<dash]), let end = hexadecimal(line[(dash + 1)..<bounds.upperBound]),
            start <= end
        else { return nil }
        skipSpaces()
        return MappingEntry(range: start..<end, name: Array(line[index...]))
    }

    /// A hexadecimal number without prefix, straight from the bytes.
    private static func hexadecimal(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }
}
