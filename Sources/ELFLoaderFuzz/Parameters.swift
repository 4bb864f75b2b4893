// What the pipeline derives from the input besides the ELF bytes: argv and
// envp, and the numbers of a deterministic random source.

extension FuzzPipeline {
    /// argv and envp from the input's last bytes, split at NULs as C strings are.
    static func strings(from bytes: [UInt8]) -> ([[UInt8]], [[UInt8]]) {
        let tail = bytes.suffix(256)
        let parts = tail.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        let middle = parts.count / 2
        return (Array(parts[..<middle]), Array(parts[middle...]))
    }
}

/// Numbers for everything the input does not spell out (bias, padding,
/// kernel values): a splitmix64 sequence seeded by the input's FNV-1a hash,
/// so that each input always takes the same path.
struct Parameters {
    var state: UInt64

    init(seed bytes: [UInt8]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    mutating func next64() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt32 { UInt32(truncatingIfNeeded: next64()) }
    mutating func next(below bound: UInt32) -> UInt32 { UInt32(next64() % UInt64(bound)) }
    mutating func next64(below bound: UInt64) -> UInt64 { next64() % bound }
}
