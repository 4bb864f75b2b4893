// Re-exec records (Sources/ELFLoader/ReexecRecord.swift) do not pile up: an
// unprivileged start removes the records of processes that have ended, at
// most once a minute.

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
}
