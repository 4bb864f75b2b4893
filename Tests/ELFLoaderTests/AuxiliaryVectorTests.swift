// AuxiliaryVector.entries: create_elf_tables' order for an ia32 process.

import XCTest
@testable import ELFLoader

final class AuxiliaryVectorTests: XCTestCase {
    private let program = ProgramAuxiliaryFacts(
        programHeaders: 0x0804_8034, programHeaderCount: 8, entry: 0x0804_9570)

    private let kernel: KernelAuxiliaryValues = {
        var values = KernelAuxiliaryValues()
        let loaderVector: [(AuxiliaryType, UInt32)] = [
            (.minimumSignalStackSize, 0xd30), (.hardwareCapabilities, 0x178b_fbff), (.hardwareCapabilities2, 2),
            (.rseqFeatureSize, 28), (.rseqAlignment, 32), (.clockTicks, 100),
            (.uid, 1000), (.euid, 1001), (.gid, 1002), (.egid, 1003), (.secure, 1),
            // The loader's own, which the program does not inherit.
            (.entry, 0x1234), (.programHeaders, 0x40), (.base, 0x7f00_0000), (.sysinfoELFHeader, 0x7ffd_0000),
        ]
        for (type, value) in loaderVector { values.set(type, value) }
        return values
    }()

    private func pairs(_ entries: [AuxiliaryEntry]) -> [String] {
        entries.map { "\($0.type.rawValue)=\($0.value)" }
    }

    func testEveryEntryInKernelOrder() {
        var program = program
        program.interpreterBase = 0xf7f0_0000
        program.flags = 1
        program.vdso = CompatVDSO(base: 0xf7fc_1000, entry: 0xf7fc_1570)
        program.execFD = 3
        program.secure = 1
        let entries = AuxiliaryVector.entries(program: program, kernel: kernel)
        XCTAssertEqual(entries, [
            AuxiliaryEntry(.sysinfo, .value(0xf7fc_1570)),
            AuxiliaryEntry(.sysinfoELFHeader, .value(0xf7fc_1000)),
            AuxiliaryEntry(.minimumSignalStackSize, .value(0xd30)),
            AuxiliaryEntry(.hardwareCapabilities, .value(0x178b_fbff)),
            AuxiliaryEntry(.pageSize, .value(4096)),
            AuxiliaryEntry(.clockTicks, .value(100)),
            AuxiliaryEntry(.programHeaders, .value(0x0804_8034)),
            AuxiliaryEntry(.programHeaderSize, .value(32)),
            AuxiliaryEntry(.programHeaderCount, .value(8)),
            AuxiliaryEntry(.base, .value(0xf7f0_0000)),
            AuxiliaryEntry(.flags, .value(1)),
            AuxiliaryEntry(.entry, .value(0x0804_9570)),
            AuxiliaryEntry(.uid, .value(1000)),
            AuxiliaryEntry(.euid, .value(1001)),
            AuxiliaryEntry(.gid, .value(1002)),
            AuxiliaryEntry(.egid, .value(1003)),
            AuxiliaryEntry(.secure, .value(1)),
            AuxiliaryEntry(.random, .randomBytesAddress),
            AuxiliaryEntry(.hardwareCapabilities2, .value(2)),
            AuxiliaryEntry(.execFilename, .execFilenameAddress),
            AuxiliaryEntry(.platform, .platformAddress),
            AuxiliaryEntry(.execFD, .value(3)),
            AuxiliaryEntry(.rseqFeatureSize, .value(28)),
            AuxiliaryEntry(.rseqAlignment, .value(32)),
        ], pairs(entries).joined(separator: " "))
        // The numbers of <uapi/linux/auxvec.h> and <asm/auxvec.h>, in that order.
        XCTAssertEqual(entries.map { $0.type.rawValue },
                       [32, 33, 51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 2, 27, 28])
    }

    func testAbsentKernelValuesAreOmittedOrDefaulted() {
        let entries = AuxiliaryVector.entries(program: program, kernel: KernelAuxiliaryValues())
        // No vDSO, no AT_EXECFD, no AT_MINSIGSTKSZ/AT_HWCAP/AT_HWCAP2/AT_RSEQ_*;
        // AT_CLKTCK falls back to USER_HZ and the credentials to 0.
        XCTAssertEqual(entries, [
            AuxiliaryEntry(.pageSize, .value(4096)),
            AuxiliaryEntry(.clockTicks, .value(100)),
            AuxiliaryEntry(.programHeaders, .value(0x0804_8034)),
            AuxiliaryEntry(.programHeaderSize, .value(32)),
            AuxiliaryEntry(.programHeaderCount, .value(8)),
            AuxiliaryEntry(.base, .value(0)),
            AuxiliaryEntry(.flags, .value(0)),
            AuxiliaryEntry(.entry, .value(0x0804_9570)),
            AuxiliaryEntry(.uid, .value(0)),
            AuxiliaryEntry(.euid, .value(0)),
            AuxiliaryEntry(.gid, .value(0)),
            AuxiliaryEntry(.egid, .value(0)),
            AuxiliaryEntry(.secure, .value(0)),
            AuxiliaryEntry(.random, .randomBytesAddress),
            AuxiliaryEntry(.execFilename, .execFilenameAddress),
            AuxiliaryEntry(.platform, .platformAddress),
        ], pairs(entries).joined(separator: " "))
    }

    func testLoaderEntriesTheProgramDoesNotInherit() {
        // AT_SECURE is decided for the program by Exec, not copied.
        XCTAssertEqual(kernel.secure, 1)
        let entries = AuxiliaryVector.entries(program: program, kernel: kernel)
        XCTAssertTrue(entries.contains(AuxiliaryEntry(.secure, .value(0))))
        XCTAssertTrue(entries.contains(AuxiliaryEntry(.entry, .value(0x0804_9570))))
        XCTAssertFalse(entries.contains { $0.type == .sysinfoELFHeader })
    }
}
