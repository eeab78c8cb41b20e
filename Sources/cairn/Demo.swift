import ArgumentParser
import CairnCore
import CairnLedger
import CairnStore
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a small consortium end to end: fund, co-sign, reject an overdraft, prove, verify.")

    @Option(help: "Keep everything in this directory (default: a temporary one).") var dir: String?
    @Option(help: "The demo genesis (default: Genesis/demo.json of this checkout).") var genesis: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let root = dir ?? NSTemporaryDirectory() + "cairn-demo-\(Hex.encode(randomBytes(4)))"
            if FileManager.default.fileExists(atPath: root + "/ledger") {
                throw CairnError(.usage, "\(root) already holds a demo ledger; give another --dir")
            }
            let genesisBytes = try readBytes(genesis ?? Demo.findDemoGenesis())
            let g = try Genesis(bytes: genesisBytes)
            var summary = JSONObject()
            // Built under a temporary name and renamed to `root` at the end: a failed demo leaves nothing.
            try buildDirectory(at: root) { staging in
                try FileManager.default.createDirectory(atPath: staging + "/keys", withIntermediateDirectories: true)
                try writeDurably(genesisBytes, to: staging + "/genesis.json", mode: 0o644)
                var keys: [String: SigningKey] = [:]
                for m in g.members {
                    let type = m.keys.first!.type
                    let key = try SigningKey(name: m.name, type: type, seed: Demo.seed(m.name))
                    guard m.keys.contains(key.verifierKey) else {
                        throw CairnError(.invalidGenesis, "\(m.name)'s key in the genesis is not the demo key for that name")
                    }
                    keys[m.name] = key
                    try writeSecret(key.encoded, to: staging + "/keys/\(m.name).key")
                }
                let say: (String) -> Void = { if !output.json { print($0) } }
                say("Cairn demo in \(root) (INSECURE demo keys from \(root)/keys)")
                let validator = g.members.first { $0.roles.contains(.validator) }!.name
                let ledger = try LedgerDirectory(staging + "/ledger").initialize(genesisBytes: genesisBytes, key: keys[validator]!)
                say("1. created the ledger \(g.origin); block 0 \(ledger.head.hash.hex.prefix(16))…")

                var clock = now()
                func notice(_ kind: String, _ fields: [(String, JSONValue)], by submitter: String, ttl: Int64 = 86_400) throws -> Envelope {
                    let body = JSONValue.object(
                        JSONObject(
                            [("kind", .string(kind)), ("submitter", .string(submitter))] + fields.map { (key: $0.0, value: $0.1) } + [
                                ("refs", .array([])), ("nonce", .string(Hex.encode(randomBytes(16)))),
                                ("createdAt", .string(clock.description)), ("expiresAt", .string(clock.adding(seconds: ttl).description)),
                            ]))
                    return Envelope(notice: try Notice(body: body))
                }
                func signed(_ e: Envelope, _ signers: String...) -> Envelope {
                    var e = e
                    for s in signers { e.sign(with: keys[s]!) }
                    return e
                }
                func seal(_ label: String, after seconds: Int64 = 1) throws -> SealResult {
                    clock = clock.adding(seconds: seconds)
                    let r = try ledger.seal(key: keys[validator]!, now: clock)!
                    say("\(label): block \(r.block.header.height) commits \(r.committed.count), rejects \(r.rejected.count)")
                    for x in r.rejected { say("   rejected \(x.id.prefix(16))… \(x.code): \(x.message)") }
                    return r
                }

                // Deposits by the issuer.
                let issuer = g.members(withRole: "issuer").first!
                for (to, amount, currency) in [
                    ("bank-a.example/eur", "1000.00", "EUR"), ("bank-b.example/eur", "500.00", "EUR"),
                    ("bank-c.example/eur", "250.00", "EUR"), ("bank-a.example/jpy", "150000", "JPY"),
                ] {
                    let e = signed(
                        try notice(
                            "deposit", [("to", .string(to)), ("amount", .string(amount)), ("currency", .string(currency))], by: issuer),
                        issuer)
                    _ = try ledger.submit(e, now: clock)
                }
                _ = try seal("2. the issuer funds four accounts")

                // A transfer co-signed by both partners at once.
                let t1 = signed(
                    try notice(
                        "transfer",
                        [
                            ("from", .string("bank-a.example/eur")), ("to", .string("bank-b.example/eur")),
                            ("amount", .string("125.50")), ("currency", .string("EUR")), ("reference", .string("demo-e2e-0001")),
                        ], by: "bank-a.example"),
                    "bank-a.example", "bank-b.example")
                say("3. bank-a pays bank-b 125.50 EUR, co-signed: \(try ledger.submit(t1, now: clock).status.rawValue)")

                // A transfer pending until the payee co-signs.
                let t2 = try notice(
                    "transfer",
                    [
                        ("from", .string("bank-b.example/eur")), ("to", .string("bank-c.example/eur")),
                        ("amount", .string("40.00")), ("currency", .string("EUR")),
                    ], by: "bank-b.example")
                let first = try ledger.submit(signed(t2, "bank-b.example"), now: clock)
                say("4. bank-b pays bank-c 40.00 EUR, signed by bank-b only: \(first.status.rawValue), waiting for \(first.missing ?? "")")
                let second = try ledger.submit(signed(t2, "bank-c.example"), now: clock)
                say("   bank-c adds its signature: \(second.status.rawValue)")

                // An overdraft is refused at once: bank-c has 250.00, 40.00 on the way, and no credit.
                let t3 = signed(
                    try notice(
                        "transfer",
                        [
                            ("from", .string("bank-c.example/eur")), ("to", .string("bank-a.example/eur")),
                            ("amount", .string("9999.00")), ("currency", .string("EUR")),
                        ], by: "bank-c.example"),
                    "bank-c.example", "bank-a.example")
                do {
                    _ = try ledger.submit(t3, now: clock)
                    throw CairnError(.invalidBlock, "the demo overdraft was accepted")
                } catch let e as CairnError where e.code == .overdraft {
                    say("5. bank-c tries to pay 9999.00 EUR it does not have: refused, \(e.code)")
                }

                // A payment that expires before the block is cut, and the onward payment it would have funded.
                let t4 = signed(
                    try notice(
                        "transfer",
                        [
                            ("from", .string("bank-a.example/eur")), ("to", .string("bank-c.example/eur")),
                            ("amount", .string("500.00")), ("currency", .string("EUR")),
                        ], by: "bank-a.example", ttl: 60),
                    "bank-a.example", "bank-c.example")
                _ = try ledger.submit(t4, now: clock)
                let t5 = signed(
                    try notice(
                        "transfer",
                        [
                            ("from", .string("bank-c.example/eur")), ("to", .string("bank-b.example/eur")),
                            ("amount", .string("600.00")), ("currency", .string("EUR")),
                        ], by: "bank-c.example"),
                    "bank-c.example", "bank-b.example")
                _ = try ledger.submit(t5, now: clock)
                say("6. bank-a sends bank-c 500.00 EUR valid for one minute; bank-c passes 600.00 EUR on to bank-b")
                let block = try seal("7. two minutes later the validator seals", after: 120)

                for a in ledger.state.accounts {
                    let digits = g.minorDigits(a.currency) ?? 0
                    say("   \(a.id): \(Amount.format(ledger.state.balance(a.id)!, minorDigits: digits)) \(a.currency)")
                }
                say("8. the checkpoint after block \(block.block.header.height):")
                say(
                    block.block.checkpoint.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 }.joined(
                        separator: "\n"))
                let proof = try ledger.inclusionProof(id: t1.notice.id)
                let proofName = "/transfer-\(t1.notice.id.prefix(12)).tlog-proof"
                let proofPath = root + proofName
                try writeDurably(Array(proof.encoded.utf8), to: staging + proofName, mode: 0o644)
                let proven = try ProofVerifier.verify(try TlogProof.parseMany(proof.encoded), genesis: g).get()
                say("9. wrote \(proofPath)")
                say(
                    "   verified offline from genesis alone: leaf \(proven.index) of \(proven.checkpoint.size), signed by \(proven.envelope.signatures.map(\.signer).joined(separator: ", "))"
                )
                let report = try ChainVerifier(store: ledger.store).verify().get()
                say("10. cairn verify: \(report.blocks) blocks, \(report.leaves) notices, \(report.signatures) signatures ok")
                say("\nTry: cairn status --data \(root)/ledger")
                say("     cairn verify-proof --genesis \(root)/genesis.json \(proofPath)")
                summary = JSONObject([
                    ("dir", .string(root)), ("ledger", .string(root + "/ledger")), ("proof", .string(proofPath)),
                    ("height", .int(ledger.head.header.height)), ("logSize", .int(ledger.head.header.logSize)),
                    ("rejected", .array(block.rejected.map { .string($0.code) })),
                ])
            }
            if output.json { printJSON(summary) }
        }
    }

    /// The public seed of a demo key: SHA-256("cairn demo key (INSECURE): " + name).
    static func seed(_ name: String) -> [UInt8] {
        Hash.sha256(Array("cairn demo key (INSECURE): \(name)".utf8)).bytes
    }

    /// `Genesis/demo.json` in the current directory or in the checkout this binary was built in.
    static func findDemoGenesis() throws -> String {
        var candidates = [FileManager.default.currentDirectoryPath + "/Genesis/demo.json"]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.path + "/Genesis/demo.json")
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CairnError(.notFound, "couldn't find Genesis/demo.json; run from the checkout or give --genesis")
        }
        return found
    }
}
