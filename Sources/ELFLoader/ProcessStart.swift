// What the kernel handed elf32-exec, read once at start: this loader's
// `linux_binprm`. The argv, environment and auxiliary vector come from the
// initial stack exactly as the kernel wrote them; limits, personality and
// privileges are read beside them. Everything after this reads the value.

import LinuxCalls

public struct ProcessStart: Equatable, Sendable {
    public var arguments: [[UInt8]]
    public var environment: [[UInt8]]
    /// AT_EXECFN: the path execve was given (with binfmt_misc, the program's
    /// or, for a script, the script's).
    public var execFilename: [UInt8]
    /// AT_FLAGS: binfmt_misc's P flag sets AT_FLAGS_PRESERVE_ARGV0.
    public var flags: UInt32
    /// AT_EXECFD: binfmt_misc's O (and C) flag passes the program open.
    public var execFD: Int32?
    /// The machine and credential entries, which the program gets too.
    public var auxiliary: KernelAuxiliaryValues
    /// The loader's own 64-bit vDSO (its AT_SYSINFO_EHDR), 0 if it has none.
    public var loaderVDSO: UInt64
    /// The kernel lays this process's mmaps out top-down (MMF_TOPDOWN, which
    /// its ia32 mmaps share). Read from where it put the loader's vDSO: the
    /// loader, a static PIE, is mapped first into the mmap area and the vDSO
    /// after it, so below it top-down and above it bottom-up. False when
    /// there is no vDSO to tell.
    public var mmapTopDown: Bool
    /// AT_EXECFN names this executable itself: elf32-exec was run by name
    /// (or re-executed through /proc/self/exe), not by binfmt_misc for a
    /// program or script at that path. Looked up (two stat calls) only when
    /// the start leaves a doubt: not when AT_FLAGS' P bit or AT_EXECFD say
    /// binfmt_misc, nor when AT_EXECFN is none of argv[1...] (binfmt_misc
    /// always puts the path execve was given there: as argv[1] for a
    /// program, after the interpreter for a script).
    public var execFilenameIsLoader: Bool
    public var personality: UInt32
    /// randomize_va_space as the kernel applied it to this exec: 0 none (the
    /// sysctl is 0, or ADDR_NO_RANDOMIZE), 1 stack/mmap/vDSO, 2 also brk
    /// (PF_RANDOMIZE and snapshot_randomize_va_space). Read from where the
    /// kernel put this loader (`randomization(stackEnd:imageEnd:programBreak:)`).
    public var randomizeVASpace: UInt8
    /// The kernel started this loader's own brk (it is a static PIE) away from
    /// its image: at ELF_ET_DYN_BASE, where newer kernels put a static PIE's
    /// brk even without randomization, or randomized.
    public var ownBreakMoved: Bool
    public var limits: Limits
    /// The kernel will let the handoff name the program as /proc/self/exe
    /// (CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN).
    public var maySetExecutableFile: Bool

    public struct Limits: Equatable, Sendable {
        /// Soft limits in bytes, nil when unlimited.
        public var stack: UInt64?
        public var addressSpace: UInt64?
        public var data: UInt64?

        public init(stack: UInt64? = nil, addressSpace: UInt64? = nil, data: UInt64? = nil) {
            self.stack = stack
            self.addressSpace = addressSpace
            self.data = data
        }
    }

    public static let preserveArgv0: UInt32 = 1

    public init(
        arguments: [[UInt8]], environment: [[UInt8]] = [], execFilename: [UInt8], flags: UInt32 = 0,
        execFD: Int32? = nil, auxiliary: KernelAuxiliaryValues = KernelAuxiliaryValues(), loaderVDSO: UInt64 = 0,
        mmapTopDown: Bool = false,
        execFilenameIsLoader: Bool = true, personality: UInt32 = 0, randomizeVASpace: UInt8 = 2,
        ownBreakMoved: Bool = true, limits: Limits = Limits(),
        maySetExecutableFile: Bool = false
    ) {
        self.arguments = arguments
        self.environment = environment
        self.execFilename = execFilename
        self.flags = flags
        self.execFD = execFD
        self.auxiliary = auxiliary
        self.loaderVDSO = loaderVDSO
        self.mmapTopDown = mmapTopDown
        self.execFilenameIsLoader = execFilenameIsLoader
        self.personality = personality
        self.randomizeVASpace = randomizeVASpace
        self.ownBreakMoved = ownBreakMoved
        self.limits = limits
        self.maySetExecutableFile = maySetExecutableFile
    }

    /// Whether the layout is randomized: the kernel's PF_RANDOMIZE (not
    /// under `setarch -R`, ADDR_NO_RANDOMIZE, nor with randomize_va_space 0).
    public var randomizesLayout: Bool { personality & I386.addressNoRandomize == 0 && randomizeVASpace > 0 }

    /// Whether brk is randomized too and moved off the image
    /// (randomize_va_space 2, load_elf_binary's brk step).
    public var randomizesBreak: Bool { randomizesLayout && randomizeVASpace > 1 }

    /// Whether the kernel would start a static PIE's brk at ELF_ET_DYN_BASE:
    /// always when it randomizes brk; otherwise as it did for this loader.
    public var movesStaticPIEBreak: Bool { randomizesBreak || ownBreakMoved }

