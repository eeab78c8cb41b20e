// ECMAScript Number::toString (ECMA-262 §6.1.6.1.20), as required by RFC 8785 §3.2.2.3.

/// Appends the ECMAScript `Number.prototype.toString()` form of `x` to `out`.
///
/// The shortest round-trip digits come from Swift's `Double.description` (shortest, and closest
/// among the shortest, exactly what ECMA-262 requires); only its digits and exponent are used,
/// and the layout is redone per ECMA-262.
/// - Precondition: `x.isFinite` (RFC 8785 has no representation for NaN or infinities).
func appendECMAScriptNumber(_ x: Double, to out: inout [UInt8]) {
    precondition(x.isFinite, "JSON numbers must be finite, got \(x)")
    if x == 0 {  // both +0 and -0
        out.append(UInt8(ascii: "0"))
        return
    }
    // Fast path: integers below 2^53 print as plain decimal integers.
    if x.magnitude < 9_007_199_254_740_992, x.rounded(.towardZero) == x {
        appendInteger(Int64(x), to: &out)
        return
    }
    if x < 0 { out.append(UInt8(ascii: "-")) }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
        let (k, n) = shortestDigits(x.magnitude, into: digits)
        layOut(UnsafeBufferPointer(rebasing: digits[..<k]), exponent: n, to: &out)
    }
}

/// Writes the shortest round-trip decimal digits of `x` (no leading or trailing zeros) into
/// `digits` and returns `(k, n)`: the digit count and the exponent such that
/// `x == 0.d1d2...dk × 10^n`.
/// - Precondition: `x` is finite and > 0; `digits.count >= 17`.
private func shortestDigits(_ x: Double, into digits: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int) {
    var k = 0
    var totalDigits = 0  // digits seen in the mantissa, including leading zeros
    var integerDigits: Int? = nil  // digits before the '.', if any
    var leadingZeros = 0
    var exponent = 0
    var exponentNegative = false
    var inExponent = false
    for c in x.description.utf8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            if inExponent {
                exponent = exponent * 10 + Int(c - UInt8(ascii: "0"))
            } else {
                totalDigits += 1
                if k == 0 && c == UInt8(ascii: "0") {
                    leadingZeros += 1
                } else {
                    digits[k] = c
                    k += 1
                }
            }
        case UInt8(ascii: "."): integerDigits = totalDigits
        case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
        case UInt8(ascii: "-"): exponentNegative = inExponent
        default: break  // '+'
        }
    }
    while k > 0 && digits[k - 1] == UInt8(ascii: "0") { k -= 1 }
    let n = (integerDigits ?? totalDigits) + (exponentNegative ? -exponent : exponent) - leadingZeros
    return (k, n)
}

/// Lays out digits `d1...dk` with value `0.d1...dk × 10^n` per ECMA-262 Number::toString
/// (there `n` is the position of the decimal point relative to the first digit).
private func layOut(_ digits: UnsafeBufferPointer<UInt8>, exponent n: Int, to out: inout [UInt8]) {
    let k = digits.count
    if k <= n && n <= 21 {
        // 123000
        out.append(contentsOf: digits)
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
    } else if 0 < n && n <= 21 {
        // 123.45
        out.append(contentsOf: digits[..<n])
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: digits[n...])
    } else if -6 < n && n <= 0 {
        // 0.00012345
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
        out.append(contentsOf: digits)
    } else {
        // 1.2345e+25, 1e-7
        out.append(digits[0])
        if k > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[1...])
        }
        out.append(UInt8(ascii: "e"))
        out.append(n - 1 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        appendInteger(Int64((n - 1).magnitude), to: &out)
    }
}

/// Appends the decimal digits of `value` (with a leading '-' if negative).
func appendInteger(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var m = value.magnitude
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
        var i = buf.count
        repeat {
            i -= 1
            buf[i] = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
        } while m != 0
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i...]))
    }
}
