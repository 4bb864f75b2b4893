// Re-exec records (Sources/ELFLoader/ReexecRecord.swift) do not pile up: an
// unprivileged start removes the records of processes that have ended, at
// most once a minute.

import Foundation
import XCTest

final class ReexecRecordTests: XCTestCase {
    func testRecordsOfEndedProcessesAreSweptOnceAMinute() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to drop to uid 65534 with setpriv; running as uid \(getuid())")
        }
        let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
        guard FileManager.default.isExecutableFile(atPath: setpriv.path) else {
            throw XCTSkip("/usr/bin/setpriv is missing (Debian: util-linux)")
        }
        let files = FileManager.default
        let unprivileged: uid_t = 65534
        let records = "/dev/shm/elf32-exec-\(unprivileged)"
        if !files.fileExists(atPath: records) {
            XCTAssertEqual(mkdir(records, 0o700), 0)
            XCTAssertEqual(chown(records, unprivileged, gid_t(unprivileged)), 0)
        }
        let stamp = records + "/.swept"
        try? files.removeItem(atPath: stamp)

        // uid 65534 must be able to read and execute both binaries.
        let directory = files.temporaryDirectory.appendingPathComponent("elf32-exec-sweep-\(UUID().uuidString)")
        try files.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? files.removeItem(at: directory) }
        let programCopy = directory.appendingPathComponent("exit_status")
        let loaderCopy = directory.appendingPathComponent("elf32-exec")
        try files.copyItem(at: try Harness.program("exit_status"), to: programCopy)
        try files.copyItem(at: Harness.loader, to: loaderCopy)
        for copy in [programCopy, loaderCopy] {
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        }

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
            let result = try Harness.run(
                setpriv, ["--reuid=\(unprivileged)", "--regid=\(unprivileged)", "--clear-groups", "--", loaderCopy.path, programCopy.path])
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
}
