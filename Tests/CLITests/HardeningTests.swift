import CairnCore
import Foundation
import Testing

/// Hardening (issue 17): nothing on disk that `verify` would refuse is trusted, and a ledger that
/// lost writes is refused rather than built on. Each test is named after its class.
@Suite(.serialized) struct HardeningTests {
    func sqlite(_ db: String, _ sql: String) throws -> CLIResult {
        try runProcess("/usr/bin/env", ["sqlite3", db, sql])
    }

    /// A row added above the head, with or without a valid-looking header, is refused when the
    /// ledger is opened: nothing reads or seals on it.
    @Test func aFakeHeadIsRefusedOnOpen() throws {
        for (sql, height) in [
            ("INSERT INTO blocks SELECT 4, randomblob(32), header, log_size, checkpoint FROM blocks WHERE height = 3;", 4),
            ("INSERT INTO blocks SELECT 9, hash || x'00', header, log_size, checkpoint FROM blocks WHERE height = 3;", 9),
            ("INSERT INTO blocks SELECT 4, x'00' || substr(hash, 2), header, log_size, checkpoint FROM blocks WHERE height = 2;", 4),
        ] {
            let c = try IntegrityTests.chain()
            #expect(try sqlite(c.data + "/ledger.sqlite", sql).status == 0)
            let status = try cairn("status", "--data", c.data)
            #expect(status.status == 1 && status.err.contains("run cairn verify"), "\(sql) (a row at \(height)): \(status)")
            let seal = try cairn("seal", "--data", c.data)
            #expect(seal.status == 1, "\(sql): sealed on a fake head: \(seal)")
        }
    }

    /// A key change filed under another kind would make an opened ledger forget or invent a
    /// rotation: the kind is checked on open as well as by `verify`.
    @Test func anEditedKindIsRefusedOnOpen() throws {
        let c = try IntegrityTests.chain()
        #expect(
            try sqlite(
                c.data + "/ledger.sqlite",
                "DROP TRIGGER notices_log_no_update; UPDATE notices_log SET kind = 'member.update' WHERE leaf_idx = 1;"
            ).status == 0)
        let status = try cairn("status", "--data", c.data)
        #expect(status.status == 1 && status.err.contains("is indexed as a key change or contract"), "\(status)")
    }

    /// An edited `log_size` column never yields another block's checkpoint or proof.
    @Test func anEditedLogSizeNeverServesAnotherBlock() throws {
        let c = try IntegrityTests.chain()
        #expect(
            try sqlite(c.data + "/ledger.sqlite", "DROP TRIGGER blocks_no_update; UPDATE blocks SET log_size = 4 WHERE height = 3;")
                .status == 0)
        let r = try cairn("checkpoint", "--data", c.data, "--size", "4")
        #expect(r.status == 1 && r.err.contains("log_size column"), "\(r)")
    }

    /// Sealing re-checks every pool row it did not admit itself: a pending row whose amount was
    /// edited, or that was forged with a junk signature, never reaches a block, and the chain
    /// still verifies. The notices it names are not rejected for it.
    @Test func sealingTrustsNoPoolRow() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00")])
        let t = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "4.00"), by: "bank-a.example", "bank-b.example")
        let submitted = try c.submit(t)
        let id = try #require(submitted.json["id"]?.stringValue)
        let db = c.data + "/ledger.sqlite"
        let edits = [
            // The amount, as stored: the row's bytes no longer hash to its id.
            "UPDATE pending SET envelope = CAST(replace(CAST(envelope AS TEXT), '\"4.00\"', '\"4.10\"') AS BLOB)",
            // A junk signature on the same body: the id is right, the signature is not.
            "UPDATE pending SET envelope = CAST(replace(CAST(envelope AS TEXT), substr(CAST(envelope AS TEXT), instr(CAST(envelope AS TEXT), '\"sig\":\"') + 7, 8), 'AAAAAAAA') AS BLOB)",
        ]
        for (i, edit) in edits.enumerated() {
            if i > 0 { _ = try c.submit(t) }
            #expect(try sqlite(db, edit).status == 0)
            let sealed = try c.seal()
            #expect(sealed.json["committed"]?.arrayValue?.isEmpty ?? true, "edit \(i) was sealed: \(sealed)")
            #expect(try c.verify().status == 0, "edit \(i)")
            // Not rejected: the partner can submit it again, and it settles.
            let shown = try cairn("status", "--data", c.data, id, "--json")
            #expect(shown.json["status"]?.stringValue != "rejected", "edit \(i): \(shown)")
        }
        _ = try c.submit(t)
        #expect(try c.seal().json["committed"]?.arrayValue?.count == 1)
        #expect(try c.verify().status == 0)
    }

    /// A node that acknowledged notices over several blocks is killed and its write-ahead log
    /// truncated: the store refuses to open, naming both heights, and the node does not start.
    @Test func aLostWriteAheadLogIsRefused() throws {
        let c = try Consortium()
        let files = try c.signedDeposits(12)
        let args = ["serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--block-interval", "20"]
        let node = try Background(args, log: c.dir.path + "/node.log")
        let url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        var ids: [String] = []
        for f in files {
            let r = try cairn("submit", "--node", url, "--json", f)
            #expect(r.status == 0, "\(r)")
            if let id = r.json["id"]?.stringValue { ids.append(id) }
        }
        for id in ids { _ = try waitFor("committed", id: id, ["--node", url]) }
        node.stop(kill: true)
        let wal = c.data + "/ledger.sqlite-wal"
        let mark = try String(contentsOfFile: c.data + "/ledger.sqlite-head", encoding: .utf8)
        let marked = mark.split(separator: " ")[1]
        #expect(FileManager.default.fileExists(atPath: wal), "the killed node left no WAL to lose")
        #expect(truncate(wal, 0) == 0)
        let status = try cairn("status", "--data", c.data)
        #expect(status.status == 1, "a ledger that lost its WAL opened: \(status)")
        #expect(status.err.contains("but it had appended block \(marked)"), "\(status.err)")
        let restarted = try Background(args, log: c.dir.path + "/node2.log")
        let deadline = Date().addingTimeInterval(30)
        while restarted.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!restarted.process.isRunning, "the node started on a ledger that went backwards")
        restarted.stop(kill: true)
        #expect(restarted.process.terminationStatus != 0, "the node started on a ledger that went backwards")
        #expect(restarted.output.contains("but it had appended block \(marked)"), "\(restarted.output)")
    }
}
