import CairnScript
import Testing

@Suite struct ReportTests {
    @Test func escrowAuthority() {
        let r = Fixtures.contract("escrow").report()
        let acting = r.authority.filter { $0.action != "timeout" }
        // The arbiter alone cannot move funds: no action row has a minimal signer set within {arbiter}.
        #expect(!acting.contains { row in row.signerSets.contains { Set($0).isSubset(of: ["arbiter"]) } })
        // Nobody can pay the arbiter: every move goes to the payee's or the payer's account.
        let moves = r.authority.flatMap(\.moves)
        #expect(moves.allSatisfy { $0.hasSuffix("to payee_account") || $0.hasSuffix("to payer_account") })
        // The payer alone can refund from the deadline on, and not before.
        let payerAlone = acting.filter { $0.signerSets.contains(["payer"]) }
        #expect(payerAlone.count == 1)
        #expect(payerAlone.first?.action == "refund" && payerAlone.first?.from == "deadline" && payerAlone.first?.until == "final")
        #expect(payerAlone.first?.moves == ["close: remainder to payer_account"])
        let beforeDeadline = acting.filter { $0.from == "open" }
        #expect(beforeDeadline.count == 2)
        #expect(beforeDeadline.allSatisfy { $0.signerSets == [["arbiter", "payee"], ["arbiter", "payer"], ["payee", "payer"]] })
        // Every when times out without a signature, and the timeout paths cannot fail.
        #expect(r.liveness.count == 2 && r.liveness.allSatisfy(\.risks.isEmpty))
        #expect(r.authority.filter { $0.action == "timeout" }.allSatisfy { $0.signerSets == [[]] })
        // Terminals: release pays the payee; everything else returns to the payer; money is conserved.
        #expect(r.terminals.count == 5)
        #expect(r.terminals.allSatisfy { $0.conservation.allSatisfy(\.ok) })
        #expect(r.terminals.allSatisfy { $0.payouts.allSatisfy { $0.to == "payee_account" || $0.to == "payer_account" } })
        #expect(r.sound)
        #expect(r.json.contains("\"stepsPerRun\": \(Fixtures.contract("escrow").stepBound)"))
        #expect(r.text.contains("AUTHORITY") && r.text.contains("VERDICT: sound"))
    }

    @Test func reportsAreDeterministicAndSorted() {
        for name in ["escrow", "multisig", "timelock", "htlc", "dvp"] {
            let c = Fixtures.contract(name)
            let a = c.report()
            let b = Fixtures.contract(name).report()
            #expect(a.json == b.json && a.text == b.text)
            #expect(a.sound, "\(name): \(a.text)")
        }
    }

    @Test func multisigSaysToWhom() {
        let r = Fixtures.contract("multisig").report()
        let payout = r.authority.first { $0.action == "payout" }
        #expect(payout?.conditions.contains("recipient in {r1, r2, r3}") == true)
        #expect(payout?.signerSets.count == 3)
    }

    @Test func riskyTimeoutIsReported() throws {
        let src = """
            contract risky
            param a: party
            param acc: account
            param cur: currency
            param d: time
            param n: amount
            refund acc
            when { case go by a { close } } timeout d { pay n in cur to acc
            close }
            """
        let r = try Contract.compile(src).get().report()
        #expect(!r.sound)
        #expect(r.liveness.first?.risks.count == 2)
    }
}
