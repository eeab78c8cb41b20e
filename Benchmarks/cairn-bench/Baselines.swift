import CairnCore
import Foundation
import GRDB

/// The physical limits, measured in the same run: Ed25519 verifies (the same `VerifierKey` code
/// that checks notices), SHA-256, and SQLite inserts with FULL sync.
struct Baselines {
    var verifyOneCore: Double
    var verifyAllCores: Double

    static func measure(plan: Plan, work: String, report: inout Report) throws -> Baselines {
        FileHandle.standardError.write(Data("baselines\n".utf8))
        let (one, all) = try verifyRates(seconds: plan.seconds)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        report.add("Ed25519 verify, 1 core", one, "verifies/s")
        report.add("Ed25519 verify, all \(cores) cores", all, "verifies/s", baseline: "1 core", ratio: all / one)
        report.add("signature limit, 2 signatures per notice", all / 2, "notices/s", baseline: "all-core verifies / 2")
        let block = [UInt8](repeating: 7, count: 64)
        report.add("SHA-256 of 64 bytes", rate(seconds: plan.seconds) { _ = Hash.sha256(block) }, "hashes/s")

        // SQLite: inserts of a leaf-sized row in one transaction, WAL with synchronous=FULL.
        let pool = try DatabasePool(path: work + "/baseline.sqlite")
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try pool.write { db in try db.execute(sql: "CREATE TABLE t (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL)") }
        let row = Data(repeating: 0x62, count: 520)
        let n = plan.batch * 10
        let start = now()
        try pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (idx, leaf) VALUES (?, ?)")
            for i in 0..<n { try insert.execute(arguments: [i, row]) }
        }
        report.add("SQLite insert, 520-byte row, one transaction", Double(n) / (now() - start), "rows/s")
        var commits = 0
        let commitStart = now()
        while now() - commitStart < plan.seconds {
            try pool.write { db in try db.execute(sql: "INSERT INTO t (leaf) VALUES (?)", arguments: [row]) }
            commits += 1
        }
        report.add("SQLite commit, FULL sync", (now() - commitStart) / Double(commits) * 1000, "ms/commit")
        return Baselines(verifyOneCore: one, verifyAllCores: all)
    }

    /// Ed25519 verifies per second on one core, then on all cores at once. The ledger bench
    /// measures them again before each size's ingest, so that a size's ratios are read against
    /// the machine as it was then: on this shared machine the rate drifts by several percent in
    /// the minutes a run takes.
    static func verifyRates(seconds: Double) throws -> (one: Double, all: Double) {
        let key = try SigningKey(name: "bench.example", seed: [UInt8](repeating: 42, count: 32))
        let message = [UInt8](repeating: 0x61, count: 400)
        let sig = key.signature(for: message)
        let vkey = key.verifierKey
        let one = rate(seconds: seconds) { precondition(vkey.isValidSignature(sig, for: message)) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let counts = parallelMap(cores) { _ in rate(seconds: seconds) { precondition(vkey.isValidSignature(sig, for: message)) } }
        return (one, counts.reduce(0, +))
    }
}
