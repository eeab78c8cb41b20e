// Word-at-a-time scanning for the bytes that end a run of plain string content.

private let ones: UInt64 = 0x0101_0101_0101_0101
private let highBits: UInt64 = 0x8080_8080_8080_8080

/// `true` if some byte of `w` is zero (exact for existence).
@inline(__always)
private func hasZeroByte(_ w: UInt64) -> Bool { (w &- ones) & ~w & highBits != 0 }

/// Index of the first byte at or after `start` that is a C0 control (< 0x20), `"` or `\`, or,
/// if `stopAtNonASCII`, any byte >= 0x80; `bytes.count` if there is none.
/// - Precondition: `0 <= start <= bytes.count`.
@inline(__always)
func firstSpecialByte(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, stopAtNonASCII: Bool) -> Int {
    var i = start
    if let base = bytes.baseAddress {
        let nonASCIIMask = stopAtNonASCII ? highBits : 0
        while i + 8 <= bytes.count {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            let control = (w &- ones &* 0x20) & ~w & highBits != 0  // some byte < 0x20
            if control || w & nonASCIIMask != 0 || hasZeroByte(w ^ (ones &* 0x22)) || hasZeroByte(w ^ (ones &* 0x5C)) {
                break
            }
            i += 8
        }
    }
    while i < bytes.count {
        let b = bytes[i]
        if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || (stopAtNonASCII && b >= 0x80) {
            return i
        }
        i += 1
    }
    return i
}
