/// A C2SP tlog-checkpoint body: origin, tree size, base64 root, then extension lines. A Cairn
/// checkpoint has exactly one extension, `cairn-block <height> <hex block hash>`, naming the block
/// that ends at this size, and `init(parsing:)` accepts nothing else.
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
        for line in extensions { if let b = Checkpoint.cairnBlock(Substring(line)) { return b } }
        return nil
    }

    /// Parses `cairn-block <height> <64 lowercase hex>`: one space between fields, the height in
    /// decimal without sign or leading zeros. nil for anything else.
    static func cairnBlock(_ line: Substring) -> (height: UInt64, hash: Hash)? {
        let f = line.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 3, f[0] == "cairn-block", let height = Checkpoint.decimal(f[1]), let hash = Hash(hex: String(f[2])) else {
            return nil
        }
        return (height, hash)
    }

    /// A decimal number without sign or leading zeros (the only spelling c2sp.org/tlog-checkpoint
    /// allows for the size), that fits in 64 bits.
    static func decimal(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), text == "0" || text.first != "0" else { return nil }
        return UInt64(text)
    }

    /// Parses a Cairn checkpoint body strictly (c2sp.org/tlog-checkpoint and DESIGN §1.4): exactly
    /// four lines, each ending in a newline: a non-empty origin without control characters, the tree
    /// size in canonical decimal, the root as padded standard base64 of 32 bytes, and one
    /// `cairn-block <height> <64 lowercase hex>` extension line. Anything else is refused, so a
    /// checkpoint has one spelling.
    public init(parsing text: String) throws(CairnError) {
        guard text.hasSuffix("\n") else { throw CairnError(.invalidNote, "checkpoint text does not end in a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw CairnError(.invalidNote, "checkpoint has fewer than three lines") }
        guard !lines[0].isEmpty else { throw CairnError(.invalidNote, "checkpoint origin line is empty") }
        guard lines[0].unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) else {
            throw CairnError(.invalidNote, "checkpoint origin has a control character")
        }
        guard let size = Checkpoint.decimal(lines[1]) else {
            throw CairnError(.invalidNote, "checkpoint size \"\(lines[1])\" is not a decimal number without sign or leading zeros")
        }
        guard let root = Hash(base64: String(lines[2])) else {
            throw CairnError(.invalidNote, "checkpoint root \"\(lines[2])\" is not the padded base64 of 32 bytes")
        }
        let extensions = lines.dropFirst(3)
        let blockLines = extensions.filter { $0.hasPrefix("cairn-block") }
        guard blockLines.count <= 1 else { throw CairnError(.invalidNote, "checkpoint has \(blockLines.count) cairn-block lines, not one") }
        guard let blockLine = blockLines.first else { throw CairnError(.invalidNote, "checkpoint has no cairn-block line") }
        guard Checkpoint.cairnBlock(blockLine) != nil else {
            throw CairnError(.invalidNote, "checkpoint line \"\(blockLine)\" is not \"cairn-block <height> <64 lowercase hex digits>\"")
        }
        guard extensions.count == 1 else {
            throw CairnError(
                .invalidNote, "checkpoint has an extension line other than cairn-block: \"\(extensions.first { $0 != blockLine }!)\"")
        }
        self.init(origin: String(lines[0]), size: size, root: root, extensions: [String(blockLine)])
    }
}
