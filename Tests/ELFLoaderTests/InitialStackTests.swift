// InitialStack: the bytes a program finds above its stack pointer, decoded
// the way _start reads them. Also StackMapping's first mapped range.

import XCTest
@testable import ELFLoader

final class InitialStackTests: XCTestCase {
    static let top: UInt32 = 0xFFFF_E000
    static let randomBytes: [UInt8] = (0..<16).map { 0xA0 + UInt8($0) }
    static let auxiliary = [
        AuxiliaryEntry(.pageSize, .value(4096)),
        AuxiliaryEntry(.random, .randomBytesAddress),
        AuxiliaryEntry(.execFilename, .execFilenameAddress),
        AuxiliaryEntry(.platform, .platformAddress),
    ]

    static func stack(padding: UInt32 = 0, arguments: [String] = ["prog", "a b"]) -> InitialStack {
        InitialStack(
            top: top, arguments: arguments.map { Array($0.utf8) },
            environment: [Array("A=1".utf8), Array("B=2".utf8)], execFilename: Array("./prog".utf8),
            auxiliary: auxiliary, randomBytes: randomBytes, alignmentPadding: padding)
    }

    /// The decoded tables: argc, argv, envp and auxv pairs, each NULL checked.
    private struct Tables {
        var argv: [UInt32] = [], envp: [UInt32] = [], auxv: [(UInt32, UInt32)] = []
        var end: UInt32 = 0  // one past AT_NULL's value
    }

    private func decodeTables(_ reader: StackReader, file: StaticString = #filePath, line: UInt = #line) -> Tables {
        var tables = Tables()
        var cursor = reader.stack.stackPointer
        func next() -> UInt32 { defer { cursor += 4 }; return reader.word(at: cursor) }
        let argc = next()
        tables.argv = (0..<argc).map { _ in next() }
        XCTAssertEqual(next(), 0, "NULL after argv", file: file, line: line)
        while case let pointer = next(), pointer != 0 { tables.envp.append(pointer) }
        while case let pair = (next(), next()), pair.0 != 0 { tables.auxv.append(pair) }
        tables.end = cursor
        XCTAssertEqual(reader.word(at: cursor - 4), 0, "AT_NULL value", file: file, line: line)
        return tables
    }

    /// Everything the kernel's layout promises, for any padding.
    private func checkLayout(padding: UInt32, file: StaticString = #filePath, line: UInt = #line) throws {
        let stack = Self.stack(padding: padding)
        let reader = StackReader(stack: stack)
        let sp = stack.stackPointer
        XCTAssertEqual(sp % 16, 0, file: file, line: line)
        XCTAssertEqual(stack.bytes.count, Int(Self.top - sp), file: file, line: line)

        let tables = decodeTables(reader, file: file, line: line)
        XCTAssertEqual(tables.argv.map(reader.string), [Array("prog".utf8), Array("a b".utf8)], file: file, line: line)
        XCTAssertEqual(tables.envp.map(reader.string), [Array("A=1".utf8), Array("B=2".utf8)], file: file, line: line)

        // The strings: contiguous, argv then environment then AT_EXECFN, then 8 zero bytes.
        let argumentsStart = tables.argv[0]
        let execFilename = Self.top - 8 - 7
        XCTAssertEqual(tables.argv, [argumentsStart, argumentsStart + 5], file: file, line: line)
        XCTAssertEqual(tables.envp, [argumentsStart + 9, argumentsStart + 13], file: file, line: line)
        XCTAssertEqual(argumentsStart + 17, execFilename, file: file, line: line)
        XCTAssertEqual(reader.bytes(argumentsStart..<Self.top), Array("prog\0a b\0A=1\0B=2\0./prog\0".utf8) + [UInt8](repeating: 0, count: 8), file: file, line: line)
        XCTAssertEqual(stack.arguments, argumentsStart..<argumentsStart + 9, file: file, line: line)
        XCTAssertEqual(stack.environment, argumentsStart + 9..<execFilename, file: file, line: line)

        // Below the strings: the padding, "i686\0" ending on a 16-byte boundary, the random bytes.
        let aligned = (argumentsStart - padding) & ~0xf
        let platform = aligned - 5
        let random = platform - 16
        XCTAssertEqual(reader.bytes(platform..<aligned), Array("i686\0".utf8), file: file, line: line)
        XCTAssertEqual(reader.bytes(random..<platform), Self.randomBytes, file: file, line: line)
        // The padding is the gap nothing writes: only the tables and the strings are bytes.
        XCTAssertEqual(stack.gap, aligned..<argumentsStart, file: file, line: line)
        XCTAssertEqual(stack.tables.count, Int(aligned - sp), file: file, line: line)
        XCTAssertEqual(stack.strings.count, Int(Self.top - argumentsStart), file: file, line: line)

        // The auxiliary vector, with the addresses resolved, then AT_NULL.
        let auxv = tables.auxv.map { [$0.0, $0.1] }
        XCTAssertEqual(auxv, [[6, 4096], [25, random], [31, execFilename], [15, platform]], file: file, line: line)
        XCTAssertEqual(stack.auxiliaryVector, reader.bytes(tables.end - UInt32(8 * 5)..<tables.end), file: file, line: line)
        XCTAssertEqual(stack.auxiliaryVector.count, 8 * 5, file: file, line: line)
        // The tables sit as high as the 16-byte rounding lets them.
        XCTAssertLessThanOrEqual(tables.end, random, file: file, line: line)
        XCTAssertGreaterThan(tables.end + 16, random, file: file, line: line)
    }

