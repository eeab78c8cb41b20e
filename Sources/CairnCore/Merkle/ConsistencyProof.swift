extension MerkleVerify {
    /// The length of every consistency proof from `oldSize` to `newSize` leaves.
    /// Requires `0 < oldSize < newSize`.
    public static func consistencyProofLength(oldSize: UInt64, newSize: UInt64) -> Int {
        precondition(oldSize > 0 && oldSize < newSize, "consistencyProofLength requires 0 < oldSize < newSize")
        let fullInner = 64 - ((oldSize - 1) ^ (newSize - 1)).leadingZeroBitCount
        let border = ((oldSize - 1) >> UInt64(fullInner)).nonzeroBitCount
        let shift = oldSize.trailingZeroBitCount
        let seedInProof = oldSize.nonzeroBitCount == 1 ? 0 : 1
        return seedInProof + (fullInner - shift) + border
    }

    /// Verifies that the tree of `newSize` leaves with root `newRoot` extends the
    /// tree of `oldSize` leaves with root `oldRoot`, given `proof` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need an empty proof and equal roots. `oldSize == 0 < newSize`
    /// is rejected (`.oldTreeEmpty`).
    public static func consistency(oldSize: UInt64, newSize: UInt64, oldRoot: Hash, newRoot: Hash, proof: [Hash]) -> ProofVerdict {
        if oldSize > newSize { return .invalid(.sizesOutOfOrder) }
        if oldSize == newSize {
            guard proof.isEmpty else { return .invalid(.emptyProofRequired) }
            return oldRoot == newRoot ? .valid : .invalid(.rootMismatch)
        }
        if oldSize == 0 { return .invalid(.oldTreeEmpty) }
        let expected = consistencyProofLength(oldSize: oldSize, newSize: newSize)
        guard proof.count == expected else {
            return .invalid(.wrongProofLength(expected: expected, got: proof.count))
        }
        // Step 2: a power-of-two old tree is itself a node of the new tree.
        let path = oldSize.nonzeroBitCount == 1 ? [oldRoot] + proof : proof
        guard let (fr, sr) = roots(oldSize: oldSize, newSize: newSize, path: path) else {
            return .invalid(.wrongProofLength(expected: expected, got: proof.count))
        }
        if fr != oldRoot { return .invalid(.oldRootMismatch) }
        if sr != newRoot { return .invalid(.newRootMismatch) }
        return .valid
    }

    /// RFC 9162 §2.1.4.2 steps 3-7 on a non-empty path: the (old, new) roots it
    /// implies, or `nil` if its length does not fit.
    private static func roots(oldSize: UInt64, newSize: UInt64, path: [Hash]) -> (Hash, Hash)? {
        guard let seed = path.first else { return nil }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in path.dropFirst() {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                fr = Merkle.nodeHash(c, fr)
                sr = Merkle.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = Merkle.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? (fr, sr) : nil
    }
}

extension ProofPlan {
    /// RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), unrolled.
    /// Only the first step left can meet an incomplete right range; every other
    /// range read is one complete node. Empty when `old == new` or `old == 0`.
    /// Requires `old <= new`.
    static func consistency(old: UInt64, new: UInt64, node: Reader) rethrows -> [Hash] {
        if old == 0 || old == new { return [] }
        var topDown: [Hash] = []
        var m = old
        var begin: UInt64 = 0
        var n = new
        var wholeOldTree = true  // SUBPROOF's b
        while m != n {
            let k = Merkle.largestPowerOfTwo(below: n)
            if m <= k {
                topDown.append(try rangeRoot(begin: begin + k, end: begin + n, node: node))
                n = k
            } else {
                topDown.append(try left(begin: begin, k: k, node: node))
                begin += k
                m -= k
                n -= k
                wholeOldTree = false
            }
        }
        // SUBPROOF(m, D[m], false) = {MTH(D[m])}; here D[m] is complete.
        if !wholeOldTree { topDown.append(try rangeRoot(begin: begin, end: begin + n, node: node)) }
        return topDown.reversed()
    }
}
