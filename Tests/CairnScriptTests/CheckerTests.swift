import CairnScript
import Testing

/// Compiles and returns the errors (empty when it compiles).
func errors(_ src: String) -> [ScriptError] {
    switch Contract.compile(src) {
    case .success: return []
    case .failure(let e): return Array(e)
    }
}

func codes(_ src: String) -> [String] { errors(src).map { "\($0.code)@\($0.line):\($0.column)" } }

@Suite struct CheckerTests {
    static let header = """
        contract t
        param a: party
        param acc: account
        param cur: currency
        param d: time
        param e: time
        refund acc

        """

    @Test func minimalContractCompiles() {
        #expect(codes(Self.header + "close") == [])
        #expect(codes(Self.header + "when { case go by a { close } } timeout d { close }") == [])
    }

    @Test func noTimeout() {
        #expect(codes(Self.header + "when { case go by a { close } }") == ["no_timeout@8:1"])
    }

    @Test func decreasingTimeout() {
        let src =
            Self.header + """
                when {
                    case go by a {
                        when { case more by a { close } } timeout d - 10 { close }
                    }
                } timeout d { close }
                """
        #expect(codes(src) == ["timeout_not_increasing@10:51"])
        // Same parameter, larger constant: fine.
        #expect(codes(src.replacingOccurrences(of: "d - 10", with: "d + 86400")) == [])
        // Equal is not strictly later.
        #expect(codes(src.replacingOccurrences(of: "d - 10", with: "d")) == ["timeout_not_increasing@10:51"])
        // Another parameter needs a require.
        #expect(codes(src.replacingOccurrences(of: "d - 10", with: "e")) == ["timeout_not_increasing@10:51"])
        let ordered = src.replacingOccurrences(of: "d - 10", with: "e").replacingOccurrences(
            of: "refund acc", with: "refund acc\nrequire d < e")
        #expect(codes(ordered) == [])
        // d + 10 <= e proves e > d + 5 but not e > d + 10.
        let gap = Self.header.replacingOccurrences(of: "refund acc", with: "refund acc\nrequire d + 10 <= e")
        #expect(codes(gap + "when { case go by a { when { case x by a { close } } timeout e { close } } } timeout d + 5 { close }") == [])
        #expect(
            codes(gap + "when { case go by a { when { case x by a { close } } timeout e { close } } } timeout d + 10 { close }").first?
                .hasPrefix("timeout_not_increasing") == true)
        // The timeout path counts too.
        #expect(
            codes(Self.header + "when { case go by a { close } } timeout d { when { case x by a { close } } timeout d { close } }").first?
                .hasPrefix("timeout_not_increasing") == true)
    }

    @Test func timeoutForm() {
        #expect(codes(Self.header + "let t = d\nwhen { case go by a { close } } timeout t { close }") == ["timeout_form@9:41"])
        #expect(codes(Self.header + "when { case go by a { close } } timeout 1700000000 { close }") == [])
    }

    @Test func contradictoryRequires() {
        let src = Self.header.replacingOccurrences(of: "refund acc", with: "refund acc\nrequire d < e and e < d") + "close"
        #expect(codes(src) == ["unsatisfiable_require@8:9"])
    }

    @Test func unboundName() {
        #expect(
            codes(Self.header + "when { case go by b { pay 5 in cur to nobody\n close } } timeout d { close }") == [
                "unbound_name@8:19", "unbound_name@8:39",
            ])
        // Arguments are not visible to the signer policy of their own case.
        #expect(codes(Self.header + "when { case go(p: party) by p { close } } timeout d { close }") == ["unbound_name@8:29"])
    }

    @Test func nonPositiveAmounts() {
        #expect(codes(Self.header + "pay -5 in cur to acc\nclose") == ["invalid_amount@8:5"])
        #expect(codes(Self.header + "pay 0 in cur to acc\nclose") == ["invalid_amount@8:5"])
        #expect(codes(Self.header + "pay 3 - 4 in cur to acc\nclose") == ["invalid_amount@8:5"])
    }

    @Test func duplicatePartyInPolicy() {
        #expect(codes(Self.header + "when { case go by thresh(2, a, a) { close } } timeout d { close }") == ["duplicate_party@8:32"])
        #expect(
            codes(Self.header + "when { case go by any(a, all(owner(acc), a)) { close } } timeout d { close }") == ["duplicate_party@8:42"])
    }

    @Test func typeErrors() {
        #expect(codes(Self.header + "pay 5 in acc to cur\nclose") == ["type_mismatch@8:10", "type_mismatch@8:17"])
        #expect(codes(Self.header + "if d + d > 0 { close } else { close }") == ["type_mismatch@8:4"])
    }

    @Test func nestingLimit() {
        func nested(_ n: Int) -> String {
            var s = Self.header
            for i in 0..<n { s += "when { case go by a {\n" + (i == n - 1 ? "close" : "") }
            for i in (0..<n).reversed() { s += "} } timeout d + \(i + 1) { close }\n" }
            return s
        }
        #expect(codes(nested(Limits.whenDepth)) == [])
        let errs = errors(nested(Limits.whenDepth + 1))
        #expect(errs.map(\.code) == ["too_deep"])
        #expect(errs.first?.line == 8 + Limits.whenDepth)
        // Far past the parser's own bound: an error, not a stack overflow.
        #expect(errors(nested(500)).map(\.code) == ["too_deep"])
        #expect(
            errors(
                Self.header + "if " + String(repeating: "(", count: 5000) + "true" + String(repeating: ")", count: 5000)
                    + " { close } else { close }"
            ).map(\.code) == ["too_deep"])
    }

    @Test func limits() {
        let cases = (0..<17).map { "case c\($0) by a { close }" }.joined(separator: "\n")
        #expect(codes(Self.header + "when {\n\(cases)\n} timeout d { close }") == ["too_many_cases@8:1"])
        #expect(codes(String(repeating: " ", count: Limits.sourceBytes + 1)) == ["source_too_large@1:1"])
    }

    @Test func severalErrorsInOneRun() {
        let src = """
            contract bad
            param a: party
            param acc: account
            param cur: currency
            param d: time
            refund acc
            let x = = 3
            pay 0 in cur to acc
            when {
                case go by q { close }
                case ok by a { pay 1 in cur to zz close }
            }
            """
        let errs = errors(src)
        #expect(errs.map { "\($0.code)@\($0.line):\($0.column)" } == ["syntax@7:9"])
        // Parse errors stop before checking; but several syntax errors are all reported.
        let src2 = "contract bad\nparam a: party\nparam b: nonsense\nparam acc: account\nrefund acc\nlet x = = 3\nlet y = (1 +\nclose"
        #expect(codes(src2) == ["unknown_type@3:10", "syntax@6:9", "syntax@8:1"])
        // Check errors are all reported in one run.
        let src3 =
            CheckerTests.header + "pay 0 in cur to acc\nwhen {\n case go by q { close }\n case ok by a { pay 1 in cur to zz\n close }\n}"
        #expect(codes(src3) == ["invalid_amount@8:5", "no_timeout@9:1", "unbound_name@10:13", "unbound_name@11:33"])
    }

    @Test func missingRefund() {
        #expect(codes("contract t\nclose") == ["no_refund@1:1"])
    }

    @Test func lints() throws {
        let src =
            Self.header + """
                let a = a
                if 1 < 2 { close } else {
                    when {
                        case go by thresh(3, a, owner(acc)) { close }
                        case late by a after d { close }
                    } timeout d { close }
                }
                """
        let c = try Contract.compile(src).get()
        #expect(
            c.lints.map { "\($0.code)@\($0.line):\($0.column)" } == [
                "shadowed_name@8:1", "unreachable_branch@9:1", "unsatisfiable_policy@11:20", "unreachable_branch@12:24",
            ])
    }
}
