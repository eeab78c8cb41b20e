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

    static func parseOne(_ text: Substring) throws(CairnError) -> (TlogProof, Substring) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        func next(_ what: String) throws(CairnError) -> Substring {
            guard let line = lines.popFirst() else { throw CairnError(.invalidProof, "proof ends before its \(what)") }
            return line
        }
        guard try next("header") == TlogProof.header else {
            throw CairnError(.invalidProof, "proof does not start with \(TlogProof.header)")
        }
        var line = try next("index line")
        var extra: [UInt8]?
        if line.hasPrefix("extra ") {
            guard let bytes = Base64.decode(line.dropFirst(6)) else { throw CairnError(.invalidProof, "extra line is not base64") }
            extra = bytes
            line = try next("index line")
        }
        guard line.hasPrefix("index "), let index = UInt64(line.dropFirst(6)), String(index) == line.dropFirst(6) else {
            throw CairnError(.invalidProof, "malformed index line \"\(line)\"")
        }
        var hashes: [Hash] = []
        while true {
            let l = try next("blank line before the checkpoint")
            if l.isEmpty { break }
            guard let h = Hash(base64: String(l)) else { throw CairnError(.invalidProof, "proof line \"\(l)\" is not a base64 hash") }
            guard hashes.count < 64 else { throw CairnError(.invalidProof, "proof has more than 64 hashes") }
            hashes.append(h)
        }
        // The checkpoint runs to the blank line after its text, then through its signature lines,
        // which are the lines starting with an em dash.
        var noteLines: [Substring] = []
        while let l = lines.first, !l.isEmpty {
            noteLines.append(l)
            lines.removeFirst()
        }
        guard lines.popFirst() != nil else { throw CairnError(.invalidProof, "checkpoint has no signatures") }
        var sigLines: [Substring] = []
        while let l = lines.first, l.hasPrefix("\u{2014} ") {
            sigLines.append(l)
            lines.removeFirst()
        }
        let noteText = noteLines.map { $0 + "\n" }.joined() + "\n" + sigLines.map { $0 + "\n" }.joined()
        let note = try SignedNote(parsing: noteText)
        let rest = lines.joined(separator: "\n")
        // What remains is either nothing (the final newline) or the next proof.
        let remaining = rest.isEmpty ? Substring("") : Substring(rest)
        return (TlogProof(extra: extra, index: index, hashes: hashes, checkpoint: note), remaining)
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

    public init(parsing text: String) throws(CairnError) {
        guard let blank = text.range(of: "\n\n") else { throw CairnError(.invalidProof, "consistency proof has no blank line") }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4)
        else { throw CairnError(.invalidProof, "consistency proof does not start with \"old <N>\"") }
        var hashes: [Hash] = []
        for l in head.dropFirst() {
            guard let h = Hash(base64: String(l)) else { throw CairnError(.invalidProof, "proof line \"\(l)\" is not a base64 hash") }
            hashes.append(h)
        }
        self.init(oldSize: old, hashes: hashes, checkpoint: try SignedNote(parsing: String(text[blank.upperBound...])))
    }
}
