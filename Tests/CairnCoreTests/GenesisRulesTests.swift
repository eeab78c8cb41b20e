import CairnCore
import Foundation
import Testing

/// Genesis refuses a consortium whose policies or keys are ambiguous (a policy the ledger never
/// reads, one key counting for two members) or impossible (a policy its members can never meet),
/// naming the JSON path of the culprit.
@Suite struct GenesisRulesTests {
    /// A consortium written as genesis JSON: members with their roles and vkeys, and policies.
    struct Consortium {
        struct Member {
            var name: String
            var roles: [String]
            var keys: [String]
        }

        var members: [Member]
        var policies: [(String, String)]

        static func key(_ name: String, _ seed: UInt8, witness: Bool = false) -> String {
            try! SigningKey(name: name, type: witness ? .cosignature : .ed25519, seed: [UInt8](repeating: seed, count: 32)).verifierKey
                .description
        }

        /// bank-a and bank-b validate, central issues, auditor-1 witnesses.
        static let base = Consortium(
            members: [
                Member(name: "bank-a.example", roles: ["partner", "validator"], keys: [key("bank-a.example", 1)]),
                Member(name: "bank-b.example", roles: ["partner", "validator"], keys: [key("bank-b.example", 2)]),
                Member(name: "bank-c.example", roles: ["partner"], keys: [key("bank-c.example", 3)]),
                Member(name: "central.example", roles: ["issuer"], keys: [key("central.example", 4)]),
                Member(name: "auditor-1.example", roles: ["witness", "auditor"], keys: [key("auditor-1.example", 5, witness: true)]),
            ],
            policies: [
                ("deposit", "role(issuer)"), ("transfer", "all(payer, payee)"), ("finality", "thresh(1, role(validator))"),
                ("witness", "thresh(1, role(witness))"), ("governance", "thresh(2, role(partner))"),
            ])

