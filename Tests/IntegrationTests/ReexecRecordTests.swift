// Re-exec records (Sources/ELFLoader/ReexecRecord.swift) do not pile up: an
// unprivileged start removes the records of processes that have ended, at
// most once a minute. And no one else can break them: a name taken by
// another user or a symlink, or a user namespace sharing /dev/shm.

import Foundation
import XCTest

final class ReexecRecordTests: XCTestCase {
    func testRecordsOfEndedProcessesAreSweptOnceAMinute() throws {
        let copies = try UnprivilegedCopies(of: try Harness.program("exit_status"))
        defer { copies.remove() }
        let files = FileManager.default
        let unprivileged = UnprivilegedCopies.uid
        let records = "/dev/shm/elf32-exec-\(unprivileged)"
        if !files.fileExists(atPath: records) {
            XCTAssertEqual(mkdir(records, 0o700), 0)
            XCTAssertEqual(chown(records, unprivileged, gid_t(unprivileged)), 0)
        }
        let stamp = records + "/.swept"
        try? files.removeItem(atPath: stamp)

        func staleRecord() throws -> String {
            let ended = Process()
            ended.executableURL = URL(fileURLWithPath: "/bin/true")
            try ended.run()
            ended.waitUntilExit()
            let path = records + "/\(ended.processIdentifier)"
            XCTAssertTrue(files.createFile(atPath: path, contents: Data("0\0/gone\0\0vdso\0".utf8)))
            XCTAssertEqual(chown(path, unprivileged, gid_t(unprivileged)), 0)
            return path
        }
        func runUnprivileged() throws {
            let result = try copies.run([copies.loader.path, copies.program.path])
            XCTAssertEqual(result.ending, .exited(0), "\(result)")
        }

        let first = try staleRecord()
        try runUnprivileged()
        XCTAssertFalse(files.fileExists(atPath: first), "the record of an ended process was not swept")
        XCTAssertTrue(files.fileExists(atPath: stamp), "no sweep stamp")

        let second = try staleRecord()
        try runUnprivileged()
        XCTAssertTrue(files.fileExists(atPath: second), "swept again within the minute")
        try? files.removeItem(atPath: second)
    }

    /// The busybox-style re-exec as uid 65534 stays native while another user
    /// holds /dev/shm/elf32-exec-65534: root's 0755 directory, or a symlink to
    /// another user's private directory.
    func testSquattedRecordDirectory() throws {
        let copies = try UnprivilegedCopies(of: try Harness.program("reexec"))
        defer { copies.remove() }
        let files = FileManager.default
        let name = "/dev/shm/elf32-exec-\(UnprivilegedCopies.uid)"
        let other = "/dev/shm/elf32-exec-test-other-user"
        func clear() {
            for entry in (try? files.contentsOfDirectory(atPath: "/dev/shm")) ?? [] where entry.hasPrefix("elf32-exec-\(UnprivilegedCopies.uid)") {
                try? files.removeItem(atPath: "/dev/shm/" + entry)
            }
            try? files.removeItem(atPath: other)
        }
        clear()
        defer { clear() }
        let native = try copies.run([copies.program.path])
        XCTAssertEqual(native.ending, .exited(0), native.description)

        XCTAssertEqual(mkdir(name, 0o755), 0)  // root's
        XCTAssertEqual(chmod(name, 0o755), 0)
        XCTAssertEqual(try copies.run([copies.loader.path, copies.program.path]), native, "directory held by root")
        clear()

        XCTAssertEqual(mkdir(other, 0o700), 0)
        XCTAssertEqual(chown(other, UnprivilegedCopies.uid - 1, gid_t(UnprivilegedCopies.uid - 1)), 0)
        XCTAssertEqual(symlink(other, name), 0)
        XCTAssertEqual(try copies.run([copies.loader.path, copies.program.path]), native, "symlink to another user's directory")
        XCTAssertEqual(try files.contentsOfDirectory(atPath: other), [], "a record went through the symlink")
    }

    /// Another uid in a user namespace of its own sees itself as 65534 (the
    /// overflow uid), the same name as the real uid 65534's directory.
    func testUserNamespaceSharingDevShm() throws {
        let copies = try UnprivilegedCopies(of: try Harness.program("reexec"))
        defer { copies.remove() }
        // The real 65534's directory, holding a record.
        let theirs = "/dev/shm/elf32-exec-\(UnprivilegedCopies.uid)"
        XCTAssertEqual(try copies.run([copies.loader.path, copies.program.path]).ending, .exited(0))
        XCTAssertTrue(FileManager.default.fileExists(atPath: theirs))
        let setpriv = UnprivilegedCopies.setpriv.path
        let uid = UnprivilegedCopies.uid - 1
        let asOtherUser = [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", "unshare", "--user", "--"]
        let native = try Harness.run(URL(fileURLWithPath: setpriv), Array(asOtherUser.dropFirst()) + [copies.program.path])
        guard native.ending == .exited(0) else { throw XCTSkip("no unprivileged user namespace here: \(native)") }
        let loaded = try Harness.run(URL(fileURLWithPath: setpriv), Array(asOtherUser.dropFirst()) + [copies.loader.path, copies.program.path])
        XCTAssertEqual(loaded, native, "in a user namespace as uid \(uid)")
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? [] where entry.hasPrefix("elf32-exec-\(UnprivilegedCopies.uid).") {
            try? FileManager.default.removeItem(atPath: "/dev/shm/" + entry)
        }
    }
}
