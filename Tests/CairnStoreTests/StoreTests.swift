import CairnCore
import CairnLedger
import Foundation
import GRDB
import Testing

@testable import CairnStore

/// A small consortium built in-process, with keys from fixed seeds.
struct Fixture {
    let keys: [String: SigningKey]
    let genesis: Genesis
    let genesisBytes: [UInt8]

    init() throws {
        var keys: [String: SigningKey] = [:]
        for (i, name) in ["bank-a.example", "bank-b.example", "central.example"].enumerated() {
            keys[name] = try SigningKey(name: name, seed: [UInt8](repeating: UInt8(i + 1), count: 32))
        }
        self.keys = keys
        let text = """
            {"cairn": 1, "origin": "store.test/ledger", "time": "2026-01-01T00:00:00Z",
             "currencies": {"EUR": {"minorDigits": 2}},
             "members": [
               {"name": "bank-a.example", "roles": ["partner", "validator"], "keys": ["\(keys["bank-a.example"]!.verifierKey)"],
                "accounts": [{"id": "bank-a.example/eur", "currency": "EUR"}]},
               {"name": "bank-b.example", "roles": ["partner"], "keys": ["\(keys["bank-b.example"]!.verifierKey)"],
                "accounts": [{"id": "bank-b.example/eur", "currency": "EUR", "creditLimit": "10.00"}]},
               {"name": "central.example", "roles": ["issuer"], "keys": ["\(keys["central.example"]!.verifierKey)"]}],
             "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)", "finality": "thresh(1, role(validator))",
                          "witness": "thresh(1, role(validator))", "governance": "thresh(2, role(partner))"}}
            """
        genesisBytes = Array(text.utf8)
        genesis = try Genesis(bytes: genesisBytes)
    }

    var validator: SigningKey { keys["bank-a.example"]! }

    func envelope(_ fields: [(String, JSONValue)], kind: String, by signers: [String], nonce: String, at time: Timestamp) throws -> Envelope
    {
        let members: [(key: String, value: JSONValue)] =
            [("kind", .string(kind)), ("submitter", .string(signers[0]))] + fields.map { (key: $0.0, value: $0.1) } + [
                ("refs", .array([])), ("nonce", .string(nonce)), ("createdAt", .string(time.description)),
                ("expiresAt", .string(time.adding(seconds: 3600).description)),
            ]
        var e = Envelope(notice: try Notice(body: .object(JSONObject(members))))
        for s in signers { e.sign(with: keys[s]!) }
        return e
    }

    func deposit(_ amount: String, to: String = "bank-a.example/eur", nonce: String, at t: Timestamp) throws -> Envelope {
        try envelope(
            [("to", .string(to)), ("amount", .string(amount)), ("currency", .string("EUR"))], kind: "deposit", by: ["central.example"],
            nonce: nonce, at: t)
    }

    /// Commits `count` deposits as one block: round `round`'s amounts and nonces, so no two
    /// rounds repeat an id. Returns their ids in leaf order.
    func commitDeposits(_ ledger: Ledger, round: Int, count: Int, at t: Timestamp) throws -> [String] {
        let batch = try (0..<count).map { try deposit("\(round + 1).0\($0)", nonce: "r\(round)-\($0)", at: t) }
        return try ledger.commit(Ledger.check(batch, in: ledger.state), key: validator, now: t, max: count).blocks.flatMap(\.committed)
    }

    func transfer(_ amount: String, nonce: String, at t: Timestamp) throws -> Envelope {
        try envelope(
            [
                ("from", .string("bank-a.example/eur")), ("to", .string("bank-b.example/eur")), ("amount", .string(amount)),
                ("currency", .string("EUR")),
            ],
            kind: "transfer", by: ["bank-a.example", "bank-b.example"], nonce: nonce, at: t)
    }
}

extension Fixture {
    /// A new in-memory store holding block 0.
    func memoryStore() throws -> MemoryStore {
        try MemoryStore(genesis: genesis, genesisBlock: try Ledger.makeGenesisBlock(genesis: genesis, key: validator))
    }

    /// A new ledger on SQLite, in a new directory, whose index tail moves every `tailLimit` rows.
    func sqliteLedger(tailLimit: Int) throws -> (dir: String, path: String, store: SQLiteStore, ledger: Ledger) {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/ledger.sqlite"
        let store = try SQLiteStore.create(
            path: path, genesis: genesis, genesisBlock: try Ledger.makeGenesisBlock(genesis: genesis, key: validator), tailLimit: tailLimit)
        return (dir, path, store, try Ledger(store: store))
    }
}

func temporaryDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
}

