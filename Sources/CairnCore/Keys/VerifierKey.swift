import Crypto

/// The signature algorithms of C2SP signed-note that Cairn uses.
public enum KeyType: UInt8, Sendable, Hashable {
    /// Ed25519 signatures over the note text.
    case ed25519 = 0x01
    /// tlog-cosignature/v1: Ed25519 over a timestamped message; witness keys only.
    case cosignature = 0x04
}

/// A public key in the C2SP signed-note vkey form `<name>+<hex key id>+<base64(type || pubkey32)>`.
/// The key id is `SHA-256(name || 0x0A || type || pubkey)[:4]`. Parsing decodes the point once,
/// so verifying with a `VerifierKey` costs only the signature check.
public struct VerifierKey: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let type: KeyType
    public let publicKey: [UInt8]
    public let keyID: UInt32
    private let key: Curve25519.Signing.PublicKey

    /// Requires a valid name; refuses small-order and non-canonical points.
    public init(name: String, type: KeyType, publicKey: [UInt8]) throws(CairnError) {
        guard KeyName.isValid(name) else { throw CairnError(.invalidKey, "invalid key name \"\(name)\"") }
        guard publicKey.count == 32 else { throw CairnError(.invalidKey, "public key for \(name) is not 32 bytes") }
        guard Ed25519Point.isCanonical(publicKey) else {
            throw CairnError(.invalidKey, "public key for \(name) is not canonically encoded")
        }
        guard !Ed25519Point.isSmallOrder(publicKey) else {
            throw CairnError(.invalidKey, "public key for \(name) is a small-order point")
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw CairnError(.invalidKey, "public key for \(name) is not a valid Ed25519 point")
        }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.key = key
        self.keyID = VerifierKey.keyID(name: name, type: type, publicKey: publicKey)
    }

    /// Parses `<name>+<hex key id>+<base64(type || pubkey)>`, checking the key id.
    public init(parsing text: String) throws(CairnError) {
        // The base64 key may itself contain "+": only the first two separate fields.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw CairnError(.invalidKey, "vkey \"\(text)\" does not have the form name+keyid+key") }
        guard let idBytes = Hex.decode(parts[1]), idBytes.count == 4 else {
            throw CairnError(.invalidKey, "vkey for \(parts[0]) has a malformed key id \"\(parts[1])\"")
        }
        guard let raw = Base64.decode(parts[2]), raw.count == 33 else {
            throw CairnError(.invalidKey, "vkey for \(parts[0]) has a malformed key (want base64 of 33 bytes)")
        }
        guard let type = KeyType(rawValue: raw[0]) else {
            throw CairnError(.invalidKey, "vkey for \(parts[0]) has unsupported key type 0x\(Hex.encode([raw[0]]))")
        }
        try self.init(name: String(parts[0]), type: type, publicKey: Array(raw[1...]))
        let claimed = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard claimed == keyID else {
            throw CairnError(.invalidKey, "vkey for \(name) has key id \(parts[1]), but its key hashes to \(keyIDHex)")
        }
    }

    public static func keyID(name: String, type: KeyType, publicKey: [UInt8]) -> UInt32 {
        var h = SHA256()
        h.update(data: Array(name.utf8) + [0x0a, type.rawValue] + publicKey)
        return h.finalize().prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    public var keyIDBytes: [UInt8] { [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)] }
    public var keyIDHex: String { Hex.encode(keyIDBytes) }

    /// The vkey text.
    public var description: String { "\(name)+\(keyIDHex)+\(Base64.encode([type.rawValue] + publicKey))" }

    /// Verifies an Ed25519 signature over `message`. Never throws: a bad signature is `false`.
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        signature.count == 64 && key.isValidSignature(Array(signature), for: Array(message))
    }

    public static func == (a: VerifierKey, b: VerifierKey) -> Bool {
        a.name == b.name && a.type == b.type && a.publicKey == b.publicKey
    }

    public func hash(into h: inout Hasher) {
        h.combine(publicKey)
        h.combine(type)
    }
}
