import CairnCore
import Testing

/// Sizes checked exhaustively (every index, every old size).
let smallSizes = Array(UInt64(1)...70)
/// Larger sizes around powers of two.
let largeSizes: [UInt64] = [1000, 1023, 1024, 1025]

/// `bits` of a hash to flip in mutation tests: first, a middle one, last.
let flipBits = [0, 131, 255]

/// Checks that the generated inclusion proof for (index, size) matches the
/// reference, verifies, and that mutations of it do not verify.
func checkInclusion(index: UInt64, size: UInt64, compareInMemory: Bool) throws {
    let leaves = fixture.leafHashes[..<Int(size)]
    let root = fixture.roots[Int(size)]
    let leaf = fixture.leafHashes[Int(index)]
    let expected = Reference.path(Int(index), leaves)

    let source = fixture.source(size: size)
    let proof = try source.inclusionProof(index: index, size: size)
    #expect(proof == expected, "inclusion index \(index) size \(size)")
    #expect(source.reads <= 2 * (64 - size.leadingZeroBitCount), "reads \(source.reads) for size \(size)")
    if compareInMemory {
        #expect(Merkle.inclusionProof(index: index, size: size, leafHashes: fixture.leafHashes) == expected)
    }
    #expect(MerkleVerify.inclusionProofLength(index: index, size: size) == expected.count)

    func verify(_ p: [Hash], leaf: Hash = leaf, index: UInt64 = index, size: UInt64 = size, root: Hash = root) -> ProofVerdict {
        MerkleVerify.inclusion(leafHash: leaf, index: index, size: size, proof: p, root: root)
    }
    #expect(verify(proof) == .valid)

    // Flip bits in each proof element, the leaf and the root.
    for j in proof.indices {
        for bit in flipBits {
            var p = proof
            p[j] = p[j].flippingBit(bit)
            #expect(verify(p) == .invalid(.rootMismatch))
        }
    }
    #expect(verify(proof, leaf: leaf.flippingBit(7)) == .invalid(.rootMismatch))
    #expect(verify(proof, root: root.flippingBit(200)) == .invalid(.rootMismatch))
    // Drop / add / reorder hashes.
    let n = proof.count
    if !proof.isEmpty {
        #expect(verify(Array(proof.dropLast())) == .invalid(.wrongProofLength(expected: n, got: n - 1)))
        #expect(verify(Array(proof.dropFirst())) == .invalid(.wrongProofLength(expected: n, got: n - 1)))
    }
    #expect(verify(proof + [root]) == .invalid(.wrongProofLength(expected: n, got: n + 1)))
    #expect(verify([leaf] + proof) == .invalid(.wrongProofLength(expected: n, got: n + 1)))
    if n >= 2 && proof[0] != proof[1] {
        #expect(verify([proof[1], proof[0]] + proof.dropFirst(2)) != .valid)
    }
    // Wrong index (same root and size).
    for other in [index &- 1, index + 1, index ^ 1, index ^ 2, index ^ 4] where other != index {
        if other < size {
            #expect(verify(proof, index: other) != .valid, "index \(other) instead of \(index), size \(size)")
        } else {
            #expect(verify(proof, index: other) == .invalid(.indexOutOfRange))
        }
    }
    // Wrong size, with the genuine root of that size.
    for other in [size - 1, size + 1, size * 2, size / 2, size + 2] where other != size && other > index {
        guard other < UInt64(fixture.roots.count) else { continue }
        #expect(
            verify(proof, size: other, root: fixture.roots[Int(other)]) != .valid,
            "size \(other) instead of \(size), index \(index)")
    }
    #expect(verify(proof, size: index) == .invalid(.indexOutOfRange))
}

