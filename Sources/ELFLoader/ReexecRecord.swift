// Re-executing /proc/self/exe without privilege. Where the kernel refuses to
// point /proc/self/exe at the program (that needs CAP_CHECKPOINT_RESTORE or
// CAP_SYS_ADMIN), a program that re-executes itself through it starts
// elf32-exec again, with its own argv. So that elf32-exec can tell which
// program that was, it leaves a record before the handoff: one small file per
// process, named by its pid and checked against the process's start time and
// pid namespace (all three survive execve), holding
// "STARTTIME\0PIDNS\0PROGRAM\0SYSROOT\0FLAGS\0".
//
// The records live in a directory of /dev/shm that only their user can use:
// /dev/shm/elf32-exec-UID, or, if another user (or a symlink) holds that name,
// the first of elf32-exec-UID.1, .2, ... that is a real directory owned by the
// user with mode 0700. Directories are opened without following symlinks and
// checked on the open descriptor, so nothing can redirect a record. A user
// namespace sharing /dev/shm sees another namespace's directory owned by a
// foreign uid, and moves on to the next name.
//
// A re-exec usually happens in a forked child (a pipeline's applet), which
// has no record of its own: the lookup then walks up its ancestors, whose
// memory (and /proc/self/exe) it was copied from. Records of processes that
// have ended are swept away, at most once a minute (a stamp file's time).

import LinuxCalls

public struct ReexecRecord: Equatable, Sendable {
    /// The program's absolute path.
    public var program: [UInt8]
    public var sysroot: [UInt8]?
    public var useVDSO: Bool

    public init(program: [UInt8], sysroot: [UInt8]?, useVDSO: Bool) {
        self.program = program
        self.sysroot = sysroot
        self.useVDSO = useVDSO
    }

    /// The paths a program re-executes itself through.
    /// getpid only for a /proc/PID/exe path: one system call fewer on every
    /// other exec.
    public static func isSelfExecutable(_ path: [UInt8]) -> Bool {
        if path == Array("/proc/self/exe".utf8) || path == Array("/proc/thread-self/exe".utf8) { return true }
        let prefix = Array("/proc/".utf8), suffix = Array("/exe".utf8)
        guard path.count > prefix.count + suffix.count, path.starts(with: prefix), path.suffix(suffix.count).elementsEqual(suffix)
        else { return false }
        return path[prefix.count..<path.count - suffix.count].elementsEqual(Array("\(getpid())".utf8))
    }

    /// Leaves the record for this process, of user `uid`.
    func write(uid: UInt32) throws(ExecError) {
        let directory = try RecordDirectory.open(uid: uid, creating: true)
        defer { directory.descriptor.close() }
        let identity = try ProcessIdentity.of(Array("self".utf8))
        let name = Array("\(getpid())".utf8)
        let temporary = name + Array(".new".utf8)
        let file = try directory.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        do throws(ExecError) {
            try file.writeAll(encoded(identity))
            file.close()
        } catch {
            file.close()
            throw error
        }
        try directory.rename(temporary, to: name)
        directory.sweepIfDue(justWritten: name)
    }

    /// The record this process, or the nearest ancestor it was forked from,
    /// left before the re-exec, if any.
    public static func lookup(uid: UInt32) -> ReexecRecord? {
        guard let directory = try? RecordDirectory.open(uid: uid, creating: false) else { return nil }
        defer { directory.descriptor.close() }
        var process = Array("self".utf8)
        for _ in 0..<maximumAncestors {
            guard let identity = try? ProcessIdentity.of(process) else { return nil }
            if let bytes = try? directory.read(Array("\(identity.pid)".utf8)), let record = decode(bytes, identity: identity) {
                return record
            }
            guard identity.parent > 1 else { return nil }
            process = Array("\(identity.parent)".utf8)
        }
        return nil
    }

    /// How far up a lookup goes: a pipeline forks once or twice.
    static let maximumAncestors = 8

    func encoded(_ identity: ProcessIdentity) -> [UInt8] {
        let fields: [[UInt8]] = [
            identity.startTime, identity.pidNamespace, program, sysroot ?? [],
            Array((useVDSO ? "vdso" : "no-vdso").utf8),
        ]
        return fields.flatMap { $0 + [0] }
    }

    static func decode(_ bytes: [UInt8], identity: ProcessIdentity) -> ReexecRecord? {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].elementsEqual(identity.startTime),
            fields[1].elementsEqual(identity.pidNamespace), !fields[2].isEmpty
        else { return nil }
        return ReexecRecord(
            program: Array(fields[2]), sysroot: fields[3].isEmpty ? nil : Array(fields[3]),
            useVDSO: fields[4].elementsEqual(Array("vdso".utf8)))
    }
}

/// What identifies a process across execve: its pid, parent, start time (in
/// clock ticks since boot) and pid namespace.
struct ProcessIdentity: Equatable {
    var pid: Int32
    var parent: Int32
    var startTime: [UInt8]
    var pidNamespace: [UInt8]

