import CairnCore
import Foundation
import Testing

/// Contracts on a real ledger, through the CLI: deploy, open, act, and timeouts firing by themselves.
@Suite(.serialized) struct ContractLedgerTests {
    func balance(_ c: Consortium, _ account: String) throws -> String {
        try cairn("balance", "--data", c.data, account, "--json").json["balance"]!.stringValue!
    }

    /// Deploys escrow (governance: two partners) and opens an instance funded by bank-a.
    func openEscrow(_ c: Consortium, deadline: Timestamp, final: Timestamp) throws -> (hash: String, instance: String) {
        let source = repoRoot.appendingPathComponent("Contracts/escrow.cairn").path
        let hash = try cairn("contract", "check", source, "--json").json["hash"]!.stringValue!
        let deploy = try c.file(try cairn("contract", "deploy", source, "--submitter", "bank-a.example").out)
        let d = try c.submit(try c.sign(deploy, by: "bank-a.example", "bank-c.example"))
        #expect(d.json["status"]?.stringValue == "complete", "\(d)")
        #expect(try c.seal().json["committed"]?.arrayValue?.count == 1)
        let open = try c.file(
            try cairn(
                "contract", "open", "--data", c.data, "--contract", hash, "--submitter", "bank-a.example",
                "--param", "payer=bank-a.example", "--param", "payee=bank-b.example", "--param", "arbiter=bank-c.example",
                "--param", "payer_account=bank-a.example/eur", "--param", "payee_account=bank-b.example/eur",
                "--param", "cur=EUR", "--param", "amount=100.00 EUR", "--param", "deadline=\(deadline)", "--param", "final=\(final)",
                "--deposit", "bank-a.example/eur=100.00"
            ).out)
        let o = try c.submit(try c.sign(open, by: "bank-a.example"))
        #expect(o.json["status"]?.stringValue == "complete", "\(o)")
        let sealed = try c.seal()
        #expect(sealed.json["committed"]?.arrayValue?.count == 1, "\(sealed)")
        return (hash, o.json["id"]!.stringValue!)
    }

    @Test func escrowReleasesWithTwoOfThree() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let (_, instance) = try openEscrow(c, deadline: now.adding(seconds: 3600), final: now.adding(seconds: 7200))
        #expect(try balance(c, "bank-a.example/eur") == "400.00")
        let shown = try cairn("contract", "show", "--data", c.data, instance, "--json")
        #expect(shown.json["locked"]?.arrayValue == [.string("100.00 EUR")], "\(shown)")

        // The arbiter alone cannot release: the notice stays pending.
        let release = try c.file(
            try cairn("contract", "act", "--instance", instance, "--action", "release", "--submitter", "bank-c.example").out)
        let alone = try c.submit(try c.sign(release, by: "bank-c.example"))
        #expect(alone.json["status"]?.stringValue == "pending", "\(alone)")
        // With the payee it is complete, and the block pays the payee.
        let both = try c.submit(try c.sign(release, by: "bank-b.example"))
        #expect(both.json["status"]?.stringValue == "complete", "\(both)")
        #expect(try c.seal().json["committed"]?.arrayValue?.count == 1)
        #expect(try balance(c, "bank-b.example/eur") == "100.00")
        #expect(try balance(c, "bank-a.example/eur") == "400.00")
        let closed = try cairn("contract", "show", "--data", c.data, instance, "--json").json
        #expect(closed["open"] == .bool(false) && closed["locked"]?.arrayValue == [], "a closed instance locks nothing: \(closed)")
        #expect(closed["history"]?.arrayValue?.count == 2, "open, then release")
        #expect(try c.verify().status == 0)
    }

    @Test func escrowTimesOutBackToThePayerByItself() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let (_, instance) = try openEscrow(c, deadline: now.adding(seconds: 3600), final: now.adding(seconds: 7200))
        #expect(try balance(c, "bank-a.example/eur") == "400.00")
        // Hours later a block is cut for something else; the escrow's timeouts fire first.
        let later = now.adding(seconds: 3 * 3600).description
        let n = try c.notice(
            ["deposit", "--to", "bank-c.example/eur", "--amount", "1.00", "--currency", "EUR"], env: ["CAIRN_NOW": later])
        #expect(try c.submit(try c.sign(n, by: "central.example")).status == 0)
        let sealed = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": later])
        #expect(sealed.status == 0, "\(sealed)")
        #expect(try balance(c, "bank-a.example/eur") == "500.00", "the funds returned to the payer")
        #expect(try cairn("contract", "show", "--data", c.data, instance, "--json").json["open"] == .bool(false))
        #expect(try c.verify().status == 0)
        // An act on the closed instance is refused at once.
        let act = try c.file(
            try cairn("contract", "act", "--instance", instance, "--action", "refund", "--submitter", "bank-a.example").out)
        let refused = try c.submit(try c.sign(act, by: "bank-a.example"), json: false)
        #expect(refused.status == 1 && refused.err.contains("is not open"), "\(refused)")
    }

    @Test func badContractsAndOpensAreRefused() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "50.00")])
        // Deploying needs the governance policy: one partner is not enough.
        let source = repoRoot.appendingPathComponent("Contracts/escrow.cairn").path
        let deploy = try c.file(try cairn("contract", "deploy", source, "--submitter", "bank-a.example").out)
        #expect(try c.submit(try c.sign(deploy, by: "bank-a.example")).json["status"]?.stringValue == "pending")
        // Opening an undeployed contract is refused.
        let hash = try cairn("contract", "check", source, "--json").json["hash"]!.stringValue!
        let open = try c.file(
            try cairn(
                "contract", "open", "--data", c.data, "--contract", hash, "--submitter", "bank-a.example", "--param", "payer=bank-a.example"
            ).out)
        let r = try c.submit(try c.sign(open, by: "bank-a.example"), json: false)
        #expect(r.status == 1 && r.err.contains("is not deployed"), "\(r)")
        #expect(try c.verify().status == 0)
    }
}
