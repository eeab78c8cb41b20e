import Testing

@testable import CairnScript

/// The class "the contract compiler is a stack bomb and a time bomb": no source up to
/// `Limits.sourceBytes` may overflow the stack or take more than near-linear work to compile.
/// Work is counted (`Contract.compileCountingWork`), never timed.
@Suite struct CompilerBoundsTests {
    static let header = """
        contract t
        param a: party
        param acc: account
        param cur: currency
        param d: time
        refund acc

        """

    /// A source shape: `prefix`, then `unit` repeated `k` times (`unit(i)` for the i-th), then `suffix`.
    struct Shape: Sendable, CustomStringConvertible {
        var name: String
        var prefix: String
        var unit: @Sendable (Int) -> String
        var suffix: String
        /// Codes the outcome may contain (empty: it must compile).
        var codes: Set<String>

        var description: String { name }

        /// The largest instance of the shape within `bytes` bytes.
        func source(bytes: Int) -> String {
            var body = ""
            var size = prefix.utf8.count + suffix.utf8.count
            var i = 0
            while true {
                let u = unit(i)
                if size + u.utf8.count > bytes { break }
                body += u
                size += u.utf8.count
                i += 1
            }
            return prefix + body + suffix
        }
    }

    static func shapes() -> [Shape] {
        let h = header
        var out: [Shape] = []
        // Left-deep chains of every binary level, built in the parser's loop.
        for op in ["+", "-", "*", "/", "and", "or"] {
            let leaf = op == "and" || op == "or" ? "true" : "1"
            out.append(
                Shape(
                    name: "left-deep \(op)", prefix: h + "if \(leaf)", unit: { _ in " \(op) \(leaf)" },
                    suffix: " == \(leaf) { close } else { close }", codes: ["too_deep"]))
        }
        out += [
            Shape(
                name: "left-deep comparisons", prefix: h + "if 1", unit: { _ in " < 1" }, suffix: " { close } else { close }",
                codes: ["syntax"]),
            Shape(
                name: "right-deep +", prefix: h + "if 1 == ", unit: { _ in "1 + (" }, suffix: "1 { close } else { close }",
                codes: ["too_deep"]),
            Shape(
                name: "right-deep and", prefix: h + "if ", unit: { _ in "true and (" }, suffix: "true { close } else { close }",
                codes: ["too_deep"]),
            Shape(name: "unary -", prefix: h + "if 0 < ", unit: { _ in "- " }, suffix: "1 { close } else { close }", codes: ["too_deep"]),
            Shape(
                name: "unary not", prefix: h + "if ", unit: { _ in "not " }, suffix: "true { close } else { close }", codes: ["too_deep"]),
            Shape(name: "parentheses", prefix: h + "if ", unit: { _ in "(" }, suffix: "true { close } else { close }", codes: ["too_deep"]),
            Shape(
                name: "calls", prefix: h + "if 0x00 == ", unit: { _ in "sha256(" }, suffix: "0x00 { close } else { close }",
                codes: ["too_deep"]),
            Shape(
                name: "call arguments", prefix: h + "if 0x00 == sha256(0x00", unit: { _ in ", 0x00" }, suffix: ") { close } else { close }",
                codes: ["type_mismatch"]),
            Shape(
                name: "nested if", prefix: h, unit: { _ in "if true { close } else { " }, suffix: "close", codes: ["too_deep", "syntax"]),
            Shape(name: "else-if chain", prefix: h, unit: { _ in "if true { close } else " }, suffix: "{ close }", codes: ["too_deep"]),
            Shape(
                name: "nested when", prefix: h, unit: { _ in "when { case go by a { " }, suffix: "close", codes: ["too_deep", "syntax"]),
            Shape(
                name: "policy any", prefix: h + "when { case go by any(a", unit: { _ in ", a" },
                suffix: ") { close } } timeout d { close }",
                codes: ["policy_too_large"]),
            Shape(
                name: "policy nesting", prefix: h + "when { case go by ", unit: { _ in "all(a, " },
                suffix: "a) { close } } timeout d { close }",
                codes: ["too_deep"]),
            Shape(
                name: "time params and chained requires", prefix: "contract t\nparam acc: account\n",
                unit: { "param t\($0): time\nrequire t\($0) < t\($0 + 1)\n" }, suffix: "refund acc\nclose",
                codes: ["too_many_params", "too_many_requires", "unbound_name"]),
            Shape(
                name: "requires", prefix: h, unit: { _ in "require d < d + 1\n" }, suffix: "close", codes: ["too_many_requires"]),
            Shape(name: "lets", prefix: h, unit: { "let x\($0) = 1\n" }, suffix: "close", codes: ["too_many_names"]),
            Shape(
                name: "lets then many bodies",
                prefix: h + (0..<240).map { "let x\($0) = 1\n" }.joined() + "when {\n",
                unit: { "case c\($0) (y: int) by a { let z = y\nclose }\n" }, suffix: "} timeout d { close }", codes: ["too_many_cases"]),
            Shape(
                name: "balanced trees", prefix: h,
                unit: { _ in "if ((1 + 1) * (1 + 1)) + ((1 + 1) * (1 + 1)) > 0 and true { close } else {\n" }, suffix: "close",
                codes: ["too_deep", "syntax"]),
            Shape(
                name: "wide sums", prefix: h, unit: { _ in "pay 1" + String(repeating: " + 1", count: 60) + " in cur to acc\n" },
                suffix: "close", codes: []),
            Shape(
                name: "many names used", prefix: h + (0..<240).map { "let x\($0) = 1\n" }.joined(),
                unit: { "pay x\($0 % 240) in cur to acc\n" }, suffix: "close", codes: []),
            Shape(name: "junk", prefix: "", unit: { _ in "#" }, suffix: "", codes: ["bad_token", "syntax"]),
            Shape(name: "junk multibyte", prefix: "", unit: { _ in "\u{00e9}" }, suffix: "", codes: ["bad_token", "syntax"]),
            Shape(name: "unterminated", prefix: "", unit: { _ in "\"\n" }, suffix: "", codes: ["bad_token", "syntax"]),
            Shape(name: "syntax errors", prefix: h, unit: { _ in "let = = \n" }, suffix: "close", codes: ["syntax"]),
        ]
        return out
    }

