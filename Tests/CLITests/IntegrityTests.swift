import CairnCore
import Foundation
import Testing

/// Tampering, crashes, key rotation and consistency: what an auditor relies on.
@Suite(.serialized) struct IntegrityTests {
    /// A consortium with four blocks: deposits (1), two transfers (2), one transfer (3).
    static func chain() throws -> Consortium {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00"), ("bank-b.example/eur", "300.00")])
        for (from, to, amount) in [
            ("bank-a.example/eur", "bank-b.example/eur", "250.25"), ("bank-b.example/eur", "bank-c.example/eur", "10.00"),
        ] {
            _ = try c.submit(try c.sign(try c.transfer(from, to, amount), by: Account.owner(of: from), Account.owner(of: to)))
        }
        _ = try c.seal()
        _ = try c.submit(
            try c.sign(try c.transfer("bank-c.example/eur", "bank-a.example/eur", "1.00"), by: "bank-c.example", "bank-a.example"))
        _ = try c.seal()
        return c
    }

    func sqlite(_ db: String, _ sql: String) throws -> CLIResult {
        try runProcess("/usr/bin/env", ["sqlite3", db, sql])
    }

    struct Tamper: Sendable, CustomTestStringConvertible {
        var what: String
        var sql: String
        var block: Int
        var testDescription: String { what }
    }

    static let tampering: [Tamper] = [
        Tamper(
            what: "a leaf's amount",
            sql:
                "DROP TRIGGER leaves_no_update; UPDATE leaves SET leaf = CAST(replace(CAST(leaf AS TEXT), '250.25', '250.26') AS BLOB) WHERE idx = 2;",
            block: 2),
        Tamper(
            what: "a block header's time",
            sql:
                "DROP TRIGGER blocks_no_update; UPDATE blocks SET header = CAST(replace(CAST(header AS TEXT), '\"time\":\"', '\"time\":\"1') AS BLOB) WHERE height = 1;",
            block: 1),
        Tamper(
            what: "a stored block hash", sql: "DROP TRIGGER blocks_no_update; UPDATE blocks SET hash = zeroblob(32) WHERE height = 3;",
            block: 3),
        Tamper(
            what: "a checkpoint",
            sql:
                "DROP TRIGGER blocks_no_update; UPDATE blocks SET checkpoint = replace(checkpoint, 'test.cairn', 'tost.cairn') WHERE height = 2;",
            block: 2),
        Tamper(what: "a seal", sql: "DROP TRIGGER seals_no_update; UPDATE seals SET sig = zeroblob(64) WHERE height = 2;", block: 2),
        Tamper(
            what: "a subtree hash", sql: "DROP TRIGGER nodes_no_update; UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 1;",
            block: 2),
        // Rows that no block completes are found after the head.
        Tamper(what: "an extra subtree hash", sql: "INSERT INTO nodes (level, idx, hash) VALUES (9, 9, zeroblob(32));", block: 4),
        Tamper(what: "a stored leaf hash", sql: "INSERT INTO nodes (level, idx, hash) VALUES (0, 1, zeroblob(32));", block: 4),
        Tamper(
            what: "a balance",
            sql:
                "DROP TRIGGER balances_no_update; UPDATE balances SET balance = balance + 1 WHERE height = 2 AND account = 'bank-b.example/eur';",
            block: 2),
        // The index rows of this short chain are all in the log's tail (StoreTests tampers with
        // the id index, which takes them when the tail is full).
        Tamper(
            what: "the notice index",
            sql: "DROP TRIGGER notices_log_no_update; UPDATE notices_log SET leaf_idx = 0 WHERE leaf_idx = 3;", block: 2),
        Tamper(what: "a deleted leaf", sql: "DROP TRIGGER leaves_no_delete; DELETE FROM leaves WHERE idx = 4;", block: 3),
        Tamper(
            what: "a deleted index row", sql: "DROP TRIGGER notices_log_no_delete; DELETE FROM notices_log WHERE leaf_idx = 0;", block: 1),
        Tamper(
            what: "an index row moved out of its block's range",
            sql: "DROP TRIGGER notices_log_no_update; UPDATE notices_log SET seq = -1 WHERE leaf_idx = 2;", block: 2),
        Tamper(
            what: "an extra index row outside every block's range",
            sql: "INSERT INTO notices_log SELECT -1, id, status, height, 0, kind, code, message FROM notices_log WHERE leaf_idx = 2;",
            block: 4),
        Tamper(
            what: "an id index entry for a row of the tail",
            sql: "INSERT INTO notices_ids SELECT cast(1 AS INTEGER), seq FROM notices_log WHERE leaf_idx = 2;", block: 3),
        // Columns that drive behaviour: opening a ledger finds key changes by kind, checkpoints
        // and proofs find blocks by log size.
        Tamper(
            what: "a notice's kind, as a key change",
            sql: "DROP TRIGGER notices_log_no_update; UPDATE notices_log SET kind = 'member.update' WHERE leaf_idx = 2;", block: 2),
        Tamper(
            what: "a notice's kind, cleared",
            sql: "DROP TRIGGER notices_log_no_update; UPDATE notices_log SET kind = NULL WHERE leaf_idx = 0;", block: 1),
        Tamper(
            what: "a block's log size", sql: "DROP TRIGGER blocks_no_update; UPDATE blocks SET log_size = 2 WHERE height = 3;", block: 3),
        Tamper(
            what: "a garbage cosignature", sql: "INSERT INTO cosignatures (height, witness, line) VALUES (2, 'auditor-1.example', 'junk');",
            block: 2),
        Tamper(
            what: "a block row above the head",
            sql: "INSERT INTO blocks SELECT 4, randomblob(32), header, log_size, checkpoint FROM blocks WHERE height = 3;", block: 4),
        Tamper(
            what: "a balance at a negative height",
            sql: "INSERT INTO balances (account, height, balance) VALUES ('bank-a.example/eur', -1, 7);", block: 4),
        Tamper(
            what: "an instance at a negative height",
            sql: "INSERT INTO instances (id, height, contract, state) VALUES ('x', -5, 'y', x'00');", block: 4),
    ]

