// LoaderVDSO: the loader's vDSO block, found without /proc, against what
// /proc/self/maps shows for this test process's own vDSO.

import Foundation
import XCTest
@testable import ELFLoader

final class LoaderVDSOTests: XCTestCase {
    /// This process's mappings, as (range, name) from /proc/self/maps.
    private func mappings() throws -> [(range: Range<UInt64>, name: String)] {
        let maps = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps")).readDataToEndOfFile()
        return String(decoding: maps, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else {
                return nil
            }
            let name = fields.count > 5 ? fields[5].trimmingCharacters(in: .whitespaces) : ""
            return (start..<end, name)
        }
    }

    func testTheBlockIsTheVDSOCodeAndTheDataPagesRightBelowIt() throws {
        let entries = try mappings()
        let codeIndex = try XCTUnwrap(entries.firstIndex { $0.name == "[vdso]" }, "this kernel gave the process no vDSO")
        var dataStart = entries[codeIndex].range.lowerBound
        for entry in entries[..<codeIndex].reversed() {
            guard entry.range.upperBound == dataStart, entry.name.hasPrefix("[vvar") else { break }
            dataStart = entry.range.lowerBound
        }
        let found = try XCTUnwrap(LoaderVDSO.find(code: entries[codeIndex].range.lowerBound))
        XCTAssertEqual(found, LoaderVDSO(dataStart: dataStart, code: entries[codeIndex].range))
        XCTAssertGreaterThan(found.dataSize, 0)
        // The search changed nothing: the same mappings, the same names.
        XCTAssertEqual(try mappings().map(\.name), entries.map(\.name))
    }

    func testNoVDSONoBlock() {
        XCTAssertNil(LoaderVDSO.find(code: 0))
    }

    func testIOPagesAreTheKernelsDataPages() throws {
        let entries = try mappings()
        for entry in entries where entry.name.hasPrefix("[vvar") || ["[vdso]", "[stack]"].contains(entry.name) {
            XCTAssertEqual(Memory.isIOPage(entry.range.lowerBound), entry.name.hasPrefix("[vvar"), "\(entry)")
        }
    }
}
