// LoadPlan: the mappings, zero fills, holes and bookkeeping the kernel's
// load_elf_binary would produce for an image.

import XCTest
@testable import ELFLoader

final class LoadPlanTests: XCTestCase {
    typealias Mapping = LoadPlan.Mapping

    private func image(
        _ loads: [ProgramHeader], entry: UInt32, type: ELFImage.ObjectType = .executable,
        stack: ProgramHeader? = gnuStack, programHeaderOffset: UInt32 = 52
    ) -> ELFImage {
        ELFImage(
            type: type, entry: entry, programHeaderOffset: programHeaderOffset,
            programHeaders: loads + (stack.map { [$0] } ?? []), fileSize: 0x10_0000)
    }

    private func file(_ address: UInt64, _ length: UInt64, _ protection: MemoryProtection, offset: UInt64) -> Mapping {
        Mapping(address: address, length: length, protection: protection, source: .file(offset: offset))
    }

    private func anonymous(_ address: UInt64, _ length: UInt64, _ protection: MemoryProtection) -> Mapping {
        Mapping(address: address, length: length, protection: protection, source: .anonymous)
    }

    /// The program headers of `gcc -m32 -static` (readelf -l), all eight.
    private let staticExecutable = ELFImage(
        type: .executable, entry: 0x0804_9570, programHeaderOffset: 52,
        programHeaders: [
            segment(R, offset: 0, at: 0x0804_8000, file: 0x1e8),
            segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x6_d0fc),
            segment(R, offset: 0x6_f000, at: 0x080b_7000, file: 0x3_15cb),
            segment(R | W, offset: 0xa_0bec, at: 0x080e_9bec, file: 0x36cc, memory: 0x7444),
            segment(R, offset: 0x134, at: 0x0804_8134, file: 0x44, type: 4),  // PT_NOTE
            segment(R, offset: 0xa_0bec, at: 0x080e_9bec, file: 0xc, memory: 0x30, type: 7),  // PT_TLS
            gnuStack,
            segment(R, offset: 0xa_0bec, at: 0x080e_9bec, file: 0x2414, type: 0x6474_e552),  // PT_GNU_RELRO
        ],
        fileSize: 0xa_5000)

    func testStaticExecutable() {
        let plan = LoadPlan(image: staticExecutable, loadBias: 0)
        XCTAssertEqual(plan.reservation, 0x0804_8000..<0x080f_2000)
        XCTAssertEqual(plan.mappings, [
            file(0x0804_8000, 0x1000, [.read], offset: 0),
            file(0x0804_9000, 0x6_e000, [.read, .execute], offset: 0x1000),
            file(0x080b_7000, 0x3_2000, [.read], offset: 0x6_f000),
            file(0x080e_9000, 0x5000, [.read, .write], offset: 0xa_0000),
            anonymous(0x080e_e000, 0x4000, [.read, .write]),
        ])
        XCTAssertEqual(plan.zeroFills, [0x080e_d2b8..<0x080e_e000])
        XCTAssertEqual(plan.holes, [])
        XCTAssertEqual(plan.loadBias, 0)
        XCTAssertEqual(plan.entry, 0x0804_9570)
        XCTAssertEqual(plan.programHeaderAddress, 0x0804_8034)
        XCTAssertEqual(plan.programHeaderCount, 8)
        // start_code/end_code: the PF_X segment; start_data: the highest
        // segment start; end_data: the highest start + p_filesz.
        XCTAssertEqual(plan.code, 0x0804_9000..<0x080b_60fc)
        XCTAssertEqual(plan.data, 0x080e_9bec..<0x080e_d2b8)
        XCTAssertEqual(plan.imageEnd, 0x080f_1030)
        XCTAssertEqual(plan.stackPolicy, .nonExecutable)
        XCTAssertEqual(plan.programBreak(atDynamicBase: false, randomPages: 0), 0x080f_3000)
        XCTAssertEqual(plan.programBreak(atDynamicBase: false, randomPages: 5), 0x080f_8000)
        // Randomization off (setarch -R): at the end of bss, no gap page.
        XCTAssertEqual(plan.programBreak(atDynamicBase: false, randomPages: nil), 0x080f_2000)
        XCTAssertEqual(LoadPlan.span(of: staticExecutable), 0xa_a000)
        XCTAssertEqual(I386.programBreakRandomPages, 0x2000)
    }

    /// A static-pie: addresses from 0, placed by a load bias.
    private let sharedObject = ELFImage(
        type: .sharedObject, entry: 0x1100, programHeaderOffset: 52,
        programHeaders: [
            segment(R, offset: 0, at: 0, file: 0x400),
            segment(R | X, offset: 0x1000, at: 0x1000, file: 0x800),
            segment(R | W, offset: 0x2f00, at: 0x3f00, file: 0x200, memory: 0x1400),
            gnuStack,
        ],
        fileSize: 0x3100)

    func testSharedObjectWithoutBias() {
        let plan = LoadPlan(image: sharedObject, loadBias: 0)
        XCTAssertEqual(plan.reservation, 0..<0x6000)
        XCTAssertEqual(plan.mappings, [
            file(0, 0x1000, [.read], offset: 0),
            file(0x1000, 0x1000, [.read, .execute], offset: 0x1000),
            file(0x3000, 0x2000, [.read, .write], offset: 0x2000),
            anonymous(0x5000, 0x1000, [.read, .write]),
        ])
        XCTAssertEqual(plan.zeroFills, [0x4100..<0x5000])
        XCTAssertEqual(plan.holes, [0x2000..<0x3000])
        XCTAssertEqual(plan.entry, 0x1100)
        XCTAssertEqual(plan.programHeaderAddress, 0x34)
        XCTAssertEqual(plan.code, 0x1000..<0x1800)
        XCTAssertEqual(plan.data, 0x3f00..<0x4100)
        XCTAssertEqual(plan.imageEnd, 0x5300)
    }

    func testLoadBiasShiftsEverything() {
        let bias: UInt64 = 0xf7f0_0000
        let base = LoadPlan(image: sharedObject, loadBias: 0)
        let plan = LoadPlan(image: sharedObject, loadBias: bias)
        func shifted(_ range: Range<UInt64>) -> Range<UInt64> { range.lowerBound + bias..<range.upperBound + bias }

        XCTAssertEqual(plan.reservation, 0xf7f0_0000..<0xf7f0_6000)
        XCTAssertEqual(plan.mappings, base.mappings.map { mapping in
            var moved = mapping
            moved.address += bias
            return moved  // file offsets do not move
        })
        XCTAssertEqual(plan.zeroFills, base.zeroFills.map(shifted))
        XCTAssertEqual(plan.holes, base.holes.map(shifted))
        XCTAssertEqual(plan.loadBias, bias)
        XCTAssertEqual(plan.entry, 0xf7f0_1100)
        XCTAssertEqual(plan.programHeaderAddress, 0xf7f0_0034)
        XCTAssertEqual(plan.code, shifted(base.code))
        XCTAssertEqual(plan.data, shifted(base.data))
        XCTAssertEqual(plan.imageEnd, 0xf7f0_5300)
        XCTAssertEqual(plan.programBreak(atDynamicBase: false, randomPages: 0), 0xf7f0_7000)
        XCTAssertEqual(plan.programBreak(atDynamicBase: false, randomPages: nil), 0xf7f0_6000)
        // A static-pie's brk moved to ELF_ET_DYN_BASE, wherever the image is:
        // no gap page there.
        XCTAssertEqual(plan.programBreak(atDynamicBase: true, randomPages: 3), 0x5655_8000)
        XCTAssertEqual(plan.programBreak(atDynamicBase: true, randomPages: nil), 0x5655_5000)
    }

    func testReadImpliesExecMakesReadableSegmentsExecutable() {
        let plan = LoadPlan(image: image([
            segment(R, offset: 0, at: 0x0804_8000, file: 0x100),
            segment(R | W, offset: 0x1000, at: 0x0804_9000, file: 0x100, memory: 0x2000),
            segment(W, offset: 0x2000, at: 0x0804_b000, file: 0x100),
        ], entry: 0x0804_8010, stack: nil), loadBias: 0)
        XCTAssertEqual(plan.stackPolicy, .readImpliesExec)
        XCTAssertEqual(plan.mappings, [
            file(0x0804_8000, 0x1000, [.read, .execute], offset: 0),
            file(0x0804_9000, 0x1000, [.read, .write, .execute], offset: 0x1000),
            anonymous(0x0804_a000, 0x1000, [.read, .write, .execute]),
            file(0x0804_b000, 0x1000, [.write], offset: 0x2000),  // not readable: not executable
        ])
        // No PF_X segment: the kernel's start_code stays ~0; the plan falls back to the image.
        XCTAssertEqual(plan.code, 0x0804_8000..<0x0804_b100)
    }

    func testSegmentWithoutFileBytesIsOnlyAnonymous() {
        let plan = LoadPlan(image: image([
            segment(R | X, offset: 0, at: 0x0804_8000, file: 0x100),
            segment(R | W, offset: 0x10, at: 0x0804_a010, file: 0, memory: 0x2100),
        ], entry: 0x0804_8010), loadBias: 0)
        XCTAssertEqual(plan.mappings, [
            file(0x0804_8000, 0x1000, [.read, .execute], offset: 0),
            anonymous(0x0804_a000, 0x3000, [.read, .write]),
        ])
        XCTAssertEqual(plan.zeroFills, [])
        XCTAssertEqual(plan.holes, [0x0804_9000..<0x0804_a000])
        XCTAssertEqual(plan.reservation, 0x0804_8000..<0x0804_d000)
        XCTAssertEqual(plan.data, 0x0804_a010..<0x0804_a010)
    }

    func testNonWritableSegmentGetsNoZeroFill() {
        let plan = LoadPlan(image: image([
            segment(R | X, offset: 0, at: 0x0804_8000, file: 0x100, memory: 0x3000),
        ], entry: 0x0804_8010), loadBias: 0)
        XCTAssertEqual(plan.zeroFills, [])
        XCTAssertEqual(plan.mappings.map(\.range), [0x0804_8000..<0x0804_9000, 0x0804_9000..<0x0804_b000])
        XCTAssertEqual(plan.mappings.map(\.source), [.file(offset: 0), .anonymous])
        XCTAssertEqual(plan.code, 0x0804_8000..<0x0804_8100)  // end_code counts p_filesz only
    }

    /// The kernel maps bss with vm_brk_flags: read-write whatever the segment
    /// says, executable only with PF_X (measured: a patched R segment's bss is rw-p).
    func testBSSIsWritableAsTheKernelMapsIt() {
        let plan = LoadPlan(image: image([
            segment(R, offset: 0, at: 0x0804_0000, file: 0x81e8, memory: 0xa000),
            segment(R | X, offset: 0x1_0000, at: 0x0805_0000, file: 0x100, memory: 0x2000),
        ], entry: 0x0805_0000), loadBias: 0)
        XCTAssertEqual(plan.mappings[1], anonymous(0x0804_9000, 0x1000, [.read, .write]))
        XCTAssertEqual(plan.mappings[3], anonymous(0x0805_1000, 0x1000, [.read, .write, .execute]))
    }

    /// The classic layout without -z separate-code: text and data share a
    /// page, and the data mapping replaces the text's last page.
    func testSegmentsSharingAPage() {
        let plan = LoadPlan(image: image([
            segment(R | X, offset: 0, at: 0x0804_8000, file: 0x1900),
            segment(R | W, offset: 0x1f00, at: 0x0804_9f00, file: 0x100, memory: 0x300),
        ], entry: 0x0804_8010), loadBias: 0)
        XCTAssertEqual(plan.mappings, [
            file(0x0804_8000, 0x2000, [.read, .execute], offset: 0),
            file(0x0804_9000, 0x1000, [.read, .write], offset: 0x1000),
            anonymous(0x0804_a000, 0x1000, [.read, .write]),
        ])
        XCTAssertEqual(plan.zeroFills, [])  // p_filesz ends on the page boundary
        XCTAssertEqual(plan.holes, [])
        XCTAssertEqual(plan.reservation, 0x0804_8000..<0x0804_b000)
    }

    func testWritableSegmentEndingOnPageBoundaryGetsNoZeroFill() {
        let plan = LoadPlan(image: image([
            segment(R | W | X, offset: 0, at: 0x0804_8000, file: 0x1000, memory: 0x1800),
        ], entry: 0x0804_8010), loadBias: 0)
        XCTAssertEqual(plan.zeroFills, [])
        XCTAssertEqual(plan.mappings, [
            file(0x0804_8000, 0x1000, [.read, .write, .execute], offset: 0),
            anonymous(0x0804_9000, 0x1000, [.read, .write, .execute]),
        ])
    }

    func testHoleBetweenSegments() {
        let plan = LoadPlan(image: image([
            segment(R | X, offset: 0, at: 0x0804_8000, file: 0x100),
            segment(R | W, offset: 0x1000, at: 0x0805_0000, file: 0x100, memory: 0x200),
        ], entry: 0x0804_8010, programHeaderOffset: 0x1010), loadBias: 0)
        XCTAssertEqual(plan.reservation, 0x0804_8000..<0x0805_1000)
        XCTAssertEqual(plan.holes, [0x0804_9000..<0x0805_0000])
        XCTAssertEqual(plan.zeroFills, [0x0805_0100..<0x0805_1000])
        // e_phoff lies in the second segment's file range.
        XCTAssertEqual(plan.programHeaderAddress, 0x0805_0010)
    }

    func testProgramHeadersNotLoaded() {
        let plan = LoadPlan(image: image([
            segment(R | X, offset: 0x1000, at: 0x0804_9000, file: 0x100),
        ], entry: 0x0804_9010), loadBias: 0)
        XCTAssertEqual(plan.programHeaderAddress, 0)
    }
}
