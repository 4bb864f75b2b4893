// What the loader reads from its own start-up layout instead of asking the
// kernel: the randomization applied to its exec, and where the 32-bit vDSO
// goes without a probe. And where the handoff's trampoline page goes.

import XCTest
@testable import ELFLoader

final class StartLayoutTests: XCTestCase {
    func testRandomizationLevelFromTheStackEndAndTheBreak() {
        let imageEnd: UInt64 = 0x7f12_3456_7890
        let randomStack: UInt64 = 0x7ffc_0f5c_e000
        // Stack at STACK_TOP: nothing randomized, whatever brk says.
        XCTAssertEqual(ProcessStart.randomization(stackEnd: 0x7fff_ffff_f000, imageEnd: imageEnd, programBreak: 0x5555_8c7a_e000), 0)
        // Stack moved, brk where the kernel starts it unrandomized: 1.
        XCTAssertEqual(ProcessStart.randomization(stackEnd: randomStack, imageEnd: imageEnd, programBreak: 0x5555_5555_5000), 1)
        XCTAssertEqual(ProcessStart.randomization(stackEnd: randomStack, imageEnd: imageEnd, programBreak: 0x7f12_3456_8000), 1)
        // brk moved off both: 2.
        XCTAssertEqual(ProcessStart.randomization(stackEnd: randomStack, imageEnd: imageEnd, programBreak: 0x5555_8c7a_e000), 2)
        XCTAssertEqual(ProcessStart.randomization(stackEnd: nil, imageEnd: imageEnd, programBreak: 0x5555_8c7a_e000), 2)
    }

    private func plan(_ loads: [ProgramHeader], at bias: UInt64) -> LoadPlan {
        LoadPlan(
            image: ELFImage(type: .sharedObject, entry: 0x1000, programHeaderOffset: 52, programHeaders: loads + [gnuStack], fileSize: 0x10_0000),
            loadBias: bias)
    }

    func testTheVDSOGoesRightBelowTheTopImageWhenNothingElseCanHoldIt() {
        // ld.so's four contiguous segments at the top, the program far below.
        let interpreter = plan([
            segment(R, offset: 0, at: 0, file: 0x1000),
            segment(R | X, offset: 0x1000, at: 0x1000, file: 0x2_3000),
            segment(R | W, offset: 0x2_4000, at: 0x2_4000, file: 0x1000, memory: 0x3000),
        ], at: 0xf7f2_7000)
        let program = plan([segment(R | X, offset: 0, at: 0, file: 0x5000)], at: 0x5658_d000)
        let block: UInt64 = 0x7000
        XCTAssertEqual(CompatVDSO.top(below: interpreter, above: program, mmapTopDown: true, smallestBlock: block), 0xf7f2_7000)
        XCTAssertEqual(CompatVDSO.top(below: interpreter, above: nil, mmapTopDown: true, smallestBlock: block), 0xf7f2_7000)
        // Bottom-up, no image placed top-down, the other image above or right
        // below it: only a probe tells.
        XCTAssertNil(CompatVDSO.top(below: interpreter, above: program, mmapTopDown: false, smallestBlock: block))
        XCTAssertNil(CompatVDSO.top(below: nil, above: program, mmapTopDown: true, smallestBlock: block))
        let high = plan([segment(R | X, offset: 0, at: 0, file: 0x5000)], at: 0xf800_0000)
        XCTAssertNil(CompatVDSO.top(below: interpreter, above: high, mmapTopDown: true, smallestBlock: block))
        let justBelow = plan([segment(R | X, offset: 0, at: 0, file: 0x5000)], at: 0xf7f2_7000 - 0x8_0000)
        XCTAssertNil(CompatVDSO.top(below: interpreter, above: justBelow, mmapTopDown: true, smallestBlock: block))
    }

    func testAHoleThatCanHoldTheVDSOTakesIt() {
        // A 0x10000-byte hole between the segments: the kernel's top-down
        // search would find it first.
        let holed = plan([
            segment(R | X, offset: 0, at: 0, file: 0x1000),
            segment(R | W, offset: 0x1000, at: 0x1_1000, file: 0x1000),
        ], at: 0xf7f0_0000)
        XCTAssertEqual(holed.holes, [0xf7f0_1000..<0xf7f1_1000])
        XCTAssertNil(CompatVDSO.top(below: holed, above: nil, mmapTopDown: true, smallestBlock: 0x7000))
        // Smaller than any vDSO block: it stays a hole.
        XCTAssertEqual(CompatVDSO.top(below: holed, above: nil, mmapTopDown: true, smallestBlock: 0x1_1000), 0xf7f0_0000)
    }

    func testTheTrampolinePageGoesRightBelowTheLowestMapping() {
        XCTAssertEqual(Handoff.lowPage(below: 0x0804_8000), 0x0804_7000)
        XCTAssertEqual(Handoff.lowPage(below: 0xf7fd_b123), 0xf7fd_a000)
        XCTAssertEqual(Handoff.lowPage(below: 0x1_0000), 0xf000)
        XCTAssertEqual(Handoff.lowPage(below: 0x2000), 0x1000)
        // No page between page 0 and the mapping: munmap from 0 would take it.
        XCTAssertNil(Handoff.lowPage(below: 0x1fff))
        XCTAssertNil(Handoff.lowPage(below: 0))
    }
}
