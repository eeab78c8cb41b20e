import CairnCore
import Foundation
import Testing

/// Every example contract through `cairn` on a real ledger: deploy, open, the happy path and a
/// timeout path, with balances checked after each block and `verify` replaying all of it.
@Suite(.serialized) struct ContractPathsTests {
    let start = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
    func at(_ minutes: Int64) -> String { start.adding(seconds: minutes * 60).description }

    func balance(_ c: Consortium, _ account: String) throws -> String {
        try cairn("balance", "--data", c.data, account, "--json").json["balance"]!.stringValue!
    }

    /// Builds a notice with `args` at minute `minute`, has `signers` sign it, submits and seals it
    /// then; the block rejects exactly the notices `rejects` names (by id and code).
    @discardableResult
    func run(_ c: Consortium, _ args: [String], by signers: [String], minute: Int64 = 0, rejects: [String: String] = [:]) throws
        -> CLIResult
    {
        let env = ["CAIRN_NOW": at(minute)]
        let body = try cairn(args, env: env)
        guard body.status == 0 else { throw CairnError(.usage, "\(args): \(body)") }
        var file = try c.file(body.out)
        for s in signers { file = try c.file(try cairn("sign", "--key", c.key(s), file).out) }
        let submitted = try cairn(["submit", "--data", c.data, file, "--json"], env: env)
        guard submitted.status == 0 else { throw CairnError(.usage, "\(args): \(submitted)") }
        let sealed = try cairn(["seal", "--data", c.data, "--json"], env: env)
        let rejected = (sealed.json["rejected"]?.arrayValue ?? []).compactMap { $0.objectValue }
        #expect(
            Dictionary(uniqueKeysWithValues: rejected.map { ($0["id"]?.stringValue ?? "", $0["code"]?.stringValue ?? "") }) == rejects,
            "\(args): \(sealed)")
        return submitted
    }

    func deploy(_ c: Consortium, _ name: String) throws -> String {
        let path = repoRoot.appendingPathComponent("Contracts/\(name).cairn").path
        try run(c, ["contract", "deploy", path, "--submitter", "bank-a.example"], by: ["bank-a.example", "bank-b.example"])
        return try cairn("contract", "check", path, "--json").json["hash"]!.stringValue!
    }

    func open(_ c: Consortium, _ hash: String, params: [String: String], deposits: [String], by signers: [String]) throws -> String {
        var args = ["contract", "open", "--data", c.data, "--contract", hash, "--submitter", signers[0]]
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { args += ["--param", "\(k)=\(v)"] }
        for d in deposits { args += ["--deposit", d] }
        return try run(c, args, by: signers).json["id"]!.stringValue!
    }

    func act(
        _ c: Consortium, _ instance: String, _ action: String, args: [String] = [], by signers: [String], minute: Int64 = 0,
        rejects: [String: String] = [:]
    ) throws {
        var a = ["contract", "act", "--instance", instance, "--action", action, "--submitter", signers[0]]
        for x in args { a += ["--arg", x] }
        let r = try run(c, a, by: signers, minute: minute, rejects: rejects)
        #expect(r.json["status"]?.stringValue == "complete", "\(action): \(r)")
    }

    /// Cuts a block at minute `minute` (with an unrelated deposit), so due timeouts fire.
    func tick(_ c: Consortium, minute: Int64) throws {
        try run(
            c, ["notice", "deposit", "--to", "bank-c.example/eur", "--amount", "0.01", "--currency", "EUR", "--data", c.data],
            by: ["central.example"], minute: minute)
    }

    @Test func timelock() throws {
        for path in ["claim", "timeout"] {
            let c = try Consortium()
            try c.fund([("bank-a.example/eur", "100.00")])
            let hash = try deploy(c, "timelock")
            let id = try open(
                c, hash,
                params: [
                    "funder": "bank-a.example", "beneficiary": "bank-b.example", "funder_account": "bank-a.example/eur",
                    "beneficiary_account": "bank-b.example/eur", "cur": "EUR", "unlock": at(60), "deadline": at(120),
                ], deposits: ["bank-a.example/eur=50.00"], by: ["bank-a.example"])
            #expect(try balance(c, "bank-a.example/eur") == "50.00")
            if path == "claim" {
                try act(c, id, "claim", by: ["bank-b.example"], minute: 90)
                #expect(try balance(c, "bank-b.example/eur") == "50.00")
            } else {
                try tick(c, minute: 180)
                #expect(try balance(c, "bank-a.example/eur") == "100.00", "refunded by itself")
            }
            #expect(try c.verify().status == 0)
        }
    }

    /// Escrow after its deadline: the payer alone refunds; before it, the payer alone cannot.
    @Test func escrowPayerRefundsAloneAfterTheDeadline() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00")])
        let hash = try deploy(c, "escrow")
        let id = try open(
            c, hash,
            params: [
                "payer": "bank-a.example", "payee": "bank-b.example", "arbiter": "bank-c.example", "payer_account": "bank-a.example/eur",
                "payee_account": "bank-b.example/eur", "cur": "EUR", "amount": "40.00 EUR", "deadline": at(30), "final": at(60),
            ], deposits: ["bank-a.example/eur=40.00"], by: ["bank-a.example"])
        #expect(try balance(c, "bank-a.example/eur") == "60.00")
        // Before the deadline, the payer's signature alone leaves the refund pending.
        let early = try cairn(
            ["contract", "act", "--instance", id, "--action", "refund", "--submitter", "bank-a.example"], env: ["CAIRN_NOW": at(10)])
        let signed = try c.file(try cairn("sign", "--key", c.key("bank-a.example"), try c.file(early.out)).out)
        let pending = try cairn(["submit", "--data", c.data, signed, "--json"], env: ["CAIRN_NOW": at(10)])
        #expect(pending.json["status"]?.stringValue == "pending", "\(pending)")
        // After the deadline, the payer alone refunds; the early request, still pending, can
        // never complete now, and the block that closed the instance rejects it.
        let earlyID = try #require(pending.json["id"]?.stringValue)
        try act(c, id, "refund", by: ["bank-a.example"], minute: 40, rejects: [earlyID: "instance_closed"])
        #expect(try balance(c, "bank-a.example/eur") == "100.00")
        #expect(try c.verify().status == 0)
    }

    @Test func htlc() throws {
        let secret = "c0ffee00c0ffee00"
        let lock = Hash.sha256(Hex.decode(secret)!).hex
        for path in ["claim", "timeout"] {
            let c = try Consortium()
            try c.fund([("bank-a.example/eur", "100.00")])
            let hash = try deploy(c, "htlc")
            let id = try open(
                c, hash,
                params: [
                    "sender": "bank-a.example", "receiver": "bank-b.example", "sender_account": "bank-a.example/eur",
                    "receiver_account": "bank-b.example/eur", "cur": "EUR", "amount": "25.00 EUR", "lock": lock, "deadline": at(60),
                ], deposits: ["bank-a.example/eur=25.00"], by: ["bank-a.example"])
            #expect(try balance(c, "bank-a.example/eur") == "75.00")
            if path == "claim" {
                try act(c, id, "claim", args: ["secret=\(secret)"], by: ["bank-b.example"], minute: 10)
                #expect(try balance(c, "bank-b.example/eur") == "25.00")
            } else {
                try tick(c, minute: 90)
                #expect(try balance(c, "bank-a.example/eur") == "100.00")
            }
            #expect(try c.verify().status == 0)
        }
    }

    @Test func multisig() throws {
        for path in ["payout", "timeout"] {
            let c = try Consortium()
            try c.fund([("bank-a.example/eur", "100.00")])
            let hash = try deploy(c, "multisig")
            let id = try open(
                c, hash,
                params: [
                    "a1": "bank-a.example", "a2": "bank-b.example", "a3": "bank-c.example", "treasury": "bank-a.example/eur",
                    "r1": "bank-b.example/eur", "r2": "bank-c.example/eur", "r3": "bank-a.example/eur", "cur": "EUR", "expiry": at(60),
                ], deposits: ["bank-a.example/eur=100.00"], by: ["bank-a.example"])
            #expect(try balance(c, "bank-a.example/eur") == "0.00")
            if path == "payout" {
                try act(
                    c, id, "payout", args: ["recipient=bank-c.example/eur", "value=30.00 EUR"], by: ["bank-b.example", "bank-c.example"])
                #expect(try balance(c, "bank-c.example/eur") == "30.00")
                #expect(try balance(c, "bank-a.example/eur") == "70.00", "the rest returns to the treasury")
            } else {
                try tick(c, minute: 90)
                #expect(try balance(c, "bank-a.example/eur") == "100.00")
            }
            #expect(try c.verify().status == 0)
        }
    }

    @Test func deliveryVersusPayment() throws {
        for path in ["settle", "timeout"] {
            let c = try Consortium()
            try c.fund([("bank-a.example/jpy", "5000"), ("bank-b.example/eur", "200.00")])
            let hash = try deploy(c, "dvp")
            let id = try open(
                c, hash,
                params: [
                    "seller": "bank-a.example", "buyer": "bank-b.example", "seller_sec": "bank-a.example/jpy",
                    "seller_cash": "bank-a.example/eur", "buyer_sec": "bank-b.example/jpy", "buyer_cash": "bank-b.example/eur",
                    "sec": "JPY", "cash": "EUR", "quantity": "1000 JPY", "price": "80.00 EUR", "delivery_deadline": at(60),
                    "payment_deadline": at(120),
                ], deposits: [], by: ["bank-a.example"])
            try act(c, id, "deliver", by: ["bank-a.example"], minute: 10)
            #expect(try balance(c, "bank-a.example/jpy") == "4000")
            let shown = try cairn("contract", "show", "--data", c.data, id, "--json").json
            #expect(shown["locked"]?.arrayValue == [.string("1000 JPY")])
            #expect(
                shown["history"]?.arrayValue?.compactMap { $0.objectValue?["what"]?.stringValue } == ["open", "deliver by bank-a.example"],
                "\(shown)")
            if path == "settle" {
                try act(c, id, "payment", by: ["bank-b.example"], minute: 20)
                #expect(try balance(c, "bank-b.example/jpy") == "1000")
                #expect(try balance(c, "bank-a.example/eur") == "80.00")
                #expect(try balance(c, "bank-b.example/eur") == "120.00")
            } else {
                // The payment leg is missed: the delivered securities go back to the seller.
                try tick(c, minute: 150)
                #expect(try balance(c, "bank-a.example/jpy") == "5000")
                #expect(try balance(c, "bank-b.example/eur") == "200.00")
            }
            #expect(try c.verify().status == 0)
        }
    }

    /// Two ledgers fed the same notices at the same times, each through its own `cairn` processes,
    /// reach the same block hash and stateRoot at every height, contracts and timeouts included.
    @Test func twoLedgersAgreeAtEveryHeight() throws {
        let c = try Consortium()
        let other = c.dir.appendingPathComponent("ledger-b").path
        #expect(try cairn("init", "--genesis", c.genesisPath, "--data", other, "--key", c.key("bank-a.example")).status == 0)
        let escrow = repoRoot.appendingPathComponent("Contracts/escrow.cairn").path
        let hash = try cairn("contract", "check", escrow, "--json").json["hash"]!.stringValue!
        // Each step: a notice (built once, at the step's time) and its signers; both ledgers get the same file.
        let steps: [(args: [String], signers: [String], minute: Int64)] = [
            (
                [
                    "notice", "deposit", "--to", "bank-a.example/eur", "--amount", "300.00", "--currency", "EUR", "--submitter",
                    "central.example",
                ], ["central.example"], 0
            ),
            (["contract", "deploy", escrow, "--submitter", "bank-a.example"], ["bank-a.example", "bank-b.example"], 1),
            (
                [
                    "contract", "open", "--genesis", c.genesisPath, "--contract", hash, "--submitter", "bank-a.example",
                    "--param", "payer=bank-a.example", "--param", "payee=bank-b.example", "--param", "arbiter=bank-c.example",
                    "--param", "payer_account=bank-a.example/eur", "--param", "payee_account=bank-b.example/eur", "--param", "cur=EUR",
                    "--param", "amount=100.00 EUR", "--param", "deadline=\(at(30))", "--param", "final=\(at(60))",
                    "--deposit", "bank-a.example/eur=100.00",
                ], ["bank-a.example"], 2
            ),
            (
                [
                    "notice", "transfer", "--from", "bank-a.example/eur", "--to", "bank-c.example/eur", "--amount", "5.00", "--currency",
                    "EUR",
                ], ["bank-a.example", "bank-c.example"], 3
            ),
            // At minute 90 both of the escrow's timeouts have passed: they fire before this block's notice.
            (
                [
                    "notice", "deposit", "--to", "bank-c.example/eur", "--amount", "1.00", "--currency", "EUR", "--submitter",
                    "central.example",
                ], ["central.example"], 90
            ),
        ]
        for step in steps {
            let env = ["CAIRN_NOW": at(step.minute)]
            var file = try c.file(try cairn(step.args, env: env).out)
            for s in step.signers { file = try c.file(try cairn("sign", "--key", c.key(s), file).out) }
            for data in [c.data, other] {
                #expect(try cairn(["submit", "--data", data, file], env: env).status == 0)
                #expect(try cairn(["seal", "--data", data], env: env).status == 0)
            }
        }
        #expect(try balance(c, "bank-a.example/eur") == "295.00", "the escrow refunded the payer by itself")
        for height in 0...steps.count {
            let a = try cairn("show", "--data", c.data, String(height), "--json").json
            let b = try cairn("show", "--data", other, String(height), "--json").json
            #expect(a["hash"] != nil && a["hash"] == b["hash"] && a["stateRoot"] == b["stateRoot"], "height \(height)")
        }
        #expect(try cairn("verify", "--data", other).status == 0)
    }
}