    @Test(arguments: shapes())
    func theCompilerIsNeitherAStackBombNorATimeBomb(_ shape: Shape) {
        let full = shape.source(bytes: Limits.sourceBytes)
        let half = shape.source(bytes: Limits.sourceBytes / 2)
        let quarter = shape.source(bytes: Limits.sourceBytes / 4)
        #expect(full.utf8.count <= Limits.sourceBytes && full.utf8.count > Limits.sourceBytes - 512)
        var works: [Int] = []
        for src in [quarter, half, full] {
            let (result, work) = Contract.compileCountingWork(src)
            works.append(work)
            switch result {
            case .success(let c):
                #expect(shape.codes.isEmpty, "\(shape) compiled")
                #expect(!c.report().text.isEmpty)
            case .failure(let errs):
                #expect(!errs.isEmpty)
                #expect(Set(errs.map(\.code)).isSubset(of: shape.codes), "\(shape): \(Set(errs.map(\.code)).sorted())")
                #expect(errs.allSatisfy { $0.line >= 1 && $0.column >= 1 })
            }
        }
        print("\(shape): work \(works) for \(quarter.utf8.count), \(half.utf8.count), \(full.utf8.count) bytes")
        // Twice the source, at most 2.5 times the work; and at most a fixed multiple of the size
        // plus the time order's constant (at most 65 nodes, cubic).
        #expect(Double(works[1]) <= 2.5 * Double(max(works[0], 1)), "\(shape): \(works)")
        #expect(Double(works[2]) <= 2.5 * Double(max(works[1], 1)), "\(shape): \(works)")
        #expect(works[2] <= 8 * Limits.sourceBytes + 300_000, "\(shape): \(works)")
    }

