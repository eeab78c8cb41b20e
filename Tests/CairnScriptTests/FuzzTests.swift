import Testing

@testable import CairnScript

/// Seeded, iteration-bounded fuzzing: every generator is a `SeededRNG` whose seed is printed, so
/// a failure replays exactly. Cost is bounded by counting work (`Contract.compileCountingWork`),
/// never by the clock.
@Suite struct FuzzTests {
    static let tokens = [
        "when", "case", "timeout", "{", "}", "(", ")", "pay", "in", "to", "close", "let", "=", "if", "else", "by", "thresh(2,", "sig(", "+",
        "-",
        "*", "/", "==", "<", "after", "before", "preimage", "of", "deposit", "from", "where", "require", "param", "refund", "x", "d", "0",
        "-1",
        "99999999999999999999", "0xzz", "\"EUR", "\u{00e9}", "//", "\n", ",", ":", "and", "not", "balance(", "owner(", "sha256(",
    ]

    /// Work allowed for a source of `bytes` bytes: linear, plus the time order's constant.
    static func workBound(_ bytes: Int) -> Int { 16 * (bytes + 1) + 300_000 }

    @Test func compileNeverCrashes() {
        let seed: UInt64 = 7
        print("seed: \(seed)")
        var rng = SeededRNG(state: seed)
        let seeds = ["escrow", "multisig", "timelock", "htlc", "dvp"].map(Fixtures.source)
        var compiled = 0
        var refused = 0
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
            let (result, work) = Contract.compileCountingWork(src)
            #expect(work <= Self.workBound(src.utf8.count), "seed \(seed), iteration \(i): work \(work)")
            switch result {
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
        #expect(compiled + refused == 3000)
        #expect(refused > 1000)
    }

    /// Large sources (up to the size limit) made by repeating random fragments: nothing crashes,
    /// and the work stays linear in the size.
    @Test func largeSourcesStayLinear() {
        let seed: UInt64 = 0x00ca_1127
        print("seed: \(seed)")
        var rng = SeededRNG(state: seed)
        let header = "contract t\nparam a: party\nparam acc: account\nparam cur: currency\nparam d: time\nrefund acc\n"
        for i in 0..<40 {
            let fragment = (0..<Int.random(in: 1...12, using: &rng)).map { _ in Self.tokens.randomElement(using: &rng)! }.joined(
                separator: " ")
            let size = Int.random(in: 1...Limits.sourceBytes, using: &rng)
            var src = Bool.random(using: &rng) ? header : ""
            while src.utf8.count + fragment.utf8.count + 1 <= size { src += fragment + " " }
            let (result, work) = Contract.compileCountingWork(src)
            #expect(work <= Self.workBound(src.utf8.count), "seed \(seed), iteration \(i): work \(work) for \(src.utf8.count) bytes")
            if case .failure(let errs) = result { #expect(!errs.isEmpty) }
        }
    }
}
