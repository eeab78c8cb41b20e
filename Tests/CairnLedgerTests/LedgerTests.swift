import CairnCore
import CairnLedger
import Testing

@Suite struct StateTreeTests {
    /// Updating entries in place gives the same root as building the tree afresh.
    @Test(arguments: [1, 2, 3, 5, 8, 13])
    func incrementalUpdatesMatchARebuild(_ n: Int) {
        var leaves = (0..<n).map { [UInt8(ascii: "a"), UInt8($0)] }
        var tree = StateTree(leaves: leaves)
        #expect(tree.root == Merkle.root(leafHashes: leaves.map { Merkle.leafHash($0) }))
        for step in 0..<(3 * n) {
            let i = (step * 7) % n
            leaves[i] = [UInt8(ascii: "b"), UInt8(step)]
            tree.update(i, leaf: leaves[i])
            #expect(tree.root == StateTree(leaves: leaves).root)
            let proof = tree.proof(i)
            #expect(
                MerkleVerify.inclusion(
                    leafHash: Merkle.leafHash(leaves[i]), index: UInt64(i), size: UInt64(n), proof: proof, root: tree.root)
                    == .valid)
        }
    }
}

@Suite struct BlockHeaderTests {
    @Test func headerRoundTripsThroughCanonicalBytes() throws {
        let h = BlockHeader(
            height: 7, prev: Merkle.emptyRoot, time: Timestamp(seconds: 1_800_000_000), logSize: 42, logRoot: Merkle.leafHash([1]),
            firstLeaf: 40, count: 2, stateRoot: Merkle.leafHash([2]), stateSize: 5, proposer: "bank-a.example",
            rejected: [Rejection(id: String(repeating: "ab", count: 32), code: "overdraft", message: "not hashed")])
        let parsed = try BlockHeader(canonical: h.canonicalBytes)
        var expected = h
        expected.rejected[0].message = ""
        #expect(parsed == expected)
        #expect(parsed.hash == h.hash, "the rejection message is not under the hash")
        #expect(String(decoding: h.canonicalBytes, as: UTF8.self).hasPrefix("{\"count\":2,\"firstLeaf\":40,\"height\":7,"))
        #expect(h.hash == Hash.sha256(Array("cairn/v1/block\n".utf8) + h.canonicalBytes))
    }
}
