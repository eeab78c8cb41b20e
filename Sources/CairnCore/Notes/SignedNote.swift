import Foundation

/// A C2SP signed note: text (one or more lines, each ending in a newline), a blank line, and
/// signature lines `— <name> <base64(key id || signature)>`, each ending in a newline.
public struct SignedNote: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        public var name: String
        /// Key id (4 bytes) followed by the algorithm's signature bytes.
        public var blob: [UInt8]

        public init(name: String, blob: [UInt8]) {
            self.name = name
            self.blob = blob
        }

        public var keyID: UInt32 { blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        public var line: String { "\u{2014} \(name) \(Base64.encode(blob))\n" }
    }

    /// The signed text, ending in a newline.
    public var text: String
    public var signatures: [Signature]

    public init(text: String, signatures: [Signature] = []) {
        self.text = text
        self.signatures = signatures
    }

    public var encoded: String { text + "\n" + signatures.map(\.line).joined() }

    /// Parses a signed note. Requires at least one signature line; refuses lines that are not
    /// well-formed signatures (the spec allows ignoring unknown keys, not malformed lines).
    public init(parsing note: String) throws(CairnError) {
        guard note.utf8.count <= 1_000_000 else { throw CairnError(.invalidNote, "note is larger than 1 MB") }
        // The text ends at the last blank line (C2SP signed-note).
        guard let range = note.range(of: "\n\n", options: .backwards) else {
            throw CairnError(.invalidNote, "note has no blank line before its signatures")
        }
        let text = String(note[..<note.index(after: range.lowerBound)])
        let sigPart = note[range.upperBound...]
        guard !sigPart.isEmpty, sigPart.hasSuffix("\n") else {
            throw CairnError(.invalidNote, "note has no signature lines, or its last line does not end in a newline")
        }
        var signatures: [Signature] = []
        for (i, line) in sigPart.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.hasPrefix("\u{2014} ") else {
                throw CairnError(.invalidNote, "signature line \(i + 1) does not start with an em dash and a space")
            }
            let fields = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, KeyName.isValid(String(fields[0])), let blob = Base64.decode(fields[1]), blob.count >= 5
            else { throw CairnError(.invalidNote, "signature line \(i + 1) is malformed") }
            signatures.append(Signature(name: String(fields[0]), blob: blob))
        }
        guard signatures.count <= 100 else { throw CairnError(.invalidNote, "note has more than 100 signatures") }
        self.init(text: text, signatures: signatures)
    }

    /// Adds an Ed25519 (type 0x01) signature by `key` over the text.
    public mutating func sign(with key: SigningKey) {
        signatures.append(Signature(name: key.name, blob: key.verifierKey.keyIDBytes + key.signature(for: Array(text.utf8))))
    }

    /// Adds a tlog-cosignature/v1 (type 0x04) line: key id || u64 big-endian timestamp || signature over
    /// `cosignature/v1\ntime <t>\n` followed by the note text.
    public mutating func cosign(with key: SigningKey, timestamp: UInt64) {
        let message = Array("cosignature/v1\ntime \(timestamp)\n".utf8) + Array(text.utf8)
        let ts = (0..<8).map { UInt8(timestamp >> (56 - 8 * UInt64($0)) & 0xff) }
        signatures.append(Signature(name: key.name, blob: key.verifierKey.keyIDBytes + ts + key.signature(for: message)))
    }

    /// Which of `keys` produced a valid signature on this note. Lines from unknown keys are ignored,
    /// as the spec requires; a line whose name and key id match a known key but whose signature
    /// does not verify is reported in `invalid`.
    public func verify(keys: [VerifierKey]) -> (verified: [VerifierKey], invalid: [VerifierKey]) {
        var verified: [VerifierKey] = []
        var invalid: [VerifierKey] = []
        let textBytes = Array(text.utf8)
        for sig in signatures {
            guard let key = keys.first(where: { $0.name == sig.name && $0.keyID == sig.keyID }) else { continue }
            let ok: Bool
            switch key.type {
            case .ed25519:
                ok = sig.blob.count == 68 && key.isValidSignature(sig.blob[4...], for: textBytes)
            case .cosignature:
                if sig.blob.count == 76 {
                    let ts = sig.blob[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    ok = key.isValidSignature(sig.blob[12...], for: Array("cosignature/v1\ntime \(ts)\n".utf8) + textBytes)
                } else {
                    ok = false
                }
            }
            if ok {
                if !verified.contains(key) { verified.append(key) }
            } else {
                invalid.append(key)
            }
        }
        return (verified, invalid)
    }
}
