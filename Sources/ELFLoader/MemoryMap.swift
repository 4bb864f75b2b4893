// The process's own mappings, as /proc/self/maps lists them.

import SystemPackage

struct MemoryMapEntry: Equatable {
    var range: Range<UInt64>
    var name: String
}

enum MemoryMap {
    /// Reads /proc/self/maps.
    static func current() throws -> [MemoryMapEntry] {
        let file = try FileDescriptor.open("/proc/self/maps", .readOnly, options: .closeOnExec)
        defer { try? file.close() }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { break }
            text += chunk[..<count]
        }
        return parse(text)
    }

    /// Parses lines of the form `start-end perms offset dev inode    name`.
    /// A byte scan rather than split(): it runs on every exec, and the arrays
    /// of slices split() builds cost more than the whole rest of the parse.
    static func parse(_ text: [UInt8]) -> [MemoryMapEntry] {
        var entries: [MemoryMapEntry] = []
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            if let entry = entry(in: text[lineStart..<lineEnd]) { entries.append(entry) }
            lineStart = lineEnd + 1
        }
        return entries
    }

    /// One line's range and name (empty for anonymous memory), nil if the
    /// line does not have the five leading fields.
    private static func entry(in line: ArraySlice<UInt8>) -> MemoryMapEntry? {
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
        let name = rest.drop { $0 == space }
        return MemoryMapEntry(range: start..<end, name: String(decoding: name, as: UTF8.self))
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
