// The exec, top to bottom, in the order of the kernel's load_elf_binary:
// open and check the program, map it, open and map its interpreter, map the
// vDSO, build the initial stack, hand over. Every step before the handoff
// throws a clean error and leaves nothing mapped into a jump.

import SystemPackage

public struct ExecRequest: Sendable {
    /// The program's path as given: opened, named in errors.
    public var path: [UInt8]
    /// The program, already open (binfmt_misc's AT_EXECFD): used instead of `path`.
    public var descriptor: Int32?
    /// What the program sees as AT_EXECFN and whose base name becomes its
    /// comm: the path execve was given.
    public var execFilename: [UInt8]
    /// The program's argv, argv[0] included.
    public var arguments: [[UInt8]]
    public var environment: [[UInt8]]
    /// Look the interpreter up under this directory first (qemu's -L).
    public var sysroot: [UInt8]?
    /// Map the kernel's 32-bit vDSO (else system calls use int $0x80).
    public var useVDSO: Bool
    /// Report the layout on standard error.
    public var verbose: Bool

    public init(
        path: [UInt8], descriptor: Int32? = nil, execFilename: [UInt8]? = nil,
        arguments: [[UInt8]], environment: [[UInt8]], sysroot: [UInt8]? = nil,
        useVDSO: Bool = true, verbose: Bool = false
    ) {
        self.path = path
        self.descriptor = descriptor
        self.execFilename = execFilename ?? path
        self.arguments = arguments
        self.environment = environment
        self.sysroot = sysroot
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
        } catch {
            throw ExecError(path: request.displayPath, reason: "\(error)", exitStatus: isMissingFile(error) ? 127 : 126)
        }
    }

    private static func load(_ request: ExecRequest) throws -> Never {
        let report = LayoutReport(enabled: request.verbose)
        let randomize = Randomization.isEnabled()
        func random(below bound: UInt32) throws -> UInt32 { randomize ? try Random.below(bound) : 0 }

        // The program: opened, checked, placed and mapped.
        let program = try request.descriptor.map { try ProgramFile.adopt(FileDescriptor(rawValue: $0)) }
            ?? ProgramFile.open(request.path)
        let image = try program.readImage()
        try MemoryHeadroom.check(image: LoadPlan.span(of: image))
        let interpreterPath = try image.interpreterHeader.map { try program.interpreterPath(at: $0) }
        let placement = Placement.of(
            image, hasInterpreter: interpreterPath != nil,
            randomPages: try random(below: Placement.dynamicBaseRandomPages))
        let plan = try map(image, from: program, placement: placement, name: request.displayPath, report: report)

        // The interpreter, if the program names one: it gets control first.
        var entry = plan.entry
        var interpreterBase: UInt64 = 0
        if let interpreterPath {
            let path = resolve(interpreterPath, sysroot: request.sysroot)
            let name = String(decoding: path, as: UTF8.self)
            do {
                let interpreter = try ProgramFile.open(path)
                defer { try? interpreter.descriptor.close() }
                let interpreterImage = try interpreter.readImage()
                try interpreterImage.validateAsInterpreter()
                let interpreterPlan = try map(interpreterImage, from: interpreter, placement: .topDown, name: name, report: report)
                entry = interpreterPlan.entry
                interpreterBase = interpreterPlan.loadBias
            } catch {
                throw InterpreterError(path: name, reason: error)
            }
        }

        // The vDSO: the kernel maps it after the images, below them. The
        // loader's own mappings are read once, for it and for the handoff.
        let loaderMappings = try MemoryMap.current()
        var vdso: CompatVDSO?
        if request.useVDSO {
            do {
                vdso = try CompatVDSO.replaceLoaderVDSO(mappings: loaderMappings)
            } catch {
                report.line("vdso: unavailable (\(error)); system calls use int $0x80")
            }
        }
        report.vdso(vdso, requested: request.useVDSO)

        // The initial stack and brk.
        let top = StackMapping.top(randomPage: try random(below: StackMapping.randomPages))
        let facts = ProgramAuxiliaryFacts(
            programHeaders: UInt32(plan.programHeaderAddress), programHeaderCount: UInt32(plan.programHeaderCount),
            entry: UInt32(plan.entry), interpreterBase: UInt32(interpreterBase),
            vdso: vdso.map { ($0.base, $0.entry) })
        let stack = InitialStack(
            top: top, arguments: request.arguments, environment: request.environment,
            execFilename: request.execFilename,
            auxiliary: AuxiliaryVector.entries(program: facts, kernel: kernelValues(for: request)),
            randomBytes: try Random.bytes(16),
            alignmentPadding: try random(below: 8192))
        let stackRange = try StackMapping.map(stack, top: top, executable: plan.stackPolicy != .nonExecutable)
        let programBreak = plan.programBreak(
            randomPages: UInt64(try random(below: LoadPlan.programBreakRandomPages)),
            staticPIE: placement == .topDown)
        report.stack(stackRange, stackPointer: stack.stackPointer, programBreak: programBreak, entry: entry)

        // Without the privilege to name the program in /proc/self/exe, leave
        // what a re-exec through it will need.
        if !ReexecRecord.canSetExecutableFile() {
            do {
                try ReexecRecord(program: try program.absolutePath(), sysroot: request.sysroot, useVDSO: request.useVDSO).write()
                report.line("/proc/self/exe: stays elf32-exec (no CAP_CHECKPOINT_RESTORE); re-exec record written")
            } catch {
                report.line("/proc/self/exe: stays elf32-exec; no re-exec record (\(error))")
            }
        }

        try Handoff(
            entry: UInt32(entry), stack: stack, stackTop: top, plan: plan, programBreak: programBreak,
            loaderHeapStart: loaderMappings.first { $0.name == "[heap]" }?.range.lowerBound ?? 0,
            programFile: program.descriptor, programPath: request.path,
            taskName: Handoff.baseName(request.execFilename)
        ).enter()
    }

    /// The kernel's values for this process, but AT_SECURE as a native exec of
    /// the program would set it: from the credentials alone, unless the
    /// kernel opened the program for us (binfmt_misc O/C: then the credentials
    /// and AT_SECURE are the program's own). A file capability on elf32-exec
    /// makes its own AT_SECURE 1; the program must not inherit that.
    private static func kernelValues(for request: ExecRequest) -> KernelAuxiliaryValues {
        var kernel = KernelAuxiliaryValues.ofThisProcess()
        if request.descriptor == nil {
            let credentialsDiffer = kernel.uid != kernel.euid || kernel.gid != kernel.egid
            kernel.secure = credentialsDiffer ? 1 : 0
        }
        return kernel
    }

    /// Plans `image` at its placement and maps it.
    private static func map(
        _ image: ELFImage, from file: ProgramFile, placement: Placement, name: String, report: LayoutReport
    ) throws -> LoadPlan {
        var topDownAddress: UInt64 = 0
        if placement == .topDown {
            topDownAddress = try Memory.reserveCompat(length: UInt32(LoadPlan.span(of: image)))
        }
        let plan = LoadPlan(image: image, loadBias: placement.loadBias(for: image, topDownAddress: topDownAddress))
        report.plan(plan, image: image, path: name)
        guard plan.reservation.lowerBound >= AddressSpaceLimits.lowest, plan.reservation.upperBound <= AddressSpaceLimits.top else {
            throw LoadError.outsideAddressSpace(plan.reservation)
        }
        try AddressSpace.load(plan, from: file.descriptor, reserved: placement == .topDown)
        return plan
    }

    /// The interpreter's path under `sysroot` if it exists there, else as given.
    static func resolve(_ path: [UInt8], sysroot: [UInt8]?) -> [UInt8] {
        guard let sysroot, !sysroot.isEmpty else { return path }
        let candidate = sysroot + (path.first == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + path
        return ProgramFile.exists(candidate) ? candidate : path
    }

    private static func isMissingFile(_ error: Error) -> Bool {
        switch error {
        case let error as Errno: return error == .noSuchFileOrDirectory || error == .notDirectory
        case let error as InterpreterError: return isMissingFile(error.reason)
        default: return false
        }
    }
}

/// A failure of the interpreter, named as such.
struct InterpreterError: Error, CustomStringConvertible {
    var path: String
    var reason: Error

    var description: String { "interpreter \(path.isEmpty ? "(empty path)" : path): \(reason)" }
}

/// Whether this process's layout is randomized: not under `setarch -R`
/// (ADDR_NO_RANDOMIZE), as the kernel's PF_RANDOMIZE decides.
enum Randomization {
    static let addrNoRandomize: Int32 = 0x004_0000

    static func isEnabled() -> Bool {
        ProcessControl.currentPersonality() & addrNoRandomize == 0
    }
}
