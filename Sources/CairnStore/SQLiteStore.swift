import CairnCore
import CairnLedger
import Foundation
import GRDB

/// The node's record of the first response to a member's `Idempotency-Key`.
public struct IdempotentRecord: Sendable {
    public var member: String
    public var key: String
    /// SHA-256 of the request body, to refuse the same key with another body.
    public var request: [UInt8]
    public var status: Int
    public var response: [UInt8]

    public init(member: String, key: String, request: [UInt8], status: Int, response: [UInt8]) {
        self.member = member
        self.key = key
        self.request = request
        self.status = status
        self.response = response
    }
}

/// The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, one
/// transaction per block. See `LedgerStore` for the contract.
/// Sendable: GRDB's pool serializes writes and gives each read its own connection.
public final class SQLiteStore: LedgerStore, @unchecked Sendable {
    public let genesis: Genesis
    let pool: DatabasePool
    /// The database file; its head mark lives beside it (see `HeadMark`).
    let path: String
    /// How many rows of the notice index the tail holds before a block adds them to the id index
    /// (see `Schema.ids`): the map that finds them takes about 8 MiB.
    public static let defaultTailLimit = 262_144
    public let tailLimit: Int
    let tail = TailIndex()
    let filter = IDFilter()

    /// Creates a new ledger file with block 0. Fails if the file exists.
    /// The page size of a new ledger file; a ledger keeps the size it was created with.
    public static let pageSize = 16_384

