import CairnCore
import Foundation
import Testing

/// `cairn trace` as a compliance team uses it: where did this payout's money come from, and
/// where did that deposit's money go.
@Suite(.serialized) struct TraceCLITests {
    func id(_ r: CLIResult) -> String { r.json["id"]!.stringValue! }

    @Test func traceFollowsRefsFundingAndContracts() throws {
        let c = try Consortium()
        let deposit = try c.submit(
            try c.sign(
                try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "500.00", "--currency", "EUR"), by: "central.example"))
        _ = try c.seal()
        let t1 = try c.submit(
            try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "200.00"), by: "bank-a.example", "bank-b.example"))
        _ = try c.seal()
        // A chain of refunds, each referencing the notice it settles.
        let r1 = try c.submit(
            try c.sign(
                try c.transfer("bank-b.example/eur", "bank-a.example/eur", "50.00", "--refs", id(t1)), by: "bank-a.example",
                "bank-b.example"))
        _ = try c.seal()
        let r2 = try c.submit(
            try c.sign(
                try c.transfer("bank-a.example/eur", "bank-c.example/eur", "30.00", "--refs", id(r1)), by: "bank-a.example",
                "bank-c.example"))
        _ = try c.seal()
        // An escrow funded by bank-a releases to bank-c.
        let source = repoRoot.appendingPathComponent("Contracts/escrow.cairn").path
        let hash = try cairn("contract", "check", source, "--json").json["hash"]!.stringValue!
        _ = try c.submit(
            try c.sign(
                try c.file(try cairn("contract", "deploy", source, "--submitter", "bank-a.example").out), by: "bank-a.example",
                "bank-b.example"))
        _ = try c.seal()
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let open = try c.submit(
            try c.sign(
                try c.file(
                    try cairn(
                        "contract", "open", "--data", c.data, "--contract", hash, "--submitter", "bank-a.example", "--param",
                        "payer=bank-a.example",
                        "--param", "payee=bank-c.example", "--param", "arbiter=bank-b.example", "--param",
                        "payer_account=bank-a.example/eur",
                        "--param", "payee_account=bank-c.example/eur", "--param", "cur=EUR", "--param", "amount=100.00 EUR",
                        "--param", "deadline=\(now.adding(seconds: 3600))", "--param", "final=\(now.adding(seconds: 7200))",
                        "--deposit", "bank-a.example/eur=100.00"
                    ).out), by: "bank-a.example"))
        _ = try c.seal()
        let release = try c.submit(
            try c.sign(
                try c.file(
                    try cairn("contract", "act", "--instance", id(open), "--action", "release", "--submitter", "bank-c.example").out),
                by: "bank-a.example", "bank-c.example"))
        _ = try c.seal()
        #expect(try cairn("balance", "--data", c.data, "bank-c.example/eur", "--json").json["balance"]?.stringValue == "130.00")

        // Back from the payout: the instance, what funded its opening, the refund chain, the deposit.
        let back = try cairn("trace", "--data", c.data, id(release), "--direction", "back", "--depth", "6", "--json")
        #expect(back.status == 0, "\(back)")
        let backIDs = Set(back.json["nodes"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
        for (what, notice) in [("open", open), ("refund", r1), ("transfer", t1), ("deposit", deposit)] {
            #expect(backIDs.contains(id(notice)), "trace back from the payout misses the \(what)")
        }
        let whys = back.json["edges"]?.arrayValue?.compactMap { $0.objectValue?["why"]?.stringValue } ?? []
        #expect(whys.contains("instance") && whys.contains("funds") && whys.contains("ref"))

        // Forward from the deposit: where its money went.
        let forward = try cairn("trace", "--data", c.data, id(deposit), "--direction", "forward", "--depth", "3", "--json")
        let forwardIDs = Set(forward.json["nodes"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
        for (what, notice) in [("transfer", t1), ("refund onward", r2), ("escrow opening", open), ("release", release)] {
            #expect(forwardIDs.contains(id(notice)), "trace forward from the deposit misses the \(what)")
        }
        let text = try cairn("trace", "--data", c.data, id(release))
        #expect(text.status == 0 && text.out.contains("funded by:") && text.out.contains("[instance] contract.open"), "\(text)")

        // The dot output renders with Graphviz.
        let dot = try cairn("trace", "--data", c.data, id(release), "--format", "dot")
        let path = try c.file(dot.out)
        let svg = try runProcess("/usr/bin/env", ["dot", "-Tsvg", path])
        #expect(svg.status == 0 && svg.out.contains("<svg"), "dot refused the trace: \(svg)")
    }
}
