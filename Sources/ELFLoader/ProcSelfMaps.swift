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
    /// by a byte scan: it runs on every exec.
    static func parse(_ text: [UInt8]) -> [MappingEntry] {
        var entries: [MappingEntry] = []
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if let entry = entry(in: text[lineStart..<lineEnd]) { entries.append(entry) }
            lineStart = lineEnd + 1
        }
        return entries
    }

    /// One line's range and name, nil if the line does not have the five
    /// leading fields.
    private static func entry(in line: ArraySlice<UInt8>) -> MappingEntry? {
        let space = UInt8(ascii: " ")
        var rest = line
        /// The next field's indices in `line`; `rest` moves past it.
        func nextField() -> Range<Int>? {
            guard let start = rest.firstIndex(where: { $0 != space }) else { return nil }
            let end = rest[start...].firstIndex(of: space) ?? rest.endIndex
            rest = rest[end...]
            return start..<end
        }
        guard let bounds = nextField().map({ line[$0] }), nextField() != nil, nextField() != nil,
            nextField() != nil, nextField() != nil,
            let dash = bounds.firstIndex(of: UInt8(ascii: "-")),
            let start = hexadecimal(bounds[..<dash]), let end = hexadecimal(bounds[(dash + 1)...]), start <= end
        else { return nil }
        return MappingEntry(range: start..<end, name: Array(rest.drop { $0 == space }))
    }

    /// A hexadecimal number without prefix, straight from the bytes.
    private static func hexadecimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
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
