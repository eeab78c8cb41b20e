import Crypto

/// A SHA-256 digest: exactly 32 bytes.
///
/// Stored as four big-endian 64-bit words, so copying and comparing never
/// allocate; `bytes` materialises an array on demand. Ordering (`<`) is the
/// lexicographic order of the bytes.
public struct Hash: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Byte count of every `Hash`.
    public static let byteCount = 32

    // w0 holds bytes 0..<8 as a big-endian number, w1 bytes 8..<16, and so on.
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    /// Creates a hash from exactly 32 bytes; `nil` for any other length.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Hash.byteCount else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyBytes(from: bytes)
        }
        self.init(
            w0: UInt64(bigEndian: words.0), w1: UInt64(bigEndian: words.1),
            w2: UInt64(bigEndian: words.2), w3: UInt64(bigEndian: words.3))
    }

    @usableFromInline
    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// The 32 bytes of the digest.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Calls `body` with the 32 bytes of the digest (no allocation).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
        return try Swift.withUnsafeBytes(of: &words) { try body($0) }
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some Collection<UInt8>) -> Hash {
        var hasher = SHA256()
        let contiguous: Void? = data.withContiguousStorageIfAvailable {
            hasher.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if contiguous == nil { hasher.update(data: Array(data)) }
        return Hash(digest: hasher.finalize())
    }

    init(digest: SHA256.Digest) {
        // A SHA-256 digest is always 32 bytes.
        self = digest.withUnsafeBytes { Hash($0)! }
    }

    public static func < (lhs: Hash, rhs: Hash) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }

    /// Lowercase hexadecimal, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    /// Parses 64 lowercase hexadecimal digits; `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes)
    }

    /// Standard base64 with padding (RFC 4648 §4), 44 characters.
    public var base64: String { Base64.encode(bytes) }

    /// Parses canonical, padded standard base64 of exactly 32 bytes; `nil` for
    /// anything else (wrong length, bad alphabet, missing padding, non-zero pad bits).
    public init?(base64: String) {
        guard let bytes = Base64.decode(base64) else { return nil }
        self.init(bytes)
    }

    /// The hexadecimal form.
    public var description: String { hex }
}
