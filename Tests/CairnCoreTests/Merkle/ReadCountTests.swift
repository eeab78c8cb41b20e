import CairnCore
import Testing

/// A genuine RFC 9162 tree of any size (up to 2^64 - 1 leaves) that costs
/// nothing to store: every leaf hash is `base`, except a few `specials`. A
/// complete node without special leaves depends only on its level; others are
/// computed from their children. Counts `node` calls (outside reads only).
final class SparseTreeSource: MerkleNodeSource {
    let size: UInt64
    let specials: [UInt64: Hash]
    private let uniform: [Hash]  // uniform[L]: a complete subtree of 2^L base leaves
    private(set) var reads = 0

    init(size: UInt64, specials: [UInt64]) {
        self.size = size
        var table = [Merkle.leafHash(Array("base".utf8))]
        for _ in 1..<64 { table.append(Merkle.nodeHash(table.last!, table.last!)) }
        uniform = table
        var s: [UInt64: Hash] = [:]
        for i in specials where i < size { s[i] = Merkle.leafHash(Array("special \(i)".utf8)) }
        self.specials = s
    }

    func leafHash(_ index: UInt64) -> Hash { specials[index] ?? uniform[0] }

    func node(level: Int, index: UInt64) throws -> Hash {
        reads += 1
        guard Merkle.isComplete(NodeID(level: level, index: index), size: size) else {
            throw NodeNotAvailable(level: level, index: index)
        }
        return compute(level, index)
    }

    private func compute(_ level: Int, _ index: UInt64) -> Hash {
        let begin = index << UInt64(level)
        let last = begin + ((1 << UInt64(level)) - 1)
        guard specials.keys.contains(where: { $0 >= begin && $0 <= last }) else { return uniform[level] }
        if level == 0 { return specials[begin]! }
        return Merkle.nodeHash(compute(level - 1, 2 * index), compute(level - 1, 2 * index + 1))
    }
}

/// Synthetic source as in the brief: node(L, i) = SHA-256("L,i"). Not a real
/// tree; used only to count reads.
final class SyntheticSource: MerkleNodeSource {
    private(set) var reads = 0
    func node(level: Int, index: UInt64) throws -> Hash {
        reads += 1
        return Hash.sha256(Array("\(level),\(index)".utf8))
    }
}

let bigSizes: [UInt64] = [(1 << 20) + 12345, (1 << 40) + 3, (1 << 63) + 12345, UInt64.max]

func interesting(_ size: UInt64) -> [UInt64] {
    [0, 1, 12345, size / 2, (1 << 20) - 1, 1 << 20, size - 2, size - 1].filter { $0 < size }
}

@Suite struct ReadCountTests {
    @Test(arguments: bigSizes)
    func inclusionIsLogarithmic(size: UInt64) throws {
        let root = try SparseTreeSource(size: size, specials: interesting(size)).root(size: size)
        for index in interesting(size) {
            let source = SparseTreeSource(size: size, specials: interesting(size))
            let proof = try source.inclusionProof(index: index, size: size)
            #expect(source.reads <= 2 * 64, "index \(index): \(source.reads) reads")
            #expect(proof.count == MerkleVerify.inclusionProofLength(index: index, size: size))
            let leaf = source.leafHash(index)
            #expect(MerkleVerify.inclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root) == .valid)
            #expect(
                MerkleVerify.inclusion(leafHash: leaf.flippingBit(1), index: index, size: size, proof: proof, root: root)
                    == .invalid(.rootMismatch))

            let synthetic = SyntheticSource()
            _ = try synthetic.inclusionProof(index: index, size: size)
            #expect(synthetic.reads <= 2 * 64)
        }
    }

    @Test(arguments: bigSizes)
    func consistencyIsLogarithmic(size: UInt64) throws {
        let specials = interesting(size)
        let roots = SparseTreeSource(size: size, specials: specials)
        let newRoot = try roots.root(size: size)
        for old: UInt64 in [1, 2, 3, 12345, 1 << 20, (1 << 20) + 1, size / 2, size - 1] where old > 0 && old < size {
            let source = SparseTreeSource(size: size, specials: specials)
            let proof = try source.consistencyProof(old: old, new: size)
            #expect(source.reads <= 2 * 64, "\(old) -> \(size): \(source.reads) reads")
            #expect(proof.count == MerkleVerify.consistencyProofLength(oldSize: old, newSize: size))
            let oldRoot = try roots.root(size: old)
            #expect(MerkleVerify.consistency(oldSize: old, newSize: size, oldRoot: oldRoot, newRoot: newRoot, proof: proof) == .valid)
            #expect(
                MerkleVerify.consistency(oldSize: old, newSize: size, oldRoot: oldRoot.flippingBit(4), newRoot: newRoot, proof: proof)
                    != .valid)

            let synthetic = SyntheticSource()
            _ = try synthetic.consistencyProof(old: old, new: size)
            #expect(synthetic.reads <= 2 * 64)
        }
    }

    @Test func rootReadsOnePerPeak() throws {
        let size: UInt64 = (1 << 20) + 12345
        let source = SyntheticSource()
        _ = try source.root(size: size)
        #expect(source.reads == size.nonzeroBitCount)
    }

    /// Cross-check the sparse tree against the reference on a size small enough to materialise.
    @Test func sparseSourceIsARealTree() throws {
        let size: UInt64 = 300
        let source = SparseTreeSource(size: size, specials: [0, 5, 77, 299])
        let leaves = (0..<size).map { source.leafHash($0) }
        #expect(try source.root(size: size) == Reference.mth(leaves[...]))
        for index in [0, 5, 6, 77, 200, 299] as [UInt64] {
            #expect(try source.inclusionProof(index: index, size: size) == Reference.path(Int(index), leaves[...]))
        }
    }
}
