/// A C2SP tlog-proof@v1 file:
/// ```
/// c2sp.org/tlog-proof@v1
/// extra <base64>
/// index <n>
/// <base64 hash>...
///
/// <signed checkpoint>
/// ```
/// Cairn puts the leaf bytes, `JCS(envelope)`, in `extra`.
public struct TlogProof: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    public var extra: [UInt8]?
    public var index: UInt64
    public var hashes: [Hash]
    public var checkpoint: SignedNote

    public init(extra: [UInt8]?, index: UInt64, hashes: [Hash], checkpoint: SignedNote) {
        self.extra = extra
        self.index = index
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    public var encoded: String {
        var out = TlogProof.header + "\n"
        if let extra { out += "extra \(Base64.encode(extra))\n" }
        out += "index \(index)\n"
        for h in hashes { out += h.base64 + "\n" }
        return out + "\n" + checkpoint.encoded
    }

    /// Parses one proof from the front of `text` and returns the unparsed rest. A Cairn proof with
    /// `--with-keys` is several proofs concatenated: the notice's first, then each key-history leaf's.
    public static func parseMany(_ text: String) throws(CairnError) -> [TlogProof] {
        var proofs: [TlogProof] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let (proof, remaining) = try parseOne(rest)
            proofs.append(proof)
            rest = remaining
        }
        guard !proofs.isEmpty else { throw CairnError(.invalidProof, "empty proof file") }
        return proofs
    }

    /// Parses one proof from the front of `text`: the header, an optional `extra` line, the index
    /// in canonical decimal, at most 64 hash lines, a blank line, then the signed checkpoint, which
    /// runs through its text, its blank line and the signature lines after it, every line (the last
    /// included) ending in a newline. Returns the proof and the rest of `text`.
    static func parseOne(_ text: Substring) throws(CairnError) -> (TlogProof, Substring) {
        if let bad = text.utf8.first(where: { $0 < 0x20 && $0 != 0x0a }) {
            throw CairnError(.invalidProof, "proof has the control character 0x\(Hex.encode([bad]))")
        }
        var rest = text
        /// The next line without its newline; a line the text ends before the newline of is an error.
        func next(_ what: String) throws(CairnError) -> Substring {
            guard !rest.isEmpty else { throw CairnError(.invalidProof, "proof ends before its \(what)") }
            guard let nl = rest.utf8.firstIndex(of: 0x0a) else {
                throw CairnError(.invalidProof, "proof's \(what) does not end in a newline")
            }
            let line = rest[..<nl]
            rest = rest[rest.utf8.index(after: nl)...]
            return line
        }
        guard try next("header") == TlogProof.header else {
            throw CairnError(.invalidProof, "proof does not start with \(TlogProof.header)")
        }
        var line = try next("index line")
        var extra: [UInt8]?
        if line.hasPrefix("extra ") {
            guard let bytes = Base64.decode(line.dropFirst(6)) else {
                throw CairnError(.invalidProof, "extra line is not padded standard base64")
            }
            extra = bytes
            line = try next("index line")
        }
        guard line.hasPrefix("index "), let index = Checkpoint.decimal(line.dropFirst(6)) else {
            throw CairnError(.invalidProof, "malformed index line \"\(line)\" (want \"index <decimal without leading zeros>\")")
        }
        var hashes: [Hash] = []
        while true {
            let l = try next("blank line before the checkpoint")
            if l.isEmpty { break }
            guard let h = Hash(base64: String(l)) else { throw CairnError(.invalidProof, "proof line \"\(l)\" is not a base64 hash") }
            guard hashes.count < 64 else { throw CairnError(.invalidProof, "proof has more than 64 hashes") }
            hashes.append(h)
        }
        // The checkpoint: its text up to a blank line, then its signature lines, which start with
        // an em dash. A proof that follows starts with the header, which does not.
        let noteStart = rest.startIndex
        while try !next("checkpoint").isEmpty {}
        while rest.hasPrefix("\u{2014} ") { _ = try next("checkpoint's signature line") }
        let note: SignedNote
        do { note = try SignedNote(parsing: String(text[noteStart..<rest.startIndex])) } catch {
            throw CairnError(.invalidProof, "the proof's checkpoint: \(error.message)")
        }
        return (TlogProof(extra: extra, index: index, hashes: hashes, checkpoint: note), rest)
    }
}

/// A consistency proof written as a C2SP tlog-witness add-checkpoint request body:
/// `old <N>\n`, the proof hashes in base64 one per line, a blank line, and the signed checkpoint.
public struct ConsistencyProofFile: Sendable, Equatable {
    public var oldSize: UInt64
    public var hashes: [Hash]
    public var checkpoint: SignedNote

    public init(oldSize: UInt64, hashes: [Hash], checkpoint: SignedNote) {
        self.oldSize = oldSize
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    public var encoded: String {
        "old \(oldSize)\n" + hashes.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.encoded
    }

    /// Parses `old <N>` in canonical decimal, at most 64 hash lines, a blank line and the signed
    /// checkpoint (strictly, as `SignedNote(parsing:)`).
    public init(parsing text: String) throws(CairnError) {
        let bytes = Array(text.utf8)
        guard let blank = bytes.indices.dropLast().first(where: { bytes[$0] == 0x0a && bytes[$0 + 1] == 0x0a }) else {
            throw CairnError(.invalidProof, "consistency proof has no blank line")
        }
        let head = bytes[..<blank].split(separator: 0x0a, omittingEmptySubsequences: false).map {
            Substring(String(decoding: $0, as: UTF8.self))
        }
        guard let first = head.first, first.hasPrefix("old "), let old = Checkpoint.decimal(first.dropFirst(4)) else {
            throw CairnError(.invalidProof, "consistency proof does not start with \"old <N>\"")
        }
        var hashes: [Hash] = []
        for l in head.dropFirst() {
            guard let h = Hash(base64: String(l)) else { throw CairnError(.invalidProof, "proof line \"\(l)\" is not a base64 hash") }
            guard hashes.count < 64 else { throw CairnError(.invalidProof, "consistency proof has more than 64 hashes") }
            hashes.append(h)
        }
        let note = try SignedNote(parsing: String(decoding: bytes[(blank + 2)...], as: UTF8.self))
        self.init(oldSize: old, hashes: hashes, checkpoint: note)
    }
}
