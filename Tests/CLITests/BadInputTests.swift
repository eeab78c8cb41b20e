import CairnCore
import Foundation
import Testing

/// Every kind of bad input gets its own error code, and the ledger stays exactly as it was:
/// same checkpoint, same pending pool, and `verify` passes.
@Suite(.serialized) struct BadInputTests {
    struct Case: Sendable {
        var name: String
        var code: String
        var message: String
        var input: @Sendable (Consortium) throws -> String
    }

    static func edit(_ c: Consortium, _ path: String, _ from: String, _ to: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        precondition(text.contains(from), "\(from) not in \(text)")
        return try c.file(text.replacingOccurrences(of: from, with: to))
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", code: "malformed_json", message: "line 2, column 1: unexpected end of input") { c in
            try c.file("{\"kind\": \"transfer\",\n")
        },
        Case(name: "duplicate key", code: "malformed_json", message: "duplicate key \"amount\"") { c in
            try edit(
                c, try c.transfer("bank-a.example/eur", "bank-b.example/eur", "10.00"), "{\"amount\":\"10.00\"",
                "{\"amount\":\"10.00\",\"amount\":\"99.00\"")
        },
        Case(name: "number where a string belongs", code: "invalid_field", message: "$.amount: expected a string") { c in
            try edit(c, try c.transfer("bank-a.example/eur", "bank-b.example/eur", "10.00"), "\"amount\":\"10.00\"", "\"amount\":10.00")
        },
        Case(name: "wrong minor digits", code: "invalid_amount", message: "exactly 2 minor digits") { c in
            try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "10.0"), by: "bank-a.example", "bank-b.example")
        },
        Case(name: "zero amount", code: "invalid_amount", message: "amount must be positive") { c in
            try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "0.00"), by: "bank-a.example", "bank-b.example")
        },
        Case(name: "negative amount", code: "invalid_amount", message: "\"-5.00\" is not a EUR amount") { c in
            try c.sign(
                try c.notice(
                    "transfer", "--from", "bank-a.example/eur", "--to", "bank-b.example/eur", "--amount=-5.00", "--currency", "EUR"),
                by: "bank-a.example", "bank-b.example")
        },
        Case(name: "unknown currency", code: "unknown_currency", message: "unknown currency XAU") { c in
            try c.sign(
                try c.notice(
                    "transfer", "--from", "bank-a.example/eur", "--to", "bank-b.example/eur", "--amount", "1.00", "--currency", "XAU"),
                by: "bank-a.example", "bank-b.example")
        },
        Case(name: "unknown account", code: "unknown_account", message: "unknown account bank-z.example/eur") { c in
            try c.sign(try c.transfer("bank-a.example/eur", "bank-z.example/eur", "1.00"), by: "bank-a.example")
        },
        Case(name: "expired notice", code: "expired", message: "expired at 2026-01-02T00:00:00Z") { c in
            let n = try c.notice(
                ["transfer", "--from", "bank-a.example/eur", "--to", "bank-b.example/eur", "--amount", "1.00", "--currency", "EUR"],
                env: ["CAIRN_NOW": "2026-01-01T00:00:00Z"])
            return try c.sign(n, by: "bank-a.example", "bank-b.example")
        },
        Case(name: "unknown signer", code: "unknown_signer", message: "signer mallory.example is not a member") { c in
            try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-a.example", "mallory.example")
        },
        Case(name: "wrong key id", code: "unknown_key", message: "is not an active key of bank-b.example") { c in
            let env = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-b.example")
            let keyID = try VerifierKey(parsing: c.vkeys["bank-b.example"]!).keyIDHex
            return try edit(c, env, "\"keyId\":\"\(keyID)\"", "\"keyId\":\"00000000\"")
        },
        Case(name: "bad signature", code: "bad_signature", message: "signature by bank-b.example") { c in
            let env = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-b.example")
            let text = try String(contentsOfFile: env, encoding: .utf8)
            let sig = text.range(of: "\"sig\":\"")!.upperBound
            let ch = text[sig]
            return try c.file(text.replacingCharacters(in: sig...sig, with: ch == "A" ? "B" : "A"))
        },
        Case(name: "tampered envelope", code: "bad_signature", message: "does not verify") { c in
            let env = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-a.example", "bank-b.example")
            return try edit(c, env, "\"amount\":\"1.00\"", "\"amount\":\"9.00\"")
        },
        Case(name: "signer the policy does not allow", code: "signer_not_allowed", message: "does not allow bank-c.example to sign") { c in
            try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-a.example", "bank-c.example")
        },
        Case(name: "deposit not by an issuer", code: "signer_not_allowed", message: "does not allow bank-a.example") { c in
            try c.sign(try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "5.00", "--currency", "EUR"), by: "bank-a.example")
        },
        Case(name: "overdraft beyond the credit limit", code: "overdraft", message: "beyond its credit limit 50.00") { c in
            try c.sign(try c.transfer("bank-b.example/eur", "bank-a.example/eur", "50.01"), by: "bank-a.example", "bank-b.example")
        },
        Case(name: "Int64 overflow", code: "overflow", message: "overflows Int64") { c in
            try c.sign(
                try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "92233720368547758.07", "--currency", "EUR"),
                by: "central.example")
        },
    ]

    @Test func badInputIsRefusedAndNothingChanges() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00")])
        // A pending notice, so the pool is not empty and must stay as it is.
        _ = try c.submit(try c.sign(try c.transfer("bank-a.example/eur", "bank-c.example/eur", "3.00"), by: "bank-a.example"))
        let checkpoint = try c.checkpoint()
        let status = try cairn("status", "--data", c.data, "--json").out
        for k in Self.cases {
            let r = try c.submit(try k.input(c), json: false)
            #expect(r.status == 1, "\(k.name): \(r)")
            #expect(r.err.hasPrefix("cairn: \(k.code): "), "\(k.name): \(r.err)")
            #expect(r.err.contains(k.message), "\(k.name): \(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "\(k.name): the error is one line")
            #expect(try c.checkpoint() == checkpoint, "\(k.name) moved the checkpoint")
            #expect(try cairn("status", "--data", c.data, "--json").out == status, "\(k.name) changed the pool")
        }
        // Nothing refused can be sealed, and the whole ledger still verifies.
        #expect(try c.seal().json["sealed"] == .bool(false))
        #expect(try c.verify().status == 0)
    }

    @Test func eachCommandRefusesWithOneLineAndExitOne() throws {
        let c = try Consortium()
        for args in [
            ["show", "--data", c.data, "ff" + String(repeating: "0", count: 62)],
            ["show", "--data", c.data, "99"],
            ["balance", "--data", c.data, "nobody/eur"],
            ["checkpoint", "--data", c.data, "--size", "7"],
            ["prove", "--data", c.data, "--consistency", "--from", "0"],
            ["sign", "--key", c.key("auditor-1.example"), c.genesisPath],
            ["verify-proof", "--genesis", c.genesisPath, c.genesisPath],
        ] {
            let r = try cairn(args + ["--json"])
            #expect(r.status == 1, "\(args): \(r)")
            #expect(r.err.hasPrefix("cairn: ") && r.err.split(separator: "\n").count == 1, "\(args): \(r.err)")
            #expect(r.json["error"]?.objectValue?["code"] != nil, "\(args): --json gives an error object")
        }
    }
}
