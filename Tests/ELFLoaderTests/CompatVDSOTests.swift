// CompatVDSO's pure steps: which ranges the swap unmaps.

import XCTest
@testable import ELFLoader

final class CompatVDSOTests: XCTestCase {
    func testAdjacentVVarAndVDSOAreOneUnmap() {
        // [vvar], [vvar_vclock], [vdso] as 6.18 lays them out, listed vvar first.
        let ranges: [Range<UInt64>] = [0x7000_0000..<0x7000_4000, 0x7000_4000..<0x7000_6000, 0x7000_6000..<0x7000_8000]
        XCTAssertEqual(CompatVDSO.adjacentRangesMerged(ranges), [0x7000_0000..<0x7000_8000])
        XCTAssertEqual(CompatVDSO.adjacentRangesMerged(ranges.reversed()), [0x7000_0000..<0x7000_8000])
    }

    func testRangesWithAGapStayApart() {
        let ranges: [Range<UInt64>] = [0x7000_6000..<0x7000_8000, 0x7000_0000..<0x7000_4000]
        XCTAssertEqual(CompatVDSO.adjacentRangesMerged(ranges), [0x7000_0000..<0x7000_4000, 0x7000_6000..<0x7000_8000])
        XCTAssertEqual(CompatVDSO.adjacentRangesMerged([]), [])
    }
}
