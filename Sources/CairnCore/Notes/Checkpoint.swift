/// A C2SP tlog-checkpoint body: origin, tree size, base64 root, then extension lines. Cairn adds
/// one extension, `cairn-block <height> <hex block hash>`, naming the block that ends at this size.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: UInt64
    public var root: Hash
    public var extensions: [String]

    public init(origin: String, size: UInt64, root: Hash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    public init(origin: String, size: UInt64, root: Hash, height: UInt64, blockHash: Hash) {
        self.init(origin: origin, size: size, root: root, extensions: ["cairn-block \(height) \(blockHash.hex)"])
    }

    /// The note text, every line ending in a newline.
    public var text: String {
        ([origin, String(size), root.base64] + extensions).map { $0 + "\n" }.joined()
    }

    /// The height and block hash from the `cairn-block` extension line, if present.
    public var block: (height: UInt64, hash: Hash)? {
        for line in extensions where line.hasPrefix("cairn-block ") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            if f.count == 3, let h = UInt64(f[1]), String(h) == f[1], let hash = Hash(hex: String(f[2])) { return (h, hash) }
        }
        return nil
    }

    public init(parsing text: String) throws(CairnError) {
        guard text.hasSuffix("\n") else { throw CairnError(.invalidNote, "checkpoint text does not end in a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw CairnError(.invalidNote, "checkpoint has fewer than three lines") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw CairnError(.invalidNote, "checkpoint size \"\(lines[1])\" is not a decimal number without leading zeros")
        }
        guard let root = Hash(base64: String(lines[2])) else {
            throw CairnError(.invalidNote, "checkpoint root is not the base64 of 32 bytes")
        }
        guard !lines[0].isEmpty, lines.dropFirst(3).allSatisfy({ !$0.isEmpty }) else {
            throw CairnError(.invalidNote, "checkpoint has an empty line")
        }
        self.init(origin: String(lines[0]), size: size, root: root, extensions: lines.dropFirst(3).map(String.init))
    }
}