    public static func create(
        path: String, genesis: Genesis, genesisBlock: BlockCommit, tailLimit: Int = defaultTailLimit
    ) throws -> SQLiteStore {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CairnError(.storage, "couldn't create the ledger: \(path) already exists")
        }
        // 16 KiB pages, fixed when the empty file is first written (WAL mode cannot change them).
        // Measured when the notice index still took each block's rows at random, the ledger
        // thread spent about a quarter less per row than on SQLite's default 4 KiB (BENCHMARKS.md).
        try DatabaseQueue(path: path).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize); VACUUM")
        }
        let pool = try open(path, cacheKiB: defaultCacheKiB)
        try pool.write { db in
            try db.execute(sql: Schema.create)
            try db.execute(sql: Schema.sideTables)
            try db.execute(sql: Schema.idempotencyByTime)
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('schema', ?), ('genesis', ?)",
                arguments: [String(Schema.version).data(using: .utf8)!, Data(genesis.canonicalBytes)])
        }
        let store = SQLiteStore(pool: pool, genesis: genesis, tailLimit: tailLimit, path: path)
        try store.append(genesisBlock)
        return store
    }

    /// Each connection's page cache, in KiB: enough for the id index of about 10^6 notices, which
    /// admission looks up at random (SQLite's default is 2 MiB).
    public static let defaultCacheKiB = 32_768
    /// For a process that reads the ledger once, in order, as `cairn verify` does: a larger cache
    /// saves it little, and would make its memory grow with the ledger up to the cache's size.
    public static let scanCacheKiB = 8_192

    /// Opens an existing ledger, first bringing one of an earlier schema up to date. Fails closed:
    /// a missing file, a file that is not a Cairn ledger (left untouched), a schema this build does
    /// not read, or a block 0 that does not commit to its genesis is an error. Nothing is created.
    public static func open(path: String, tailLimit: Int = defaultTailLimit, cacheKiB: Int = defaultCacheKiB) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CairnError(.storage, "couldn't open the ledger: \(path) does not exist (only `cairn init` creates one)")
        }
        // Read the schema read-only first: opening a pool switches a file to WAL mode.
        var readOnly = Configuration()
        readOnly.readonly = true
        guard let schema = try DatabaseQueue(path: path, configuration: readOnly).read(schemaVersion) else {
            throw CairnError(.storage, "couldn't open the ledger: \(path) is not a Cairn ledger (it has no schema record)")
        }
        guard let version = Int(schema), (1...Schema.version).contains(version) else {
            throw CairnError(
                .storage,
                "couldn't open the ledger: \(path) is of schema \(schema), and this cairn reads schemas 1 to \(Schema.version); use the cairn that made it"
            )
        }
        let pool = try open(path, cacheKiB: cacheKiB)
        try upgrade(pool, path: path)
        let (genesisBytes, header) = try pool.read { db in
            (
                try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'genesis'"),
                try Data.fetchOne(db, sql: "SELECT header FROM blocks WHERE height = 0")
            )
        }
        guard let genesisBytes, let header else {
            throw CairnError(.storage, "couldn't open the ledger: \(path) has no genesis record or no block 0")
        }
        let genesis = try Genesis(bytes: Array(genesisBytes))
        guard try BlockHeader(canonical: Array(header)).genesis == genesis.hash else {
            throw CairnError(.storage, "couldn't open the ledger: block 0 of \(path) does not commit to its genesis")
        }
        let store = SQLiteStore(pool: pool, genesis: genesis, tailLimit: tailLimit, path: path)
        if let mark = try HeadMark.read(for: path) {
            try mark.check(head: try store.head(), blockAtMark: try store.block(at: mark.height), database: path)
        }
        return store
    }

    private static func open(_ path: String, cacheKiB: Int) throws -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            db.add(function: idPrefix)
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets synchronous=NORMAL on WAL pools; Cairn acknowledges nothing that is not fsynced.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return pool
    }

    /// The `schema` record of a Cairn ledger; nil for a file without one.
    private static func schemaVersion(_ db: Database) throws -> String? {
        guard try db.tableExists("meta") else { return nil }
        return try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'").map { String(decoding: $0, as: UTF8.self) }
    }

    /// Brings a ledger of an earlier layout up to date, in one transaction (see `Schema`): the
    /// tables outside the chain, the pool's layout, schema 1's subtree rows, schema 2's lack of a
    /// tail, schema 3's index keyed by id, and schema 4's history index.
    private static func upgrade(_ pool: DatabasePool, path: String) throws {
        do {
            try pool.write { db in
                try db.execute(sql: Schema.sideTables)
                if try !db.columns(in: "idempotency").contains(where: { $0.name == "created_at" }) {
                    try db.execute(sql: "ALTER TABLE idempotency ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0")
                }
                try db.execute(sql: Schema.idempotencyByTime)
                let pendingKey = try String.fetchOne(db, sql: "SELECT name FROM pragma_table_info('pending') WHERE pk = 1")
                if pendingKey == "id" { try db.execute(sql: Schema.migratePending) }
                if try schemaVersion(db) == "1" { try db.execute(sql: Schema.migrateFrom1) }
                if try schemaVersion(db) == "2" { try db.execute(sql: Schema.migrateFrom2) }
                if try schemaVersion(db) == "3" { try db.execute(sql: Schema.migrateFrom3) }
                if try schemaVersion(db) == "4" { try db.execute(sql: Schema.migrateFrom4) }
            }
        } catch {
            throw CairnError(
                .storage,
                "couldn't bring \(path) up to schema \(Schema.version), so nothing in it was changed: \(error). Check the disk and the file's permissions, then open it again"
            )
        }
    }

    private init(pool: DatabasePool, genesis: Genesis, tailLimit: Int, path: String) {
        self.path = path
        self.pool = pool
        self.genesis = genesis
        self.tailLimit = tailLimit
    }

    /// `cairn_id_prefix(id)`: the key of an id in `notices_ids` (see `Schema.ids`), the first 8
    /// bytes of a lowercase hex id as a signed integer; NULL for anything else.
    static let idPrefix = DatabaseFunction("cairn_id_prefix", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).flatMap(TailIndex.prefix).map { Int64(bitPattern: $0) }
    }

    /// The first `seq` of the tail: the rows from there on are not in `notices_ids` yet.
    static func tailStart(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT (MAX(height) + 1) << 32 FROM notices_indexed") ?? 0
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL) and `journal_mode`.
    public func durabilitySettings() throws -> (synchronous: Int, journalMode: String) {
        try pool.writeWithoutTransaction { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1, try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "")
        }
    }

    // MARK: Blocks

    private static func block(_ row: Row, seals: [Seal]) throws -> StoredBlock {
        let headerBytes: Data = row["header"]
        let hash: Data = row["hash"]
        guard let h = Hash(Array(hash)) else {
            throw CairnError(
                .storage,
                "couldn't read block \((try? row.decode(Int64.self, atIndex: 0)) ?? -1): its stored hash is malformed; run cairn verify")
        }
        return StoredBlock(header: try BlockHeader(canonical: Array(headerBytes)), hash: h, seals: seals, checkpoint: row["checkpoint"])
    }

    private static func seals(_ db: Database, height: Int64) throws -> [Seal] {
        try Row.fetchAll(db, sql: "SELECT signer, key_id, sig FROM seals WHERE height = ? ORDER BY signer, key_id", arguments: [height]).map
        {
            Seal(signer: $0["signer"], keyID: UInt32(truncatingIfNeeded: $0["key_id"] as Int64), sig: Array($0["sig"] as Data))
        }
    }

    private func block(where clause: String, _ arguments: StatementArguments) throws -> StoredBlock? {
        try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT height, hash, header, checkpoint FROM blocks WHERE \(clause)", arguments: arguments)
            else {
                return nil
            }
            return try SQLiteStore.block(row, seals: SQLiteStore.seals(db, height: row["height"]))
        }
    }

    public func head() throws -> StoredBlock {
        guard let b = try block(where: "height = (SELECT MAX(height) FROM blocks)", []) else {
            throw CairnError(.storage, "the ledger has no blocks")
        }
        return b
    }

    public func block(at height: UInt64) throws -> StoredBlock? {
        guard let h = Int64(exactly: height) else { return nil }
        return try block(where: "height = ?", [h])
    }

    /// The `log_size` column is an index of the headers' `logSize`: the block found is checked
    /// against its header, so an edited column is an error, never a wrong checkpoint or proof.
    public func lastBlock(withLogSize size: UInt64) throws -> StoredBlock? {
        guard let s = Int64(exactly: size) else { return nil }
        guard let b = try block(where: "height = (SELECT MAX(height) FROM blocks WHERE log_size = ?)", [s]) else { return nil }
        guard b.header.logSize == size else {
            throw CairnError(
                .storage,
                "block \(b.header.height)'s log_size column says \(size), but its header says \(b.header.logSize): run cairn verify")
        }
        return b
    }

    // MARK: Notices and leaves

    /// The notice index columns that `record` reads, in its order.
    static let recordColumns = "id, status, height, leaf_idx, code, message"

    /// A notice index row of `recordColumns`.
    /// A row that no Cairn wrote (an unknown status, a negative height) is an error, never read
    /// as some other record.
    static func record(_ c: RowStatement.Columns) throws -> NoticeRecord {
        guard let id = c.text(0), let status = c.text(1).flatMap(NoticeRecord.Status.init),
            status == .committed || status == .rejected
        else {
            throw CairnError(
                .storage, "a row of the notice index has no id or an unknown status (\(c.text(1) ?? "null")): run cairn verify")
        }
        func count(_ i: Int32) throws -> UInt64? {
            if c.isNull(i) { return nil }
            guard let v = UInt64(exactly: c.int(i)) else {
                throw CairnError(.storage, "the notice index row of \(id) holds a negative height or leaf index: run cairn verify")
            }
            return v
        }
        return NoticeRecord(id: id, status: status, height: try count(2), leafIndex: try count(3), code: c.text(4), message: c.text(5))
    }

    public func notice(_ id: String) throws -> NoticeRecord? {
        try notices([id])[id]
    }

    public func notices(_ ids: [String]) throws -> [String: NoticeRecord] {
        try pool.read { db in try notices(ids, in: db) }
    }

    /// On the writing connection, in a transaction that only reads. A reading connection drops
    /// its whole page cache when it starts a transaction after another connection has committed,
    /// so at 10^6 notices each id index probe of admission read its pages from the OS again:
    /// several KiB copied per notice. The writer's cache outlives its own commits.
    /// The writer also brings the process's filter of the id index up to date (`IDFilter`).
    public func noticesBeforeWriting(_ ids: [String]) throws -> [String: NoticeRecord] {
        try pool.write { db in
            try filter.load(db, start: try SQLiteStore.tailStart(db), room: tailLimit)
            return try notices(ids, in: db)
        }
    }

    /// The lookups of `notices`, in `db`'s snapshot.
    func notices(_ ids: [String], in db: Database) throws -> [String: NoticeRecord] {
        // A batch's lookups, nearly all misses, through SQLite's C API (see `RowStatement`):
        // the tail, then the id index, then the pool.
        var (map, start) = (tail, try tail.refresh(db).start)
        if start > (try SQLiteStore.tailStart(db)) {
            // The process's map is past an id index move that this snapshot cannot see: the
            // snapshot has neither the moved rows' entries nor, in the map, their places. Its
            // own tail is read for this call.
            map = TailIndex()
            start = try map.refresh(db).start
        }
        // An id index or a pool that is empty is not probed: no block has filled the tail
        // yet (the tail's first `seq` is 0), or every notice arrives complete.
        let hasIndex = start > 0
        // The id index is probed only for a prefix that the filter, if it covers this snapshot, may hold.
        let bloom = filter.covering(start)
        let hasPending = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending)") ?? true
        let tailRow = try TailRow(db)
        // A join, not `seq IN (SELECT ...)`: SQLite builds a temporary table for the
        // subquery each time the statement runs.
        let indexed = try RowStatement(
            db, "SELECT \(SQLiteStore.recordColumns) FROM notices_ids JOIN notices_log USING (seq) WHERE prefix = ?")
        let pending = try RowStatement(db, "SELECT complete FROM pending WHERE id = ?")
        var out: [String: NoticeRecord] = [:]
        for id in ids {
            // Only hits are hashed into `out`: nearly every id is new.
            var found = try tailRow.find(id, in: map)
            if found == nil, hasIndex, let prefix = TailIndex.prefix(id), bloom?.mayContain(prefix) ?? true {
                try indexed.run(
                    { $0.int(Int64(bitPattern: prefix)) },
                    row: { c in
                        let r = try SQLiteStore.record(c)
                        if r.id == id { found = r }
                    })
            }
            if found == nil, hasPending {
                try pending.run(
                    { $0.text(id) }, row: { c in found = NoticeRecord(id: id, status: c.int(0) != 0 ? .complete : .pending) })
            }
            if let found { out[id] = found }
        }
        return out
    }

    public func leaves(from index: UInt64, count: UInt64) throws -> [[UInt8]] {
        try pool.read { db in
            var out: [[UInt8]] = []
            out.reserveCapacity(Int(count))
            try RowStatement(db, "SELECT leaf FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx").run {
                $0.int(Int64(index))
                $0.int(Int64(index + count))
            } row: {
                out.append($0.blob(0))
            }
            return out
        }
    }

    public func node(level: Int, index: UInt64) throws -> Hash {
        try pool.read { db in try Nodes(db: db).node(level: level, index: index) }
    }

    /// One proof reads all its nodes in one read transaction.
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [Hash] {
        try pool.read { db in try Nodes(db: db).inclusionProof(index: index, size: size) }
    }

    public func consistencyProof(old: UInt64, new: UInt64) throws -> [Hash] {
        try pool.read { db in try Nodes(db: db).consistencyProof(old: old, new: new) }
    }

    /// The `nodes` table seen through one connection.
    struct Nodes: MerkleNodeSource {
        let db: Database

        func node(level: Int, index: UInt64) throws -> Hash {
            if level == 0 {
                let leaf = try Data.fetchOne(db.cachedStatement(sql: "SELECT leaf FROM leaves WHERE idx = ?"), arguments: [Int64(index)])
                guard let leaf else { throw CairnError(.storage, "leaf \(index) is missing") }
                return Merkle.leafHash(Array(leaf))
            }
            let data = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT hash FROM nodes WHERE level = ? AND idx = ?"), arguments: [level, Int64(index)])
            guard let data, let h = Hash(Array(data)) else {
                throw CairnError(.storage, "subtree hash at level \(level), index \(index) is missing")
            }
            return h
        }
    }

    public func balances(at height: UInt64) throws -> [(account: String, balance: Int64)] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT account, balance FROM balances b
                    WHERE height = (SELECT MAX(height) FROM balances WHERE account = b.account AND height <= ?)
                    ORDER BY account
                    """, arguments: [Int64(height)]
            ).map { ($0["account"], $0["balance"]) }
        }
    }

    public func leafIndices(kind: String, below size: UInt64) throws -> [UInt64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: Self.historyQuery, arguments: [kind, Int64(size)]).map(UInt64.init)
        }
    }

    /// Searches `Schema.history` for one of its kinds (SQLite plans it once the kind is bound).
    static let historyQuery = "SELECT leaf_idx FROM notices_log WHERE kind = ? AND leaf_idx < ? ORDER BY leaf_idx"

    public func instances(at height: UInt64) throws -> [(id: String, contract: String, state: [UInt8])] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, contract, state FROM instances i
                    WHERE height = (SELECT MAX(height) FROM instances WHERE id = i.id AND height <= ?) AND state IS NOT NULL
                    ORDER BY id
                    """, arguments: [Int64(height)]
            ).map { ($0["id"], $0["contract"], Array($0["state"] as Data)) }
        }
    }

    public func instanceHeights(_ id: String?, from: UInt64, through: UInt64) throws -> [UInt64] {
        guard from <= through, let low = Int64(exactly: from) else { return [] }
        let high = Int64(exactly: through) ?? .max
        return try pool.read { db in
            let sql =
                id == nil
                ? "SELECT DISTINCT height FROM instances WHERE height BETWEEN ? AND ? ORDER BY height"
                : "SELECT height FROM instances WHERE id = ? AND height BETWEEN ? AND ? ORDER BY height"
            let args: StatementArguments = id.map { [$0, low, high] } ?? [low, high]
            return try Int64.fetchAll(db, sql: sql, arguments: args).map { h in
                guard let u = UInt64(exactly: h) else { throw CairnError(.storage, "an instances row has height \(h); run cairn verify") }
                return u
            }
        }
    }

    public func closedInstances(at height: UInt64) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM instances WHERE state IS NULL AND height <= ? ORDER BY id", arguments: [Int64(height)])
        }
    }

    // MARK: Pending pool

    public func pending(_ id: String) throws -> (envelope: [UInt8], complete: Bool)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT envelope, complete FROM pending WHERE id = ?", arguments: [id]).map {
                (Array($0["envelope"] as Data), $0["complete"])
            }
        }
    }

    public func putPending(_ items: [PendingItem]) throws {
        try pool.write { db in
            // A new notice gets the next seq (rowid); more signatures keep the notice's place.
            let insert = try RowStatement(
                db,
                """
                INSERT INTO pending (id, envelope, complete, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET envelope = excluded.envelope, complete = excluded.complete
                """)
            for item in items {
                try insert.run {
                    $0.text(item.id)
                    $0.blob(item.envelope)
                    $0.int(item.complete ? 1 : 0)
                    $0.int(item.expiresAt.seconds)
                }
            }
        }
    }

    public func deletePending(_ ids: [String]) throws {
        try pool.write { db in
            let delete = try RowStatement(db, "DELETE FROM pending WHERE id = ?")
            for id in ids { try delete.run { $0.text(id) } }
        }
    }

    public func completePending(limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        try pendingRows("SELECT id, envelope FROM pending WHERE complete = 1 ORDER BY seq LIMIT ?") { $0.int(Int64(limit)) }
    }

    public func expiredPending(before time: Timestamp, limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        try pendingRows("SELECT id, envelope FROM pending WHERE complete = 0 AND expires_at < ? ORDER BY seq LIMIT ?") {
            $0.int(time.seconds)
            $0.int(Int64(limit))
        }
    }

    /// The pool holds canonical envelopes, so an act's bytes hold `"kind":"contract.act"`; a row
    /// that merely quotes it is returned too, and told apart by the caller.
    public func incompletePendingActs(limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        try pendingRows(
            """
            SELECT id, envelope FROM pending
            WHERE complete = 0 AND instr(envelope, CAST('"kind":"contract.act"' AS BLOB)) > 0 ORDER BY seq LIMIT ?
            """
        ) { $0.int(Int64(limit)) }
    }

    private func pendingRows(_ sql: String, _ bind: (inout RowStatement.Binder) -> Void) throws -> [(id: String, envelope: [UInt8])] {
        try pool.read { db in
            var out: [(id: String, envelope: [UInt8])] = []
            try RowStatement(db, sql).run(bind) { out.append(($0.text(0) ?? "", $0.blob(1))) }
            return out
        }
    }

    public func pendingCount() throws -> (pending: Int, complete: Int) {
        try pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending WHERE complete = 0") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending WHERE complete = 1") ?? 0
            )
        }
    }

    // MARK: Append

    public func append(_ c: BlockCommit) throws {
        let h = c.block.header
        let height = Int64(h.height)
        // Each row's id prefix (see `TailIndex`) and seq, for the map once the block is committed.
        var added: [(prefix: UInt64?, seq: Int64)] = []
        // The prefixes of a tail that this block moves into the id index, and where it started.
        var moved: (prefixes: [UInt64], from: Int64)?
        try pool.write { db in
            // Index rows are appended to the log (see `Schema.log`). An id already in the tail is
            // refused here; the ledger looks every id up before it commits it, and `verify` finds
            // an id anywhere twice.
            let (tailRows, tailStart) = try tail.refresh(db)
            let tailRow = try TailRow(db)
            for id in c.leaves.map(\.id) + c.rejections.map(\.id) where try tailRow.find(id, in: tail) != nil {
                throw CairnError(.storage, "couldn't write block \(height): notice \(id) is already in the index")
            }
            try db.execute(
                sql: "INSERT INTO blocks (height, hash, header, log_size, checkpoint) VALUES (?, ?, ?, ?, ?)",
                arguments: [height, Data(c.block.hash.bytes), Data(h.canonicalBytes), Int64(h.logSize), c.block.checkpoint])
            for s in c.block.seals {
                try db.execute(
                    sql: "INSERT INTO seals (height, signer, key_id, sig) VALUES (?, ?, ?, ?)",
                    arguments: [height, s.signer, Int64(s.keyID), Data(s.sig)])
            }
            // A block's rows go through SQLite's C API (see `RowStatement`).
            let insertLeaf = try RowStatement(db, "INSERT INTO leaves (idx, leaf) VALUES (?, ?)")
            let insertCommitted = try RowStatement(
                db, "INSERT INTO notices_log (seq, id, status, height, leaf_idx, kind) VALUES (?, ?, 'committed', ?, ?, ?)")
            let insertRejected = try RowStatement(
                db, "INSERT INTO notices_log (seq, id, status, height, code, message) VALUES (?, ?, 'rejected', ?, ?, ?)")
            let unpend = try RowStatement(db, "DELETE FROM pending WHERE id = ?")
            for (i, l) in c.leaves.enumerated() {
                let idx = Int64(h.firstLeaf) + Int64(i)
                try insertLeaf.run {
                    $0.int(idx)
                    $0.blob(l.leaf)
                }
                let seq = SQLiteStore.logSeq(height: height, place: added.count)
                try insertCommitted.run {
                    $0.int(seq)
                    $0.text(l.id)
                    $0.int(height)
                    $0.int(idx)
                    $0.text(l.kind)
                }
                added.append((TailIndex.prefix(l.id), seq))
            }
            for r in c.rejections {
                let seq = SQLiteStore.logSeq(height: height, place: added.count)
                try insertRejected.run {
                    $0.int(seq)
                    $0.text(r.id)
                    $0.int(height)
                    $0.text(r.code)
                    $0.text(r.message)
                }
                added.append((TailIndex.prefix(r.id), seq))
            }
            // A full tail goes into the id index, sorted, so each of its pages is written once.
            if tailRows + added.count >= tailLimit {
                try db.execute(
                    sql: """
                        INSERT INTO notices_ids (prefix, seq)
                            SELECT cairn_id_prefix(id), seq FROM notices_log WHERE seq >= ? ORDER BY 1, 2
                        """, arguments: [tailStart])
                try db.execute(sql: "INSERT INTO notices_indexed (height) VALUES (?)", arguments: [height])
                moved = (tail.prefixes() + added.compactMap(\.prefix), tailStart)
            }
            for id in c.pooled { try unpend.run { $0.text(id) } }
            let insertNode = try RowStatement(db, "INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)")
            for n in c.nodes {
                try insertNode.run {
                    $0.int(Int64(n.level))
                    $0.int(Int64(n.index))
                    $0.blob(n.hash.bytes)
                }
            }
            let insertBalance = try db.cachedStatement(sql: "INSERT INTO balances (account, height, balance) VALUES (?, ?, ?)")
            for b in c.balances {
                try insertBalance.execute(arguments: [b.account, height, b.balance])
            }
            for i in c.instances {
                try db.execute(
                    sql: "INSERT INTO instances (id, height, contract, state) VALUES (?, ?, ?, ?)",
                    arguments: [i.id, height, i.contract, i.state.map { Data($0) }])
            }
        }
        tail.committed(added, movedAll: moved != nil, height: height)
        if let moved { filter.moved(moved.prefixes, from: moved.from, to: SQLiteStore.logSeq(height: height + 1, place: 0)) }
        try HeadMark(height: h.height, hash: c.block.hash).store(for: path)
    }

    /// Finds an id's row in the tail through its `TailIndex`.
    struct TailRow {
        let bySeq: RowStatement
        let byID: RowStatement

        init(_ db: Database) throws {
            bySeq = try RowStatement(db, "SELECT \(SQLiteStore.recordColumns) FROM notices_log WHERE seq = ?")
            byID = try RowStatement(db, "SELECT \(SQLiteStore.recordColumns) FROM notices_log WHERE seq >= ? AND id = ?")
        }

        func find(_ id: String, in tail: TailIndex) throws -> NoticeRecord? {
            var found: NoticeRecord?
            switch tail.place(of: id) {
            case .absent: break
            case .row(let seq):
                try bySeq.run(
                    { $0.int(seq) },
                    row: { c in
                        let r = try SQLiteStore.record(c)
                        if r.id == id { found = r }
                    })
            case .shared(let start):
                try byID.run(
                    {
                        $0.int(start)
                        $0.text(id)
                    }, row: { found = try SQLiteStore.record($0) })
            }
            return found
        }
    }

    /// The `seq` of a block's row in the log (see `Schema.log`).
    static func logSeq(height: Int64, place: Int) -> Int64 { height << 32 | Int64(place) }

    // MARK: Outside the chain

    public func cosignatures(height: UInt64) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT line FROM cosignatures WHERE height = ? ORDER BY witness", arguments: [Int64(height)])
        }
    }

    public func putCosignature(height: UInt64, witness: String, line: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO cosignatures (height, witness, line) VALUES (?, ?, ?)",
                arguments: [Int64(height), witness, line])
        }
    }

    /// The response recorded for `member`'s `Idempotency-Key` at `since` or later, with the
    /// request it answered; an older record is as good as gone.
    public func idempotentResponse(member: String, key: String, since: Timestamp) throws -> (
        request: [UInt8], status: Int, response: [UInt8]
    )? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT request, status, response FROM idempotency WHERE member = ? AND key = ? AND created_at >= ?",
                arguments: [member, key, since.seconds]
            ).map { row in (Array(row["request"] as Data), row["status"], Array(row["response"] as Data)) }
        }
    }

    /// Records the first response to each `Idempotency-Key` at `now`, in one commit, after
    /// dropping the records from before `keepSince`; a later response for a key already recorded
    /// (since then) is ignored.
    public func putIdempotentResponses(_ records: [IdempotentRecord], now: Timestamp, keepSince: Timestamp) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [keepSince.seconds])
            for r in records {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO idempotency (member, key, request, status, response, created_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [r.member, r.key, Data(r.request), r.status, Data(r.response), now.seconds])
            }
        }
    }

    // MARK: Verification support

    public func derivedRows(of header: BlockHeader) throws -> DerivedRows {
        try pool.read { db in
            let h = Int64(header.height)
            // The subtrees completed by leaves firstLeaf..<logSize: at level L, those whose last
            // leaf, (i + 1) * 2^L - 1, is among them. They and the block's index rows, about as
            // many as its leaves, are read through SQLite's C API (see `RowStatement`).
            var nodes: [MerkleNode] = []
            let subtrees = try RowStatement(db, "SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ?")
            for level in 1..<64 where header.logSize >> UInt64(level) > header.firstLeaf >> UInt64(level) {
                try subtrees.run {
                    $0.int(Int64(level))
                    $0.int(Int64(header.firstLeaf >> UInt64(level)))
                    $0.int(Int64(header.logSize >> UInt64(level)))
                } row: {
                    nodes.append(MerkleNode(level: level, index: UInt64($0.int(0)), hash: Hash($0.blob(1)) ?? Merkle.emptyRoot))
                }
            }
            let balances = try Row.fetchAll(db, sql: "SELECT account, balance FROM balances WHERE height = ?", arguments: [h]).map {
                (account: try $0.decode(String.self, forColumn: "account"), balance: try $0.decode(Int64.self, forColumn: "balance"))
            }
            var notices: [NoticeRecord] = []
            var kinds: [String: String?] = [:]
            var places: [Int64] = []
            let first = SQLiteStore.logSeq(height: h, place: 0)
            try RowStatement(
                db,
                """
                SELECT \(SQLiteStore.recordColumns), kind, seq FROM notices_log WHERE seq >= ? AND seq < ? ORDER BY seq
                """
            ).run {
                $0.int(first)
                $0.int(SQLiteStore.logSeq(height: h + 1, place: 0))
            } row: {
                let record = try SQLiteStore.record($0)
                notices.append(record)
                kinds[record.id] = $0.text(6)
                places.append($0.int(7) - first)
            }
            let instances = try Row.fetchAll(db, sql: "SELECT id, contract, state FROM instances WHERE height = ?", arguments: [h]).map {
                (
                    id: try $0.decode(String.self, forColumn: "id"), contract: try $0.decode(String.self, forColumn: "contract"),
                    state: try $0.decode(Data?.self, forColumn: "state").map { Array($0) }
                )
            }
            let logSize = try Int64.fetchOne(db, sql: "SELECT log_size FROM blocks WHERE height = ?", arguments: [h])
            let cosignatures = try String.fetchAll(
                db, sql: "SELECT line FROM cosignatures WHERE height = ? ORDER BY witness", arguments: [h])
            return DerivedRows(
                nodes: nodes, balances: balances, notices: notices, kinds: kinds, instances: instances,
                indexedLogSize: logSize, cosignatures: cosignatures, places: places)
        }
    }

    /// Ids in the log more than once. Entries of the id index that share a prefix are compared by
    /// their rows, in the index's order; each tail row is looked up in the id index; and within
    /// the tail only rows with a shared prefix are compared. None of it sorts the log, whose size
    /// would then show in `verify`'s memory.
    public func repeatedIDs() throws -> [(id: String, height: UInt64)] {
        try pool.read { db in
            var out: [(id: String, height: UInt64)] = []
            let row = { (c: RowStatement.Columns) in out.append((c.text(0) ?? "", UInt64(c.int(1)))) }
            let start = try SQLiteStore.tailStart(db)
            try RowStatement(
                db,
                """
                SELECT l.id, MAX(l.height)
                FROM (SELECT prefix FROM notices_ids GROUP BY prefix HAVING COUNT(*) > 1) p
                    CROSS JOIN notices_ids i CROSS JOIN notices_log l
                WHERE i.prefix = p.prefix AND l.seq = i.seq
                GROUP BY l.id HAVING COUNT(*) > 1 LIMIT 10
                """
            ).run({ _ in }, row: row)
            try RowStatement(
                db,
                """
                SELECT t.id, MAX(t.height, l.height) FROM notices_log t CROSS JOIN notices_ids i CROSS JOIN notices_log l
                WHERE t.seq >= ? AND i.prefix = cairn_id_prefix(t.id) AND l.seq = i.seq AND l.seq < ? AND l.id = t.id LIMIT 10
                """
            ).run(
                {
                    $0.int(start)
                    $0.int(start)
                }, row: row)
            let shared = try TailIndex.sharedPrefixes(db, from: start)
            if !shared.isEmpty {
                let list = shared.map { "'\($0)'" }.joined(separator: ",")
                try RowStatement(
                    db,
                    """
                    SELECT id, MAX(height) FROM notices_log WHERE seq >= ? AND substr(id, 1, 16) IN (\(list))
                    GROUP BY id HAVING COUNT(*) > 1 LIMIT 10
                    """
                ).run({ $0.int(start) }, row: row)
            }
            return out.sorted { $0.height < $1.height }
        }
    }

    /// The id index must have an entry for each row of the log before the tail, and no other: the
    /// entries are counted, and each row's entry is looked up (see `Schema.ids`).
    public func idLookupFault() throws -> String? {
        try pool.read { db in
            let start = try SQLiteStore.tailStart(db)
            let past = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_ids WHERE seq >= ?", arguments: [start]) ?? 0
            guard past == 0 else { return "the id index has entries past its last indexed block (\(past) in all)" }
            var missing: (id: String, height: Int64)?
            try RowStatement(
                db,
                """
                SELECT id, height FROM notices_log l WHERE seq < ?
                    AND NOT EXISTS (SELECT 1 FROM notices_ids WHERE prefix = cairn_id_prefix(l.id) AND seq = l.seq)
                LIMIT 1
                """
            ).run({ $0.int(start) }, row: { missing = ($0.text(0) ?? "", $0.int(1)) })
            if let missing { return "notice \(missing.id) of block \(missing.height) is missing from the id index" }
            let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_log WHERE seq < ?", arguments: [start]) ?? 0
            let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_ids") ?? 0
            guard entries == rows else { return "the id index has \(entries) entries for \(rows) indexed rows" }
            return nil
        }
    }

    public func strayRows(after header: BlockHeader) throws -> Int {
        try pool.read { db in
            let h = Int64(header.height)
            var n = 0
            // Rows above the head, or at heights no block has (negative ones included).
            for t in ["blocks", "seals", "notices_log", "notices_indexed", "balances", "instances", "cosignatures"] {
                n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t) WHERE height > ? OR height < 0", arguments: [h]) ?? 0
            }
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_log WHERE leaf_idx < 0") ?? 0
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM leaves WHERE idx < 0") ?? 0
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM nodes WHERE idx < 0") ?? 0
            // A log row outside its block's range of `seq` (see `Schema.log`), which no block's
            // rows would include.
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notices_log WHERE seq >> 32 != height") ?? 0
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM leaves WHERE idx >= ?", arguments: [Int64(header.logSize)]) ?? 0
            // Subtree rows exist only for levels 1 to 63, and only for subtrees inside the log.
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM nodes WHERE level < 1") ?? 0
            n += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM nodes WHERE level > 63") ?? 0
            for level in 1..<64 {
                n +=
                    try Int.fetchOne(
                        db.cachedStatement(sql: "SELECT COUNT(*) FROM nodes WHERE level = ? AND idx >= ?"),
                        arguments: [level, Int64(header.logSize >> UInt64(level))]) ?? 0
            }
            return n
        }
    }
}
