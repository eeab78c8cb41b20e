import CairnCore
import Testing

private func es(_ x: Double) -> String {
    String(decoding: JSON.canonical(.number(x)), as: UTF8.self)
}

@Suite("ECMAScript number formatting")
struct NumberFormattingTests {
    @Test(
        arguments: [
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.2345678901234568e20, "123456789012345680000"),
            (0.000001, "0.000001"),
            (.leastNonzeroMagnitude, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-0.0, "0"),
            (0, "0"),
            (1, "1"),
            (-1, "-1"),
            (0.1, "0.1"),
            (-1.5, "-1.5"),
            (4.5, "4.5"),
            (0.002, "0.002"),
            (1e20, "100000000000000000000"),
            (1e30, "1e+30"),
            (1e-27, "1e-27"),
            (1.5e-6, "0.0000015"),
            (1.5e-7, "1.5e-7"),
            (123e-20, "1.23e-18"),
            (333333333.33333329, "333333333.3333333"),
            (1_152_921_504_606_846_976, "1152921504606847000"),
            (9_007_199_254_740_991, "9007199254740991"),
            (-9_007_199_254_740_991, "-9007199254740991"),
            (2.5e-5, "0.000025"),
            (1234.5678, "1234.5678"),
            (1e100, "1e+100"),
        ] as [(Double, String)])
    func knownValues(value: Double, expected: String) {
        #expect(es(value) == expected)
    }

    /// RFC 8785 Appendix B (IEEE-754 bit patterns).
    @Test(
        arguments: [
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ] as [(UInt64, String)])
    func rfc8785AppendixB(bits: UInt64, expected: String) {
        #expect(es(Double(bitPattern: bits)) == expected)
    }

    @Test func randomDoublesRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite else { continue }
            let text = es(x)
            #expect(Double(text) == x, "\(x) -> \(text)")
            // Parsing our own output gives the same double back.
            #expect(try JSON.parse(Array(text.utf8)) == .number(x == 0 ? 0 : x))
        }
    }

    @Test func parserMatchesStandardLibrary() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let mantissa =
                UInt64.random(in: 0..<10_000_000_000_000_000, using: &rng) >> UInt64.random(in: 0..<60, using: &rng)
            let fraction = Int.random(in: 0..<20, using: &rng)
            let exponent = Int.random(in: -40...40, using: &rng)
            var text = String(mantissa)
            if fraction > 0 && fraction < text.count {
                text.insert(".", at: text.index(text.endIndex, offsetBy: -fraction))
            }
            if Bool.random(using: &rng) { text += "e\(exponent)" }
            if Bool.random(using: &rng) { text = "-" + text }
            let parsed = try JSON.parse(Array(text.utf8)).doubleValue
            #expect(parsed == Double(text), "\(text)")
        }
    }

    @Test func numberEdgeCases() throws {
        #expect(try JSON.parse("-0".utf8) == .number(0))
        #expect(try JSON.parse("1e-400".utf8) == .number(0))
        #expect(try JSON.parse("9007199254740993".utf8) == .number(9_007_199_254_740_992))
        #expect(try JSON.parse("0.1e1".utf8) == .number(1))
        #expect(try JSON.parse("1E+2".utf8) == .number(100))
        #expect(try JSON.parse("123456789012345678901234567890".utf8) == .number(1.2345678901234568e29))
        #expect(try JSON.parse("2.4703282292062328e-324".utf8) == .number(.leastNonzeroMagnitude))
        #expect(try JSON.parse("1.7976931348623157e308".utf8) == .number(.greatestFiniteMagnitude))
        #expect(try JSON.canonicalize("[-0.0, 0e99999999999999999999]".utf8) == Array("[0,0]".utf8))
    }
}
