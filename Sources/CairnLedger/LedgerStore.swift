import CairnCore

/// A sealed block as stored: its header, hash, the validators' seals and the signed checkpoint.
public struct StoredBlock: Sendable, Equatable {
    public var header: BlockHeader
    public var hash: Hash
    public var seals: [Seal]
    /// The C2SP signed note issued after this block.
    public var checkpoint: String

    public init(header: BlockHeader, hash: Hash, seals: [Seal], checkpoint: String) {
        self.header = header
        self.hash = hash
        self.seals = seals
        self.checkpoint = checkpoint
    }
}

/// Where a notice stands.
public struct NoticeRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, complete, committed, rejected }
    public var id: String
    public var status: Status
    public var height: UInt64?
    public var leafIndex: UInt64?
    public var code: String?
    public var message: String?

    public init(id: String, status: Status, height: UInt64? = nil, leafIndex: UInt64? = nil, code: String? = nil, message: String? = nil) {
        self.id = id
        self.status = status
        self.height = height
        self.leafIndex = leafIndex
        self.code = code
        self.message = message
    }
}

/// A complete subtree hash of the log: level L, index i covers leaves [i * 2^L, (i + 1) * 2^L).
public struct MerkleNode: Sendable, Equatable {
    public var level: Int
    public var index: UInt64
    public var hash: Hash

    public init(level: Int, index: UInt64, hash: Hash) {
        self.level = level
        self.index = index
        self.hash = hash
    }
}

/// A notice in the pending pool: its canonical envelope bytes, whether its signatures satisfy
/// its policy, and when it expires.
public struct PendingItem: Sendable, Equatable {
    public var id: String
    public var envelope: [UInt8]
    public var complete: Bool
    public var expiresAt: Timestamp

    public init(id: String, envelope: [UInt8], complete: Bool, expiresAt: Timestamp) {
        self.id = id
        self.envelope = envelope
        self.complete = complete
        self.expiresAt = expiresAt
    }
}

/// Everything one block adds to the store, written in one transaction.
public struct BlockCommit: Sendable {
    public var block: StoredBlock
    /// Committed leaves in log order, from `header.firstLeaf`.
    public var leaves: [(id: String, kind: String, leaf: [UInt8])]
    public var rejections: [Rejection]
    /// The subtree hashes of two or more leaves that became complete. A leaf's own hash (level
    /// 0) is not stored: it is the hash of the leaf.
    public var nodes: [MerkleNode]
    /// The new balance of every account the block changed (every account, at height 0).
    public var balances: [(account: String, balance: Int64)]
    /// Every instance the block opened, changed or closed; a nil state marks a closed instance.
    public var instances: [(id: String, contract: String, state: [UInt8]?)] = []
    /// The pending pool's rows the block takes, by id: they leave the pool with it. A leaf that
    /// went straight into the block (`Ledger.commit`) had none.
    public var pooled: [String] = []
}

/// The rows a block derived, read back for `verify` to compare with what it recomputes.
public struct DerivedRows: Sendable {
    public var nodes: [MerkleNode]
    public var balances: [(account: String, balance: Int64)]
    public var notices: [NoticeRecord]
    /// The kind each index row records, by notice id (nil for a rejection): opening a ledger
    /// finds its key changes and contracts by it.
    public var kinds: [String: String?]
    public var instances: [(id: String, contract: String, state: [UInt8]?)]
    /// The log size the store files the block under, as stored, where it keeps one apart from
    /// the header (nil where it does not).
    public var indexedLogSize: Int64?
    /// The witness cosignature lines kept for the block's checkpoint.
    public var cosignatures: [String]
    /// Where the store files each of `notices` within its block, in the same order, where it
    /// keeps a place (nil where it does not). The places must be 0 to n-1, each once.
    public var places: [Int64]?

    public init(
        nodes: [MerkleNode], balances: [(account: String, balance: Int64)], notices: [NoticeRecord],
        kinds: [String: String?], instances: [(id: String, contract: String, state: [UInt8]?)], indexedLogSize: Int64?,
        cosignatures: [String], places: [Int64]? = nil
    ) {
        self.nodes = nodes
        self.balances = balances
        self.notices = notices
        self.kinds = kinds
        self.instances = instances
        self.indexedLogSize = indexedLogSize
        self.cosignatures = cosignatures
        self.places = places
    }
}

/// Durable ledger storage.
///
/// Contract:
/// - `append` is atomic and durable: when it returns, the whole block (header, seals, checkpoint,
///   leaves, index rows, subtree hashes, balances) is on disk and its notices have left the pending
///   pool; when it throws, or the process dies inside it, none of it is.
/// - Committed data is append-only. Only the pending pool changes in place.
/// - `putPending` is durable when it returns; one call is one commit however many notices it holds.
/// - Lookups return nil for "not found"; they throw only when the store itself fails.
public protocol LedgerStore: AnyObject, MerkleNodeSource {
    var genesis: Genesis { get }