    /// This process's start, from the stack pointer the kernel started it
    /// with: argc, argv[], NULL, envp[], NULL, then the auxiliary vector.
    public static func current() throws(ExecError) -> ProcessStart {
        guard let stack = process_initial_stack else { fatalError("elf32-exec did not enter at process_entry") }
        let argc = Int(stack[0])
        let argv = UnsafeRawPointer(stack + 1).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
        let arguments = (0..<argc).map { bytes(of: argv[$0]!) }
        var environment: [[UInt8]] = []
        var cursor = argv + argc + 1
        while let variable = cursor.pointee {
            environment.append(bytes(of: variable))
            cursor += 1
        }
        let vector = UnsafeRawPointer(cursor + 1).assumingMemoryBound(to: UInt.self)
        let entries = AuxiliaryEntries(vector)
        let execFilename = entries.execFilename.map { bytes(of: $0) } ?? []
        let imageEnd = UInt64(process_image_end()), programBreak = UInt64(process_current_break())
        // The execve path is the first string the kernel copied, at the very
        // top of the stack, below one null pointer (__bprm_mm_init).
        let stackEnd = entries.execFilename.map { UInt64(UInt(bitPattern: $0)) + UInt64(execFilename.count) + 1 + 8 }
        return ProcessStart(
            arguments: arguments, environment: environment, execFilename: execFilename,
            flags: entries.flags, execFD: entries.execFD, auxiliary: entries.kernel, loaderVDSO: entries.vdso,
            mmapTopDown: entries.vdso != 0 && entries.vdso < UInt64(process_image_start()),
            execFilenameIsLoader: execFilenameNamesLoader(
                arguments: arguments, execFilename: execFilename, flags: entries.flags, execFD: entries.execFD,
                isThisExecutable: namesThisExecutable),
            personality: ProcessControl.currentPersonality(),
            randomizeVASpace: randomization(stackEnd: stackEnd, imageEnd: imageEnd, programBreak: programBreak),
            ownBreakMoved: programBreak != I386.pageUp(imageEnd),
            limits: Limits(
                stack: try ResourceLimits.soft(RLIMIT_STACK), addressSpace: try ResourceLimits.soft(RLIMIT_AS),
                data: try ResourceLimits.soft(RLIMIT_DATA)),
            maySetExecutableFile: ProcessControl.hasEffectiveCapability(I386.capabilityCheckpointRestore)
                || ProcessControl.hasEffectiveCapability(I386.capabilitySystemAdministration))
    }

    /// Where the kernel puts a static PIE's stack and brk without
    /// randomization (load_elf_binary): the stack ends at STACK_TOP, the
    /// 47-bit window; brk starts at the 64-bit ELF_ET_DYN_BASE (2/3 of that,
    /// page-aligned up) on kernels that move a static PIE's brk, else right
    /// after the image.
    static let unrandomizedStackEnd: UInt64 = 0x7fff_ffff_f000
    static let unrandomizedMovedBreak: UInt64 = 0x5555_5555_5000

    /// randomize_va_space as the kernel applied it to this loader's own exec,
    /// read from its layout (`stackEnd`: nil if unknown): the same exec state
    /// a native exec of the program would see, with no /proc/sys read (three
    /// calls, 7 µs). A random offset of zero reads as "not randomized": for
    /// brk one exec in 2^18 (1 GiB of pages), for the stack one in 2^22; the
    /// program then gets the unrandomized place, which randomization itself
    /// also picks.
    static func randomization(stackEnd: UInt64?, imageEnd: UInt64, programBreak: UInt64) -> UInt8 {
        guard stackEnd != unrandomizedStackEnd else { return 0 }
        return programBreak == unrandomizedMovedBreak || programBreak == I386.pageUp(imageEnd) ? 1 : 2
    }

    /// `execFilenameIsLoader`, with `isThisExecutable` asked only when the
    /// start itself does not tell.
    static func execFilenameNamesLoader(
        arguments: [[UInt8]], execFilename: [UInt8], flags: UInt32, execFD: Int32?,
        isThisExecutable: ([UInt8]) -> Bool
    ) -> Bool {
        if flags & preserveArgv0 != 0 || execFD != nil { return false }
        if !arguments.dropFirst().contains(execFilename) { return true }
        return isThisExecutable(execFilename)
    }

    /// Whether `path` is the file this process executes (/proc/self/exe).
    private static func namesThisExecutable(_ path: [UInt8]) -> Bool {
        guard let named = try? FileSystem.status(path), let this = try? FileSystem.status(Array("/proc/self/exe".utf8)) else {
            return false
        }
        return named.st_dev == this.st_dev && named.st_ino == this.st_ino
    }
}

/// The auxiliary vector the kernel gave this process, walked once.
private struct AuxiliaryEntries {
    var kernel = KernelAuxiliaryValues()
    var flags: UInt32 = 0
    var execFD: Int32?
    var execFilename: UnsafePointer<CChar>?
    var vdso: UInt64 = 0

    init(_ vector: UnsafePointer<UInt>) {
        var entry = vector
        while entry[0] != 0 {
            let value = entry[1]
            if let type = AuxiliaryType(rawValue: UInt32(truncatingIfNeeded: entry[0])) {
                switch type {
                case .flags: flags = UInt32(truncatingIfNeeded: value)
                case .execFD: execFD = Int32(truncatingIfNeeded: value)
                case .execFilename: execFilename = UnsafePointer(bitPattern: value)
                case .sysinfoELFHeader: vdso = UInt64(value)
                default: kernel.set(type, UInt32(truncatingIfNeeded: value))
                }
            }
            entry += 2
        }
    }
}
