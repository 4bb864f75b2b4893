// The exec, top to bottom, in the order of the kernel's load_elf_binary:
// open and check the file, plan the image, map it, map the vDSO, build the
// initial stack, hand over. Every step before the handoff throws a clean
// error and leaves nothing mapped into a jump.

import SystemPackage

public struct ExecRequest: Sendable {
    /// The program's path as given: opened, and shown to it as AT_EXECFN.
    public var path: [UInt8]
    /// The program's argv, argv[0] included.
    public var arguments: [[UInt8]]
    public var environment: [[UInt8]]
    /// Map the kernel's 32-bit vDSO (else system calls use int $0x80).
    public var useVDSO: Bool
    /// Report the layout on standard error.
    public var verbose: Bool

    public init(path: [UInt8], arguments: [[UInt8]], environment: [[UInt8]], useVDSO: Bool = true, verbose: Bool = false) {
        self.path = path
        self.arguments = arguments
        self.environment = environment
        self.useVDSO = useVDSO
        self.verbose = verbose
    }

    var displayPath: String { String(decoding: path, as: UTF8.self) }
}

public enum Exec {
    /// Replaces this process's program with the i386 program `request` names.
    /// Returns only by throwing an `ExecError`.
    public static func run(_ request: ExecRequest) throws -> Never {
        do {
            try load(request)
        } catch let error as ExecError {
            throw error
        } catch let error as Errno where error == .noSuchFileOrDirectory || error == .notDirectory {
            throw ExecError(path: request.displayPath, reason: "\(error)", exitStatus: 127)
        } catch {
            throw ExecError(path: request.displayPath, reason: "\(error)")
        }
    }

    private static func load(_ request: ExecRequest) throws -> Never {
        let report = LayoutReport(enabled: request.verbose)

        // The ELF file: opened, its header and program headers checked.
        let program = try ProgramFile.open(request.path)
        let image: ELFImage
        do {
            image = try ELFFile.read(descriptor: program.descriptor, fileSize: program.size)
            try image.validate()
            if image.interpreterHeader != nil {
                throw ELFError.interpreterUnsupported(try interpreterPath(of: image, in: program))
            }
        } catch {
            try? program.descriptor.close()
            throw error
        }
        let randomize = Randomization.isEnabled()

        // The load plan, and the address space that carries it out.
        var loadBias: UInt64 = 0
        if image.type == .sharedObject {
            loadBias = try Memory.reserveCompat(length: UInt32(LoadPlan.span(of: image)))
                - AddressSpaceLimits.pageDown(UInt64(image.loadSegments[0].virtualAddress))
        }
        let plan = LoadPlan(image: image, loadBias: loadBias)
        report.plan(plan, image: image, path: request.displayPath)
        try AddressSpace.load(plan, from: program.descriptor, reserved: image.type == .sharedObject)

        // The vDSO, before anything else lands in the compat mmap area.
        var vdso: CompatVDSO?
        if request.useVDSO {
            do {
                vdso = try CompatVDSO.replaceLoaderVDSO()
            } catch {
                report.line("vdso: unavailable (\(error)); system calls use int $0x80")
            }
        }
        report.vdso(vdso, requested: request.useVDSO)

        // The initial stack.
        let top = StackMapping.top(randomPage: randomize ? try Random.below(StackMapping.randomPages) : 0)
        let facts = ProgramAuxiliaryFacts(
            programHeaders: UInt32(plan.programHeaderAddress), programHeaderCount: UInt32(plan.programHeaderCount),
            entry: UInt32(plan.entry), vdso: vdso.map { ($0.base, $0.entry) })
        let stack = InitialStack(
            top: top, arguments: request.arguments, environment: request.environment,
            execFilename: request.path,
            auxiliary: AuxiliaryVector.entries(program: facts, kernel: .ofThisProcess()),
            randomBytes: try Random.bytes(16),
            alignmentPadding: randomize ? try Random.below(8192) : 0)
        let stackRange = try StackMapping.map(stack, top: top, executable: plan.stackPolicy != .nonExecutable)
        let programBreak = plan.programBreak(
            randomPages: randomize ? UInt64(try Random.below(LoadPlan.programBreakRandomPages)) : 0)
        report.stack(stackRange, stackPointer: stack.stackPointer, programBreak: programBreak, entry: plan.entry)

        try Handoff(
            stack: stack, plan: plan, programBreak: programBreak,
            programFile: program.descriptor, programPath: request.displayPath
        ).enter()
    }

    /// The PT_INTERP string, NUL-terminated inside its segment.
    private static func interpreterPath(of image: ELFImage, in program: ProgramFile) throws -> String {
        guard let header = image.interpreterHeader else { return "" }
        var bytes = [UInt8](repeating: 0, count: Int(min(header.fileSize, 4096)))
        _ = try bytes.withUnsafeMutableBytes {
            try program.descriptor.read(fromAbsoluteOffset: Int64(header.offset), into: $0)
        }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Whether this process's layout is randomized: not under `setarch -R`
/// (ADDR_NO_RANDOMIZE), as the kernel's PF_RANDOMIZE decides.
enum Randomization {
    static let addrNoRandomize: Int32 = 0x004_0000

    static func isEnabled() -> Bool {
        ProcessControl.currentPersonality() & addrNoRandomize == 0
    }
}
