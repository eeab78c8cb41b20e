/// Incremental append structure for a Merkle tree of leaves `[0, size)`.
///
/// Keeps only the right-edge "compact range": the hashes of the complete
/// subtrees of the binary decomposition of `size` (`Merkle.peakNodes(size:)`),
/// largest first. Appending a leaf costs O(1) amortised hashes, and reports each
/// node it completes so a store can persist it.
public struct CompactRange: Sendable, Equatable {
    /// Number of leaves appended so far.
    public private(set) var size: UInt64
    /// Hashes of the complete subtrees of `size`'s decomposition, largest (leftmost)
    /// first; `peaks.count == size.nonzeroBitCount`.
    public private(set) var peaks: [Hash]

    /// The empty range (size 0).
    public init() {
        size = 0
        peaks = []
    }

    /// Restores a range from stored peaks: the hashes of `Merkle.peakNodes(size:)`,
    /// largest first.
    ///
    /// Requires `peaks.count == size.nonzeroBitCount` (traps otherwise); see
    /// `CompactRange(validatingSize:peaks:)` for untrusted input.
    public init(size: UInt64, peaks: [Hash]) {
        precondition(peaks.count == size.nonzeroBitCount, "CompactRange requires one peak per set bit of size")
        self.size = size
        self.peaks = peaks
    }

    /// Like `init(size:peaks:)`, but `nil` when the peak count does not fit `size`.
    public init?(validatingSize size: UInt64, peaks: [Hash]) {
        guard peaks.count == size.nonzeroBitCount else { return nil }
        self.init(size: size, peaks: peaks)
    }

    /// Appends one leaf hash. Calls `onNode` for the leaf (level 0, index = old
    /// size) and then for every interior node that became complete, bottom-up,
    /// exactly the nodes of `Merkle.nodesCompleted(byLeaf: size)`.
    ///
    /// Requires `size < UInt64.max`.
    public mutating func append(leafHash: Hash, onNode: (_ level: Int, _ index: UInt64, _ hash: Hash) -> Void) {
        precondition(size < UInt64.max, "CompactRange is full")
        onNode(0, size, leafHash)
        var hash = leafHash
        var level = 0
        var index = size
        while index & 1 == 1 {
            hash = Merkle.nodeHash(peaks.removeLast(), hash)
            level += 1
            index >>= 1
            onNode(level, index, hash)
        }
        peaks.append(hash)
        size += 1
    }

    /// Appends one leaf hash, ignoring completed nodes.
    public mutating func append(leafHash: Hash) {
        append(leafHash: leafHash) { _, _, _ in }
    }

    /// RFC 9162 root of leaves `[0, size)`: the peaks folded from the right;
    /// `Merkle.emptyRoot` when empty.
    public var root: Hash {
        guard var acc = peaks.last else { return Merkle.emptyRoot }
        for left in peaks.dropLast().reversed() { acc = Merkle.nodeHash(left, acc) }
        return acc
    }
}
