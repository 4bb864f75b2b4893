// Opening the program: the checks execve makes before it reads a byte.

import ModeSwitch
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

struct ProgramFile {
    let descriptor: FileDescriptor
    let size: UInt64

    /// Opens `path` for loading, refusing what execve would refuse: a missing
    /// file, something other than a regular file, no execute permission, a
    /// file system mounted noexec.
    static func open(_ path: [UInt8]) throws -> ProgramFile {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        var status = try FileStatus.of(path: cPath)
        try checkRegular(status)
        guard faccessat(AT_FDCWD, cPath, X_OK, AT_EACCESS) == 0 else { throw Errno(rawValue: errno) }
        // O_NONBLOCK: should the file turn into a FIFO meanwhile, open must not hang.
        let descriptor = try cPath.withUnsafeBufferPointer {
            try FileDescriptor.open(
                FilePath(platformString: $0.baseAddress!), .readOnly, options: [.closeOnExec, .nonBlocking])
        }
        do {
            status = try FileStatus.of(descriptor)
            try checkRegular(status)
            if try FileStatus.isOnNoExecMount(descriptor) { throw ProgramFileError.noExecMount }
        } catch {
            try? descriptor.close()
            throw error
        }
        return ProgramFile(descriptor: descriptor, size: UInt64(status.st_size))
    }

    /// Takes over a descriptor the kernel opened (binfmt_misc's AT_EXECFD):
    /// the kernel already checked what execve checks.
    static func adopt(_ descriptor: FileDescriptor) throws -> ProgramFile {
        let status = try FileStatus.of(descriptor)
        try checkRegular(status)
        return ProgramFile(descriptor: descriptor, size: UInt64(status.st_size))
    }

    /// The file's absolute path, as the kernel knows it.
    func absolutePath() throws -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = try valueOrErrno(readlink("/proc/self/fd/\(descriptor.rawValue)", &buffer, buffer.count))
        return buffer.prefix(count).map { UInt8(bitPattern: $0) }
    }

    /// Reads and checks the ELF image; closes the file if it is no good.
    func readImage() throws -> ELFImage {
        do {
            let image = try ELFFile.read(descriptor: descriptor, fileSize: size)
            try image.validate()
            return image
        } catch {
            try? descriptor.close()
            throw error
        }
    }

    /// The interpreter path the PT_INTERP `header` holds.
    func interpreterPath(at header: ProgramHeader) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(header.fileSize))
        let count = try bytes.withUnsafeMutableBytes {
            try descriptor.read(fromAbsoluteOffset: Int64(header.offset), into: $0)
        }
        return try ELFImage.interpreterPath(fromSegment: Array(bytes.prefix(count)))
    }

    /// Whether `path` names something that exists.
    static func exists(_ path: [UInt8]) -> Bool {
        (try? FileStatus.of(path: path.map { CChar(bitPattern: $0) } + [0])) != nil
    }

    private static func checkRegular(_ status: stat) throws {
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw Errno.isDirectory
        default: throw ProgramFileError.notRegular
        }
    }
}

enum ProgramFileError: Error, CustomStringConvertible {
    case notRegular
    case noExecMount

    var description: String {
        switch self {
        case .notRegular: return "not a regular file"
        case .noExecMount: return "Permission denied (file system mounted noexec)"
        }
    }
}

enum FileStatus {
    /// The corresponding C function is `stat`.
    static func of(path: [CChar]) throws -> stat {
        var status = stat()
        _ = try valueOrErrno(stat(path, &status))
        return status
    }

    /// The corresponding C function is `fstat`.
    static func of(_ descriptor: FileDescriptor) throws -> stat {
        var status = stat()
        _ = try valueOrErrno(fstat(descriptor.rawValue, &status))
        return status
    }

    /// The corresponding C function is `fstatvfs`.
    static func isOnNoExecMount(_ descriptor: FileDescriptor) throws -> Bool {
        var status = statvfs()
        _ = try valueOrErrno(fstatvfs(descriptor.rawValue, &status))
        let noExec: UInt = 8  // ST_NOEXEC, hidden from Swift behind __USE_GNU
        return status.f_flag & noExec != 0
    }
}
