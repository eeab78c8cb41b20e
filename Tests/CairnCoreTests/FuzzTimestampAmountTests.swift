import CairnCore
import CairnFuzzSupport
import Testing

/// A seeded fuzz of the two scalar parsers of signed data: RFC 3339 timestamps and decimal
/// amounts. Nothing may crash; what parses has one spelling, the one the encoder writes (decode
/// then encode gives identical text, the fraction of a timestamp aside, which is dropped); and
/// every value is checked against a slow reference written in the test.
@Suite struct FuzzTimestampAmountTests {
    static let iterations = 4_000

    static let timestampTokens: [[UInt8]] = ["0", "9", "-", ":", "T", "t", "Z", "z", ".", "+01:00", " ", "\u{0}", "\u{ff10}", "99999"]
        .map { Array($0.utf8) }

    static let timestampSeeds = [
        "2026-03-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-29T12:34:56Z", "2000-02-29T23:59:59.999Z",
        "2100-02-28T00:00:00.5Z",
    ]

    /// Days before 1 January of each year since 1970: the reference, by counting.
    static let daysBeforeYear: [Int64] = {
        var out: [Int64] = [0]
        for y in 1970..<10_000 {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
            out.append(out.last! + (leap ? 366 : 365))
        }
        return out
    }()

    /// The reference parser: splits on the separators and counts days; nil where the format or
    /// the calendar says no.
    static func referenceSeconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.allSatisfy({ $0 < 0x80 }) else { return nil }
        let s = String(decoding: b, as: UTF8.self)
        let parts = s.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2, s.hasSuffix("Z") else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        let time = parts[1].dropLast().split(separator: ":", omittingEmptySubsequences: false)
        guard date.count == 3, time.count == 3, date.map(\.count) == [4, 2, 2], time[0].count == 2, time[1].count == 2 else { return nil }
        let secondParts = time[2].split(separator: ".", omittingEmptySubsequences: false)
        guard secondParts[0].count == 2, secondParts.count == 1 || (secondParts.count == 2 && !secondParts[1].isEmpty) else { return nil }
        let fields = [date[0], date[1], date[2], time[0], time[1], secondParts[0]] + secondParts.dropFirst()
        guard fields.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { return nil }
        let n = fields.prefix(6).map { Int64($0)! }
        let (y, mo, d, h, mi, se) = (n[0], n[1], n[2], n[3], n[4], n[5])
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard y >= 1970, y <= 9999, (1...12).contains(mo), d >= 1, d <= monthDays[Int(mo) - 1], h < 24, mi < 60, se < 60 else {
            return nil
        }
        let days = daysBeforeYear[Int(y - 1970)] + monthDays.prefix(Int(mo) - 1).reduce(0, +) + d - 1
        return days * 86_400 + h * 3600 + mi * 60 + se
    }

    @Test func timestampsParseLikeTheReferenceAndHaveOneSpelling() {
        let seed = Fuzz.seed(0x7135_0001)
        print("FuzzTimestampAmountTests.timestamps: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        var accepted = 0
        for i in 0..<Self.iterations {
            let text: String
            if rng.chance(3) {
                // A random instant in the years 1970 to 9999, written by the encoder.
                text = Timestamp(seconds: Int64(rng.below(253_402_300_800))).description
            } else {
                let bytes = Fuzz.mutate(Array(rng.pick(Self.timestampSeeds).utf8), tokens: Self.timestampTokens, &rng)
                text = String(decoding: bytes, as: UTF8.self)
            }
            let context = { "seed \(seed), iteration \(i): \(text.debugDescription)" }
            let parsed = Timestamp(rfc3339: text)
            #expect(parsed?.seconds == Self.referenceSeconds(text), "\(context())")
            guard let parsed else { continue }
            accepted += 1
            let withoutFraction = text.utf8.count == 20 ? text : String(text.prefix(19)) + "Z"
            #expect(parsed.description == withoutFraction, "\(context())")
            #expect(Timestamp(rfc3339: parsed.description) == parsed, "\(context())")
        }
        print("FuzzTimestampAmountTests.timestamps: \(accepted) accepted")
    }

    @Test func anyInstantIsWrittenAndShiftedWithoutTrapping() {
        let seed = Fuzz.seed(0x7135_0002)
        print("FuzzTimestampAmountTests.instants: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        let edges: [Int64] = [.min, .max, .min + 1, .max - 1, -1, 0, 253_402_300_799, 253_402_300_800, -62_135_596_800]
        for i in 0..<Self.iterations {
            let seconds = i < edges.count ? edges[i] : Int64(bitPattern: rng.next()) >> rng.below(64)
            let t = Timestamp(seconds: seconds)
            let text = t.description
            let context = { "seed \(seed), iteration \(i): \(seconds)" }
            #expect(text.hasSuffix("Z") && text.utf8.count >= 20, "\(context())")
            if (0...253_402_300_799).contains(seconds) { #expect(Timestamp(rfc3339: text) == t, "\(context())") }
            let delta = Int64(bitPattern: rng.next())
            let shifted = t.adding(seconds: delta)
            let (exact, overflow) = seconds.addingReportingOverflow(delta)
            #expect(shifted.seconds == (overflow ? (delta > 0 ? .max : .min) : exact), "\(context()) + \(delta)")
        }
    }

    static let amountTokens: [[UInt8]] = ["0", "1", "9", ".", "-", "+", " ", "e", "\u{0}", "\u{ff11}", "9223372036854775807", "00"]
        .map { Array($0.utf8) }

    /// The reference: digits, a point where the minor digits start, no leading zero, in range.
    static func referenceAmount(_ text: String, minorDigits: Int) -> Int64? {
        let b = Array(text.utf8)
        let digits = b.filter { $0 >= 0x30 && $0 <= 0x39 }
        if minorDigits == 0 {
            guard !b.isEmpty, digits.count == b.count else { return nil }
        } else {
            guard b.count >= minorDigits + 2, b[b.count - minorDigits - 1] == UInt8(ascii: "."), digits.count == b.count - 1 else {
                return nil
            }
        }
        let integer = minorDigits == 0 ? b : Array(b[..<(b.count - minorDigits - 1)])
        guard integer.count == 1 || integer.first != UInt8(ascii: "0") else { return nil }
        return Int64(String(decoding: digits, as: UTF8.self))
    }

    @Test func amountsParseLikeTheReferenceAndHaveOneSpelling() {
        let seed = Fuzz.seed(0xa3_0001)
        print("FuzzTimestampAmountTests.amounts: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        var accepted = 0
        for i in 0..<Self.iterations {
            let minorDigits = rng.below(19)
            let value = Int64(bitPattern: rng.next() >> 1) >> rng.below(63)
            var text = Amount.format(value, minorDigits: minorDigits)
            if !rng.chance(4) { text = String(decoding: Fuzz.mutate(Array(text.utf8), tokens: Self.amountTokens, &rng), as: UTF8.self) }
            let context = { "seed \(seed), iteration \(i): \(text.debugDescription) with \(minorDigits) minor digits" }
            let parsed = Amount.parse(text, minorDigits: minorDigits)
            #expect(parsed == Self.referenceAmount(text, minorDigits: minorDigits), "\(context())")
            guard let parsed else { continue }
            accepted += 1
            #expect(parsed >= 0 && Amount.format(parsed, minorDigits: minorDigits) == text, "\(context())")
        }
        // Every non-negative Int64 is written and read back; negatives are written, never read.
        for i in 0..<Self.iterations {
            let minorDigits = rng.below(19)
            let value = Int64(bitPattern: rng.next()) >> rng.below(64)
            let text = Amount.format(value, minorDigits: minorDigits)
            #expect(Amount.parse(text, minorDigits: minorDigits) == (value >= 0 ? value : nil), "seed \(seed), round trip \(i): \(text)")
        }
        print("FuzzTimestampAmountTests.amounts: \(accepted) mutants accepted")
    }
}
