// Opening the program: the checks execve makes before it reads a byte.

import LinuxCalls

struct ProgramFile {
    let descriptor: FileDescriptor
    let size: UInt64
    /// The file's first bytes, up to ELFFile.headSize: the header, the
    /// program headers and usually PT_INTERP, read in one call (and lent to
    /// libelf, whence `var`).
    private(set) var head: [UInt8]

    private init(descriptor: FileDescriptor, status: stat) throws(ExecError) {
        self.descriptor = descriptor
        size = UInt64(status.st_size)
        head = try descriptor.read(count: Int(min(size, ELFFile.headSize)), at: 0)
    }

    /// Opens `path` for loading, refusing what execve would refuse: a missing
    /// file, something other than a regular file, no execute permission, a
    /// file system mounted noexec.
    static func open(_ path: [UInt8]) throws(ExecError) -> ProgramFile {
        let descriptor: FileDescriptor
        do throws(ExecError) {
            try checkRegular(try FileSystem.status(path))
            try FileSystem.checkExecutable(path)
            // O_NONBLOCK: should the file turn into a FIFO meanwhile, open must not hang.
            descriptor = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
        } catch .system(let error) {
            throw .cannotOpen(error)
        }
        do throws(ExecError) {
            let status = try descriptor.status()
            try checkRegular(status)
            if try descriptor.fileSystemFlags() & 8 != 0 { throw ExecError.noExecMount }  // ST_NOEXEC
            return try ProgramFile(descriptor: descriptor, status: status)
        } catch {
            descriptor.close()
            throw error
        }
    }

    /// Takes over a descriptor the kernel opened (binfmt_misc's AT_EXECFD):
    /// the kernel already checked what execve checks.
    static func adopt(_ descriptor: FileDescriptor) throws(ExecError) -> ProgramFile {
        let status = try descriptor.status()
        try checkRegular(status)
        return try ProgramFile(descriptor: descriptor, status: status)
    }

    /// The file's absolute path, as the kernel knows it.
    func absolutePath() throws(ExecError) -> [UInt8] {
        try FileSystem.readLink(Array("/proc/self/fd/\(descriptor.rawValue)".utf8))
    }

    /// Reads and checks the ELF image; closes the file if it is no good.
    mutating func readImage() throws(ExecError) -> ELFImage {
        do throws(ExecError) {
            let image = try ELFFile.read(descriptor: descriptor, fileSize: size, head: &head)
            try image.validate()
            return image
        } catch {
            descriptor.close()
            throw error
        }
    }

    /// The interpreter path the PT_INTERP `header` holds.
    func interpreterPath(at header: ProgramHeader) throws(ExecError) -> [UInt8] {
        let start = Int(header.offset), end = Int(header.offset) + Int(header.fileSize)
        let bytes = end <= head.count ? Array(head[start..<end]) : try descriptor.read(count: Int(header.fileSize), at: UInt64(header.offset))
        return try ELFImage.interpreterPath(fromSegment: bytes)
    }

    /// Whether `path` names something that exists.
    static func exists(_ path: [UInt8]) -> Bool {
        (try? FileSystem.status(path)) != nil
    }

    private static func checkRegular(_ status: stat) throws(ExecError) {
        switch status.st_mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): return
        case UInt32(S_IFDIR): throw .isDirectory
        default: throw .notRegularFile
        }
    }
}
