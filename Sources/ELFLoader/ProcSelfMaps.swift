// The process's own mappings, as /proc/self/maps lists them.

import LinuxCalls

struct MappingEntry: Equatable {
    var range: Range<UInt64>
    /// The pathname column: empty for anonymous memory, "[vdso]", ...
    var name: [UInt8]

    func named(_ text: StaticString) -> Bool { name.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
    func nameStarts(with text: StaticString) -> Bool { name.starts(with: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
}

/// The loader's own vDSO: its code ([vdso]) and, right below it, its data
/// pages ([vvar], [vvar_vclock]), which the kernel maps as one block.
struct LoaderVDSO: Equatable {
    var dataStart: UInt64
    var code: Range<UInt64>

    var block: Range<UInt64> { dataStart..<code.upperBound }
    var dataSize: UInt64 { code.lowerBound - dataStart }
}

enum ProcSelfMaps {
    /// How far below the vDSO's code its data pages are looked for.
    static let dataSearchSpan: UInt64 = 1 << 20

    /// The loader's vDSO block, whose code starts at `code` (its own
    /// AT_SYSINFO_EHDR; 0 without a vDSO). Two PROCMAP_QUERY calls: the
    /// lowest mapping in the MiB below the code (its first data page: nothing
    /// else is mapped near it) and the code's own; without them (before Linux
    /// 6.11), or if that lowest mapping is something else, the text, parsed
    /// whole (about 10 µs more).
    static func loaderVDSO(code: UInt64) throws(ExecError) -> LoaderVDSO? {
        guard code != 0 else { return nil }
        let maps = try FileDescriptor.open(Array("/proc/self/maps".utf8), O_RDONLY)
        defer { maps.close() }
        if let data = try? maps.mapping(covering: code - min(code, dataSearchSpan), orNext: true),
            let codeMapping = try? maps.mapping(covering: code, orNext: false),
            codeMapping.named("[vdso]"), codeMapping.range.lowerBound == code,
            data == codeMapping || (data.nameStarts(with: "[vvar") && data.range.upperBound <= code)
        {
            return LoaderVDSO(dataStart: data.range.lowerBound, code: codeMapping.range)
        }
        return loaderVDSO(in: parse(try maps.readToEnd(limit: 1 << 20) { _ in false }), code: code)
    }

    /// The vDSO block in `entries`: the [vdso] mapping at `code` and the
    /// [vvar...] mappings that end where it starts.
    static func loaderVDSO(in entries: [MappingEntry], code: UInt64) -> LoaderVDSO? {
        guard let index = entries.firstIndex(where: { $0.range.lowerBound == code }), entries[index].named("[vdso]") else {
            return nil
        }
        var dataStart = code
        for entry in entries[..<index].reversed() {
            guard entry.range.upperBound == dataStart, entry.nameStarts(with: "[vvar") else { break }
            dataStart = entry.range.lowerBound
        }
        return LoaderVDSO(dataStart: dataStart, code: entries[index].range)
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
