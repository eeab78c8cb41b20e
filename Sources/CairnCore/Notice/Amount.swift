/// Money as `Int64` minor units, written as a decimal string with exactly the currency's minor
/// digits: `"1250.00"` for EUR, `"500"` for JPY. Never a JSON number, never a float.
public enum Amount {
    /// Parses a non-negative decimal with exactly `minorDigits` fraction digits and no leading zeros.
    /// Returns nil when the text is malformed or does not fit in `Int64`.
    public static func parse(_ text: String, minorDigits: Int) -> Int64? {
        let b = Array(text.utf8)
        let intLen = minorDigits == 0 ? b.count : b.count - minorDigits - 1
        guard intLen >= 1 else { return nil }
        if minorDigits > 0 { guard b[intLen] == UInt8(ascii: ".") else { return nil } }
        guard intLen == 1 || b[0] != UInt8(ascii: "0") else { return nil }
        var value: Int64 = 0
        for (i, c) in b.enumerated() where i != intLen || minorDigits == 0 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = s
        }
        return value
    }

    /// Formats minor units with `minorDigits` fraction digits; negative values get a leading `-`.
    public static func format(_ value: Int64, minorDigits: Int) -> String {
        let negative = value < 0
        var digits = String(value.magnitude)
        if minorDigits > 0 {
            if digits.count <= minorDigits { digits = String(repeating: "0", count: minorDigits - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -minorDigits))
        }
        return negative ? "-" + digits : digits
    }
}
