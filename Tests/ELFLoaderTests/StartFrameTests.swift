// StartFrame: the rt_sigframe_ia32 the handoff returns through, checked
// against the kernel's offsets (arch/x86/include/asm/sigframe.h,
// uapi/asm/sigcontext.h) as sys32_rt_sigreturn reads them.

import XCTest
@testable import ELFLoader

final class StartFrameTests: XCTestCase {
    static let stackPointer: UInt32 = 0xFFFD_C3A4
    static let address = StartFrame.address(below: stackPointer)
    static let frame = StartFrame(
        address: address, entry: 0x0804_9A10, stackPointer: stackPointer, signalReturn: 0xF7FC_1590,
        blockedSignals: 0x0000_0001_0000_0A00)

    private func word(_ offset: Int) -> UInt32 {
        UInt32(I386.littleEndian(Self.frame.bytes[offset..<offset + 4]))
    }

    /// sigcontext_32 starts at 164: the ucontext at 144, after uc_flags,
    /// uc_link and the 12-byte uc_stack.
    private func register(_ offset: Int) -> UInt32 { word(164 + offset) }

    func testPlacedBelowTheStackPointerAligned() {
        XCTAssertEqual(Self.address % 16, 0)
        XCTAssertLessThanOrEqual(Self.address + UInt32(Self.frame.bytes.count), Self.stackPointer)
        XCTAssertGreaterThan(Self.address + UInt32(Self.frame.bytes.count) + 16, Self.stackPointer)
        XCTAssertEqual(Self.frame.bytes.count, 268)
    }

    func testReturnsIntoRtSigreturnWithPointersToItsParts() {
        XCTAssertEqual(word(0), 0xF7FC_1590, "pretcode: what __kernel_vsyscall's ret pops")
        XCTAssertEqual(word(4), 0, "sig")
        XCTAssertEqual(word(8), Self.address + 16, "pinfo")
        XCTAssertEqual(word(12), Self.address + 144, "puc")
    }

    func testStartsTheProgramAsExecDoes() {
        let expected: [(String, Int, UInt32)] = [
            ("gs", 0, 0), ("fs", 4, 0), ("es", 8, 0x2b), ("ds", 12, 0x2b),
            ("edi", 16, 0), ("esi", 20, 0), ("ebp", 24, 0), ("esp", 28, Self.stackPointer),
            ("ebx", 32, 0), ("edx", 36, 0), ("ecx", 40, 0), ("eax", 44, 0),
            ("eip", 56, 0x0804_9A10), ("cs", 60, 0x23), ("eflags", 64, 0x202), ("ss", 72, 0x2b),
            ("fpstate", 76, 0),
        ]
        for (name, offset, value) in expected {
            XCTAssertEqual(register(offset), value, name)
        }
    }

    func testKeepsTheSignalMaskAndNoAlternateStack() {
        XCTAssertEqual(word(252), 0x0A00, "uc_sigmask, low word")
        XCTAssertEqual(word(256), 0x1, "uc_sigmask, high word")
        XCTAssertEqual(word(152), 0, "uc_stack.ss_sp")
        XCTAssertEqual(word(156), 2, "uc_stack.ss_flags: SS_DISABLE")
        XCTAssertEqual(word(160), 0, "uc_stack.ss_size")
        XCTAssertEqual(word(144), 0, "uc_flags")
    }
}
