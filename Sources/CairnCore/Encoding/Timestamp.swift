/// A point in time as whole seconds since the Unix epoch (UTC), written in RFC 3339 as
/// `YYYY-MM-DDTHH:MM:SSZ`. Fractional seconds are accepted on input and truncated; offsets
/// other than `Z` are refused, because every time in signed data is UTC.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    /// The time `s` seconds later (earlier when negative), saturating at the ends of `Int64`
    /// rather than trapping: callers add durations that come from options and files.
    public func adding(seconds s: Int64) -> Timestamp {
        let (sum, overflow) = seconds.addingReportingOverflow(s)
        return Timestamp(seconds: overflow ? (s > 0 ? .max : .min) : sum)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac]Z` (years 1970...9999); nil on anything else. The
    /// fraction's digits are checked and dropped, never accumulated, so no length of it overflows.
    public init?(rfc3339 text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            b.last == UInt8(ascii: "Z")
        else { return nil }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        // Fixed-width fields of at most four digits: the value stays far below Int64.max.
        func num(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<from + count {
                guard isDigit(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - UInt8(ascii: "0"))
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
            let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2),
            year >= 1970, (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        if b.count > 20 {
            // Optional fraction: "." followed by at least one digit, then "Z".
            guard b[19] == UInt8(ascii: "."), b.count > 21, b[20..<b.count - 1].allSatisfy(isDigit) else { return nil }
        }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String {
        // Floor division, written so that no `seconds` overflows (contract timeouts can be any Int64).
        let (q, r) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = r < 0 ? q - 1 : q
        let rem = r < 0 ? r + 86_400 : r
        let (y, m, d) = Timestamp.civilFromDays(days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))Z"
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
