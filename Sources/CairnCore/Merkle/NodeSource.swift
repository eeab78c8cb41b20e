/// Names one complete, aligned subtree: `level` L and `index` i cover the leaves
/// `[i * 2^L, (i + 1) * 2^L)`. Level 0 nodes are the leaf hashes.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var level: Int
    public var index: UInt64

    /// Requires `0 <= level < 64`.
    public init(level: Int, index: UInt64) {
        precondition(level >= 0 && level < 64, "NodeID requires 0 <= level < 64")
        self.level = level
        self.index = index
    }

    /// First leaf covered.
    public var begin: UInt64 { index << UInt64(level) }
    /// Number of leaves covered, `2^level`.
    public var width: UInt64 { 1 << UInt64(level) }

    /// Orders by level, then index.
    public static func < (a: NodeID, b: NodeID) -> Bool { (a.level, a.index) < (b.level, b.index) }

    public var description: String { "(\(level),\(index))" }
}

/// Something that can return the hash of any COMPLETE aligned subtree: level L,
/// index i covers leaves `[i*2^L, (i+1)*2^L)`. Level 0 = leaf hashes. A storage
/// backend implements this with one indexed read per call.
///
/// The extension methods only ever ask for nodes that are complete within the
/// tree size they were given, i.e. `(index + 1) * 2^level <= size`.
public protocol MerkleNodeSource {
    /// Hash of the complete subtree at (`level`, `index`). Throws if it is not stored.
    func node(level: Int, index: UInt64) throws -> Hash
}

/// Invalid arguments to a `MerkleNodeSource` operation.
public enum MerkleError: Error, Equatable, Sendable {
    /// `index >= size` for an inclusion proof.
    case indexOutOfRange(index: UInt64, size: UInt64)
    /// `old > new` for a consistency proof.
    case sizesOutOfOrder(old: UInt64, new: UInt64)
    /// `subtreeRoot` range with `begin > end`, or `begin` not a multiple of the
    /// largest power of two `<= end - begin`.
    case misalignedRange(begin: UInt64, end: UInt64)
}

extension MerkleNodeSource {
    /// Root (RFC 9162 MTH) of the leaves `[begin, end)` from at most 64 complete
    /// subtrees: the binary decomposition of `end - begin`, largest first.
    /// `emptyRoot` when `begin == end`.
    ///
    /// Requires `begin <= end` and `begin` a multiple of the largest power of two
    /// `<= end - begin` (true of every range that occurs in proofs, and of `[0, n)`);
    /// otherwise throws `MerkleError.misalignedRange`.
    public func subtreeRoot(begin: UInt64, end: UInt64) throws -> Hash {
        guard begin <= end else { throw MerkleError.misalignedRange(begin: begin, end: end) }
        if begin == end { return Merkle.emptyRoot }
        let top = UInt64(63 - (end - begin).leadingZeroBitCount)
        guard begin & ((1 << top) - 1) == 0 else { throw MerkleError.misalignedRange(begin: begin, end: end) }
        return try ProofPlan.rangeRoot(begin: begin, end: end, node: node)
    }

    /// Root of the tree of the first `size` leaves; `Merkle.emptyRoot` for size 0.
    /// Reads `size.nonzeroBitCount` nodes.
    public func root(size: UInt64) throws -> Hash {
        try subtreeRoot(begin: 0, end: size)
    }

    /// Inclusion proof (RFC 9162 §2.1.3.1) for leaf `index` in the tree of `size`
    /// leaves, ordered leaf to root. At most 64 reads for the path plus at most 64
    /// for the one right-edge subtree that is not complete.
    ///
    /// Requires `0 <= index < size`; otherwise throws `MerkleError.indexOutOfRange`.
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [Hash] {
        guard index < size else { throw MerkleError.indexOutOfRange(index: index, size: size) }
        return try ProofPlan.inclusion(index: index, size: size, node: node)
    }

