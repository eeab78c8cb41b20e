import Crypto

/// RFC 9162 §2.1 Merkle tree hashing, and proofs built from an in-memory list of
/// leaf hashes. Pure functions; no I/O.
///
/// - leaf hash: `SHA-256(0x00 || leaf)`
/// - interior node: `SHA-256(0x01 || left || right)`
/// - empty tree: `SHA-256("")`
/// - a tree of n > 1 leaves splits at k, the largest power of two strictly less than n.
public enum Merkle {
    /// The leaf hash `SHA-256(0x00 || leaf)` of a leaf's bytes.
    public static func leafHash(_ leaf: some Collection<UInt8>) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x00] as [UInt8])
        let contiguous: Void? = leaf.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if contiguous == nil { hasher.update(data: Array(leaf)) }
        return Hash(digest: hasher.finalize())
    }

    /// The interior node hash `SHA-256(0x01 || l || r)`.
    public static func nodeHash(_ l: Hash, _ r: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x01] as [UInt8])
        l.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        r.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hash(digest: hasher.finalize())
    }

    /// The root of the empty tree, `SHA-256("")`
    /// (e3b0c442…b855).
    public static let emptyRoot: Hash = Hash.sha256([UInt8]())

    /// MTH of all of `leafHashes` (RFC 9162 §2.1.1); `emptyRoot` for an empty list.
    /// Simple recursive reference, O(n) hashes.
    public static func root(leafHashes: [Hash]) -> Hash {
        leafHashes.isEmpty ? emptyRoot : mth(leafHashes[...])
    }

    /// Inclusion proof (audit path) for leaf `index` in the tree made of the first
    /// `size` entries of `leafHashes` (RFC 9162 §2.1.3.1), ordered leaf to root.
    ///
    /// Requires `0 <= index < size <= leafHashes.count` (traps otherwise).
    public static func inclusionProof(index: UInt64, size: UInt64, leafHashes: [Hash]) -> [Hash] {
        precondition(index < size, "Merkle.inclusionProof requires index < size")
        precondition(size <= UInt64(leafHashes.count), "Merkle.inclusionProof requires size <= leafHashes.count")
        return ProofPlan.inclusion(index: index, size: size, node: nodeReader(leafHashes))
    }

    /// Consistency proof between the tree of the first `old` and the first `new`
    /// entries of `leafHashes` (RFC 9162 §2.1.4.1). Empty when `old == new` or `old == 0`
    /// (a proof from the empty tree is meaningless and verifiers reject it).
    ///
    /// Requires `0 <= old <= new <= leafHashes.count` (traps otherwise).
    public static func consistencyProof(old: UInt64, new: UInt64, leafHashes: [Hash]) -> [Hash] {
        precondition(old <= new, "Merkle.consistencyProof requires old <= new")
        precondition(new <= UInt64(leafHashes.count), "Merkle.consistencyProof requires new <= leafHashes.count")
        return ProofPlan.consistency(old: old, new: new, node: nodeReader(leafHashes))
    }

    /// Reads a complete aligned subtree node by hashing its leaves (O(2^level)).
    private static func nodeReader(_ leafHashes: [Hash]) -> (Int, UInt64) -> Hash {
        { level, index in
            let begin = Int(index << UInt64(level))
            return mth(leafHashes[begin..<(begin + (1 << level))])
        }
    }

    /// Recursive MTH of a non-empty slice.
    private static func mth(_ leaves: ArraySlice<Hash>) -> Hash {
        if leaves.count == 1 { return leaves[leaves.startIndex] }
        let k = Int(largestPowerOfTwo(below: UInt64(leaves.count)))
        let mid = leaves.startIndex + k
        return nodeHash(mth(leaves[..<mid]), mth(leaves[mid...]))
    }

    /// The largest power of two strictly less than `n`. Requires `n >= 2`.
    @inlinable
    public static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        precondition(n >= 2, "largestPowerOfTwo(below:) requires n >= 2")
        return 1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}
