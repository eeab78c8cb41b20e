import CairnCore
import Foundation
import Testing

/// Contracts on a real ledger, through the CLI: deploy, open, act, and timeouts firing by themselves.
@Suite(.serialized) struct ContractLedgerTests {
    func balance(_ c: Consortium, _ account: String) throws -> String {
        try cairn("balance", "--data", c.data, account, "--json").json["balance"]!.stringValue!
    }

    /// Deploys escrow (governance: two partners) and opens an instance funded by bank-a.
    /// `deploy: false` opens another instance of the escrow deployed already.
    func openEscrow(_ c: Consortium, deadline: Timestamp, final: Timestamp, deploy: Bool = true) throws -> (
        hash: String, instance: String
    ) {
        let source = repoRoot.appendingPathComponent("Contracts/escrow.cairn").path
        let hash = try cairn("contract", "check", source, "--json").json["hash"]!.stringValue!
        if deploy {
            let deploy = try c.file(try cairn("contract", "deploy", source, "--submitter", "bank-a.example").out)
            let d = try c.submit(try c.sign(deploy, by: "bank-a.example", "bank-c.example"))
            #expect(d.json["status"]?.stringValue == "complete", "\(d)")
            #expect(try c.seal().json["committed"]?.arrayValue?.count == 1)
        }
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
        #expect(refused.status == 1 && refused.err.hasPrefix("cairn: instance_closed: "), "\(refused)")
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

/// Issue 18: timeouts fire with no other traffic, and acts that can never complete do not wait
/// in the pool.
@Suite(.serialized) struct ContractTimeoutTests {
    let escrow = ContractLedgerTests()

    /// A two-step contract: `first`, then `second`; it refunds the opener's deposit on close.
    static let steps = """
        contract steps
        param a: party
        param acc: account
        param cur: currency
        param d: time
        refund acc
        when { case first by a { when { case second by a { close } } timeout d + 60 { close } } } timeout d { close }

        """

    func act(_ c: Consortium, _ instance: String, _ action: String, by signers: String..., submitter: String = "bank-a.example")
        throws -> CLIResult
    {
        let body = try c.file(try cairn("contract", "act", "--instance", instance, "--action", action, "--submitter", submitter).out)
        let signed = try signers.dropFirst().reduce(try c.sign(body, by: signers[0])) { try c.sign($0, by: $1) }
        return try cairn("submit", "--data", c.data, "--json", signed)
    }

    @Test func aTimeoutFiresWithNoOtherTraffic() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let (_, instance) = try escrow.openEscrow(c, deadline: now.adding(seconds: 3600), final: now.adding(seconds: 7200))
        let height = try cairn("status", "--data", c.data, "--json").json["height"]!.int64Value!
        // Nothing is due yet: nothing to seal.
        let idle = try c.seal()
        #expect(idle.status == 0 && idle.json["sealed"] == .bool(false), "\(idle)")
        // Past the deadline: a block is cut for the timeout alone; it moves no money yet.
        let mid = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": now.adding(seconds: 5400).description])
        #expect(mid.status == 0 && mid.json["height"]?.int64Value == height + 1, "\(mid)")
        #expect(mid.json["timeouts"]?.arrayValue == [.string(instance)] && mid.json["committed"]?.arrayValue == [], "\(mid)")
        #expect(mid.json["movements"]?.arrayValue == [], "\(mid)")
        var shown = try cairn("contract", "show", "--data", c.data, instance, "--json").json
        #expect(shown["open"] == .bool(true) && shown["nextTimeout"]?.stringValue == now.adding(seconds: 7200).description, "\(shown)")
        // Past the final timeout: the funds return to the payer with no other notice.
        let end = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": now.adding(seconds: 9000).description])
        #expect(end.json["timeouts"]?.arrayValue == [.string(instance)], "\(end)")
        let paid = try #require(end.json["movements"]?.arrayValue?.first?.objectValue, "\(end)")
        #expect(paid["account"]?.stringValue == "bank-a.example/eur" && paid["amount"]?.stringValue == "100.00", "\(paid)")
        #expect(paid["direction"]?.stringValue == "credit" && paid["cause"]?.stringValue == "timeout" && paid["notice"] == nil)
        #expect(try escrow.balance(c, "bank-a.example/eur") == "500.00")
        shown = try cairn("contract", "show", "--data", c.data, instance, "--json").json
        #expect(shown["open"] == .bool(false) && shown["nextTimeout"] == .null, "\(shown)")
        let history = try #require(shown["history"]?.arrayValue?.compactMap { $0.objectValue })
        let fired = history.filter { $0["what"]?.stringValue == "timeout fired" }
        #expect(fired.map { $0["height"]?.int64Value } == [height + 1, height + 2], "\(history)")
        #expect(fired[1]["movements"]?.arrayValue?.count == 1 && fired[0]["movements"]?.arrayValue == [], "\(history)")
        #expect(history.first?["movements"]?.arrayValue?.first?.objectValue?["direction"]?.stringValue == "debit", "the lock")
        let text = try cairn("contract", "show", "--data", c.data, instance)
        #expect(
            text.out.contains("height \(height + 2): timeout fired\n    paid 100.00 EUR to bank-a.example/eur from instance"), "\(text)")
        // Nothing is left to fire: nothing to seal.
        let after = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": now.adding(seconds: 9999).description])
        #expect(after.json["sealed"] == .bool(false), "\(after)")
        #expect(try c.verify().status == 0)
    }

