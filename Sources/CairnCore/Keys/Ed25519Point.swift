/// Checks on Ed25519 public key encodings that RFC 8032 leaves to the verifier. Rejecting
/// non-canonical and small-order keys means every Ed25519 library agrees on every signature.
enum Ed25519Point {
    /// The y coordinates (sign bit cleared, little-endian) of the eight small-order points:
    /// 0 (order 4), 1 (order 1), p-1 (order 2) and the two order-8 values.
    private static let smallOrderY: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [1] + [UInt8](repeating: 0, count: 31),
        [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f],
        Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")!,
        Hex.decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")!,
    ]

    /// True when y (sign bit cleared) is below p = 2^255 - 19.
    static func isCanonical(_ key: [UInt8]) -> Bool {
        precondition(key.count == 32)
        var y = key
        y[31] &= 0x7f
        // p in little-endian is ed ff ... ff 7f; y < p unless y[1...30] are all ff, y[31] == 7f and y[0] >= ed.
        if y[31] == 0x7f && y[1..<31].allSatisfy({ $0 == 0xff }) && y[0] >= 0xed { return false }
        // x = 0 has only one encoding: the sign bit must be clear for y = 1 and y = p - 1.
        if key[31] & 0x80 != 0 && (y == smallOrderY[1] || y == smallOrderY[2]) { return false }
        return true
    }

    static func isSmallOrder(_ key: [UInt8]) -> Bool {
        var y = key
        y[31] &= 0x7f
        return smallOrderY.contains(y)
    }
}