@Suite struct StoreTests {
    @Test func sqliteIsWALWithFullSync() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
        // Reopen: GRDB resets synchronous when it opens a pool, so this checks that Cairn sets it afterwards.
        let store = try SQLiteStore.open(path: LedgerDirectory(dir).database)
        let settings = try store.durabilitySettings()
        #expect(settings.synchronous == 2, "PRAGMA synchronous must be FULL (2)")
        #expect(settings.journalMode == "wal")
        let pageSize = try DatabaseQueue(path: LedgerDirectory(dir).database).read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
        #expect(pageSize == SQLiteStore.pageSize)
    }

    /// The same operations on the SQLite store and its in-memory twin give byte-identical blocks,
    /// checkpoints, proofs and balances.
    @Test func memoryTwinBehavesLikeSQLite() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sqlite = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
        let memory = try Ledger(
            store: f.memoryStore())
        var t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        var ids: [String] = []
        for round in 0..<9 {
            t = t.adding(seconds: 10)
            var batch = [try f.deposit("\(round + 1).00", nonce: "d\(round)", at: t)]
            if round > 0 { batch.append(try f.transfer("\(round).50", nonce: "t\(round)", at: t)) }
            if round % 3 == 2 { batch.append(try f.transfer("900.00", nonce: "big\(round)", at: t)) }  // refused: overdraft
            let a = try sqlite.submit(batch, now: t)
            let b = try memory.submit(batch, now: t)
            #expect(a.map { try? $0.get() } == b.map { try? $0.get() })
            let sa = try sqlite.seal(key: f.validator, now: t, max: 1 + round % 2)
            let sb = try memory.seal(key: f.validator, now: t, max: 1 + round % 2)
            #expect(sa?.block == sb?.block)
            ids += sa?.committed ?? []
        }
        while let sa = try sqlite.seal(key: f.validator, now: t) {
            #expect(try memory.seal(key: f.validator, now: t)?.block == sa.block)
            ids += sa.committed
        }
        #expect(sqlite.head == memory.head)
        for id in ids {
            #expect(try sqlite.inclusionProof(id: id) == memory.inclusionProof(id: id))
        }
        let size = sqlite.head.header.logSize
        for old in 1...size {
            #expect(try sqlite.consistencyProof(from: old) == memory.consistencyProof(from: old))
        }
        #expect(try sqlite.store.balances(at: 5).map(\.balance) == memory.store.balances(at: 5).map(\.balance))
        #expect(try ChainVerifier(store: sqlite.store).verify().get() == ChainVerifier(store: memory.store).verify().get())
    }

    /// `commit` admits and seals in one step, and must cut the blocks that `submit` followed by
    /// `seal` would: byte for byte, with every submission's outcome the same, except that a
    /// notice completed says `committed`, with its place, where `submit` said `complete`. The
    /// batches mix what a node sees: a notice completed by its second signature in the pool, an
    /// overdraft, a notice twice in one batch, a duplicate of a committed notice, a bad signature,
    /// more complete notices than a block holds, and a key rotation ahead of a notice signed with
    /// the old key.
    @Test func commitCutsTheBlocksThatSubmitAndSealWould() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let direct = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
        let reference = try Ledger(
            store: f.memoryStore())
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let half = try f.transfer("1.00", nonce: "half", at: t)
        var byA = Envelope(notice: half.notice)
        byA.sign(with: f.keys["bank-a.example"]!)
        var byB = Envelope(notice: half.notice)
        byB.sign(with: f.keys["bank-b.example"]!)
        let first = try f.deposit("5.00", nonce: "d0", at: t)
        let forged = Envelope(
            notice: try f.deposit("7.00", nonce: "forged", at: t).notice,
            signatures: [
                NoticeSignature(
                    signer: "central.example", keyID: f.keys["central.example"]!.verifierKey.keyID, sig: Array(repeating: 1, count: 64))
            ])
        let newB = try SigningKey(name: "bank-b.example", seed: [UInt8](repeating: 9, count: 32))
        let rotate = try f.envelope(
            [
                ("member", "bank-b.example"), ("addKeys", .array([.string("\(newB.verifierKey)")])),
                ("removeKeys", .array([.string("\(f.keys["bank-b.example"]!.verifierKey)")])),
            ], kind: "member.update", by: ["bank-a.example", "bank-b.example"], nonce: "rotate", at: t)
        let batches: [[Envelope]] = [
            [first, try f.deposit("3.00", nonce: "d1", at: t), byA],
            [
                try f.transfer("2.00", nonce: "t0", at: t), try f.transfer("900.00", nonce: "over", at: t), byB,
                try f.deposit("1.00", nonce: "d2", at: t), try f.deposit("1.00", nonce: "d2", at: t),
                try f.deposit("4.00", nonce: "d3", at: t),
            ],
            [first, forged, try f.transfer("0.50", nonce: "t1", at: t)],
            // Both are complete against the committed keys; in the block, the rotation comes
            // first, so the transfer's signer checks are worked out again and its old key refused.
            [rotate, try f.transfer("0.25", nonce: "t2", at: t)],
        ]
        var committed = 0
        for batch in batches {
            let expected = try reference.submit(batch, now: t)
            var expectedBlocks: [StoredBlock] = []
            while let s = try reference.seal(key: f.validator, now: t, max: 2) { expectedBlocks.append(s.block) }
            let (results, blocks) = try direct.commit(Ledger.check(batch, in: direct.state), key: f.validator, now: t, max: 2)
            #expect(blocks.map(\.block) == expectedBlocks)
            for (got, want) in zip(results, expected) {
                switch (got, want) {
                case (.success(let g), .success(let w)) where w.status == .complete && !w.duplicate:
                    #expect(g.status == .committed, "\(g)")
                    committed += 1
                    let record = try #require(try direct.store.notice(g.id))
                    #expect(g.record == record)
                case (.success(let g), .success(let w)):
                    #expect(g == w)
                case (.failure(let g), .failure(let w)) where w.code == .overdraft:
                    // The balance named is the one at the notice's place in the block, where the
                    // pool's notices come first; `submit` projects in arrival order instead.
                    #expect(g.code == w.code)
                case (.failure(let g), .failure(let w)):
                    #expect(g == w)
                default:
                    Issue.record("commit gave \(got) where submit gave \(want)")
                }
            }
        }
        #expect(committed == 9, "every complete notice is committed by the call that completed it")
        #expect(direct.head == reference.head)
        #expect(try direct.store.pendingCount() == (0, 0))
        #expect(try ChainVerifier(store: direct.store).verify().get() == ChainVerifier(store: reference.store).verify().get())
    }

    /// The newest index rows wait in the log's tail and go into the id index, sorted, when the
    /// tail is full. Every row is found by id, by the writer (on its reading connections and on
    /// its writing one) and by another process that opened the ledger before the rows were written
    /// (its map is stale). `verify` checks the id index
    /// against the log: an entry missing, an extra entry, and entries past the last indexed block
    /// are found, and so is a row deleted from the log.
    @Test func indexRowsMoveFromTheTailAndAreFoundEverywhere() throws {
        let f = try Fixture()
        let (dir, path, store, ledger) = try f.sqliteLedger(tailLimit: 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let other = try SQLiteStore.open(path: path, tailLimit: 5)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let half = try f.envelope(
            [("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"), ("amount", "1.00"), ("currency", "EUR")],
            kind: "transfer", by: ["bank-a.example"], nonce: "half", at: t)
        _ = try ledger.submit(half, now: t)
        #expect(try other.notice(half.notice.id)?.status == .pending)
        func rows() throws -> (index: Int, tail: Int) {
            try DatabaseQueue(path: path).read { db in
                let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_ids") ?? -1
                return (entries, (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_log") ?? -1) - entries)
            }
        }
        var ids: [String] = []
        var counts: [(index: Int, tail: Int)] = []
        for round in 0..<4 {
            ids += try f.commitDeposits(ledger, round: round, count: 3, at: t)
            counts.append(try rows())
        }
        // The half-signed notice expires and is rejected: a rejected row.
        #expect(try ledger.seal(key: f.validator, now: t.adding(seconds: 7200))?.rejected.map(\.id) == [half.notice.id])
        counts.append(try rows())
        #expect(counts.map(\.index) == [0, 6, 6, 12, 12] && counts.map(\.tail) == [3, 0, 3, 0, 1], "\(counts)")
        for s in [store, other] {
            let found = try s.notices(ids + [half.notice.id])
            #expect(ids.enumerated().allSatisfy { i, id in found[id]?.leafIndex == UInt64(i) && found[id]?.status == .committed })
            #expect(found[half.notice.id]?.status == .rejected && found[half.notice.id]?.code == "expired")
            #expect(try s.notice(String(repeating: "0", count: 64)) == nil && s.notice("not an id") == nil)
            // The writer's lookups, on its writing connection, find the same.
            #expect(try s.noticesBeforeWriting(ids + [half.notice.id, "not an id"]) == found)
        }
        #expect(try ChainVerifier(store: other).verify().get().leaves == 12)
        // Each change to the id index is found, then undone.
        let fourth = ids[4]
        let prefix = Int64(bitPattern: UInt64(fourth.prefix(16), radix: 16)!)
        let seq = Int64(2 << 32 | 1)
        let db = try DatabaseQueue(path: path)
        for (sql, undo, reason) in [
            (
                "DROP TRIGGER notices_ids_no_delete; DELETE FROM notices_ids WHERE seq = \(seq)",
                "INSERT INTO notices_ids VALUES (\(prefix), \(seq))", "notice \(fourth) of block 2 is missing from the id index"
            ),
            (
                "INSERT INTO notices_ids VALUES (7, \(seq))", "DELETE FROM notices_ids WHERE prefix = 7",
                "the id index has 13 entries for 12 indexed rows"
            ),
            (
                "DROP TRIGGER notices_indexed_no_delete; DELETE FROM notices_indexed WHERE height = 4",
                "INSERT INTO notices_indexed VALUES (4)", "the id index has entries past its last indexed block (6 in all)"
            ),
        ] {
            try db.write { try $0.execute(sql: sql) }
            let failure = try #require(throws: VerifyFailure.self) { try ChainVerifier(store: other).verify().get() }
            #expect(failure.height == 5 && failure.reason == reason)
            try db.write { try $0.execute(sql: undo) }
        }
        #expect(try ChainVerifier(store: other).verify().get().leaves == 12)
        // Every column of the two index tables, edited in place (the CLI's tamper sweep covers the
        // other tables; these fill only past the tail limit).
        for (sql, undo) in [
            (
                "UPDATE notices_ids SET prefix = 7 WHERE seq = \(seq) AND prefix = \(prefix)",
                "UPDATE notices_ids SET prefix = \(prefix) WHERE seq = \(seq) AND prefix = 7"
            ),
            (
                "UPDATE notices_ids SET seq = seq + 1 WHERE seq = \(seq) AND prefix = \(prefix)",
                "UPDATE notices_ids SET seq = seq - 1 WHERE seq = \(seq + 1) AND prefix = \(prefix)"
            ),
            ("UPDATE notices_indexed SET height = height - 1", "UPDATE notices_indexed SET height = height + 1"),
            ("UPDATE notices_indexed SET height = height + 1", "UPDATE notices_indexed SET height = height - 1"),
        ] {
            try db.write {
                try $0.execute(
                    sql: "DROP TRIGGER IF EXISTS notices_ids_no_update; DROP TRIGGER IF EXISTS notices_indexed_no_update; " + sql)
            }
            let verdict = Result { try ChainVerifier(store: SQLiteStore.open(path: path, tailLimit: 5)).verify().get() }
            #expect((try? verdict.get()) == nil, "\(sql) went unnoticed")
            try db.write { try $0.execute(sql: undo) }
        }
        #expect(try ChainVerifier(store: other).verify().get().leaves == 12)
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER notices_log_no_delete; DELETE FROM notices_log WHERE leaf_idx = 4")
        }
        let failure = try #require(throws: VerifyFailure.self) { try ChainVerifier(store: other).verify().get() }
        #expect(failure.height == 2 && failure.reason == "the notice index differs from the block's leaves and rejections")
    }

    /// A reader whose snapshot began before a block moved the tail into the id index finds the
    /// moved rows, though its snapshot lacks their entries and the process's map has dropped
    /// them: it reads the tail that its snapshot sees. The rows it cannot see yet are not found.
    @Test func aSnapshotOlderThanAnIndexMoveFindsTheMovedRows() throws {
        let f = try Fixture()
        let (dir, _, store, ledger) = try f.sqliteLedger(tailLimit: 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let first = try f.commitDeposits(ledger, round: 0, count: 3, at: t)
        let snapshot = try store.pool.makeSnapshot()
        let second = try f.commitDeposits(ledger, round: 1, count: 3, at: t)  // the tail is full: both blocks' rows go into the id index
        let seen = try snapshot.read { db in try store.notices(first + second, in: db) }
        #expect(first.allSatisfy { seen[$0]?.status == .committed && seen[$0]?.height == 1 }, "\(seen)")
        #expect(second.allSatisfy { seen[$0] == nil })
        #expect(try store.notices(first + second).values.filter { $0.status == .committed }.count == 6)
    }

    /// The writer's filter of the id index (`IDFilter`) holds every entry through tail moves, its
    /// growth past its size, and a move by another process, so a committed notice submitted again
    /// is found, and a new id mostly skips the index.
    @Test func theIDFilterHoldsEveryIndexedID() throws {
        let f = try Fixture()
        let (dir, path, store, ledger) = try f.sqliteLedger(tailLimit: 3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        func filterHoldsTheIndex(_ s: SQLiteStore) throws {
            try s.pool.read { db in
                let start = try SQLiteStore.tailStart(db)
                let bloom = try #require(s.filter.covering(start), "the filter does not cover the tail start \(start)")
                let prefixes = try Int64.fetchAll(db, sql: "SELECT prefix FROM notices_ids")
                #expect(!prefixes.isEmpty && prefixes.allSatisfy { bloom.mayContain(UInt64(bitPattern: $0)) })
                // A prefix that is not there mostly misses.
                var rng = SystemRandomNumberGenerator()
                #expect((0..<1000).count(where: { _ in bloom.mayContain(rng.next()) }) < 100)
            }
        }
        // 15 blocks of 2, a move every other block; the first filter, sized for the empty
        // index, grows too full and is read afresh.
        var ids: [String] = []
        for round in 0..<15 { ids += try f.commitDeposits(ledger, round: round, count: 2, at: t) }
        try filterHoldsTheIndex(store)
        let again = try f.deposit("1.00", nonce: "r0-0", at: t)
        #expect(again.notice.id == ids[0])
        let resubmitted = try ledger.commit(Ledger.check([again], in: ledger.state), key: f.validator, now: t)
        #expect(try resubmitted.results[0].get().duplicate && resubmitted.blocks.isEmpty)
        #expect(try store.noticesBeforeWriting(ids).count == ids.count && store.notices(ids).count == ids.count)

        // Another process appends blocks and moves the tail: this one's filter no longer covers
        // the index, so its lookups probe until its writer reads the filter afresh.
        let other = try Ledger(store: try SQLiteStore.open(path: path, tailLimit: 3))
        var theirs: [String] = []
        for round in 15..<19 { theirs += try f.commitDeposits(other, round: round, count: 2, at: t) }
        #expect(try store.pool.read { db in store.filter.covering(try SQLiteStore.tailStart(db)) } == nil)
        #expect(try store.notices(ids + theirs).count == ids.count + theirs.count)
        #expect(try store.noticesBeforeWriting(ids + theirs).count == ids.count + theirs.count)
        try filterHoldsTheIndex(store)
    }

    /// A node keeps an `Idempotency-Key`'s first answer for its retention: a lookup within it
    /// finds the record, a later one does not, and the next write drops it, so the key can answer
    /// a new request. A table of an earlier build gains `created_at` on open, its rows as the
    /// oldest.
    @Test func idempotencyRecordsExpire() throws {
        let f = try Fixture()
        let (dir, path, store, _) = try f.sqliteLedger(tailLimit: 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let day: Int64 = 86_400
        let t0 = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let t1 = t0.adding(seconds: day + 1)
        let member = "bank-a.example"
        try store.putIdempotentResponses(
            [IdempotentRecord(member: member, key: "K1", request: [1], status: 202, response: [10])], now: t0,
            keepSince: t0.adding(seconds: -day))
        #expect(try store.idempotentResponse(member: member, key: "K1", since: t0.adding(seconds: 1 - day))?.response == [10])
        #expect(try store.idempotentResponse(member: member, key: "K1", since: t1.adding(seconds: -day)) == nil)
        try store.putIdempotentResponses(
            [IdempotentRecord(member: member, key: "K1", request: [2], status: 409, response: [20])], now: t1,
            keepSince: t1.adding(seconds: -day))
        let again = try store.idempotentResponse(member: member, key: "K1", since: t1.adding(seconds: -day))
        #expect(again?.request == [2] && again?.status == 409 && again?.response == [20])
        let db = try DatabaseQueue(path: path)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM idempotency") } == 1)

        try db.write { db in
            try db.execute(
                sql: """
                    DROP INDEX idempotency_by_time;
                    DROP TABLE idempotency;
                    CREATE TABLE idempotency (
                        member TEXT NOT NULL, key TEXT NOT NULL, request BLOB NOT NULL, status INTEGER NOT NULL,
                        response BLOB NOT NULL, PRIMARY KEY (member, key)) WITHOUT ROWID;
                    INSERT INTO idempotency VALUES ('bank-a.example', 'OLD', x'01', 202, x'02');
                    """)
        }
        let reopened = try SQLiteStore.open(path: path)
        #expect(try reopened.idempotentResponse(member: member, key: "OLD", since: Timestamp(seconds: 0))?.response == [2])
        #expect(try reopened.idempotentResponse(member: member, key: "OLD", since: Timestamp(seconds: 1)) == nil)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'idempotency_by_time'") } == 1)
    }

    /// A notice id must be in the index once, and nothing in the log enforces it, so
    /// `repeatedIDs` checks it for `verify`: an id twice among the indexed rows, twice in the
    /// tail, and once in each, are all found, with the higher height of their rows.
    @Test func idsRepeatedAcrossTheTailAreFound() throws {
        let f = try Fixture()
        let (dir, path, store, ledger) = try f.sqliteLedger(tailLimit: 3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        var ids: [String] = []
        for round in 0..<2 { ids += try f.commitDeposits(ledger, round: round, count: 2, at: t) }
        // Block 2 put the first four rows into the id index; the tail is empty.
        #expect(try store.repeatedIDs().isEmpty)
        let third = try f.deposit("9.00", nonce: "third", at: t)
        _ = try ledger.commit(Ledger.check([third], in: ledger.state), key: f.validator, now: t)
        #expect(try ChainVerifier(store: store).verify().get().leaves == 5)
        let prefix = Int64(bitPattern: UInt64(ids[1].prefix(16), radix: 16)!)
        try DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: """
                    INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind) VALUES (?, ?, 'committed', 3, 9, 'deposit');
                    INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind) VALUES (?, ?, 'committed', 3, 8, 'deposit');
                    INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind) VALUES (?, ?, 'committed', 2, 7, 'deposit');
                    INSERT INTO notices_ids (prefix, seq) VALUES (?, ?);
                    """, arguments: [(3 << 32) | 7, ids[0], (3 << 32) | 8, third.notice.id, (2 << 32) | 7, ids[1], prefix, (2 << 32) | 7])
        }
        let repeated = try store.repeatedIDs()
        #expect(repeated.map(\.id).sorted() == [ids[0], ids[1], third.notice.id].sorted())
        #expect(repeated.map(\.height) == [2, 3, 3])
    }

    /// A block that the store fails to write leaves nothing behind: the notices `commit` was
    /// sealing straight into it are neither committed nor pooled, so a retry commits them.
    @Test func aFailedCommitLeavesNothingBehind() throws {
        let f = try Fixture()
        let store = try f.memoryStore()
        let ledger = try Ledger(store: store)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let batch = try [f.deposit("5.00", nonce: "a", at: t), f.deposit("6.00", nonce: "b", at: t)]
        store.failNextAppend = true
        #expect(throws: CairnError.self) { try ledger.commit(Ledger.check(batch, in: ledger.state), key: f.validator, now: t) }
        #expect(ledger.head.header.height == 0)
        for e in batch { #expect(try store.notice(e.notice.id) == nil) }
        #expect(try store.pendingCount() == (0, 0))
        let (results, blocks) = try ledger.commit(Ledger.check(batch, in: ledger.state), key: f.validator, now: t)
        #expect(results.map { try? $0.get().status } == [.committed, .committed])
        #expect(blocks.map(\.committed) == [batch.map(\.notice.id)])
    }

    /// A pool written in the first layout (keyed by id) is moved to the current one on open, with
    /// every notice and its arrival order kept; the next seal commits them.
    @Test func poolOfTheFirstLayoutIsMigrated() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let deposits = try (0..<3).map { try f.deposit("\($0 + 1).00", nonce: "m\($0)", at: t) }
        let waiting = try f.envelope(
            [("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"), ("amount", "1.00"), ("currency", "EUR")],
            kind: "transfer", by: ["bank-a.example"], nonce: "half", at: t)
        do {
            let ledger = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
            for e in deposits.reversed() + [waiting] { _ = try ledger.submit(e, now: t) }
        }
        let db = try DatabaseQueue(path: LedgerDirectory(dir).database)
        try db.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE p1 (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, envelope BLOB NOT NULL, complete INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL);
                    INSERT INTO p1 SELECT id, seq, envelope, complete, expires_at FROM pending;
                    DROP TABLE pending;
                    ALTER TABLE p1 RENAME TO pending;
                    CREATE INDEX pending_complete ON pending(complete, seq);
                    CREATE INDEX pending_expiry ON pending(complete, expires_at);
                    """)
        }
        try db.close()
        let store = try SQLiteStore.open(path: LedgerDirectory(dir).database)
        #expect(try store.pendingCount() == (1, 3))
        #expect(try store.completePending(limit: 10).map(\.id) == deposits.reversed().map(\.notice.id))
        #expect(try store.pending(waiting.notice.id)?.complete == false)
        let ledger = try Ledger(store: store)
        let sealed = try #require(try ledger.seal(key: f.validator, now: t))
        #expect(sealed.committed == deposits.reversed().map(\.notice.id))
        #expect(try store.pendingCount() == (1, 0))
        #expect(try ChainVerifier(store: store).verify().get().leaves == 3)
    }

    /// Signatures checked off the ledger's thread against keys that a block then changes are
    /// checked again at admission: a notice signed by a key added since is admitted, and one
    /// signed by a key removed since is refused.
    @Test func signaturesCheckedBeforeAKeyChangeAreCheckedAgain() throws {
        let f = try Fixture()
        let ledger = try Ledger(
            store: f.memoryStore())
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        _ = try ledger.submit(try f.deposit("5.00", nonce: "fund", at: t), now: t)
        _ = try ledger.seal(key: f.validator, now: t)
        let oldB = f.keys["bank-b.example"]!
        let newB = try SigningKey(name: "bank-b.example", seed: [UInt8](repeating: 9, count: 32))
        let old = try f.transfer("1.00", nonce: "old-key", at: t)
        var new = try f.envelope(
            [("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"), ("amount", "1.00"), ("currency", "EUR")],
            kind: "transfer", by: ["bank-a.example"], nonce: "new-key", at: t)
        new.sign(with: newB)
        let checked = Ledger.check([old, new], in: ledger.state)
        #expect(checked[0].failure == nil && checked[1].failure?.code == .unknownKey)

        let rotate = try f.envelope(
            [
                ("member", "bank-b.example"), ("addKeys", .array([.string("\(newB.verifierKey)")])),
                ("removeKeys", .array([.string("\(oldB.verifierKey)")])),
            ], kind: "member.update", by: ["bank-a.example", "bank-b.example"], nonce: "rotate", at: t)
        #expect(try ledger.submit(rotate, now: t).status == .complete)
        #expect(try ledger.seal(key: f.validator, now: t)?.committed == [rotate.notice.id])

        let results = try ledger.submit(checked, now: t)
        #expect(throws: CairnError.self) { try results[0].get() }
        if case .failure(let e) = results[0] { #expect(e.code == .unknownKey, "\(e)") }
        #expect((try? results[1].get())?.status == .complete)
    }

    /// Opening refuses a file that is not a Cairn ledger, or of a schema this build does not read,
    /// and writes nothing into it.
    @Test func foreignFilesAreRefusedUntouched() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let foreign = dir + "/other.sqlite"
        let db = try DatabaseQueue(path: foreign)
        try db.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER)") }
        try db.close()
        #expect(throws: CairnError(.storage, "couldn't open the ledger: \(foreign) is not a Cairn ledger (it has no schema record)")) {
            try SQLiteStore.open(path: foreign)
        }
        let (tables, journal) = try DatabaseQueue(path: foreign).read {
            (
                try String.fetchAll($0, sql: "SELECT name FROM sqlite_master ORDER BY name"),
                try String.fetchOne($0, sql: "PRAGMA journal_mode")
            )
        }
        #expect(tables == ["t"] && journal == "delete")

        let f = try Fixture()
        _ = try LedgerDirectory(dir + "/future").initialize(genesisBytes: f.genesisBytes, key: f.validator)
        let future = LedgerDirectory(dir + "/future").database
        try DatabaseQueue(path: future).write {
            try $0.execute(
                sql: """
                    DROP TRIGGER meta_no_update;
                    UPDATE meta SET value = CAST('9' AS BLOB) WHERE key = 'schema';
                    """)
        }
        #expect(
            throws: CairnError(
                .storage,
                "couldn't open the ledger: \(future) is of schema 9, and this cairn reads schemas 1 to 5; use the cairn that made it")
        ) { try SQLiteStore.open(path: future) }
    }

    /// A ledger of schema 1 (a level-0 row per leaf, subtree rows indexed by height, every index
    /// row in `notices`, keyed by id) is brought to schema 5 when it is opened, through 2, 3 and 4:
    /// the leaf-hash rows go (they are recomputed from the leaves, so even wrong ones are
    /// harmless), the index rows move to the log with their entries in the id index, and lookups,
    /// proofs and `verify` work as before.
    @Test func ledgerOfSchema1IsMigrated() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        var ids: [String] = []
        var proofs: [TlogProof] = []
        do {
            let ledger = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
            for i in 0..<7 { _ = try ledger.submit(try f.deposit("\(i + 1).00", nonce: "d\(i)", at: t), now: t) }
            while let s = try ledger.seal(key: f.validator, now: t, max: 3) { ids += s.committed }
            proofs = try ids.map { try ledger.inclusionProof(id: $0) }
        }
        let db = try DatabaseQueue(path: LedgerDirectory(dir).database)
        try db.write { db in
            try db.execute(
                sql: """
                    DROP TRIGGER nodes_no_update;
                    DROP TRIGGER nodes_no_delete;
                    CREATE TABLE v1 (
                        level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, height INTEGER NOT NULL,
                        PRIMARY KEY (level, idx)) WITHOUT ROWID;
                    INSERT INTO v1 SELECT level, idx, hash, 1 FROM nodes;
                    INSERT INTO v1 SELECT 0, idx, zeroblob(32), 1 FROM leaves;
                    DROP TABLE nodes;
                    ALTER TABLE v1 RENAME TO nodes;
                    CREATE INDEX nodes_by_height ON nodes(height);
                    CREATE TRIGGER nodes_no_update BEFORE UPDATE ON nodes BEGIN SELECT RAISE(ABORT, 'nodes is append-only'); END;
                    CREATE TRIGGER nodes_no_delete BEFORE DELETE ON nodes BEGIN SELECT RAISE(ABORT, 'nodes is append-only'); END;
                    \(Self.schema3Index(height: "notices_by_height ON notices(height)"))
                    INSERT INTO notices SELECT id, status, height, leaf_idx, kind, code, message FROM notices_log;
                    DROP TABLE notices_log;
                    DROP TABLE notices_ids;
                    DROP TABLE notices_indexed;
                    \(Schema.recordVersion(1))
                    """)
        }
        try db.close()
        let ledger = try Ledger(store: try SQLiteStore.open(path: LedgerDirectory(dir).database))
        #expect(try ids.map { try ledger.inclusionProof(id: $0) } == proofs)
        #expect(try ledger.store.notices(ids).values.map(\.status) == Array(repeating: .committed, count: 7))
        #expect(try ChainVerifier(store: ledger.store).verify().get().leaves == 7)
        let more = try f.deposit("8.00", nonce: "d7", at: t)
        _ = try ledger.commit(Ledger.check([more], in: ledger.state), key: f.validator, now: t)
        #expect(try ledger.store.notice(more.notice.id)?.leafIndex == 7)
        #expect(try ChainVerifier(store: ledger.store).verify().get().leaves == 8)
        let after = try DatabaseQueue(path: LedgerDirectory(dir).database)
        let (schema, leafRows, heightColumns, entries) = try after.read { db in
            (
                try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'schema'"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM nodes WHERE level = 0"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name = 'height'"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_ids")
            )
        }
        #expect(schema == "5" && leafRows == 0 && heightColumns == 0 && entries == 7)
        #expect(throws: (any Error).self) { try after.write { try $0.execute(sql: "DELETE FROM nodes") } }
    }

    /// Schema 3's `notices`, keyed by id, with its append-only triggers and its index by `height`.
    static func schema3Index(height: String) -> String {
        """
        CREATE TABLE notices (
            id TEXT PRIMARY KEY, status TEXT NOT NULL, height INTEGER NOT NULL, leaf_idx INTEGER,
            kind TEXT, code TEXT, message TEXT) WITHOUT ROWID;
        CREATE INDEX \(height);
        CREATE INDEX notices_history ON notices(kind, leaf_idx) WHERE kind IN ('member.update', 'contract.deploy', 'contract.act');
        CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices BEGIN SELECT RAISE(ABORT, 'notices is append-only'); END;
        CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices BEGIN SELECT RAISE(ABORT, 'notices is append-only'); END;
        """
    }

    /// A ledger of schema 3 (rows moved out of the tail into `notices`, keyed by id, and the
    /// newest in the tail) is brought to schema 5 when it is opened: the moved rows join the log,
    /// with their entries in the id index, the tail stays the tail, and lookups, `verify` and
    /// further blocks work; its rows still go into the id index when the tail fills.
    @Test func ledgerOfSchema3IsMigrated() throws {
        let f = try Fixture()
        let (dir, path, _, ledger) = try f.sqliteLedger(tailLimit: 4)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        var ids: [String] = []
        for round in 0..<3 { ids += try f.commitDeposits(ledger, round: round, count: 3, at: t) }
        // Block 2 indexed six rows; block 3's three are in the tail.
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(
                sql: """
                    \(Self.schema3Index(height: "notices_by_height ON notices(height, status, leaf_idx, code, message)"))
                    INSERT INTO notices SELECT id, status, height, leaf_idx, kind, code, message FROM notices_log WHERE height <= 2;
                    CREATE TABLE notices_tail (
                        seq INTEGER PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL, height INTEGER NOT NULL,
                        leaf_idx INTEGER, kind TEXT, code TEXT, message TEXT);
                    CREATE INDEX notices_tail_history ON notices_tail(kind, leaf_idx)
                        WHERE kind IN ('member.update', 'contract.deploy', 'contract.act');
                    CREATE TRIGGER notices_tail_no_update BEFORE UPDATE ON notices_tail
                        BEGIN SELECT RAISE(ABORT, 'notices_tail is append-only'); END;
                    INSERT INTO notices_tail SELECT * FROM notices_log WHERE height > 2;
                    DROP TABLE notices_log;
                    DROP TABLE notices_ids;
                    DROP TABLE notices_indexed;
                    \(Schema.recordVersion(3))
                    """)
        }
        try db.close()
        let store = try SQLiteStore.open(path: path, tailLimit: 4)
        let migrated = try Ledger(store: store)
        let found = try store.notices(ids)
        #expect(ids.enumerated().allSatisfy { i, id in found[id]?.leafIndex == UInt64(i) })
        #expect(try ChainVerifier(store: store).verify().get().leaves == 9)
        let more = try f.deposit("8.00", nonce: "more", at: t)
        _ = try migrated.commit(Ledger.check([more], in: migrated.state), key: f.validator, now: t)
        #expect(try store.notice(more.notice.id)?.leafIndex == 9)
        #expect(try ChainVerifier(store: store).verify().get().leaves == 10)
        let (schema, entries, indexed, legacy) = try DatabaseQueue(path: path).read { db in
            (
                try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'schema'"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_ids"),
                try Int64.fetchAll(db, sql: "SELECT height FROM notices_indexed"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE tbl_name IN ('notices', 'notices_tail')")
            )
        }
        // The fourth tail row filled the tail: block 4 indexed rows 7 to 10.
        #expect(schema == "5" && entries == 10 && indexed == [2, 4] && legacy == 0)
    }

    /// A ledger of schema 4, whose history index's condition is an IN list, is brought to schema 5
    /// when it is opened. The replay's query for one kind then searches the index: under the IN
    /// list it scanned the whole log and sorted it. Inserts no longer build a temporary B-tree.
    @Test func ledgerOfSchema4IsMigrated() throws {
        let f = try Fixture()
        let (dir, path, _, ledger) = try f.sqliteLedger(tailLimit: 1000)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let newB = try SigningKey(name: "bank-b.example", seed: [UInt8](repeating: 9, count: 32))
        let rotate = try f.envelope(
            [("member", "bank-b.example"), ("addKeys", .array([.string("\(newB.verifierKey)")]))],
            kind: "member.update", by: ["bank-a.example", "bank-b.example"], nonce: "rotate", at: t)
        _ = try f.commitDeposits(ledger, round: 0, count: 2, at: t)
        _ = try ledger.commit(Ledger.check([rotate], in: ledger.state), key: f.validator, now: t)
        _ = try f.commitDeposits(ledger, round: 1, count: 2, at: t)
        let insert = "INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind) VALUES (?, ?, 'committed', ?, ?, ?)"
        func plans(_ db: Database) throws -> (query: String, insert: String) {
            let query = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.historyQuery, arguments: ["member.update", 10])
            let program = try Row.fetchAll(db, sql: "EXPLAIN " + insert, arguments: [1, "x", 1, 1, "transfer"])
            return (
                query.map { $0["detail"] as String }.joined(separator: "; "), program.map { $0["opcode"] as String }.joined(separator: " ")
            )
        }
        let db = try DatabaseQueue(path: path)
        let before = try db.write { db in
            try db.execute(
                sql: """
                    DROP INDEX notices_log_history;
                    CREATE INDEX notices_log_history ON notices_log(kind, leaf_idx)
                        WHERE kind IN ('member.update', 'contract.deploy', 'contract.act');
                    \(Schema.recordVersion(4))
                    """)
            return try plans(db)
        }
        try db.close()
        #expect(before.query.contains("SCAN notices_log") && before.insert.contains("OpenEphemeral"))
        let store = try SQLiteStore.open(path: path)
        let migrated = try Ledger(store: store)
        #expect(try store.leafIndices(kind: "member.update", below: 5) == [2])
        #expect(migrated.state.keys["bank-b.example"]?.contains(newB.verifierKey) == true)
        #expect(try ChainVerifier(store: store).verify().get().leaves == 5)
        let (schema, after) = try DatabaseQueue(path: path).read { db in
            (try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'schema'"), try plans(db))
        }
        #expect(schema == "5")
        #expect(after.query.contains("USING COVERING INDEX notices_log_history"), "\(after.query)")
        #expect(!after.insert.contains("OpenEphemeral"), "\(after.insert)")
    }

    /// The verifier checks leaves a chunk ahead of the replay. Whatever the chunk size, a chain with
    /// a key rotation in the middle of a block, and notices signed with the new key after it,
    /// verifies alike.
    @Test(arguments: [1, 2, 3, 7, 1024] as [UInt64])
    func verifyIsTheSameForEveryChunkSize(chunk: UInt64) throws {
        let f = try Fixture()
        let store = try f.memoryStore()
        let ledger = try Ledger(store: store)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let newB = try SigningKey(name: "bank-b.example", seed: [UInt8](repeating: 9, count: 32))
        let rotate = try f.envelope(
            [
                ("member", "bank-b.example"), ("addKeys", .array([.string("\(newB.verifierKey)")])),
                ("removeKeys", .array([.string("\(f.keys["bank-b.example"]!.verifierKey)")])),
            ], kind: "member.update", by: ["bank-a.example", "bank-b.example"], nonce: "rotate", at: t)
        for i in 0..<3 { _ = try ledger.submit(try f.deposit("\(i + 1).00", nonce: "d\(i)", at: t), now: t) }
        _ = try ledger.submit(rotate, now: t)
        for i in 3..<6 { _ = try ledger.submit(try f.deposit("\(i + 1).00", nonce: "d\(i)", at: t), now: t) }
        #expect(try ledger.seal(key: f.validator, now: t, max: 5)?.committed.contains(rotate.notice.id) == true)
        for i in 0..<4 {
            var e = try f.envelope(
                [("from", "bank-a.example/eur"), ("to", "bank-b.example/eur"), ("amount", "0.50"), ("currency", "EUR")],
                kind: "transfer", by: ["bank-a.example"], nonce: "after\(i)", at: t)
            e.sign(with: newB)
            let r = try ledger.submit(e, now: t)
            #expect(r.status == .complete, "\(r)")
        }
        while try ledger.seal(key: f.validator, now: t, max: 3) != nil {}
        #expect(ledger.head.header.logSize == 11)
        let report = try ChainVerifier(store: store, chunk: chunk).verify().get()
        #expect(report.leaves == 11 && report.blocks == ledger.head.header.height + 1)
    }

    /// Two copies of one notice in a batch, one with a forged signature: the forgery is refused on
    /// its own, and the genuine copy is admitted.
    @Test func aForgedCopyInABatchIsRefusedAlone() throws {
        let f = try Fixture()
        let ledger = try Ledger(
            store: f.memoryStore())
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        let genuine = try f.deposit("5.00", nonce: "d", at: t)
        let s = genuine.signatures[0]
        let forged = Envelope(
            notice: genuine.notice, signatures: [NoticeSignature(signer: s.signer, keyID: s.keyID, sig: [UInt8](repeating: 7, count: 64))])
        let results = try ledger.submit([forged, genuine], now: t)
        #expect(throws: CairnError.self) { try results[0].get() }
        if case .failure(let e) = results[0] { #expect(e.code == .badSignature) }
        #expect((try? results[1].get())?.status == .complete)
        #expect(try ledger.seal(key: f.validator, now: t)?.committed == [genuine.notice.id])
    }

    /// A commit that fails leaves no trace: the head, the state and the pool are as before, and the
    /// next seal produces the block that would have been written.
    @Test func failedCommitLeavesNoTrace() throws {
        let f = try Fixture()
        let store = try f.memoryStore()
        let ledger = try Ledger(store: store)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        _ = try ledger.submit(try f.deposit("5.00", nonce: "x", at: t), now: t)
        let head = ledger.head
        store.failNextAppend = true
        #expect(throws: CairnError.self) { try ledger.seal(key: f.validator, now: t) }
        #expect(ledger.head == head)
        #expect(ledger.state.balance("bank-a.example/eur") == 0)
        #expect(try store.pendingCount() == (0, 1))
        let sealed = try #require(try ledger.seal(key: f.validator, now: t))
        #expect(sealed.block.header.height == 1 && sealed.committed.count == 1)
        #expect(try ChainVerifier(store: store).verify().get().leaves == 1)
    }

    /// The rows a block writes row by row go through SQLite's C API (`RowStatement`): a row SQLite
    /// refuses there fails the whole block, with SQLite's own reason, and changes nothing.
    @Test func aBlockSQLiteRefusesChangesNothing() throws {
        let f = try Fixture()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ledger = try LedgerDirectory(dir).initialize(genesisBytes: f.genesisBytes, key: f.validator)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        _ = try ledger.submit(try f.deposit("5.00", nonce: "x", at: t), now: t)
        let first = try #require(try ledger.seal(key: f.validator, now: t))
        _ = try ledger.submit(try f.deposit("1.00", nonce: "y", at: t), now: t)
        // A block 2 that claims leaf 0 again, and a notice index row for a new id.
        var bad = try Ledger.makeGenesisBlock(genesis: f.genesis, key: f.validator)
        var header = first.block.header
        header.height = 2
        header.prev = first.block.hash
        bad.block = StoredBlock(header: header, hash: header.hash, seals: [], checkpoint: "")
        bad.leaves = [(id: String(repeating: "e", count: 64), kind: "deposit", leaf: Array("{}".utf8))]
        bad.balances = []
        do {
            try ledger.store.append(bad)
            Issue.record("SQLite took a second leaf 0")
        } catch {
            #expect("\(error)".contains("UNIQUE constraint failed: leaves.idx"))
        }
        #expect(try ledger.store.head().header.height == 1)
        #expect(try ledger.store.leaves(from: 0, count: 10).count == 1)
        #expect(try ledger.store.notice(String(repeating: "e", count: 64)) == nil)
        #expect(try ledger.store.pendingCount() == (0, 1))
        #expect(try ChainVerifier(store: ledger.store).verify().get().leaves == 1)
    }

    @Test func proofsAtEveryCheckpointVerify() throws {
        let f = try Fixture()
        let store = try f.memoryStore()
        let ledger = try Ledger(store: store)
        let t = Timestamp(rfc3339: "2026-03-01T00:00:00Z")!
        var ids: [String] = []
        for i in 0..<21 {
            _ = try ledger.submit(try f.deposit("1.00", nonce: "n\(i)", at: t), now: t)
            ids += try ledger.seal(key: f.validator, now: t)!.committed
        }
        for size in 1...UInt64(21) {
            for id in ids.prefix(Int(size)) {
                let p = try ledger.inclusionProof(id: id, size: size)
                let verdict = ProofVerifier.verify([try TlogProof.parseMany(p.encoded)[0]], genesis: f.genesis)
                #expect((try? verdict.get())?.envelope.notice.id == id)
            }
        }
    }
}
