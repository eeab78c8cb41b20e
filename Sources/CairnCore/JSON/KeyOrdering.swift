// Byte-exact key comparison helpers.
//
// Swift `String` equality, hashing and `<` use Unicode canonical equivalence, which is wrong for
// JSON keys: RFC 8259 / RFC 8785 keys are sequences of code units. Everything here works on the
// UTF-8 bytes of the string instead.

/// Calls `body` with the string's UTF-8 bytes, without copying for native strings.
@inline(__always)
func withUTF8Bytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    if let r = try s.utf8.withContiguousStorageIfAvailable(body) { return r }
    var copy = s
    return try copy.withUTF8(body)
}

/// `true` if both strings have identical UTF-8 bytes (no canonical equivalence).
@inline(__always)
func utf8Equal(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    return withUTF8Bytes(a) { pa in withUTF8Bytes(b) { pb in pa.elementsEqual(pb) } }
}

/// Three-way comparison of two valid UTF-8 byte sequences in UTF-16 code unit order
/// (the RFC 8785 key order). Negative if `a < b`, zero if equal, positive if `a > b`.
///
/// UTF-8 byte order equals code point order, which differs from UTF-16 order only when a
/// supplementary character (UTF-16 surrogates 0xD800...0xDBFF) meets a BMP character in
/// U+E000...U+FFFF (UTF-8 lead bytes 0xEE, 0xEF). At the first differing byte both sides are
/// either lead bytes of a new character or continuation bytes of same-length characters, so
/// bumping the 0xEE/0xEF lead bytes above the 4-byte leads (0xF0...0xF4) fixes the order.
/// - Precondition: both buffers hold valid UTF-8.
@inline(__always)
func utf16Compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        let x = a[i]
        let y = b[i]
        if x != y {
            return Int(utf16OrderKey(x)) - Int(utf16OrderKey(y))
        }
        i += 1
    }
    return a.count - b.count
}

/// Maps lead bytes 0xEE/0xEF to 0xFE/0xFF (bytes that never occur in UTF-8) and leaves every
/// other byte alone. The map is injective, so comparing mapped bytes lexicographically gives the
/// UTF-16 code unit order of valid UTF-8 strings.
@inline(__always)
func utf16OrderKey(_ byte: UInt8) -> UInt8 {
    byte == 0xEE || byte == 0xEF ? byte | 0x10 : byte
}

/// The first 8 bytes of `bytes`, mapped by `utf16OrderKey` and packed big-endian (zero-padded).
/// If `sortPrefix(a) < sortPrefix(b)` then `a` sorts before `b`; equal prefixes need a full
/// `utf16Compare`.
@inline(__always)
func sortPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var key: UInt64 = 0
    for i in 0..<min(8, bytes.count) {
        key |= UInt64(utf16OrderKey(bytes[i])) << (56 - 8 * i)
    }
    return key
}

/// `true` if `a` sorts before `b` by UTF-16 code units.
func utf16Less(_ a: String, _ b: String) -> Bool {
    withUTF8Bytes(a) { pa in withUTF8Bytes(b) { pb in utf16Compare(pa, pb) < 0 } }
}

/// A `Hashable` wrapper comparing and hashing a string by its UTF-8 bytes.
struct UTF8Key: Hashable {
    let string: String

    static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool { utf8Equal(lhs.string, rhs.string) }

    func hash(into hasher: inout Hasher) {
        withUTF8Bytes(string) { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Objects with at most this many members are checked for duplicates by linear scan.
let linearKeyScanLimit = 16

/// Index of the first member whose key repeats an earlier key (byte-exact), or `nil`.
func firstDuplicateKeyIndex(_ members: [(key: String, value: JSONValue)]) -> Int? {
    if members.count <= linearKeyScanLimit {
        for i in members.indices.dropFirst() {
            for j in 0..<i where utf8Equal(members[i].key, members[j].key) { return i }
        }
        return nil
    }
    var seen = Set<UTF8Key>(minimumCapacity: members.count)
    for (i, m) in members.enumerated() where !seen.insert(UTF8Key(string: m.key)).inserted {
        return i
    }
    return nil
}
