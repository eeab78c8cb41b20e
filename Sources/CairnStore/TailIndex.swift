import CairnLedger
import Foundation
import GRDB

/// Lookups by id into the tail of `notices_log`, the rows not yet in the id index (see
/// `Schema.ids`): a map from an id's first 8 bytes to its row's `seq`, kept by each process and
/// reloaded when the head shows that another process appended a block since. A hit is confirmed
/// against the row's id, so a stale entry is never an answer; ids that share a prefix are looked
/// up in the tail itself.
final class TailIndex: @unchecked Sendable {
    private let lock = NSLock()
    /// The head height the map reflects; -1 before the first load.
    private var height: Int64 = -1
    private var seqs: [UInt64: Int64] = [:]
    /// Prefixes of more than one id in the tail.
    private var shared: Set<UInt64> = []
    /// Rows in the tail.
    private var rows = 0
    /// The first `seq` of the tail (`SQLiteStore.tailStart`).
    private var start: Int64 = 0

    /// The first 8 bytes of a lowercase hex id; nil for anything else.
    static func prefix(_ id: String) -> UInt64? {
        var id = id
        return id.withUTF8 { bytes -> UInt64? in
            guard bytes.count >= 16 else { return nil }
            var value: UInt64 = 0
            // Comparisons, not a `switch` over ranges: those were left as generic calls to
            // `ClosedRange.contains`, half of this function's 3% of the ledger thread at 10^6.
            for i in 0..<16 {
                let b = bytes[i]
                let d: UInt8
                if b >= 0x30 && b <= 0x39 {  // 0-9
                    d = b &- 0x30
                } else if b >= 0x61 && b <= 0x66 {  // a-f
                    d = b &- 0x61 &+ 10
                } else {
                    return nil
                }
                value = value << 4 | UInt64(d)
            }
            return value
        }
    }

    /// Brings the map up to what `db` sees if the head moved on since; returns the tail's row
    /// count and first `seq`. A reader whose snapshot is older than the map keeps the map, and
    /// rows it cannot see yet are not found; if the map is past an id index move that the
    /// snapshot cannot see, the reader must read its own tail (`SQLiteStore.notices(_:in:)`). A
    /// writer calls this before it adds a block.
    func refresh(_ db: Database) throws -> (rows: Int, start: Int64) {
        lock.lock()
        defer { lock.unlock() }
        let head = try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM blocks") ?? -1
        if head > height {
            seqs = [:]
            shared = []
            rows = 0
            start = try SQLiteStore.tailStart(db)
            try RowStatement(db, "SELECT seq, id FROM notices_log WHERE seq >= ?").run(
                { $0.int(start) }, row: { add(prefix: TailIndex.prefix($0.text(1) ?? ""), seq: $0.int(0)) })
            height = head
        }
        return (rows, start)
    }

    private func add(prefix: UInt64?, seq: Int64) {
        rows += 1
        guard let p = prefix else { return }
        if seqs[p] == nil { seqs[p] = seq } else { shared.insert(p) }
    }

    /// After block `h`'s transaction committed: its rows, or an empty tail if the block added
    /// the tail to the id index. Skipped if a reader already loaded that state.
    func committed(_ added: [(prefix: UInt64?, seq: Int64)], movedAll: Bool, height h: Int64) {
        lock.lock()
        defer { lock.unlock() }
        guard h > height else { return }
        if movedAll {
            seqs = [:]
            shared = []
            rows = 0
            start = SQLiteStore.logSeq(height: h + 1, place: 0)
        } else {
            for a in added { add(prefix: a.prefix, seq: a.seq) }
        }
        height = h
    }

    /// Prefixes (16 hex digits) of more than one id in the tail from `start`, read afresh from
    /// `db`: where an id could be there twice. Holds 8 bytes per row while it reads.
    static func sharedPrefixes(_ db: Database, from start: Int64) throws -> [String] {
        var seen = Set<UInt64>()
        var shared = Set<UInt64>()
        try RowStatement(db, "SELECT id FROM notices_log WHERE seq >= ?").run(
            { $0.int(start) },
            row: { c in
                if let p = prefix(c.text(0) ?? ""), !seen.insert(p).inserted { shared.insert(p) }
            })
        return shared.map { p in
            let digits = String(p, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    /// The prefixes of the ids in the tail, each once.
    func prefixes() -> [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return Array(seqs.keys)
    }

    enum Place {
        /// Not in the tail.
        case absent
        /// In the row with this `seq`, if that row has this id (a stale map may point elsewhere).
        case row(Int64)
        /// Its prefix is shared: look for it by id, in the rows from this `seq` on.
        case shared(Int64)
    }

    func place(of id: String) -> Place {
        guard let p = TailIndex.prefix(id) else { return .absent }
        lock.lock()
        defer { lock.unlock() }
        if shared.contains(p) { return .shared(start) }
        return seqs[p].map(Place.row) ?? .absent
    }
}
