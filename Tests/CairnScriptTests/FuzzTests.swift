import CairnScript
import Testing

@Suite struct FuzzTests {
    static let tokens = [
        "when", "case", "timeout", "{", "}", "(", ")", "pay", "in", "to", "close", "let", "=", "if", "else", "by", "thresh(2,", "sig(", "+",
        "-",
        "*", "/", "==", "<", "after", "before", "preimage", "of", "deposit", "from", "where", "require", "param", "refund", "x", "d", "0",
        "-1",
        "99999999999999999999", "0xzz", "\"EUR", "\u{00e9}", "//", "\n", ",", ":", "and", "not", "balance(", "owner(", "sha256(",
    ]

    @Test func compileNeverCrashes() {
        var rng = SeededRNG(state: 7)
        let seeds = ["escrow", "multisig", "timelock", "htlc", "dvp"].map(Fixtures.source)
        let clock = ContinuousClock()
        var compiled = 0
        var refused = 0
        let total = clock.measure {
            for i in 0..<3000 {
                var src: String
                if i % 10 == 0 {
                    src = (0..<Int.random(in: 0...200, using: &rng)).map { _ in Self.tokens.randomElement(using: &rng)! }.joined(
                        separator: " ")
                } else {
                    var u = Array(seeds.randomElement(using: &rng)!.utf8)
                    for _ in 0..<Int.random(in: 1...6, using: &rng) {
                        let at = Int.random(in: 0..<u.count, using: &rng)
                        switch Int.random(in: 0..<5, using: &rng) {
                        case 0: u.remove(at: at)
                        case 1: u.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                        case 2: u.insert(contentsOf: Array((" " + Self.tokens.randomElement(using: &rng)! + " ").utf8), at: at)
                        case 3: u = Array(u[..<at])
                        default:
                            let len = Int.random(in: 1...40, using: &rng)
                            u.insert(contentsOf: u[at..<min(u.count, at + len)], at: at)
                        }
                        if u.isEmpty { u = [0x20] }
                    }
                    src = String(decoding: u, as: UTF8.self)
                }
                let one = clock.measure {
                    switch Contract.compile(src) {
                    case .success(let c):
                        compiled += 1
                        #expect(c.stepBound > 0)
                        _ = c.report()
                    case .failure(let errs):
                        refused += 1
                        #expect(!errs.isEmpty)
                        #expect(errs.allSatisfy { $0.line >= 1 && $0.column >= 1 && !$0.code.isEmpty })
                    }
                }
                #expect(one < .seconds(2))
            }
        }
        #expect(compiled + refused == 3000)
        #expect(refused > 1000)
        #expect(total < .seconds(120))
    }
}
