import CairnCore
import Testing

@Suite struct CompactRangeTests {
    @Test func reportsExactlyTheCompleteNodes() {
        let size = UInt64(fixture.leafHashes.count)
        #expect(UInt64(fixture.nodes.count) == Merkle.completeNodeTotal(size: size))
        for level in 0..<12 {
            let count = Merkle.completeNodeCount(level: level, size: size)
            #expect(count == size >> UInt64(level))
            for index in 0..<count {
                let id = NodeID(level: level, index: index)
                #expect(Merkle.isComplete(id, size: size))
                #expect(fixture.nodes[id] == Reference.mth(fixture.leafHashes[Int(id.begin)..<Int(id.begin + id.width)]))
            }
            #expect(!Merkle.isComplete(NodeID(level: level, index: count), size: size))
        }
        #expect(Merkle.completeNodeCount(level: 64, size: .max) == 0)
        #expect(Merkle.completeNodeTotal(size: 0) == 0)
        #expect(Merkle.completeNodeTotal(size: 7) == 11)
    }

    @Test func onNodeOrderMatchesNodesCompleted() {
        var range = CompactRange()
        for i in 0..<300 {
            var seen: [NodeID] = []
            range.append(leafHash: fixture.leafHashes[i]) { level, index, _ in seen.append(NodeID(level: level, index: index)) }
            #expect(seen == Merkle.nodesCompleted(byLeaf: UInt64(i)))
        }
        #expect(
            Merkle.nodesCompleted(byLeaf: 7) == [
                NodeID(level: 0, index: 7), NodeID(level: 1, index: 3),
                NodeID(level: 2, index: 1), NodeID(level: 3, index: 0),
            ])
    }

    @Test func peaksAreThePeakNodes() {
        var range = CompactRange()
        for i in 0...fixture.leafHashes.count {
            let ids = Merkle.peakNodes(size: UInt64(i))
            #expect(range.size == UInt64(i))
            #expect(range.peaks == ids.map { fixture.nodes[$0]! })
            #expect(range.root == fixture.roots[i])
            if i < fixture.leafHashes.count { range.append(leafHash: fixture.leafHashes[i]) }
        }
        #expect(Merkle.peakNodes(size: 0) == [])
        #expect(Merkle.peakNodes(size: 13) == [NodeID(level: 3, index: 0), NodeID(level: 2, index: 2), NodeID(level: 0, index: 12)])
        #expect(Merkle.peakNodes(size: .max).count == 64)
    }

    @Test(arguments: Array(0...70) + [511, 512, 513, 1000])
    func restoreFromPeaksAndContinue(size: Int) {
        let peaks = Merkle.peakNodes(size: UInt64(size)).map { fixture.nodes[$0]! }
        var restored = CompactRange(size: UInt64(size), peaks: peaks)
        var full = CompactRange()
        for i in 0..<size { full.append(leafHash: fixture.leafHashes[i]) }
        #expect(restored == full)
        for i in size..<min(size + 80, fixture.leafHashes.count) {
            var fromRestored: [NodeID: Hash] = [:]
            restored.append(leafHash: fixture.leafHashes[i]) { fromRestored[NodeID(level: $0, index: $1)] = $2 }
            full.append(leafHash: fixture.leafHashes[i])
            #expect(restored.root == fixture.roots[i + 1])
            for (id, hash) in fromRestored { #expect(fixture.nodes[id] == hash) }
        }
        #expect(restored == full)
    }

    @Test func validatingInit() {
        let h = Merkle.emptyRoot
        #expect(CompactRange(validatingSize: 3, peaks: [h]) == nil)
        #expect(CompactRange(validatingSize: 0, peaks: [h]) == nil)
        #expect(CompactRange(validatingSize: 3, peaks: [h, h]) != nil)
        #expect(CompactRange(validatingSize: 0, peaks: []) == CompactRange())
        #expect(CompactRange(size: 1, peaks: [h]) != CompactRange(size: 1, peaks: [h.flippingBit(0)]))
    }
}
