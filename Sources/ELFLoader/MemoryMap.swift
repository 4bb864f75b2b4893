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
            guard bounds.count == 2,
                let start = UInt64(String(decoding: bounds[0], as: UTF8.self), radix: 16),
                let end = UInt64(String(decoding: bounds[1], as: UTF8.self), radix: 16)
            else { return nil }
            let name = fields.count == 6
                ? String(decoding: fields[5].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self) : ""
            return MemoryMapEntry(range: start..<end, name: name)
        }
    }
}