        var json: String {
            func quoted(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
            let m = members.map { "{\"name\": \"\($0.name)\", \"roles\": \(quoted($0.roles)), \"keys\": \(quoted($0.keys))}" }
            let p = policies.map { "\"\($0.0)\": \"\($0.1)\"" }
            return """
                {"cairn": 1, "origin": "rules.cairn.example/log", "time": "2026-01-01T00:00:00Z",
                 "currencies": {"EUR": {"minorDigits": 2}},
                 "members": [\(m.joined(separator: ",\n"))],
                 "policies": {\(p.joined(separator: ", "))}}
                """
        }

        func with(_ edit: (inout Consortium) -> Void) -> Consortium {
            var c = self
            edit(&c)
            return c
        }

        func policy(_ name: String, _ text: String) -> Consortium {
            with { c in
                if let i = c.policies.firstIndex(where: { $0.0 == name }) {
                    c.policies[i].1 = text
                } else {
                    c.policies.append((name, text))
                }
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var desc: String
        var consortium: Consortium
        /// Parts of the error message: the JSON path first.
        var wantErr: [String]
        var testDescription: String { desc }
    }

    /// The base consortium and the shipped demo are valid: the rules below refuse only what they name.
    @Test func validConsortiaAreAccepted() throws {
        _ = try Genesis(bytes: Array(Consortium.base.json.utf8))
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Genesis/demo.json")
        _ = try Genesis(bytes: Array(try Data(contentsOf: demo)))
        // Satisfiable variants of each policy.
        for (name, text) in [
            ("finality", "thresh(2, role(validator))"), ("finality", "all(sig(bank-a.example), sig(bank-b.example))"),
            ("finality", "any(role(partner))"), ("witness", "sig(auditor-1.example)"),
            ("governance", "thresh(3, role(partner), role(issuer))"), ("deposit", "any(role(issuer), payee)"),
        ] {
            _ = try Genesis(bytes: Array(Consortium.base.policy(name, text).json.utf8))
        }
        // A consortium without witnesses keeps whatever witness policy it writes (no one can meet it).
        let noWitness = Consortium.base.with { $0.members.removeLast() }.policy("witness", "thresh(1, role(validator))")
        _ = try Genesis(bytes: Array(noWitness.json.utf8))
    }

    static let base = Consortium.base
    static let aPublic = try! VerifierKey(parsing: base.members[0].keys[0]).publicKey
    static let auditorPublic = try! VerifierKey(parsing: base.members[4].keys[0]).publicKey
    static func reuse(_ publicKey: [UInt8], as name: String, type: KeyType = .ed25519) -> String {
        try! VerifierKey(name: name, type: type, publicKey: publicKey).description
    }

    /// Only the policies the ledger reads may be written: anything else would be silently ignored.
    static let unknownPolicies = ["transferr", "Finality", "member.update", "contract.deploy", "contract.open", "contract.act", "x"].map {
        Case(
            desc: "unknown policy \($0)", consortium: base.policy($0, "role(issuer)"),
            wantErr: ["$.policies.\($0): ", "policies: deposit, transfer, finality, witness, governance"])
    }

    /// One public key signs for one member, once: not for two members (whatever the names in their
    /// vkeys), and not twice within one member (the same vkey, or the same key as 0x01 and 0x04).
    static let sharedKeys: [Case] =
        [1, 2, 3].flatMap { i in
            [
                Case(
                    desc: "member \(i) has bank-a's key",
                    consortium: base.with { $0.members[i].keys = [reuse(aPublic, as: $0.members[i].name)] },
                    wantErr: ["$.members[\(i)].keys[0]: reuses the public key of $.members[0].keys[0] (bank-a.example)"]),
                Case(
                    desc: "member \(i) adds bank-a's key",
                    consortium: base.with { $0.members[i].keys.append(reuse(aPublic, as: $0.members[i].name)) },
                    wantErr: ["$.members[\(i)].keys[1]: reuses the public key of $.members[0].keys[0]"]),
            ]
        } + [
            Case(
                desc: "the shared key listed first",
                consortium: base.with {
                    $0.members[2].keys = [reuse(aPublic, as: "bank-c.example")]
                    $0.members.swapAt(0, 2)
                },
                wantErr: ["$.members[2].keys[0]: reuses the public key of $.members[0].keys[0] (bank-c.example)"]),
            Case(
                desc: "a witness key that is bank-a's key",
                consortium: base.with { $0.members[4].keys = [reuse(aPublic, as: "auditor-1.example", type: .cosignature)] },
                wantErr: ["$.members[4].keys[0]: reuses the public key of $.members[0].keys[0]"]),
            Case(
                desc: "the same vkey twice in one member", consortium: base.with { $0.members[1].keys += $0.members[1].keys },
                wantErr: ["$.members[1].keys[1]: duplicate key"]),
            Case(
                desc: "one key as 0x01 and 0x04 in one member",
                consortium: base.with { $0.members[4].keys.insert(reuse(auditorPublic, as: "auditor-1.example"), at: 0) },
                wantErr: ["$.members[4].keys[1]: reuses the public key of $.members[4].keys[0]"]),
        ]

    /// A witness without a cosignature key, or a validator without a signing key, could never take
    /// part in the policy its role exists for.
    static let uselessRoles = [
        Case(
            desc: "a witness with a 0x01 key only", consortium: base.with { $0.members[4].keys = [Consortium.key("auditor-1.example", 5)] },
            wantErr: ["$.members[4].keys: a witness needs a cosignature (0x04) key"]),
        Case(
            desc: "a partner that is also a witness, without a 0x04 key", consortium: base.with { $0.members[2].roles.append("witness") },
            wantErr: ["$.members[2].keys: a witness needs a cosignature (0x04) key"]),
        Case(
            desc: "a witness that is also a validator, without a 0x01 key",
            consortium: base.with { $0.members[4].roles.append("validator") },
            wantErr: ["$.members[4].keys: a validator needs a note-signing (0x01) key"]),
    ]

    /// A policy that the genesis members can never meet.
    static let impossiblePolicies = [
        ("finality", "thresh(3, role(validator))", "can never be met"),
        ("finality", "all(role(validator), sig(bank-c.example))", "sig(bank-c.example) can never count"),
        ("finality", "sig(central.example)", "sig(central.example) can never count"),
        ("finality", "thresh(1, role(issuer))", "can never be met: only validators with a note-signing (0x01) key"),
        ("finality", "all(role(partner))", "can never be met"),
        ("witness", "thresh(2, role(witness))", "can never be met"),
        ("witness", "thresh(1, role(validator))", "can never be met: only witnesses with a cosignature (0x04) key"),
        ("witness", "sig(bank-a.example)", "sig(bank-a.example) can never count"),
        ("governance", "all(role(partner), sig(auditor-1.example))", "can never be met: only members with a note-signing (0x01) key"),
        ("governance", "thresh(5, role(partner), role(issuer))", "can never be met"),
        ("deposit", "all(payee, role(witness))", "can never be met"),
    ].map { name, text, want in
        Case(desc: "\(name): \(text)", consortium: base.policy(name, text), wantErr: ["$.policies.\(name): ", want])
    }

    @Test(arguments: unknownPolicies + sharedKeys + uselessRoles + impossiblePolicies)
    func genesisRefusesAmbiguousOrImpossibleConsortia(_ c: Case) {
        let error = #expect(throws: CairnError.self) { try Genesis(bytes: Array(c.consortium.json.utf8)) }
        for want in c.wantErr {
            #expect(error?.message.contains(want) == true, "\(error?.message ?? "accepted")")
        }
    }
}