    /// From /proc/PROCESS/stat (fields 1, 4 and 22) and /proc/PROCESS/ns/pid.
    static func of(_ process: [UInt8]) throws(ExecError) -> ProcessIdentity {
        let proc = Array("/proc/".utf8) + process
        let stat = try SmallFile.readLine(proc + Array("/stat".utf8), limit: 1024)
        let invalid = ExecError.system(SystemCallError("read /proc/PID/stat", errno: EINVAL))
        // The command name in parentheses may hold spaces: count fields after the last ')'.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { throw invalid }
        let pidField = stat.prefix { $0 != UInt8(ascii: " ") }
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19, let pid = decimal(pidField), let parent = decimal(fields[1]) else { throw invalid }
        let namespace = try FileSystem.readLink(proc + Array("/ns/pid".utf8))
        return ProcessIdentity(pid: pid, parent: parent, startTime: Array(fields[19]), pidNamespace: namespace)
    }

    static func decimal(_ digits: ArraySlice<UInt8>) -> Int32? {
        guard !digits.isEmpty, digits.count < 10 else { return nil }
        var value: Int32 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int32(digit - UInt8(ascii: "0"))
        }
        return value
    }
}

/// The user's private directory of records, open.
struct RecordDirectory {
    let descriptor: FileDescriptor

    /// How many names are tried after /dev/shm/elf32-exec-UID is taken.
    static let alternatives = 16
    static let parent = Array("/dev/shm/".utf8)

    /// The first candidate name that is, or (when `creating`) can be made,
    /// a directory of `uid`'s own with mode 0700.
    static func open(uid: UInt32, creating: Bool) throws(ExecError) -> RecordDirectory {
        for index in 0...alternatives {
            let path = parent + Array("elf32-exec-\(uid)".utf8) + (index == 0 ? [] : Array(".\(index)".utf8))
            if creating { try? FileSystem.makeDirectory(path, mode: 0o700) }
            guard let descriptor = try? FileDescriptor.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
            if let status = try? descriptor.status(), status.st_uid == uid, status.st_mode & 0o7777 == 0o700 && status.st_mode & UInt32(S_IFMT) == UInt32(S_IFDIR) {
                return RecordDirectory(descriptor: descriptor)
            }
            descriptor.close()
        }
        throw .system(SystemCallError("open the re-exec record directory in /dev/shm", errno: EACCES))
    }

    func open(_ name: [UInt8], _ flags: Int32, mode: UInt32 = 0) throws(ExecError) -> FileDescriptor {
        let result = withCString(name) { linux_openat(descriptor.rawValue, $0, flags | O_NOFOLLOW | O_CLOEXEC, mode) }
        return FileDescriptor(rawValue: try checked(result, "openat"))
    }

    func read(_ name: [UInt8]) throws(ExecError) -> [UInt8] {
        let file = try open(name, O_RDONLY)
        defer { file.close() }
        return try file.readToEnd(limit: 8192, until: { _ in false })
    }

    func rename(_ from: [UInt8], to: [UInt8]) throws(ExecError) {
        let result = withCString(from) { source in
            withCString(to) { renameat(descriptor.rawValue, source, descriptor.rawValue, $0) }
        }
        _ = try checked(result, "renameat")
    }

    /// How often the records of ended processes are removed: each exec
    /// without privilege leaves a file (a page of tmpfs) until then.
    static let sweepInterval = 60

    /// Removes the records whose process no longer exists, unless that was
    /// done less than `sweepInterval` ago. Best effort: a record left behind
    /// is harmless, as a lookup checks the process's identity. The time now
    /// is the modification time of the record just written: the loader's
    /// 64-bit vDSO, and with it libc's clock, is gone by then.
    func sweepIfDue(justWritten record: [UInt8]) {
        let stamp = Array(".swept".utf8)
        var now = stat(), swept = stat()
        guard withCString(record, { fstatat(descriptor.rawValue, $0, &now, AT_SYMLINK_NOFOLLOW) }) == 0 else { return }
        if withCString(stamp, { fstatat(descriptor.rawValue, $0, &swept, AT_SYMLINK_NOFOLLOW) }) == 0
            && now.st_mtim.tv_sec - swept.st_mtim.tv_sec < Self.sweepInterval { return }
        guard let touched = try? open(stamp, O_WRONLY | O_CREAT, mode: 0o600) else { return }
        _ = futimens(touched.rawValue, nil)
        touched.close()

        guard let listing = try? FileSystem.names(in: Array("/proc/self/fd/\(descriptor.rawValue)".utf8)) else { return }
        for name in listing {
            guard let pid = ProcessIdentity.decimal(name[...]), pid > 0, !ProcessControl.exists(pid) else { continue }
            _ = withCString(name) { unlinkat(descriptor.rawValue, $0, 0) }
        }
    }
}
