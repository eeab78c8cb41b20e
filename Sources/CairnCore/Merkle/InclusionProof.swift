/// The outcome of verifying a proof: valid, or what failed.
public enum ProofVerdict: Equatable, Sendable {
    case valid
    case invalid(ProofFailure)

    /// `true` for `.valid`.
    public var isValid: Bool { self == .valid }
}

/// Why a proof did not verify.
public enum ProofFailure: Equatable, Sendable {
    /// Inclusion: `index >= size` (this includes every index for size 0).
    case indexOutOfRange
    /// The proof does not have the one length the sizes (and index) allow.
    case wrongProofLength(expected: Int, got: Int)
    /// Inclusion: the recomputed root differs from the given root.
    /// Consistency with equal sizes: the two roots differ.
    case rootMismatch
    /// Consistency: `oldSize > newSize`.
    case sizesOutOfOrder
    /// Consistency: `oldSize == newSize` but the proof is not empty.
    case emptyProofRequired
    /// Consistency: `oldSize == 0 < newSize`; such a proof is meaningless (RFC 9162 §2.1.4.2).
    case oldTreeEmpty
    /// Consistency: the root recomputed for the old tree differs from `oldRoot`.
    case oldRootMismatch
    /// Consistency: the root recomputed for the new tree differs from `newRoot`.
    case newRootMismatch
}

/// Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2). Returns a verdict naming
/// what failed; never throws, never traps.
public enum MerkleVerify {
    /// The length of every inclusion proof for `index` in a tree of `size` leaves.
    /// Requires `index < size`.
    public static func inclusionProofLength(index: UInt64, size: UInt64) -> Int {
        precondition(index < size, "inclusionProofLength requires index < size")
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        return inner + (index >> UInt64(inner)).nonzeroBitCount
    }

    /// Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with
    /// root `root`, given `proof` ordered leaf to root.
    public static func inclusion(leafHash: Hash, index: UInt64, size: UInt64, proof: [Hash], root: Hash) -> ProofVerdict {
        guard index < size else { return .invalid(.indexOutOfRange) }
        let expected = inclusionProofLength(index: index, size: size)
        guard proof.count == expected else {
            return .invalid(.wrongProofLength(expected: expected, got: proof.count))
        }
        guard let computed = rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof[...]) else {
            return .invalid(.wrongProofLength(expected: expected, got: proof.count))
        }
        return computed == root ? .valid : .invalid(.rootMismatch)
    }

    /// RFC 9162 §2.1.3.2 steps 3-5: the root implied by the proof, or `nil` if the
    /// proof's length does not fit. Requires `index < size`.
    static func rootFromInclusionProof(leafHash: Hash, index: UInt64, size: UInt64, proof: ArraySlice<Hash>) -> Hash? {
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = Merkle.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Merkle.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }
}

extension ProofPlan {
    /// RFC 9162 §2.1.3.1 PATH(m, D[n]), unrolled: walk down from the root; every
    /// left sibling is one complete node, and the right sibling is incomplete at
    /// most once (after a step left, all ranges are complete).
    /// Requires `index < size`.
    static func inclusion(index: UInt64, size: UInt64, node: Reader) rethrows -> [Hash] {
        var topDown: [Hash] = []
        var m = index
        var begin: UInt64 = 0
        var n = size
        while n > 1 {
            let k = Merkle.largestPowerOfTwo(below: n)
            if m < k {
                topDown.append(try rangeRoot(begin: begin + k, end: begin + n, node: node))
                n = k
            } else {
                topDown.append(try left(begin: begin, k: k, node: node))
                begin += k
                m -= k
                n -= k
            }
        }
        return topDown.reversed()
    }
}
