// The i386 initial stack, byte for byte as the kernel's compat loader builds
// it (fs/exec.c copy_strings, fs/binfmt_elf.c create_elf_tables), as pure bytes.
//
//   stack top   8 zero bytes (the kernel reserves sizeof(void *))
//               AT_EXECFN string
//               environment strings, then argument strings below them
//               up to 8 KiB of random padding, 16-byte aligned (arch_align_stack)
//               "i686\0" (AT_PLATFORM)
//               16 random bytes (AT_RANDOM)
//               padding to 16 bytes
//   sp ->       argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL

public struct InitialStack: Equatable, Sendable {
    /// From `stackPointer` up to the alignment gap: argc, the argv and envp
    /// arrays, the auxiliary vector, AT_RANDOM's bytes and AT_PLATFORM's string.
    public let tables: [UInt8]
    /// From the alignment gap up to the stack top: the argument, environment
    /// and AT_EXECFN strings.
    public let strings: [UInt8]
    /// The stack pointer at entry: it points to argc.
    public let stackPointer: UInt32
    /// Where the argument and environment strings are (/proc/self/cmdline, environ).
    public let arguments: Range<UInt32>
    public let environment: Range<UInt32>
    /// The auxiliary vector as packed 32-bit pairs, AT_NULL included: what
    /// the kernel keeps as the process's saved auxv (/proc/self/auxv).
    public let auxiliaryVector: [UInt8]

    static let topReserve: UInt32 = 8

    /// arch_align_stack's random gap between `tables` and `strings`: never
    /// written, so its pages stay untouched (not resident), as in a native exec.
    public var gap: Range<UInt32> { stackPointer + UInt32(tables.count)..<arguments.lowerBound }

    /// The whole span from `stackPointer` to the top, the gap read as zeros.
    public var bytes: [UInt8] { tables + [UInt8](repeating: 0, count: gap.count) + strings }

    /// Lays out the stack below `top`.
    ///
    /// - Parameters:
    ///   - alignmentPadding: the random downward shift of arch_align_stack,
    ///     below 8192; the caller draws it.
    ///   - randomBytes: the 16 bytes AT_RANDOM points to.
    public init(
        top: UInt32, arguments: [[UInt8]], environment: [[UInt8]], execFilename: [UInt8],
        auxiliary: [AuxiliaryEntry], randomBytes: [UInt8], alignmentPadding: UInt32
    ) {
        precondition(randomBytes.count == 16 && alignmentPadding < I386.stackAlignmentRandomBytes)
        // Strings, from the top down: exec filename, environment, arguments.
        let execFilenameAddress = top - Self.topReserve - UInt32(execFilename.count + 1)
        let environmentSize = environment.reduce(0) { $0 + $1.count + 1 }
        let argumentsSize = arguments.reduce(0) { $0 + $1.count + 1 }
        let environmentStart = execFilenameAddress - UInt32(environmentSize)
        let argumentsStart = environmentStart - UInt32(argumentsSize)

        let aligned = (argumentsStart - alignmentPadding) & ~0xf
        let platformAddress = aligned - UInt32(I386.platform.count + 1)
        let randomAddress = platformAddress - 16

        func resolve(_ value: AuxiliaryValue) -> UInt32 {
            switch value {
            case .value(let number): return number
            case .randomBytesAddress: return randomAddress
            case .platformAddress: return platformAddress
            case .execFilenameAddress: return execFilenameAddress
            }
        }
        var auxiliaryWords: [UInt32] = []
        auxiliaryWords.reserveCapacity(2 * auxiliary.count + 2)
        for entry in auxiliary {
            auxiliaryWords.append(entry.type.rawValue)
            auxiliaryWords.append(resolve(entry.value))
        }
        auxiliaryWords.append(AuxiliaryType.null.rawValue)
        auxiliaryWords.append(0)

        let pointerWords = 1 + (arguments.count + 1) + (environment.count + 1)
        let tableSize = UInt32(4 * (pointerWords + auxiliaryWords.count))
        let stackPointer = (randomAddress - tableSize) & ~0xf

        // Written in place: this runs on every exec.
        var tables = [UInt8](repeating: 0, count: Int(aligned - stackPointer))
        var strings = [UInt8](repeating: 0, count: Int(top - argumentsStart))
        tables.withUnsafeMutableBytes { low in
            strings.withUnsafeMutableBytes { high in
                var tableOffset = 0
                func word(_ value: UInt32) {
                    low.storeBytes(of: value.littleEndian, toByteOffset: tableOffset, as: UInt32.self)
                    tableOffset += 4
                }
                func copy(_ source: [UInt8], at address: UInt32) {
                    let destination = address >= argumentsStart
                        ? UnsafeMutableRawBufferPointer(rebasing: high[Int(address - argumentsStart)...])
                        : UnsafeMutableRawBufferPointer(rebasing: low[Int(address - stackPointer)...])
                    source.withUnsafeBytes { destination.copyMemory(from: $0) }
                }
                word(UInt32(arguments.count))
                var cursor = argumentsStart
                for strings in [arguments, environment] {
                    for string in strings {
                        word(cursor)
                        copy(string, at: cursor)  // the terminating 0 is already there
                        cursor += UInt32(string.count + 1)
                    }
                    word(0)
                }
                for value in auxiliaryWords { word(value) }
                copy(randomBytes, at: randomAddress)
                copy(I386.platform, at: platformAddress)
                copy(execFilename, at: execFilenameAddress)
            }
        }

        let auxiliaryOffset = 4 * pointerWords
        self.tables = tables
        self.strings = strings
        self.stackPointer = stackPointer
        self.arguments = argumentsStart..<environmentStart
        self.environment = environmentStart..<execFilenameAddress
        self.auxiliaryVector = Array(tables[auxiliaryOffset..<auxiliaryOffset + 4 * auxiliaryWords.count])
    }
}
