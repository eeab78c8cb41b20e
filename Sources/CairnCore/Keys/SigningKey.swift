import Crypto

/// A private key in the Go `sumdb/note` form `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed32)>`.
/// The core never draws randomness: callers pass the 32-byte seed.
public struct SigningKey: Sendable {
    public let verifierKey: VerifierKey
    private let seed: [UInt8]
    private let key: Curve25519.Signing.PrivateKey

    public var name: String { verifierKey.name }

    public init(name: String, type: KeyType = .ed25519, seed: [UInt8]) throws(CairnError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw CairnError(.invalidKey, "a private key seed must be 32 bytes")
        }
        self.seed = seed
        self.key = key
        self.verifierKey = try VerifierKey(name: name, type: type, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// Parses the `PRIVATE+KEY+...` text (surrounding whitespace ignored), checking the key id.
    public init(parsing text: String) throws(CairnError) {
        let trimmed = text.trimmingASCIIWhitespace()
        guard trimmed.hasPrefix("PRIVATE+KEY+") else {
            throw CairnError(.invalidKey, "a private key file must start with PRIVATE+KEY+")
        }
        let parts = trimmed.dropFirst("PRIVATE+KEY+".count).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Base64.decode(parts[2]), raw.count == 33,
            let type = KeyType(rawValue: raw[0])
        else { throw CairnError(.invalidKey, "malformed private key") }
        try self.init(name: String(parts[0]), type: type, seed: Array(raw[1...]))
        guard String(parts[1]) == verifierKey.keyIDHex else {
            throw CairnError(.invalidKey, "private key for \(name) has key id \(parts[1]), but its key hashes to \(verifierKey.keyIDHex)")
        }
    }

    /// The private key file's text (one line, ending in a newline). Never log it.
    public var encoded: String {
        "PRIVATE+KEY+\(name)+\(verifierKey.keyIDHex)+\(Base64.encode([verifierKey.type.rawValue] + seed))\n"
    }

    /// Ed25519 signature over `message` (deterministic, RFC 8032).
    public func signature(for message: some Collection<UInt8>) -> [UInt8] {
        // swift-crypto's BoringSSL backend signs deterministically per RFC 8032, and cannot fail
        // for a valid key.
        let signature = try! key.signature(for: Array(message))
        return [UInt8](signature)
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
