import CairnCore
import CairnLedger

/// An in-memory `LedgerStore` for tests and tools: the same contract as `SQLiteStore`, with
/// durability replaced by process lifetime. `failNextAppend` injects a failure before anything
/// of the block is written, to test that a failed commit leaves no trace.
public final class MemoryStore: LedgerStore {
    public let genesis: Genesis
    private var blocks: [StoredBlock] = []
    private var leafBytes: [[UInt8]] = []
    private var notices: [String: NoticeRecord] = [:]
    private var noticeKinds: [String: String] = [:]
    private var nodes: [String: (node: MerkleNode, height: UInt64)] = [:]
    private var balanceRows: [(account: String, height: UInt64, balance: Int64)] = []
    private var instanceRows: [(id: String, height: UInt64, contract: String, state: [UInt8]?)] = []
    private var pool: [PendingItem] = []
    private var cosigned: [UInt64: [String: String]] = [:]
    public var failNextAppend = false

    public init(genesis: Genesis, genesisBlock: BlockCommit) throws {
        self.genesis = genesis
        try append(genesisBlock)
    }

    public func head() throws -> StoredBlock { blocks[blocks.count - 1] }

    public func block(at height: UInt64) throws -> StoredBlock? {
        height < blocks.count ? blocks[Int(height)] : nil
    }

    public func lastBlock(withLogSize size: UInt64) throws -> StoredBlock? {
        blocks.last { $0.header.logSize == size }
    }

    public func notice(_ id: String) throws -> NoticeRecord? {
        if let r = notices[id] { return r }
        return pool.first { $0.id == id }.map { NoticeRecord(id: id, status: $0.complete ? .complete : .pending) }
    }

    public func notices(_ ids: [String]) throws -> [String: NoticeRecord] {
        var out: [String: NoticeRecord] = [:]
        for id in ids { out[id] = try notice(id) }
        return out
    }

    public func leaves(from index: UInt64, count: UInt64) throws -> [[UInt8]] {
        let end = min(Int(index + count), leafBytes.count)
        return Int(index) < end ? Array(leafBytes[Int(index)..<end]) : []
    }

    public func node(level: Int, index: UInt64) throws -> Hash {
        if level == 0, index < leafBytes.count { return Merkle.leafHash(leafBytes[Int(index)]) }
        guard let n = nodes["\(level)/\(index)"] else {
            throw CairnError(.storage, "subtree hash at level \(level), index \(index) is missing")
        }
        return n.node.hash
    }

    public func balances(at height: UInt64) throws -> [(account: String, balance: Int64)] {
        var latest: [String: Int64] = [:]
        for row in balanceRows where row.height <= height { latest[row.account] = row.balance }
        return latest.keys.sorted().map { ($0, latest[$0]!) }
    }

    public func leafIndices(kind: String, below size: UInt64) throws -> [UInt64] {
        notices.values.filter { noticeKinds[$0.id] == kind && ($0.leafIndex ?? .max) < size }.compactMap(\.leafIndex).sorted()
    }

    public func instances(at height: UInt64) throws -> [(id: String, contract: String, state: [UInt8])] {
        var latest: [String: (contract: String, state: [UInt8]?)] = [:]
        for row in instanceRows where row.height <= height { latest[row.id] = (row.contract, row.state) }
        return latest.keys.sorted().compactMap { id in latest[id]!.state.map { (id, latest[id]!.contract, $0) } }
    }

    public func instanceHeights(_ id: String?, from: UInt64, through: UInt64) throws -> [UInt64] {
        Array(Set(instanceRows.filter { ($0.id == id || id == nil) && $0.height >= from && $0.height <= through }.map(\.height))).sorted()
    }

    public func closedInstances(at height: UInt64) throws -> [String] {
        instanceRows.filter { $0.height <= height && $0.state == nil }.map(\.id).sorted()
    }

    public func pending(_ id: String) throws -> (envelope: [UInt8], complete: Bool)? {
        pool.first { $0.id == id }.map { ($0.envelope, $0.complete) }
    }

    public func putPending(_ items: [PendingItem]) throws {
        for item in items {
            if let i = pool.firstIndex(where: { $0.id == item.id }) { pool[i] = item } else { pool.append(item) }
        }
    }

    public func deletePending(_ ids: [String]) throws {
        let gone = Set(ids)
        pool.removeAll { gone.contains($0.id) }
    }

    public func completePending(limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        pool.filter(\.complete).prefix(limit).map { ($0.id, $0.envelope) }
    }

    public func expiredPending(before time: Timestamp, limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        pool.filter { !$0.complete && $0.expiresAt < time }.prefix(limit).map { ($0.id, $0.envelope) }
    }

    /// Every incomplete row: the caller checks the kind.
    public func incompletePendingActs(limit: Int) throws -> [(id: String, envelope: [UInt8])] {
        pool.filter { !$0.complete }.prefix(limit).map { ($0.id, $0.envelope) }
    }

    public func pendingCount() throws -> (pending: Int, complete: Int) {
        (pool.count { !$0.complete }, pool.count(where: \.complete))
    }

    public func append(_ c: BlockCommit) throws {
        if failNextAppend {
            failNextAppend = false
            throw CairnError(.storage, "injected failure")
        }
        let h = c.block.header.height
        guard h == blocks.count else { throw CairnError(.storage, "block \(h) is not next") }
        blocks.append(c.block)
        for (i, l) in c.leaves.enumerated() {
            leafBytes.append(l.leaf)
            notices[l.id] = NoticeRecord(id: l.id, status: .committed, height: h, leafIndex: c.block.header.firstLeaf + UInt64(i))
            noticeKinds[l.id] = l.kind
        }
        for r in c.rejections {
            notices[r.id] = NoticeRecord(id: r.id, status: .rejected, height: h, code: r.code, message: r.message)
        }
        let done = Set(c.pooled)
        pool.removeAll { done.contains($0.id) }
        for n in c.nodes { nodes["\(n.level)/\(n.index)"] = (n, h) }
        for b in c.balances { balanceRows.append((b.account, h, b.balance)) }
        for i in c.instances { instanceRows.append((i.id, h, i.contract, i.state)) }
    }

    public func derivedRows(of header: BlockHeader) throws -> DerivedRows {
        let height = header.height
        return DerivedRows(
            nodes: nodes.values.filter { $0.height == height }.map(\.node),
            balances: balanceRows.filter { $0.height == height }.map { ($0.account, $0.balance) },
            notices: notices.values.filter { $0.height == height },
            kinds: Dictionary(uniqueKeysWithValues: notices.values.filter { $0.height == height }.map { ($0.id, noticeKinds[$0.id]) }),
            instances: instanceRows.filter { $0.height == height }.map { ($0.id, $0.contract, $0.state) }, indexedLogSize: nil,
            cosignatures: try cosignatures(height: height))
    }

    public func strayRows(after header: BlockHeader) throws -> Int { 0 }
    /// None: the index is keyed by id.
    public func repeatedIDs() throws -> [(id: String, height: UInt64)] { [] }

    /// The rows are found by id through the dictionary that holds them.
    public func idLookupFault() throws -> String? { nil }

    public func cosignatures(height: UInt64) throws -> [String] {
        (cosigned[height] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    }

    public func putCosignature(height: UInt64, witness: String, line: String) throws {
        cosigned[height, default: [:]][witness] = line
    }
}