    @Test func actsThatCanNeverCompleteAreRefusedAtSubmission() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "50.00")])
        let source = c.dir.appendingPathComponent("steps.cairn").path
        try Self.steps.write(toFile: source, atomically: true, encoding: .utf8)
        let hash = try cairn("contract", "check", source, "--json").json["hash"]!.stringValue!
        let deploy = try c.file(try cairn("contract", "deploy", source, "--submitter", "bank-a.example").out)
        #expect(try c.submit(try c.sign(deploy, by: "bank-a.example", "bank-b.example")).json["status"]?.stringValue == "complete")
        _ = try c.seal()
        let d = Timestamp(seconds: Int64(Date().timeIntervalSince1970)).adding(seconds: 3600)
        let open = try c.file(
            try cairn(
                "contract", "open", "--data", c.data, "--contract", hash, "--submitter", "bank-a.example", "--param", "a=bank-a.example",
                "--param", "acc=bank-a.example/eur", "--param", "cur=EUR", "--param", "d=\(d)", "--deposit", "bank-a.example/eur=5.00"
            ).out)
        let o = try c.submit(try c.sign(open, by: "bank-a.example"))
        let instance = try #require(o.json["id"]?.stringValue)
        _ = try c.seal()
        // `second` is an action of the contract, but not of the when the instance waits in.
        let early = try act(c, instance, "second", by: "bank-a.example")
        #expect(early.status == 1 && early.json["error"]?.objectValue?["code"]?.stringValue == "unknown_action", "\(early)")
        #expect(early.err.contains("waits for first now"), "\(early)")
        // A name the contract does not have at all.
        let none = try act(c, instance, "third", by: "bank-a.example")
        #expect(none.json["error"]?.objectValue?["code"]?.stringValue == "unknown_action", "\(none)")
        #expect(try act(c, instance, "first", by: "bank-a.example").json["status"]?.stringValue == "complete")
        _ = try c.seal()
        let again = try act(c, instance, "first", by: "bank-a.example")
        #expect(again.json["error"]?.objectValue?["code"]?.stringValue == "unknown_action", "\(again)")
        #expect(try act(c, instance, "second", by: "bank-a.example").json["status"]?.stringValue == "complete")
        _ = try c.seal()
        // Closed: every action is refused as such, not as an unknown instance.
        for action in ["first", "second", "third"] {
            let closed = try act(c, instance, action, by: "bank-a.example")
            #expect(closed.json["error"]?.objectValue?["code"]?.stringValue == "instance_closed", "\(action): \(closed)")
        }
        let unknown = try act(c, String(repeating: "ab", count: 32), "first", by: "bank-a.example")
        #expect(unknown.json["error"]?.objectValue?["code"]?.stringValue == "not_found", "\(unknown)")
        #expect(try c.verify().status == 0)
    }

    @Test func pendingActsABlockMadeImpossibleAreRejectedInIt() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let (_, instance) = try escrow.openEscrow(c, deadline: now.adding(seconds: 3600), final: now.adding(seconds: 7200))
        // The payee asks for a release; it needs one more of payer and arbiter, and says so.
        let release = try act(c, instance, "release", by: "bank-b.example", submitter: "bank-b.example")
        #expect(release.json["status"]?.stringValue == "pending", "\(release)")
        #expect(
            release.json["missing"]?.stringValue == "1 more of (sig(bank-a.example), sig(bank-c.example))",
            "\(release)")
        let releaseID = try #require(release.json["id"]?.stringValue)
        // Payer and arbiter refund instead: the block that closes the instance rejects the release,
        // even a block already full (`--max 1`: the refund alone fills it).
        #expect(try act(c, instance, "refund", by: "bank-a.example", "bank-c.example").json["status"]?.stringValue == "complete")
        let sealed = try cairn("seal", "--data", c.data, "--max", "1", "--json")
        #expect(sealed.json["committed"]?.arrayValue?.count == 1, "\(sealed)")
        let rejected = try #require(sealed.json["rejected"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(
            rejected.map { $0["id"]?.stringValue } == [releaseID] && rejected.first?["code"]?.stringValue == "instance_closed", "\(sealed)")
        let shown = try cairn("show", "--data", c.data, releaseID, "--json").json
        #expect(shown["status"]?.stringValue == "rejected" && shown["code"]?.stringValue == "instance_closed", "\(shown)")
        #expect(try c.verify().status == 0)

        // A timeout makes a pending act impossible too, in the block cut for it alone.
        let (_, second) = try escrow.openEscrow(c, deadline: now.adding(seconds: 3600), final: now.adding(seconds: 7200), deploy: false)
        let late = try act(c, second, "release", by: "bank-b.example", submitter: "bank-b.example")
        let lateID = try #require(late.json["id"]?.stringValue)
        let fired = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": now.adding(seconds: 9000).description])
        #expect(fired.json["timeouts"]?.arrayValue == [.string(second)], "\(fired)")
        #expect(
            fired.json["rejected"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } == [lateID], "\(fired)")
        #expect(try c.verify().status == 0)
    }
}

