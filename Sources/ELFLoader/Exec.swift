// The exec, top to bottom, in the order of the kernel's load_elf_binary:
// open and check the program, map it, open and map its interpreter, map the
// vDSO, build the initial stack, hand over. Every step before the handoff
// throws a clean error and leaves nothing mapped into a jump.

public struct ExecRequest: Equatable, Sendable {
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
    /// What the kernel handed elf32-exec.
    public var process: ProcessStart

    public init(
        path: [UInt8], descriptor: Int32? = nil, execFilename: [UInt8]? = nil,
        arguments: [[UInt8]], environment: [[UInt8]], sysroot: [UInt8]? = nil,
        useVDSO: Bool = true, verbose: Bool = false, process: ProcessStart
    ) {
        self.path = path
        self.descriptor = descriptor
        self.execFilename = execFilename ?? path
        self.arguments = arguments
        self.environment = environment
        self.sysroot = sysroot
        self.useVDSO = useVDSO
        self.verbose = verbose
        self.process = process
    }
}

public enum Exec {
    /// Replaces this process's program with the i386 program `request` names.
    /// Returns only by throwing.
    public static func run(_ request: ExecRequest) throws(ExecError) -> Never {
        let process = request.process
        let report = LayoutReport(enabled: request.verbose)
        func random(below bound: UInt32) throws(ExecError) -> UInt32 {
            process.randomizesLayout ? try Random.below(bound) : 0
        }

        // The program: opened, checked, placed and mapped.
        var program = if let descriptor = request.descriptor {
            try ProgramFile.adopt(FileDescriptor(rawValue: descriptor))
        } else {
            try ProgramFile.open(request.path)
        }
        let image = try program.readImage()
        try MemoryHeadroom.check(image: LoadPlan.span(of: image), limits: process.limits)
        var interpreterPath: [UInt8]?
        if let header = image.interpreterHeader { interpreterPath = try program.interpreterPath(at: header) }
        let placement = Placement.of(
            image, hasInterpreter: interpreterPath != nil, randomPages: try random(below: I386.dynamicBaseRandomPages))
        let plan = try map(image, from: program, placement: placement, name: request.path, report: report)

        // The interpreter, if the program names one: it gets control first.
        var entry = plan.entry
        var interpreterBase: UInt64 = 0
        var topDownImage = placement == .topDown ? plan : nil, otherImage: LoadPlan?
        var lowestMapping = plan.reservation.lowerBound
        if let interpreterPath {
            let path = resolve(interpreterPath, sysroot: request.sysroot)
            do throws(ExecError) {
                var interpreter = try ProgramFile.open(path)
                defer { interpreter.descriptor.close() }
                let interpreterImage = try interpreter.readImage()
                try interpreterImage.validateAsInterpreter()
                let interpreterPlan = try map(interpreterImage, from: interpreter, placement: .topDown, name: path, report: report)
                entry = interpreterPlan.entry
                interpreterBase = interpreterPlan.loadBias
                (topDownImage, otherImage) = (interpreterPlan, plan)
                lowestMapping = min(lowestMapping, interpreterPlan.reservation.lowerBound)
            } catch {
                throw .interpreter(path: path, error)
            }
        }

        // The vDSO: the kernel maps it after the images, below them.
        var vdso: CompatVDSO?
        if request.useVDSO {
            do throws(ExecError) {
                let loaderVDSO = LoaderVDSO.find(code: process.loaderVDSO)
                let top = CompatVDSO.top(
                    below: topDownImage, above: otherImage, mmapTopDown: process.mmapTopDown,
                    smallestBlock: (loaderVDSO?.dataSize ?? 0) + I386.pageSize)
                vdso = try CompatVDSO.replaceLoaderVDSO(loaderVDSO, top: top)
            } catch {
                report.line("vdso: unavailable (\(error.message)); system calls use int $0x80")
            }
        }
        report.vdso(vdso, requested: request.useVDSO)

        // The initial stack and brk. AT_SECURE is what a native exec of the
        // program would set: from the credentials alone, unless the kernel
        // opened the program for us (binfmt_misc O/C: then the credentials
        // and AT_SECURE are the program's own). A file capability on
        // elf32-exec makes its own AT_SECURE 1; the program must not inherit that.
        let kernel = process.auxiliary
        let credentialsDiffer = kernel.uid != kernel.euid || kernel.gid != kernel.egid
        let top = StackMapping.top(randomPage: try random(below: I386.stackRandomPages))
        let facts = ProgramAuxiliaryFacts(
            programHeaders: UInt32(plan.programHeaderAddress), programHeaderCount: UInt32(plan.programHeaderCount),
            entry: UInt32(plan.entry), interpreterBase: UInt32(interpreterBase), vdso: vdso,
            secure: request.descriptor != nil ? kernel.secure : credentialsDiffer ? 1 : 0)
        let stack = InitialStack(
            top: top, arguments: request.arguments, environment: request.environment,
            execFilename: request.execFilename,
            auxiliary: AuxiliaryVector.entries(program: facts, kernel: kernel),
            randomBytes: try Random.bytes(16),
            alignmentPadding: try random(below: I386.stackAlignmentRandomBytes))
        let stackRange = try StackMapping.map(
            stack, top: top, limit: process.limits.stack, executable: plan.stackPolicy != .nonExecutable)
        let programBreak = plan.programBreak(
            atDynamicBase: placement == .topDown && process.movesStaticPIEBreak,
            randomPages: process.randomizesBreak ? UInt64(try Random.below(I386.programBreakRandomPages)) : nil)
        report.stack(stackRange, stackPointer: stack.stackPointer, programBreak: programBreak, entry: entry)

        // Without the privilege to name the program in /proc/self/exe, leave
        // what a re-exec through it will need.
        if !process.maySetExecutableFile {
            do throws(ExecError) {
                try ReexecRecord(program: try program.absolutePath(), sysroot: request.sysroot, useVDSO: request.useVDSO)
                    .write(uid: kernel.uid)
                report.line("/proc/self/exe: stays elf32-exec (no CAP_CHECKPOINT_RESTORE); re-exec record written")
            } catch {
                report.line("/proc/self/exe: stays elf32-exec; no re-exec record (\(error.message))")
            }
        }

        lowestMapping = min(lowestMapping, stackRange.lowerBound, UInt64(vdso?.start ?? UInt32.max))
        try Handoff(
            entry: UInt32(entry), stack: stack, vdso: vdso, lowestMapping: lowestMapping, plan: plan, programBreak: programBreak,
            programFile: program.descriptor, programPath: request.path,
            taskName: Handoff.baseName(request.execFilename), resetsPeak: interpreterPath == nil, process: process
        ).enter(report: report)
    }

    /// Places `image`, plans it and maps it.
    private static func map(
        _ image: ELFImage, from file: ProgramFile, placement: Placement, name: [UInt8], report: LayoutReport
    ) throws(ExecError) -> LoadPlan {
        var topDownAddress: UInt64 = 0
        if placement == .topDown {
            topDownAddress = try Memory.reserveCompat(length: UInt32(LoadPlan.span(of: image)))
        }
        let plan = try LoadPlan.placed(image, at: placement, topDownAddress: topDownAddress)
        report.plan(plan, image: image, path: name)
        try AddressSpace.load(plan, from: file.descriptor, placement: placement)
        return plan
    }

    /// The interpreter's path under `sysroot` if it exists there, else as given.
    static func resolve(_ path: [UInt8], sysroot: [UInt8]?) -> [UInt8] {
        guard let sysroot, !sysroot.isEmpty else { return path }
        let candidate = sysroot + (path.first == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + path
        return ProgramFile.exists(candidate) ? candidate : path
    }
}
