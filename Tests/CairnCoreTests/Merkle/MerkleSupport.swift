import CairnCore
import Foundation

/// Slow, obviously-correct RFC 9162 §2.1 reference, written straight from the
/// RFC's recursive definitions. Hashes by concatenating bytes, independently of
/// `Merkle.nodeHash`.
enum Reference {
    static func leafHash(_ leaf: [UInt8]) -> Hash { Hash.sha256([0x00] + leaf) }
    static func nodeHash(_ l: Hash, _ r: Hash) -> Hash { Hash.sha256([0x01] + l.bytes + r.bytes) }

    /// Largest power of two strictly less than n (n > 1), by counting up.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]) over leaf hashes.
    static func mth(_ d: ArraySlice<Hash>) -> Hash {
        switch d.count {
        case 0: return Hash.sha256([UInt8]())
        case 1: return d.first!
        default:
            let k = split(d.count)
            return nodeHash(mth(d.prefix(k)), mth(d.dropFirst(k)))
        }
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ d: ArraySlice<Hash>) -> [Hash] {
        if d.count <= 1 { return [] }
        let k = split(d.count)
        if m < k { return path(m, d.prefix(k)) + [mth(d.dropFirst(k))] }
        return path(m - k, d.dropFirst(k)) + [mth(d.prefix(k))]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ d: ArraySlice<Hash>) -> [Hash] { subproof(m, d, true) }

    static func subproof(_ m: Int, _ d: ArraySlice<Hash>, _ b: Bool) -> [Hash] {
        if m == d.count { return b ? [] : [mth(d)] }
        let k = split(d.count)
        if m <= k { return subproof(m, d.prefix(k), b) + [mth(d.dropFirst(k))] }
        return subproof(m - k, d.dropFirst(k), false) + [mth(d.prefix(k))]
    }
}

/// A deterministic tree of `count` leaves, with every complete node recorded
/// through `CompactRange.append`'s `onNode`, and the root at every size.
struct Fixture: Sendable {
    let leafHashes: [Hash]
    let nodes: [NodeID: Hash]
    let roots: [Hash]  // roots[s] = root of the first s leaves

    init(count: Int) {
        var leafHashes: [Hash] = []
        var nodes: [NodeID: Hash] = [:]
        var roots = [Merkle.emptyRoot]
        var range = CompactRange()
        for i in 0..<count {
            let leaf = Merkle.leafHash(Array("leaf \(i)".utf8))
            leafHashes.append(leaf)
            range.append(leafHash: leaf) { level, index, hash in
                let id = NodeID(level: level, index: index)
                precondition(nodes[id] == nil, "node \(id) reported twice")
                nodes[id] = hash
            }
            roots.append(range.root)
        }
        self.leafHashes = leafHashes
        self.nodes = nodes
        self.roots = roots
    }

    /// A node source that sees the tree at `size` and counts its reads.
    func source(size: UInt64) -> DictionaryNodeSource { DictionaryNodeSource(nodes: nodes, size: size) }
}

let fixture = Fixture(count: 1025)

struct NodeNotAvailable: Error {
    let level: Int
    let index: UInt64
}

/// In-memory node source over a node table; refuses (throws) any node that is
/// not complete within `size`, so proofs that read past the tree fail.
final class DictionaryNodeSource: MerkleNodeSource {
    let nodes: [NodeID: Hash]
    let size: UInt64
    private(set) var reads = 0

    init(nodes: [NodeID: Hash], size: UInt64) {
        self.nodes = nodes
        self.size = size
    }

    func node(level: Int, index: UInt64) throws -> Hash {
        reads += 1
        let id = NodeID(level: level, index: index)
        guard Merkle.isComplete(id, size: size), let hash = nodes[id] else {
            throw NodeNotAvailable(level: level, index: index)
        }
        return hash
    }
}

extension Hash {
    /// This hash with one bit flipped.
    func flippingBit(_ bit: Int) -> Hash {
        var b = bytes
        b[bit / 8] ^= 1 << UInt8(bit % 8)
        return Hash(b)!
    }
}
