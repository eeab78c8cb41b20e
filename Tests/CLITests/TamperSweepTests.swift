import CairnCore
import Foundation
import Testing

/// Tampering, swept: every column of every committed table, read from the database's own schema
/// (so a column added later is swept too), edited in a middle row and in the last row, in every
/// way that changes its value: up, down, appended to, and to or from NULL. Each edit is found by
/// `verify` or refused when the ledger is opened; none goes unnoticed, none crashes.
///
/// One column is exempt, and documented as such (README, "Storage"): `notices_log.message`, the
/// sealing node's human account of a rejection, which is kept beside the block and not under any
/// hash. Only the rejection's code is evidence.
@Suite(.serialized) struct TamperSweepTests {
    static let unverified: Set<String> = ["notices_log.message"]
    /// Tables outside the chain: the pool and the idempotency records, which sealing re-checks
    /// (`HardeningTests.sealingTrustsNoPoolRow`) and which no proof reads.
    static let uncommitted: Set<String> = ["pending", "idempotency"]

    func sqlite(_ db: String, _ sql: String) throws -> CLIResult {
        try runProcess("/usr/bin/env", ["sqlite3", "-batch", db, sql])
    }

    /// The integrity chain, plus an escrow (blocks 4, 5) and a block in 2099 (6) that rejects a
    /// notice left half-signed and times the escrow out, so that every committed table has rows.
    static func chain() throws -> Consortium {
        let c = try IntegrityTests.chain()
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        _ = try ContractLedgerTests().openEscrow(c, deadline: now.adding(seconds: 86_400), final: now.adding(seconds: 172_800))
        _ = try c.submit(try c.sign(try c.transfer("bank-a.example/eur", "bank-c.example/eur", "1.00"), by: "bank-a.example"))
        let sealed = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": "2099-01-01T00:00:00Z"])
        guard sealed.json["rejected"]?.arrayValue?.count == 1 else { throw CairnError(.storage, "no rejection: \(sealed)") }
        return c
    }

    struct Column {
        var table: String
        var name: String
        var type: String
        var key: [String]
    }

    /// The committed tables' columns, from `sqlite_master` and `pragma_table_info`.
    func columns(_ db: String) throws -> [Column] {
        let r = try sqlite(
            db,
            """
            SELECT m.name, p.name, p.type, p.pk FROM sqlite_master m, pragma_table_info(m.name) p
            WHERE m.type = 'table' ORDER BY m.name, p.cid;
            """)
        #expect(r.status == 0, "\(r)")
        var out: [Column] = []
        var keys: [String: [(Int, String)]] = [:]
        for line in r.out.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, !Self.uncommitted.contains(f[0]) else { continue }
            out.append(Column(table: f[0], name: f[1], type: f[2].uppercased(), key: []))
            if let pk = Int(f[3]), pk > 0 { keys[f[0], default: []].append((pk, f[1])) }
        }
        return out.map {
            var c = $0
            c.key = (keys[c.table] ?? []).sorted { $0.0 < $1.0 }.map(\.1)
            if c.key.isEmpty { c.key = ["rowid"] }
            return c
        }
    }

    /// The value edits that change a column of this type, whatever it holds (NULL included).
    func edits(_ c: Column) -> [(what: String, value: String)] {
        let n = c.name
        var out: [(String, String)]
        switch c.type {
        case "INTEGER":
            out = [("plus one", "COALESCE(\(n) + 1, 0)"), ("minus one", "COALESCE(\(n) - 1, 1)")]
        case "BLOB":
            out = [
                (
                    "first byte changed",
                    "COALESCE(CASE WHEN substr(\(n), 1, 1) = x'00' THEN x'01' ELSE x'00' END || substr(\(n), 2), x'00')"
                ),
                ("a byte appended", "COALESCE(\(n) || x'20', x'20')"),
            ]
        default:
            out = [("a character appended", "COALESCE(\(n) || 'x', 'x')"), ("emptied", "CASE WHEN \(n) = '' THEN 'x' ELSE '' END")]
        }
        out.append(("to or from NULL", "CASE WHEN \(n) IS NULL THEN \(c.type == "TEXT" ? "'x'" : "0") ELSE NULL END"))
        return out
    }

    @Test func everyCommittedColumnIsVerified() throws {
        let base = try Self.chain()
        #expect(try base.verify().status == 0)
        let db = base.data + "/ledger.sqlite"
        let columns = try columns(db)
        let tables = Set(columns.map(\.table))
        for t in ["meta", "blocks", "seals", "leaves", "notices_log", "nodes", "balances", "instances"] {
            #expect(tables.contains(t), "the sweep lost table \(t)")
        }
        var unnoticed: [String] = []
        var swept = 0
        for c in columns where !Self.unverified.contains("\(c.table).\(c.name)") {
            let count = Int(try sqlite(db, "SELECT count(*) FROM \(c.table);").out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            // notices_ids and notices_indexed fill only past the tail limit; the store suite
            // sweeps them on a small limit.
            guard count > 0 else { continue }
            var applied = 0
            for (row, offset) in [("middle row", count / 2), ("last row", count - 1)] {
                for edit in edits(c) {
                    let copy = base.dir.appendingPathComponent("sweep").path
                    _ = try? FileManager.default.removeItem(atPath: copy)
                    try FileManager.default.copyItem(atPath: base.data, toPath: copy)
                    let keys = c.key.joined(separator: ", ")
                    let sql = """
                        DROP TRIGGER IF EXISTS \(c.table)_no_update;
                        UPDATE \(c.table) SET \(c.name) = \(edit.value)
                        WHERE (\(keys)) IN (SELECT \(keys) FROM \(c.table) ORDER BY \(keys) LIMIT 1 OFFSET \(offset));
                        SELECT changes();
                        """
                    let r = try sqlite(copy + "/ledger.sqlite", sql)
                    let what = "\(c.table).\(c.name), \(row), \(edit.what)"
                    // NOT NULL, UNIQUE and key constraints refuse some edits outright: the
                    // database kept them out, which is fine; an edit that changed nothing is not
                    // a test.
                    guard r.status == 0, r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "1" else { continue }
                    applied += 1
                    swept += 1
                    let v = try cairn("verify", "--data", copy)
                    #expect(v.status != 132 && v.status != 134, "\(what): verify crashed: \(v)")
                    if v.status == 0 { unnoticed.append(what) }
                    #expect(v.status != 0 ? v.err.hasPrefix("cairn: ") : true, "\(what): \(v)")
                }
            }
            #expect(applied > 0, "\(c.table).\(c.name): no edit could be applied, so nothing was tested")
        }
        print("tamper sweep: \(swept) edits of \(columns.count) columns in \(tables.count) tables")
        #expect(unnoticed.isEmpty, "went unnoticed by verify:\n\(unnoticed.joined(separator: "\n"))")
    }
}
