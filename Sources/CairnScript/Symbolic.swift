/// A linear money expression over atoms (`opening(cur)`, amount parameters and arguments, or an
/// opaque sub-expression), used by the report to track what each path locks and pays.
struct Money: Sendable, Equatable, CustomStringConvertible {
    /// Atom → coefficient, zero terms dropped.
    var terms: [String: Int64] = [:]
    var constant: Int64 = 0
    var overflowed = false

    static func atom(_ a: String) -> Money { Money(terms: [a: 1]) }
    static func const(_ c: Int64) -> Money { Money(constant: c) }

    static func + (a: Money, b: Money) -> Money {
        var r = a
        r.overflowed = a.overflowed || b.overflowed
        for (k, v) in b.terms {
            let (s, o) = (r.terms[k] ?? 0).addingReportingOverflow(v)
            r.overflowed = r.overflowed || o
            r.terms[k] = s == 0 ? nil : s
        }
        let (c, o) = a.constant.addingReportingOverflow(b.constant)
        r.constant = c
        r.overflowed = r.overflowed || o
        return r
    }

    func scaled(_ k: Int64) -> Money {
        var r = Money(overflowed: overflowed)
        for (a, v) in terms {
            let (m, o) = v.multipliedReportingOverflow(by: k)
            r.overflowed = r.overflowed || o
            if m != 0 { r.terms[a] = m }
        }
        let (c, o) = constant.multipliedReportingOverflow(by: k)
        r.constant = c
        r.overflowed = r.overflowed || o
        return r
    }

    static prefix func - (a: Money) -> Money { a.scaled(-1) }
    static func - (a: Money, b: Money) -> Money { a + (-b) }

    var isZero: Bool { terms.isEmpty && constant == 0 && !overflowed }

    /// Known to be >= 0: non-negative constant and only `opening(...)` atoms (locked funds) with
    /// positive coefficients.
    var provablyNonNegative: Bool {
        !overflowed && constant >= 0 && terms.allSatisfy { $0.key.hasPrefix("opening(") && $0.value > 0 }
    }

    var description: String {
        if overflowed { return "<overflow>" }
        var parts: [String] = []
        for k in terms.keys.sorted() {
            let v = terms[k]!
            let mag = v.magnitude == 1 ? k : "\(v.magnitude) * \(k)"
            parts.append(parts.isEmpty ? (v < 0 ? "-" + mag : mag) : (v < 0 ? "- " + mag : "+ " + mag))
        }
        if constant != 0 || parts.isEmpty {
            parts.append(parts.isEmpty ? String(constant) : (constant < 0 ? "- \(constant.magnitude)" : "+ \(constant)"))
        }
        return parts.joined(separator: " ")
    }
}