    /// The latest block. A store always has block 0.
    func head() throws -> StoredBlock
    func block(at height: UInt64) throws -> StoredBlock?
    /// The last block whose `logSize` is `size` (several blocks can end at one size).
    func lastBlock(withLogSize size: UInt64) throws -> StoredBlock?

    /// A committed or rejected notice from the index, else a pending one, else nil.
    func notice(_ id: String) throws -> NoticeRecord?
    /// `notice(_:)` for many ids at once, in one read; ids not found are absent.
    func notices(_ ids: [String]) throws -> [String: NoticeRecord]
    /// `notices(_:)` for the ledger that is about to write: a store may read them where its
    /// writes go, which sees the latest commit and keeps what it has cached.
    func noticesBeforeWriting(_ ids: [String]) throws -> [String: NoticeRecord]
    func leaves(from index: UInt64, count: UInt64) throws -> [[UInt8]]
    /// RFC 9162 proofs from the stored subtree hashes, O(log n) reads. `MerkleNodeSource` gives
    /// default implementations; a store may read all of a proof's nodes in one transaction.
    func inclusionProof(index: UInt64, size: UInt64) throws -> [Hash]
    func consistencyProof(old: UInt64, new: UInt64) throws -> [Hash]
    /// Every account's balance after block `height`.
    func balances(at height: UInt64) throws -> [(account: String, balance: Int64)]
    /// Leaf indices of committed notices of `kind` below `size`, in order. Indexed for the kinds
    /// that later checks and histories need: `member.update`, `contract.deploy`, `contract.act`.
    func leafIndices(kind: String, below size: UInt64) throws -> [UInt64]
    /// Every open contract instance after block `height`: id, contract hash, encoded state.
    func instances(at height: UInt64) throws -> [(id: String, contract: String, state: [UInt8])]
    /// The heights of the blocks that opened, changed or closed instance `id` (any instance when
    /// nil) within `from...through`, ascending.
    func instanceHeights(_ id: String?, from: UInt64, through: UInt64) throws -> [UInt64]
    /// The ids of the instances closed at or before block `height` (that were open after some
    /// earlier block), sorted.
    func closedInstances(at height: UInt64) throws -> [String]

    /// The pending envelope with this id, and whether it is complete.
    func pending(_ id: String) throws -> (envelope: [UInt8], complete: Bool)?
    /// Inserts or replaces pending envelopes (canonical envelope bytes) in one durable commit.
    func putPending(_ items: [PendingItem]) throws
    /// Removes pending rows by id, in one durable commit; ids not in the pool are ignored. For
    /// rows that sealing found were not what admission wrote.
    func deletePending(_ ids: [String]) throws
    /// Complete pending envelopes in arrival order, at most `limit`.
    func completePending(limit: Int) throws -> [(id: String, envelope: [UInt8])]
    /// Incomplete pending envelopes that expired before `time`: they can never be committed.
    func expiredPending(before time: Timestamp, limit: Int) throws -> [(id: String, envelope: [UInt8])]
    /// Incomplete pending envelopes that may be `contract.act` notices, in arrival order, at most
    /// `limit`: a store may return others too, and the caller checks each row's kind.
    func incompletePendingActs(limit: Int) throws -> [(id: String, envelope: [UInt8])]
    func pendingCount() throws -> (pending: Int, complete: Int)

    func append(_ commit: BlockCommit) throws

    /// Witness cosignature lines (tlog-cosignature/v1, each ending in a newline) gathered for the
    /// checkpoint of block `height`, in the order they were added. They are not part of the chain:
    /// anyone can check them against the witness keys in genesis.
    func cosignatures(height: UInt64) throws -> [String]
    /// Records a witness's cosignature line for block `height`, replacing that witness's earlier
    /// line for the same block; durable when it returns.
    func putCosignature(height: UInt64, witness: String, line: String) throws

    /// The derived rows written with the block of `header`, for `verify`: its subtree hashes are
    /// those completed by its leaves, `header.firstLeaf ..< header.logSize`.
    func derivedRows(of header: BlockHeader) throws -> DerivedRows
    /// Derived rows that belong to no block at or below the head `header` (there should be none).
    func strayRows(after header: BlockHeader) throws -> Int
    /// Notice ids that the index holds more than once, with the highest height among their rows
    /// (there should be none: a notice is committed or rejected once).
    func repeatedIDs() throws -> [(id: String, height: UInt64)]
    /// What is wrong with the store's own means of finding an index row by id, where it keeps one
    /// apart from the rows: nil when it finds each row, and nothing else.
    func idLookupFault() throws -> String?
}

extension LedgerStore {
    public func noticesBeforeWriting(_ ids: [String]) throws -> [String: NoticeRecord] { try notices(ids) }
}
