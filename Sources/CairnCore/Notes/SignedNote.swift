import Foundation

/// A C2SP signed note: text (one or more lines, each ending in a newline), a blank line, and
/// signature lines `— <name> <base64(key id || signature)>`, each ending in a newline.
///
/// Parsing follows c2sp.org/signed-note and Go's `golang.org/x/mod/sumdb/note.Open`, strictly where
/// they leave room: no ASCII control character but the newline, the signatures after the last blank
/// line, every signature line (the last included) ending in a newline, a valid key name, canonical
/// padded base64 of at least 5 bytes, at most 100 lines, and no two lines with the same name and key
/// id (Go drops the repeats; a note that repeats a signer is refused here, so one note has one
/// encoding up to the order of its signature lines, which the signatures do not cover).
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
        public var keyIDHex: String { Hex.encode(blob.prefix(4)) }
        public var line: String { "\u{2014} \(name) \(Base64.encode(blob))\n" }
    }

    /// The most signature lines a note may carry (Go's `note.Open` stops at 100 too).
    public static let maxSignatures = 100

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
        let bytes = Array(note.utf8)
        guard bytes.count <= 1_000_000 else { throw CairnError(.invalidNote, "note is larger than 1 MB") }
        if let i = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0a }) {
            throw CairnError(.invalidNote, "note has the control character 0x\(Hex.encode([bytes[i]])) at byte \(i)")
        }
        // The text ends at the last blank line (C2SP signed-note).
        var split = bytes.count - 2
        while split >= 0, !(bytes[split] == 0x0a && bytes[split + 1] == 0x0a) { split -= 1 }
        guard split >= 0 else { throw CairnError(.invalidNote, "note has no blank line before its signatures") }
        let text = String(decoding: bytes[...split], as: UTF8.self)
        let sigPart = bytes[(split + 2)...]
        guard !sigPart.isEmpty else { throw CairnError(.invalidNote, "note has no signature lines") }
        guard sigPart.last == 0x0a else {
            throw CairnError(.invalidNote, "the note's last signature line does not end in a newline")
        }
        let dash: [UInt8] = [0xe2, 0x80, 0x94, 0x20]  // "— ": U+2014 and a space
        var signatures: [Signature] = []
        for (i, line) in sigPart.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            guard signatures.count < SignedNote.maxSignatures else {
                throw CairnError(.invalidNote, "note has more than \(SignedNote.maxSignatures) signature lines")
            }
            guard line.starts(with: dash) else {
                throw CairnError(.invalidNote, "signature line \(i + 1) does not start with an em dash and a space")
            }
            let fields = line.dropFirst(dash.count).split(separator: 0x20, omittingEmptySubsequences: false)
            let name = fields.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard fields.count == 2, KeyName.isValid(name) else {
                throw CairnError(.invalidNote, "signature line \(i + 1) is not \"— <key name> <base64 signature>\"")
            }
            guard let blob = Base64.decode(String(decoding: fields[1], as: UTF8.self)), blob.count >= 5 else {
                throw CairnError(
                    .invalidNote, "signature line \(i + 1) (\(name)) is not the padded base64 of a key id and a signature")
            }
            let signature = Signature(name: name, blob: blob)
            if signatures.contains(where: { $0.name == name && $0.keyID == signature.keyID }) {
                throw CairnError(.invalidNote, "note has two signature lines by key \(name)+\(signature.keyIDHex)")
            }
            signatures.append(signature)
        }
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
    /// does not verify is reported in `invalid`. Most callers want `open(keys:)`, which refuses the
    /// note in that case.
    public func verify(keys: [VerifierKey]) -> (verified: [VerifierKey], invalid: [VerifierKey]) {
        var verified: [VerifierKey] = []
        var invalid: [VerifierKey] = []
        let textBytes = Array(text.utf8)
        for sig in signatures {
            guard let key = SignedNote.key(for: sig, in: keys) else { continue }
            if SignedNote.isValid(sig, by: key, text: textBytes) {
                if !verified.contains(key) { verified.append(key) }
            } else {
                invalid.append(key)
            }
        }
        return (verified, invalid)
    }

    /// Opens the note as c2sp.org/signed-note and Go's `note.Open` do: lines from keys not in `keys`
    /// are ignored, and a line from a known key (same name and key id) whose signature does not
    /// verify makes the whole note invalid, naming the signer and key id. Returns the known keys
    /// that signed, in line order, or why the note is refused; an empty list is not an error here:
    /// the caller's policy decides how many signers it needs.
    public func open(keys: [VerifierKey]) -> Result<[VerifierKey], CairnError> {
        var verified: [VerifierKey] = []
        let textBytes = Array(text.utf8)
        for sig in signatures {
            guard let key = SignedNote.key(for: sig, in: keys) else { continue }
            guard !verified.contains(key) else {
                return .failure(CairnError(.invalidNote, "couldn't verify the note: key \(key.name)+\(key.keyIDHex) signs it twice"))
            }
            guard SignedNote.isValid(sig, by: key, text: textBytes) else {
                let what = key.type == .cosignature ? "cosignature" : "signature"
                return .failure(
                    CairnError(
                        .badSignature,
                        "couldn't verify the note: invalid \(what) by \(key.name) for key \(key.name)+\(key.keyIDHex)"))
            }
            verified.append(key)
        }
        return .success(verified)
    }

    /// The known key a line claims: the one with its name and key id.
    private static func key(for sig: Signature, in keys: [VerifierKey]) -> VerifierKey? {
        keys.first { $0.name == sig.name && $0.keyID == sig.keyID }
    }

    /// Whether `sig` is a valid signature by `key` over `text`: for 0x01 keys a 68-byte blob, for
    /// 0x04 keys a 76-byte tlog-cosignature/v1 blob whose timestamp is part of the signed message.
    private static func isValid(_ sig: Signature, by key: VerifierKey, text: [UInt8]) -> Bool {
        switch key.type {
        case .ed25519:
            return sig.blob.count == 68 && key.isValidSignature(sig.blob[4...], for: text)
        case .cosignature:
            guard sig.blob.count == 76 else { return false }
            let ts = sig.blob[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return key.isValidSignature(sig.blob[12...], for: Array("cosignature/v1\ntime \(ts)\n".utf8) + text)
        }
    }
}
