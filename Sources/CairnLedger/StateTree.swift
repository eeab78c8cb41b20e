import CairnCore

/// The RFC 9162 Merkle tree over the state entries, sorted by key, kept level by level so that
/// changing one entry rehashes only its path: O(log n) per change, not a rebuild per block.
public struct StateTree: Sendable {
    /// levels[0] holds the leaf hashes; each higher level pairs the one below, carrying an odd
    /// last node up unchanged, which gives exactly the RFC 9162 root.
    private var levels: [[Hash]]

    public init(leaves: [[UInt8]]) {
        levels = [leaves.map { Merkle.leafHash($0) }]
        while levels.last!.count > 1 {
            let below = levels.last!
            levels.append(
                stride(from: 0, to: below.count, by: 2).map { i in
                    i + 1 < below.count ? Merkle.nodeHash(below[i], below[i + 1]) : below[i]
                })
        }
    }

    public var root: Hash { levels[0].isEmpty ? Merkle.emptyRoot : levels.last![0] }
    public var count: Int { levels[0].count }

    /// Replaces entry `index`. Requires 0 <= index < count.
    public mutating func update(_ index: Int, leaf: [UInt8]) {
        levels[0][index] = Merkle.leafHash(leaf)
        var i = index
        for level in 1..<levels.count {
            let below = levels[level - 1]
            let left = i & ~1
            i /= 2
            levels[level][i] = left + 1 < below.count ? Merkle.nodeHash(below[left], below[left + 1]) : below[left]
        }
    }

    /// The inclusion proof for entry `index` (RFC 9162 audit path).
    public func proof(_ index: Int) -> [Hash] {
        var out: [Hash] = []
        var i = index
        for level in 0..<(levels.count - 1) {
            let sibling = i ^ 1
            if sibling < levels[level].count { out.append(levels[level][sibling]) }
            i /= 2
        }
        return out
    }
}
