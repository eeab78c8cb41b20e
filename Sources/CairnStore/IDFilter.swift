import Foundation
import GRDB

/// A Bloom filter of the id prefixes in `notices_ids` (see `Schema.ids`), kept by each process
/// that writes, so that a lookup by id skips the id index when the filter says the prefix is not
/// there. Nearly every id that admission looks up is new, and at 10^6 notices each probe of the
/// id index cost about 2 µs of the ledger thread; a filter answers in a few cache misses.
///
/// A filter only ever errs towards a probe: it holds every entry of the id index as of the tail
/// start it `covers`, and a snapshot is answered from it only when its own tail starts there or
/// before (its entries are then a subset). The writer brings it up to date after each block that
/// moves the tail, from the prefixes it moved; a filter that another process's move left behind,
/// or that has grown too full, is read afresh from `notices_ids` by the next write.
final class IDFilter: @unchecked Sendable {
    private let lock = NSLock()
    /// The filter and the tail start it covers: every entry of `notices_ids` for a row before it
    /// is in the filter. Nil when there is none.
    private var current: (bloom: PrefixBloom, covers: Int64)?

    /// The filter, if it holds every id index entry that a snapshot whose tail starts at `start`
    /// sees; nil when lookups must probe.
    func covering(_ start: Int64) -> PrefixBloom? {
        lock.lock()
        defer { lock.unlock() }
        guard let current, current.covers >= start else { return nil }
        return current.bloom
    }

    /// Reads the filter afresh from `db`, the writer's connection, unless it already covers the
    /// tail start `start`. Sized for the entries there plus `room` more. Only the writer calls
    /// this and `moved`, one at a time, so the table is read outside the lock, and readers keep
    /// probing meanwhile.
    func load(_ db: Database, start: Int64, room: Int) throws {
        lock.lock()
        let covered = current?.covers == start
        lock.unlock()
        guard !covered else { return }
        var prefixes: [UInt64] = []
        try RowStatement(db, "SELECT prefix FROM notices_ids").run({ _ in }, row: { prefixes.append(UInt64(bitPattern: $0.int(0))) })
        var b = PrefixBloom(capacity: prefixes.count + room)
        for p in prefixes { b.insert(p) }
        lock.lock()
        current = (b, start)
        lock.unlock()
    }

    /// After a block's transaction that moved the tail from `from` into the id index, so that the
    /// tail now starts at `to`: `prefixes` are the moved rows'. A filter that did not cover `from`
    /// is left as it is, and a filter grown too full for its size is dropped: the next `load`
    /// reads either afresh.
    func moved(_ prefixes: [UInt64], from: Int64, to: Int64) {
        lock.lock()
        defer { lock.unlock() }
        guard var b = current?.bloom, current?.covers == from else { return }
        current = nil  // one reference, so the inserts below do not copy the bits
        for p in prefixes { b.insert(p) }
        if !b.isCrowded { current = (b, to) }
    }
}

/// A Bloom filter of 64-bit id prefixes with three probes. A prefix is the start of a SHA-256,
/// so three multiplicative hashes of it serve as the probes' positions.
struct PrefixBloom: Sendable {
    private var words: [UInt64]
    /// 64 − log2(bits).
    private let shift: UInt64
    private(set) var count = 0
    private static let multipliers: [UInt64] = [0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9]

    /// Sixteen to thirty-two bits for each of `capacity` entries (a false positive rate near
    /// 0.5%); at least one word.
    init(capacity: Int) {
        var bits = 64
        while bits < capacity * 16 { bits *= 2 }
        words = Array(repeating: 0, count: bits / 64)
        shift = UInt64(64 - bits.trailingZeroBitCount)
    }

    /// Fewer than six bits for each entry: a false positive rate above 6%.
    var isCrowded: Bool { count * 6 > words.count * 64 }

    mutating func insert(_ p: UInt64) {
        for m in PrefixBloom.multipliers {
            let bit = (p &* m) >> shift
            words[Int(bit >> 6)] |= 1 << (bit & 63)
        }
        count += 1
    }

    func mayContain(_ p: UInt64) -> Bool {
        for m in PrefixBloom.multipliers {
            let bit = (p &* m) >> shift
            if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
        }
        return true
    }
}