    /// Consistency proof (RFC 9162 §2.1.4.1) from the tree of `old` leaves to the
    /// tree of `new` leaves. Empty when `old == new` or `old == 0`. O(log n) reads.
    ///
    /// Requires `old <= new`; otherwise throws `MerkleError.sizesOutOfOrder`.
    public func consistencyProof(old: UInt64, new: UInt64) throws -> [Hash] {
        guard old <= new else { throw MerkleError.sizesOutOfOrder(old: old, new: new) }
        return try ProofPlan.consistency(old: old, new: new, node: node)
    }
}

extension Merkle {
    /// The complete subtrees whose hashes make up the root of a tree of `size`
    /// leaves (the binary decomposition of `size`), largest (leftmost) first.
    /// These are the nodes whose hashes `CompactRange.peaks` holds.
    public static func peakNodes(size: UInt64) -> [NodeID] {
        var out: [NodeID] = []
        var offset: UInt64 = 0
        var rest = size
        while rest > 0 {
            let level = 63 - rest.leadingZeroBitCount
            out.append(NodeID(level: level, index: offset >> UInt64(level)))
            offset += 1 << UInt64(level)
            rest -= 1 << UInt64(level)
        }
        return out
    }

    /// Number of complete nodes at `level` in a tree of `size` leaves:
    /// `size >> level` (indices `0 ..< size >> level`).
    public static func completeNodeCount(level: Int, size: UInt64) -> UInt64 {
        level >= 64 ? 0 : size >> UInt64(level)
    }

    /// Total complete nodes (all levels, leaves included) in a tree of `size`
    /// leaves: `2 * size - popcount(size)`. A store that keeps every node from
    /// `CompactRange.append`'s `onNode` has exactly this many rows.
    public static func completeNodeTotal(size: UInt64) -> UInt64 {
        var total: UInt64 = 0
        var rest = size
        while rest > 0 {
            total += rest
            rest >>= 1
        }
        return total
    }

    /// Whether `node` is a complete subtree of a tree of `size` leaves.
    public static func isComplete(_ node: NodeID, size: UInt64) -> Bool {
        node.index < completeNodeCount(level: node.level, size: size)
    }

    /// The complete nodes that leaf number `index` completes when it is appended
    /// (the leaf itself first, then its ancestors upward): what
    /// `CompactRange.append` reports for that leaf.
    public static func nodesCompleted(byLeaf index: UInt64) -> [NodeID] {
        var out = [NodeID(level: 0, index: index)]
        var level = 0
        var i = index
        while i & 1 == 1 {
            level += 1
            i >>= 1
            out.append(NodeID(level: level, index: i))
        }
        return out
    }
}

/// The proof algorithms, written once over a node-reading closure so that the
/// throwing node source and the in-memory list share them.
enum ProofPlan {
    typealias Reader = (Int, UInt64) throws -> Hash

    /// MTH of `[begin, end)`, `end > begin`, folding the decomposition's nodes
    /// from the right. Assumes the alignment `subtreeRoot` documents.
    static func rangeRoot(begin: UInt64, end: UInt64, node: Reader) rethrows -> Hash {
        var peaks: [Hash] = []
        var offset = begin
        var rest = end - begin
        while rest > 0 {
            let level = 63 - rest.leadingZeroBitCount
            peaks.append(try node(level, offset >> UInt64(level)))
            offset += 1 << UInt64(level)
            rest -= 1 << UInt64(level)
        }
        var acc = peaks.removeLast()
        while let left = peaks.popLast() { acc = Merkle.nodeHash(left, acc) }
        return acc
    }

    /// The complete left sibling `[begin, begin + k)` (k a power of two, begin aligned).
    static func left(begin: UInt64, k: UInt64, node: Reader) rethrows -> Hash {
        let level = k.trailingZeroBitCount
        return try node(level, begin >> UInt64(level))
    }
}
