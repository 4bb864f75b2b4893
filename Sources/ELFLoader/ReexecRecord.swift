// Re-executing /proc/self/exe without privilege. Where the kernel refuses to
// point /proc/self/exe at the program (that needs CAP_CHECKPOINT_RESTORE or
// CAP_SYS_ADMIN), a program that re-executes itself through it starts
// elf32-exec again, with its own argv. So that elf32-exec can tell which
// program that was, it leaves a record before the handoff: one small file per
// process, named by its pid and checked against the process start time (both
// survive execve), in a directory only its user can write:
// /dev/shm/elf32-exec-UID/PID, holding "STARTTIME\0PROGRAM\0SYSROOT\0FLAGS\0".
// A re-exec usually happens in a forked child (a pipeline's applet), which
// has no record of its own: the lookup then walks up its ancestors, whose
// memory (and /proc/self/exe) it was copied from. Records of processes that
// have ended are swept away, at most once a minute (a stamp file's time).

import ModeSwitch
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

public struct ReexecRecord: Equatable, Sendable {
    /// The program's absolute path.
    public var program: [UInt8]
    public var sysroot: [UInt8]?
    public var useVDSO: Bool

    static let capabilitySystemAdministration: Int32 = 21
    static let capabilityCheckpointRestore: Int32 = 40

    /// Whether the kernel will let the handoff set /proc/self/exe.
    static func canSetExecutableFile() -> Bool {
        kernel_has_effective_capability(capabilityCheckpointRestore) != 0
            || kernel_has_effective_capability(capabilitySystemAdministration) != 0
    }

    /// The paths a program re-executes itself through.
    public static func isSelfExecutable(_ path: [UInt8]) -> Bool {
        let text = String(decoding: path, as: UTF8.self)
        return text == "/proc/self/exe" || text == "/proc/thread-self/exe" || text == "/proc/\(getpid())/exe"
    }

    /// Leaves the record for this process.
    func write() throws {
        let directory = try Self.directory(creating: true)
        let path = directory + "/\(getpid())"
        let temporary = path + ".new"
        let file = try FileDescriptor.open(
            FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow],
            permissions: [.ownerRead, .ownerWrite])
        try file.closeAfter { _ = try file.writeAll(encoded(startTime: try Self.status(of: "self").startTime)) }
        _ = try valueOrErrno(rename(temporary, path))
        Self.sweepIfDue(directory, justWritten: path)
    }

    /// How often the records of ended processes are removed: each exec
    /// without privilege leaves a file (a page of tmpfs) until then.
    static let sweepInterval: time_t = 60

    /// Removes the records whose process no longer exists, unless that was
    /// done less than `sweepInterval` ago. Best effort: a record left behind
    /// is harmless, as a lookup checks the process's start time. The time now
    /// is the modification time of the record just written: the loader's
    /// 64-bit vDSO, and with it libc's clock, is gone by then.
    private static func sweepIfDue(_ directory: String, justWritten record: String) {
        let stamp = directory + "/.swept"
        var now = stat(), swept = stat()
        guard lstat(record, &now) == 0 else { return }
        if lstat(stamp, &swept) == 0 && now.st_mtim.tv_sec - swept.st_mtim.tv_sec < sweepInterval { return }
        guard let touched = try? FileDescriptor.open(
            FilePath(stamp), .writeOnly, options: [.create, .closeOnExec, .noFollow],
            permissions: [.ownerRead, .ownerWrite])
        else { return }
        _ = futimens(touched.rawValue, nil)
        try? touched.close()

        guard let listing = opendir(directory) else { return }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), pid > 0, kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(directory + "/" + name)
        }
    }

    /// The record this process, or the nearest ancestor it was forked from,
    /// left before the re-exec, if any.
    public static func lookup() -> ReexecRecord? {
        guard let directory = try? directory(creating: false) else { return nil }
        var process = "self"
        for _ in 0..<maximumAncestors {
            guard let status = try? status(of: process) else { return nil }
            if let record = read(directory + "/\(status.pid)", startTime: status.startTime) { return record }
            guard status.parent > 1 else { return nil }
            process = "\(status.parent)"
        }
        return nil
    }

    /// How far up a lookup goes: a pipeline forks once or twice.
    static let maximumAncestors = 8

    private static func read(_ path: String, startTime: String) -> ReexecRecord? {
        guard let file = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .noFollow]) else { return nil }
        defer { try? file.close() }
        var bytes = [UInt8](repeating: 0, count: 8192)
        guard let count = try? bytes.withUnsafeMutableBytes({ try file.read(into: $0) }) else { return nil }
        return decode(Array(bytes.prefix(count)), startTime: startTime)
    }

    func encoded(startTime: String) -> [UInt8] {
        [Array(startTime.utf8), program, sysroot ?? [], Array((useVDSO ? "vdso" : "no-vdso").utf8)]
            .flatMap { $0 + [0] }
    }

    static func decode(_ bytes: [UInt8], startTime: String) -> ReexecRecord? {
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        guard fields.count == 5, fields[0] == Array(startTime.utf8), !fields[1].isEmpty else { return nil }
        return ReexecRecord(
            program: fields[1], sysroot: fields[2].isEmpty ? nil : fields[2],
            useVDSO: fields[3] == Array("vdso".utf8))
    }

    /// /dev/shm/elf32-exec-UID, which must be this user's own and private.
    private static func directory(creating: Bool) throws -> String {
        let path = "/dev/shm/elf32-exec-\(getuid())"
        if creating && mkdir(path, 0o700) != 0 && errno != EEXIST { throw Errno(rawValue: errno) }
        var status = stat()
        _ = try valueOrErrno(lstat(path, &status))
        guard status.st_mode & S_IFMT == S_IFDIR, status.st_uid == getuid(), status.st_mode & 0o077 == 0 else {
            throw Errno.permissionDenied
        }
        return path
    }

    /// From /proc/PROCESS/stat: the pid (field 1), the parent (4) and when
    /// the process started, in clock ticks (22).
    private static func status(of process: String) throws -> (pid: Int32, parent: Int32, startTime: String) {
        let file = try FileDescriptor.open(FilePath("/proc/\(process)/stat"), .readOnly, options: .closeOnExec)
        defer { try? file.close() }
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0) }
        // The command name in parentheses may hold spaces: count fields after the last ')'.
        guard let close = bytes.prefix(count).lastIndex(of: UInt8(ascii: ")")) else { throw Errno.invalidArgument }
        let fields = bytes[(close + 1)..<count].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let pid = bytes.prefix(count).split(separator: UInt8(ascii: " ")).first.flatMap { Int32(String(decoding: $0, as: UTF8.self)) }
        guard fields.count > 19, let pid, let parent = Int32(fields[1]) else { throw Errno.invalidArgument }
        return (pid, parent, fields[19])
    }
}
