import CairnCore
import CairnFuzzSupport
import Testing

/// A seeded fuzz of the policy parser. Nothing may crash; a refusal names a column inside the text
/// (or just past it); what parses prints as text that parses back to the same policy and prints
/// the same again; and no nesting, argument list or count gets past the parser's bounds.
@Suite struct FuzzPolicyTests {
    static let iterations = 4_000

    static let seeds = [
        "thresh(2, role(validator))", "all(payer, payee)", "any(sig(bank-a.example), all(sig(bank-b.example), role(issuer)))",
        "role(issuer)", "thresh(1, sig(a), sig(b), any(payer, thresh(2, role(x), sig(c))))", "payee",
    ]

    static let tokens: [[UInt8]] = [
        "(", ")", ",", " ", "\t", "\n", "all(", "any(", "thresh(", "sig(", "role(", "payer", "payee", "0", "-1", "65",
        "99999999999999999999", "_", ":", "/", ".", "\u{e9}", "\u{0}",
    ].map { Array($0.utf8) }

    /// The column an error names, from `column N: ...`.
    static func column(_ error: CairnError) -> Int? {
        guard error.message.hasPrefix("column ") else { return nil }
        return Int(error.message.dropFirst(7).prefix { $0.isNumber })
    }

    /// Checks one text; returns the policy when it parses.
    @discardableResult
    static func check(_ text: String, _ context: @autoclosure () -> String) -> Policy? {
        let policy: Policy
        do {
            policy = try Policy(parsing: text)
        } catch {
            #expect(error.code == .invalidPolicy, "\(context())")
            let column = Self.column(error)
            #expect(column.map { $0 >= 1 && $0 <= text.utf8.count + 1 } == true, "\(error) \(context())")
            return nil
        }
        let printed = policy.description
        let reparsed = try? Policy(parsing: printed)
        #expect(reparsed == policy, "\(printed.debugDescription) parses to another policy: \(context())")
        #expect(reparsed?.description == printed, "\(context())")
        // The evaluators terminate on anything the parser accepts.
        let resolved = policy.resolved(in: Policy.Context(roleMembers: { ["\($0)-1", "\($0)-2"] }, payer: "p", payee: "q"))
        let signers: Set<String> = ["sig-a", "validator-1", "p"]
        _ = resolved.isSatisfied(by: signers)
        _ = resolved.missing(given: signers)
        _ = resolved.allows("q")
        return policy
    }

    @Test func mutantsParseOrNameAColumn() {
        let seed = Fuzz.seed(0x9017_0001)
        print("FuzzPolicyTests.mutants: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        var parsed = 0
        for i in 0..<Self.iterations {
            let text = String(decoding: Fuzz.mutate(Array(rng.pick(Self.seeds).utf8), tokens: Self.tokens, &rng), as: UTF8.self)
            if Self.check(text, "seed \(seed), iteration \(i): \(text.debugDescription)") != nil { parsed += 1 }
        }
        print("FuzzPolicyTests.mutants: \(parsed) parsed")
        #expect(parsed > 0 && parsed < Self.iterations)
    }

    static func randomName(_ rng: inout SplitMix64) -> String {
        let chars = Array("abcxyzABZ019-._:/".utf8)
        return String(decoding: (0...rng.below(12)).map { _ in rng.pick(chars) }, as: UTF8.self)
    }

    static func randomPolicy(_ rng: inout SplitMix64, depth: Int = 0) -> Policy {
        switch rng.below(depth >= 15 ? 4 : 7) {
        case 0: return .sig(randomName(&rng))
        case 1: return .role(randomName(&rng))
        case 2: return .payer
        case 3: return .payee
        case 4: return .all((0...rng.below(4)).map { _ in randomPolicy(&rng, depth: depth + 1) })
        case 5: return .any((0...rng.below(4)).map { _ in randomPolicy(&rng, depth: depth + 1) })
        default:
            return .thresh(
                1 + rng.below(rng.chance(8) ? Int.max - 1 : 5), (0...rng.below(4)).map { _ in randomPolicy(&rng, depth: depth + 1) })
        }
    }

    @Test func printedPoliciesParseBack() {
        let seed = Fuzz.seed(0x9017_0002)
        print("FuzzPolicyTests.printed: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        for i in 0..<Self.iterations {
            let policy = Self.randomPolicy(&rng)
            let text = policy.description
            #expect(Self.check(text, "seed \(seed), iteration \(i): \(text)") == policy, "seed \(seed), iteration \(i): \(text)")
        }
    }

    @Test func boundsAreRefusedWithAColumn() {
        let deep = 10_000
        for (text, message) in [
            (String(repeating: "all(", count: deep) + "payer" + String(repeating: ")", count: deep), "deeper than 16"),
            (String(repeating: "any(", count: deep), "deeper than 16"),
            ("all(" + Array(repeating: "payer", count: 65).joined(separator: ",") + ")", "more than 64 arguments"),
            ("thresh(" + String(repeating: "9", count: 400) + ", payer)", "positive count"),
            ("thresh(0, payer)", "positive count"), ("thresh(01, payer)", "positive count"),
            ("sig(" + String(repeating: "a", count: 100_000) + ")x", "unexpected text"),
        ] {
            let error = Result { () throws(CairnError) in try Policy(parsing: text) }
            guard case .failure(let e) = error else {
                Issue.record("accepted \(text.prefix(80))")
                continue
            }
            #expect(e.message.contains(message) && Self.column(e) != nil, "\(e)")
        }
    }
}
