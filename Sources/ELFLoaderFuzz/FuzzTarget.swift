// ELFLoaderFuzz: the pure part of an exec (ELF reading, validation, placement,
// load planning, interpreter path, auxiliary vector, initial stack) over
// arbitrary bytes, with the invariants each step promises checked.
//
// Two builds of the same code:
//   - with `-sanitize=fuzzer` and `-D ELF32_FUZZING` (scripts/fuzz.sh):
//     `main` runs libFuzzer's driver, which calls LLVMFuzzerTestOneInput;
//   - plain (`swift build`): `main` replays the files and directories named
//     on the command line through the same function, so CI can replay the
//     corpus (Tests/ELFLoaderTests/FuzzRegressionTests.swift).
// A broken invariant aborts (SIGABRT); a Swift runtime trap is SIGILL/SIGTRAP.
// The invariants are in Invariants.swift, the numbers the input does not
// spell out in Parameters.swift.

import ELFLoader

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    FuzzPipeline.run(bytes)
    return 0
}

enum FuzzPipeline {
    /// ELF32_FUZZ_LIBELF=1: treat a refusal worded by libelf itself
    /// ("cannot read ELF: ...") as a finding.
    static let reportLibELF: Bool = getenv("ELF32_FUZZ_LIBELF").map { String(cString: $0) == "1" } ?? false

    static func run(_ bytes: [UInt8]) {
        var random = Parameters(seed: bytes)
        let (arguments, environment) = strings(from: bytes)

        // Any bytes: read; the interpreter path rule on raw bytes.
        checkInterpreterPath(Array(bytes.suffix(64)))
        let image: ELFImage
        do {
            image = try ELFFile.read(bytes: bytes)
        } catch {
            guard case .invalidELF(let reason) = error else { check(false, "ELFFile.read threw \(error), not an ELFError"); return }
            if reportLibELF, case .libelf = reason { check(false, "libelf's own message reaches the user: \(reason)") }
            checkStack(arguments: arguments, environment: environment, facts: nil, random: &random)
            return
        }
        check(image.fileSize == UInt64(bytes.count), "fileSize \(image.fileSize) != \(bytes.count)")
        check((1...128).contains(image.programHeaders.count), "\(image.programHeaders.count) program headers accepted")
        if let header = image.interpreterHeader {
            let start = min(Int(header.offset), bytes.count)
            let end = min(start + Int(header.fileSize), bytes.count)
            checkInterpreterPath(Array(bytes[start..<end]))
        }
        do {
            try image.validate()
        } catch {
            guard case .invalidELF = error else { check(false, "validate threw \(error), not an ELFError"); return }
            checkStack(arguments: arguments, environment: environment, facts: nil, random: &random)
            return
        }
        checkValidated(image)
        let interpreterOK = (try? image.validateAsInterpreter()) != nil
        check(interpreterOK == (image.type == .sharedObject && image.interpreterHeader == nil), "validateAsInterpreter disagrees")
        let facts = checkPlan(image, random: &random)
        checkStack(arguments: arguments, environment: environment, facts: facts, random: &random)
    }
}

#if ELF32_FUZZING
/// libFuzzer's own driver (compiler-rt, LLVM 11 and later). SwiftPM links an
/// executable's `main` to its module's `@main`, so libFuzzer's `main` cannot
/// be the entry point: this `@main` hands the command line to the driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main
enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
    }
}
#else
/// Without libFuzzer: replays every file named, or every file in every
/// directory named, through the pipeline.
@main
enum Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            fputs("usage: ELFLoaderFuzz FILE|DIRECTORY...\n", stderr)
            exit(2)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let bytes = contents(of: file) else {
                    fputs("ELFLoaderFuzz: cannot read \(file)\n", stderr)
                    exit(1)
                }
                fputs("replay \(file)\n", stderr)
                FuzzPipeline.run(bytes)
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }

    static func files(at path: String) -> [String] {
        var status = stat()
        guard stat(path, &status) == 0 else { return [path] }
        guard status.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted().flatMap { files(at: path + "/" + $0) }
    }

    static func contents(of path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
#endif