/// Checks the consistency proof for (old, new) against the reference, that it
/// verifies, and that mutations of it do not.
func checkConsistency(old: UInt64, new: UInt64, compareInMemory: Bool) throws {
    let leaves = fixture.leafHashes[..<Int(new)]
    let oldRoot = fixture.roots[Int(old)]
    let newRoot = fixture.roots[Int(new)]
    let expected = old == 0 ? [] : Reference.proof(Int(old), leaves)

    let source = fixture.source(size: new)
    let proof = try source.consistencyProof(old: old, new: new)
    #expect(proof == expected, "consistency \(old) -> \(new)")
    #expect(source.reads <= 2 * (64 - new.leadingZeroBitCount), "reads \(source.reads) for \(old) -> \(new)")
    if compareInMemory {
        #expect(Merkle.consistencyProof(old: old, new: new, leafHashes: fixture.leafHashes) == expected)
    }

    func verify(_ p: [Hash], old: UInt64 = old, new: UInt64 = new, oldRoot: Hash = oldRoot, newRoot: Hash = newRoot) -> ProofVerdict {
        MerkleVerify.consistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: p)
    }
    if old == 0 {
        #expect(verify(proof) == .invalid(.oldTreeEmpty))
        return
    }
    #expect(verify(proof) == .valid)
    #expect(verify(proof, old: new, new: old) == (old == new ? .valid : .invalid(.sizesOutOfOrder)))
    if old == new {
        #expect(verify([oldRoot]) == .invalid(.emptyProofRequired))
        #expect(verify([], newRoot: newRoot.flippingBit(3)) == .invalid(.rootMismatch))
        return
    }
    #expect(MerkleVerify.consistencyProofLength(oldSize: old, newSize: new) == expected.count)
    for j in proof.indices {
        for bit in flipBits {
            var p = proof
            p[j] = p[j].flippingBit(bit)
            #expect(verify(p) != .valid)
        }
    }
    #expect(verify(proof, oldRoot: oldRoot.flippingBit(9)) != .valid)
    #expect(verify(proof, newRoot: newRoot.flippingBit(9)) == .invalid(.newRootMismatch))
    #expect(verify(proof, oldRoot: newRoot, newRoot: oldRoot) != .valid)
    let n = proof.count
    #expect(verify(Array(proof.dropLast())) == .invalid(.wrongProofLength(expected: n, got: n - 1)))
    #expect(verify(Array(proof.dropFirst())) == .invalid(.wrongProofLength(expected: n, got: n - 1)))
    #expect(verify(proof + [newRoot]) == .invalid(.wrongProofLength(expected: n, got: n + 1)))
    #expect(verify([oldRoot] + proof) == .invalid(.wrongProofLength(expected: n, got: n + 1)))
    #expect(verify([], old: 0, oldRoot: Merkle.emptyRoot) == .invalid(.oldTreeEmpty))
    // Wrong sizes, each with the genuine roots of those sizes.
    let limit = UInt64(fixture.roots.count)
    for (o, w) in [(old - 1, new), (old + 1, new), (old, new - 1), (old, new + 1), (old * 2, new), (old, new * 2)]
    where (o, w) != (old, new) && o >= 1 && o < w && w < limit {
        #expect(
            verify(proof, old: o, new: w, oldRoot: fixture.roots[Int(o)], newRoot: fixture.roots[Int(w)]) != .valid,
            "\(o) -> \(w) instead of \(old) -> \(new)")
    }
}

@Suite struct PropertyTests {
    @Test(arguments: smallSizes)
    func rootsAgree(size: UInt64) throws {
        let leaves = Array(fixture.leafHashes[..<Int(size)])
        let expected = Reference.mth(leaves[...])
        #expect(fixture.roots[Int(size)] == expected)  // CompactRange
        #expect(Merkle.root(leafHashes: leaves) == expected)
        #expect(try fixture.source(size: size).root(size: size) == expected)
    }

    @Test(arguments: smallSizes)
    func inclusionAllIndices(size: UInt64) throws {
        for index in 0..<size {
            try checkInclusion(index: index, size: size, compareInMemory: true)
        }
    }

    @Test(arguments: smallSizes)
    func consistencyAllOldSizes(new: UInt64) throws {
        for old in 0...new {
            try checkConsistency(old: old, new: new, compareInMemory: true)
        }
    }

    @Test(arguments: largeSizes)
    func largeRoots(size: UInt64) throws {
        let leaves = Array(fixture.leafHashes[..<Int(size)])
        #expect(Merkle.root(leafHashes: leaves) == Reference.mth(leaves[...]))
        #expect(try fixture.source(size: size).root(size: size) == fixture.roots[Int(size)])
        #expect(fixture.roots[Int(size)] == Merkle.root(leafHashes: leaves))
    }

    /// Every index; the in-memory `Merkle.*` variant on every 17th, to bound time.
    @Test(arguments: largeSizes)
    func largeInclusion(size: UInt64) throws {
        for index in 0..<size {
            try checkInclusion(index: index, size: size, compareInMemory: index % 17 == 0 || index == size - 1)
        }
    }

    @Test(arguments: largeSizes)
    func largeConsistency(new: UInt64) throws {
        for old in 0...new {
            try checkConsistency(old: old, new: new, compareInMemory: old % 17 == 0 || old == new - 1)
        }
    }

    @Test func misuseThrows() throws {
        let source = fixture.source(size: 10)
        #expect(throws: MerkleError.indexOutOfRange(index: 10, size: 10)) { try source.inclusionProof(index: 10, size: 10) }
        #expect(throws: MerkleError.indexOutOfRange(index: 0, size: 0)) { try source.inclusionProof(index: 0, size: 0) }
        #expect(throws: MerkleError.sizesOutOfOrder(old: 5, new: 4)) { try source.consistencyProof(old: 5, new: 4) }
        #expect(throws: MerkleError.misalignedRange(begin: 3, end: 5)) { try source.subtreeRoot(begin: 3, end: 5) }
        #expect(throws: MerkleError.misalignedRange(begin: 5, end: 4)) { try source.subtreeRoot(begin: 5, end: 4) }
        #expect(try source.subtreeRoot(begin: 4, end: 4) == Merkle.emptyRoot)
        #expect(try source.root(size: 0) == Merkle.emptyRoot)
        #expect(try source.subtreeRoot(begin: 8, end: 10) == Reference.mth(fixture.leafHashes[8..<10]))
        #expect(try source.consistencyProof(old: 0, new: 10) == [])
        #expect(try source.consistencyProof(old: 10, new: 10) == [])
        // Asking past what the source holds surfaces the source's error.
        #expect(throws: NodeNotAvailable.self) { try source.inclusionProof(index: 3, size: 11) }
    }
}
