// Minor units as decimal text.

enum DecimalAmount {
    /// ISO 20022 amounts allow 18 digits in total and 5 fraction digits.
    static let maxMagnitude: UInt64 = 999_999_999_999_999_999
    static let maxMinorDigits = 5

    /// `value` with exactly `minorDigits` fraction digits, `-` in front when negative:
    /// `format(-12550, 2) == "-125.50"`, `format(500, 0) == "500"`.
    static func format(_ value: Int64, minorDigits: Int) -> String {
        (value < 0 ? "-" : "") + format(magnitude: value.magnitude, minorDigits: minorDigits)
    }

    static func format(magnitude: UInt64, minorDigits: Int) -> String {
        let digits = String(magnitude)
        guard minorDigits > 0 else { return digits }
        let padded = String(repeating: "0", count: max(0, minorDigits + 1 - digits.count)) + digits
        let split = padded.index(padded.endIndex, offsetBy: -minorDigits)
        return padded[..<split] + "." + padded[split...]
    }

    /// The ISO 20022 text of a non-negative magnitude, or nil when it breaks the schema limits.
    static func iso(magnitude: UInt64, minorDigits: Int) -> String? {
        guard magnitude <= maxMagnitude, (0...maxMinorDigits).contains(minorDigits) else { return nil }
        return format(magnitude: magnitude, minorDigits: minorDigits)
    }
}