    @Test func limitsAreExactlyWhereTheyAreDocumented() {
        let h = Self.header
        func chain(_ ops: Int) -> String { h + "if 1" + String(repeating: " + 1", count: ops) + " > 0 { close } else { close }" }
        // `x > 0` adds one level: 62 additions under it is height 64.
        #expect(errors(chain(Limits.exprHeight - 2)).isEmpty)
        #expect(errors(chain(Limits.exprHeight - 1)).map(\.code) == ["too_deep"])
        func nots(_ n: Int) -> String { h + "if " + String(repeating: "not ", count: n) + "true { close } else { close }" }
        #expect(errors(nots(Limits.exprHeight - 1)).isEmpty)
        #expect(errors(nots(Limits.exprHeight)).map(\.code) == ["too_deep"])

        func params(_ n: Int) -> String {
            "contract t\nparam acc: account\n" + (1..<n).map { "param t\($0): time\n" }.joined() + "refund acc\nclose"
        }
        #expect(errors(params(Limits.params)).isEmpty)
        #expect(codes(params(Limits.params + 1)) == ["too_many_params@\(Limits.params + 2):1"])
        func requires(_ n: Int) -> String { h + String(repeating: "require d < d + 1\n", count: n) + "close" }
        #expect(errors(requires(Limits.requires)).isEmpty)
        #expect(codes(requires(Limits.requires + 1)) == ["too_many_requires@\(7 + Limits.requires):1"])

        // The header's 4 parameters and 252 lets fill the scope.
        func lets(_ n: Int) -> String { h + (0..<n).map { "let x\($0) = 1\n" }.joined() + "close" }
        #expect(errors(lets(Limits.scopeNames - 4)).isEmpty)
        #expect(codes(lets(Limits.scopeNames - 3)) == ["too_many_names@\(7 + Limits.scopeNames - 4):1"])
    }

    @Test func chainedRequiresStillOrderTimes() {
        // 62 time parameters, each required before the next: the last is provably after the first.
        let n = Limits.params - 2
        var src = "contract t\nparam a: party\nparam acc: account\nrefund acc\n" + (0..<n).map { "param t\($0): time\n" }.joined()
        src += (0..<n - 1).map { "require t\($0) < t\($0 + 1)\n" }.joined()
        let ok = src + "when { case go by a { when { case x by a { close } } timeout t\(n - 1) { close } } } timeout t0 { close }"
        #expect(errors(ok).isEmpty)
        let (_, work) = Contract.compileCountingWork(ok)
        print("62 chained time parameters: work \(work) for \(ok.utf8.count) bytes")
        #expect(work < 8 * ok.utf8.count + 300_000)
        let bad = src + "when { case go by a { when { case x by a { close } } timeout t0 { close } } } timeout t\(n - 1) { close }"
        #expect(errors(bad).map(\.code) == ["timeout_not_increasing"])
        // A cycle is caught.
        #expect(errors(src + "require t\(n - 1) < t0\nclose").map(\.code) == ["unsatisfiable_require"])
    }

    @Test func largestPoliciesStillReport() throws {
        // 16 parties, thresh(8, ...): 12870 minimal sets before the cap.
        let names = (0..<Limits.policyParties).map { "p\($0)" }
        let src =
            "contract t\n" + names.map { "param \($0): party\n" }.joined() + "param acc: account\nparam d: time\nrefund acc\n"
            + "when { case go by thresh(8, \(names.joined(separator: ", "))) { close } case two by all(any(p0, p1), any(p2, p3)) { close } } timeout d { close }"
        let c = try Contract.compile(src).get()
        let rows = c.report().authority
        #expect(rows[0].signerSets.count > 4096 && rows[0].signerSets.allSatisfy { $0.count == 8 })
        #expect(rows[1].signerSets == [["p0", "p2"], ["p0", "p3"], ["p1", "p2"], ["p1", "p3"]])
    }
}