    @Test(arguments: tampering)
    func tamperingIsFound(_ t: Tamper) throws {
        let c = try Self.chain()
        #expect(try c.verify().status == 0)
        let db = c.data + "/ledger.sqlite"
        let r = try sqlite(db, t.sql)
        #expect(r.status == 0, "sqlite3: \(r)")
        let v = try cairn("verify", "--data", c.data)
        #expect(v.status == 1, "\(t.what) went unnoticed: \(v)")
        #expect(v.err.hasPrefix("cairn: invalid_block: block \(t.block) does not verify: "), "\(t.what): \(v.err)")
    }

    @Test func committedRowsAreAppendOnly() throws {
        let c = try Self.chain()
        let db = c.data + "/ledger.sqlite"
        for sql in [
            "UPDATE leaves SET leaf = x'00' WHERE idx = 0", "DELETE FROM blocks WHERE height = 3", "UPDATE balances SET balance = 0",
            "DELETE FROM nodes",
        ] {
            let r = try sqlite(db, sql)
            #expect(r.status != 0 && r.err.contains("is append-only"), "\(sql): \(r)")
        }
        #expect(try c.verify().status == 0)
    }

    /// SIGKILL a sealing process at random moments: every restart finds a ledger that verifies,
    /// every block reported as sealed is still there, and no notice is lost.
    @Test func crashesLoseNothing() throws {
        let c = try Consortium()
        var files: [String] = []
        for i in 0..<36 {
            let n = try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "\(i + 1).00", "--currency", "EUR")
            files.append(try c.sign(n, by: "central.example"))
        }
        #expect(try c.submit(files[0], json: false).status == 0)
        #expect(try cairn(["submit", "--data", c.data] + files.dropFirst()).status == 0)
        var reported: [(height: Int64, hash: String)] = []
        var rng = SystemRandomNumberGenerator()
        for round in 0..<24 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: cairnBinary)
            p.arguments = ["seal", "--data", c.data, "--max", "2", "--json"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 0...60_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if p.terminationReason == .exit, let o = (try? JSON.parse(Array(text.utf8)))?.objectValue, let h = o["height"]?.int64Value,
                let hash = o["hash"]?.stringValue
            {
                reported.append((h, hash))
            }
            let v = try c.verify()
            #expect(v.status == 0, "round \(round): the ledger does not verify after a kill: \(v)")
            for (h, hash) in reported {
                #expect(try cairn("show", "--data", c.data, String(h), "--json").json["hash"]?.stringValue == hash, "block \(h) vanished")
            }
        }
        // Seal the rest; all 36 deposits are committed exactly once.
        while try c.seal().json["sealed"] != .bool(false) {}
        let status = try cairn("status", "--data", c.data, "--json").json
        #expect(status["logSize"]?.int64Value == 36 && status["pending"]?.int64Value == 0 && status["complete"]?.int64Value == 0)
        #expect(try cairn("balance", "--data", c.data, "bank-a.example/eur", "--json").json["balance"]?.stringValue == "666.00")
    }

    @Test func keysRotate() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00"), ("bank-b.example/eur", "100.00")])
        let before = try c.submit(
            try c.sign(try c.transfer("bank-b.example/eur", "bank-a.example/eur", "1.00"), by: "bank-a.example", "bank-b.example"))
        let oldID = before.json["id"]!.stringValue!
        _ = try c.seal()

        // bank-b rotates its key; governance needs two partners.
        let newKey = c.dir.appendingPathComponent("keys/bank-b-2.key").path
        let newVkey = try Consortium.keygen("bank-b.example", out: newKey)
        let update = try c.notice(
            "member-update", "--member", "bank-b.example", "--add-key", newVkey, "--remove-key", c.vkeys["bank-b.example"]!)
        let one = try c.submit(try c.sign(update, by: "bank-a.example"))
        #expect(one.json["status"]?.stringValue == "pending", "\(one)")
        #expect(try c.submit(try c.sign(update, by: "bank-c.example")).json["status"]?.stringValue == "complete")
        #expect(try c.seal().json["committed"]?.arrayValue?.count == 1)

        // The old key no longer signs; the new one does.
        let t = try c.transfer("bank-b.example/eur", "bank-a.example/eur", "2.00")
        let stale = try c.submit(try c.sign(t, by: "bank-a.example", "bank-b.example"), json: false)
        #expect(stale.status == 1 && stale.err.hasPrefix("cairn: unknown_key: "), "\(stale)")
        let signedNew = try cairn("sign", "--key", newKey, try c.sign(t, by: "bank-a.example"))
        let fresh = try c.submit(try c.file(signedNew.out))
        #expect(fresh.json["status"]?.stringValue == "complete", "\(fresh)")
        let newID = fresh.json["id"]!.stringValue!
        _ = try c.seal()

        // The whole chain, with the notice signed by the old key before the rotation, verifies.
        #expect(try c.verify().status == 0)

        // Offline: a proof signed with the rotated key needs the key history...
        let plain = try c.file(try cairn("prove", "--data", c.data, newID).out)
        let refused = try cairn("verify-proof", "--genesis", c.genesisPath, plain)
        #expect(refused.status == 1 && refused.err.contains("unknown_key"), "\(refused)")
        #expect(refused.err.contains("cairn prove --with-keys"), "the refusal says how to get a proof that verifies: \(refused)")
        let withKeys = try c.file(try cairn("prove", "--data", c.data, newID, "--with-keys").out)
        let ok = try cairn("verify-proof", "--genesis", c.genesisPath, withKeys, "--json")
        #expect(ok.status == 0 && ok.json["id"]?.stringValue == newID, "\(ok)")
        // ...and the old notice still verifies from genesis, with or without it.
        #expect(
            try cairn("verify-proof", "--genesis", c.genesisPath, try c.file(try cairn("prove", "--data", c.data, oldID).out)).status == 0)
        #expect(
            try cairn(
                "verify-proof", "--genesis", c.genesisPath, try c.file(try cairn("prove", "--data", c.data, oldID, "--with-keys").out)
            ).status == 0)
        // A key history cannot be faked with some other notice's proof.
        let forged = try String(contentsOfFile: plain, encoding: .utf8) + (try cairn("prove", "--data", c.data, oldID).out)
        let fake = try cairn("verify-proof", "--genesis", c.genesisPath, try c.file(forged))
        #expect(fake.status == 1 && fake.err.contains("key-history proof 1 is not a member.update notice"), "\(fake)")
    }

    /// Consistency proofs between the checkpoints of many tree sizes, not just powers of two,
    /// verify with an RFC 9162 verifier that Cairn did not write.
    @Test func consistencyProofsVerifyAcrossManySizes() throws {
        let c = try Consortium()
        let files = try c.signedDeposits(48)
        #expect(try cairn(["submit", "--data", c.data] + files).status == 0)
        var sizes: [Int64] = []
        for max in [1, 2, 3, 1, 4, 5, 1, 7, 2, 8, 3, 11] {
            let r = try cairn("seal", "--data", c.data, "--max", String(max), "--json")
            #expect(r.status == 0)
            sizes.append(try cairn("status", "--data", c.data, "--json").json["logSize"]!.int64Value!)
        }
        #expect(sizes == [1, 3, 6, 7, 11, 16, 17, 24, 26, 34, 37, 48])
        var checked = 0
        for (i, old) in sizes.enumerated() {
            let oldCheckpoint = try c.file(try cairn("checkpoint", "--data", c.data, "--size", String(old)).out)
            for new in sizes[i...] where (i + Int(new)) % 2 == 0 || new == sizes.last {
                let proof = try cairn("prove", "--data", c.data, "--consistency", "--from", String(old), "--to", String(new))
                #expect(proof.status == 0 && proof.out.hasPrefix("old \(old)\n"))
                let py = try pythonAudit([
                    "consistency", "--genesis", c.genesisPath, try c.file(proof.out), "--old-checkpoint", oldCheckpoint,
                ])
                #expect(py.status == 0, "\(old) -> \(new): \(py)")
                checked += 1
            }
        }
        #expect(checked >= 30)
    }
}