extension ContractTimeoutTests {
    /// A node with an hour between blocks still fires a contract's timeouts when they fall due,
    /// with no notice to seal: it wakes for them by itself.
    @Test func theNodeWakesForTimeouts() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let (_, instance) = try escrow.openEscrow(c, deadline: now.adding(seconds: 3), final: now.adding(seconds: 5))
        let before = try cairn("status", "--data", c.data, "--json").json["height"]!.int64Value!
        let node = try Background(
            ["serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--block-interval", "3600"],
            log: c.dir.path + "/node.log")
        _ = try node.port(c.dir.path + "/port")
        var shown = JSONObject()
        // Waits for the event, not for a time: generous, so a slow machine only takes longer.
        for _ in 0..<600 {
            shown = try cairn("contract", "show", "--data", c.data, instance, "--json").json
            if shown["open"] == .bool(false) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        _ = node.stop()
        #expect(shown["open"] == .bool(false), "the escrow never closed: \(shown)\n\(node.output)")
        #expect(try escrow.balance(c, "bank-a.example/eur") == "500.00")
        let after = try cairn("status", "--data", c.data, "--json").json["height"]!.int64Value!
        #expect(after > before && after <= before + 2, "one block per timeout at most: \(before) -> \(after)")
        #expect(try c.verify().status == 0)
    }
}
