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
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
            if count == 0 { break }
            text += chunk[..<count]
        }
        return parse(text)
    }

    /// Parses lines of the form `start-end perms offset dev inode    name`.
    static func parse(_ text: [UInt8]) -> [MemoryMapEntry] {
        text.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5 else { return nil }
            let bounds = fields[0].split(separator: UInt8(ascii: "-"))
            guard bounds.count == 2, let start = hexadecimal(bounds[0]), let end = hexadecimal(bounds[1]), start <= end
            else { return nil }
            let name = fields.count == 6
                ? String(decoding: fields[5].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self) : ""
            return MemoryMapEntry(range: start..<end, name: name)
        }
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