    func testLayoutWithoutPadding() throws { try checkLayout(padding: 0) }
    func testLayoutWithPadding() throws { try checkLayout(padding: 100) }
    func testLayoutWithLargestPadding() throws { try checkLayout(padding: 8191) }

    /// sp is rounded down to 16 bytes, not less, whatever the table size.
    func testStackPointerAlignmentForEveryTableSize() {
        for extra in 0..<4 {
            let auxiliary = Self.auxiliary + Array(repeating: AuxiliaryEntry(.clockTicks, .value(100)), count: extra)
            let stack = InitialStack(
                top: Self.top, arguments: [Array("prog".utf8)], environment: [], execFilename: Array("./prog".utf8),
                auxiliary: auxiliary, randomBytes: Self.randomBytes, alignmentPadding: 0)
            let tableEnd = stack.stackPointer + UInt32(4 * (1 + 2 + 1) + 8 * (auxiliary.count + 1))
            // AT_RANDOM's value, after argc, argv[0], NULL, NULL and the AT_PAGESZ pair.
            let random = StackReader(stack: stack).word(at: stack.stackPointer + 7 * 4)
            XCTAssertEqual(stack.stackPointer % 16, 0, "\(extra) extra entries")
            XCTAssertTrue((random - 15...random).contains(tableEnd), "\(extra) extra entries")
        }
    }

    func testExactAddressesWithoutPadding() {
        let stack = Self.stack()
        XCTAssertEqual(stack.stackPointer, 0xFFFF_DF80)
        XCTAssertEqual(stack.arguments, 0xFFFF_DFE0..<0xFFFF_DFE9)
        XCTAssertEqual(stack.environment, 0xFFFF_DFE9..<0xFFFF_DFF1)
        let reader = StackReader(stack: stack)
        XCTAssertEqual(reader.words(from: stack.stackPointer, count: 17), [
            2, 0xFFFF_DFE0, 0xFFFF_DFE5, 0,
            0xFFFF_DFE9, 0xFFFF_DFED, 0,
            6, 4096, 25, 0xFFFF_DFCB, 31, 0xFFFF_DFF1, 15, 0xFFFF_DFDB, 0, 0,
        ])
        XCTAssertEqual(stack.auxiliaryVector.prefix(8), [6, 0, 0, 0, 0x00, 0x10, 0, 0])
    }

    func testPaddingMovesEverythingBelowTheStrings() {
        let plain = Self.stack(), padded = Self.stack(padding: 100)
        XCTAssertEqual(padded.arguments, plain.arguments)
        XCTAssertEqual(padded.environment, plain.environment)
        XCTAssertEqual(padded.stackPointer, 0xFFFF_DF10)  // platform at (0xFFFFDFE0 - 100) & ~15 - 5
    }

    func testNoArgumentsNoEnvironment() {
        let stack = InitialStack(
            top: Self.top, arguments: [], environment: [], execFilename: Array("x".utf8),
            auxiliary: [], randomBytes: Self.randomBytes, alignmentPadding: 0)
        let reader = StackReader(stack: stack)
        // argc 0, NULL, NULL, AT_NULL.
        XCTAssertEqual(reader.words(from: stack.stackPointer, count: 5), [0, 0, 0, 0, 0])
        XCTAssertEqual(stack.arguments, 0xFFFF_DFF6..<0xFFFF_DFF6)
        XCTAssertEqual(stack.environment, 0xFFFF_DFF6..<0xFFFF_DFF6)
        XCTAssertEqual(stack.auxiliaryVector, [UInt8](repeating: 0, count: 8))
    }

    // MARK: StackMapping

    func testStackTopRandomization() {
        XCTAssertEqual(StackMapping.top(randomPage: 0), 0xFFFF_E000)
        XCTAssertEqual(StackMapping.top(randomPage: 3), 0xFFFF_B000)
        XCTAssertEqual(StackMapping.top(randomPage: I386.stackRandomPages - 1), 0xFF7F_F000)
    }

    func testInitialRangeIsStringsPageMinus128KiB() {
        let stack = Self.stack()  // strings from 0xFFFFDFE0, sp 0xFFFFDF80
        let expected: Range<UInt64> = 0xFFFD_D000..<0xFFFF_E000
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: nil), expected)
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: 8 << 20), expected)
    }

    func testInitialRangeFollowsLongStrings() {
        let stack = Self.stack(arguments: ["prog", String(repeating: "x", count: 0x3000)])
        XCTAssertEqual(stack.arguments.lowerBound, 0xFFFF_AFE3)
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: nil), 0xFFFD_A000..<0xFFFF_E000)
    }

    func testInitialRangeIsCappedByTheLimit() {
        let stack = Self.stack()
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: 0x1_0123), 0xFFFE_E000..<0xFFFF_E000)
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: 0x2_0000), 0xFFFD_E000..<0xFFFF_E000)
        // Never less than what holds the tables already written.
        XCTAssertEqual(StackMapping.initialRange(top: Self.top, stack: stack, limit: 0x100), 0xFFFF_D000..<0xFFFF_E000)
    }
}
