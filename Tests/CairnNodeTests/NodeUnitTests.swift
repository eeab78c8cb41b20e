import CairnCore
import CairnLedger
import CairnStore
import Foundation
import Testing

@testable import CairnNode

/// A one-validator ledger in a temporary directory, and a witness key, both from fixed seeds.
struct Fixture {
    let dir: String
    let validator: SigningKey
    let witnessKey: SigningKey
    let genesisBytes: [UInt8]

    init() throws {
        dir = NSTemporaryDirectory() + "cairn-node-\(UUID().uuidString.prefix(8))"
        validator = try SigningKey(name: "val.example", seed: Array(repeating: 1, count: 32))
        witnessKey = try SigningKey(name: "wit.example", type: .cosignature, seed: Array(repeating: 2, count: 32))
        let genesis = """
            {"cairn": 1, "origin": "node-test.example/log", "time": "2026-01-01T00:00:00Z",
             "currencies": {"EUR": {"minorDigits": 2}},
             "members": [
               {"name": "val.example", "roles": ["partner", "validator", "issuer"], "keys": ["\(validator.verifierKey)"],
                "accounts": [{"id": "val.example/eur", "currency": "EUR"}]},
               {"name": "wit.example", "roles": ["witness", "auditor"], "keys": ["\(witnessKey.verifierKey)"]}],
             "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)", "finality": "thresh(1, role(validator))",
                          "witness": "thresh(1, role(witness))", "governance": "thresh(1, role(partner))"}}
            """
        genesisBytes = Array(genesis.utf8)
    }

    /// A ledger at `name` with one block per amount, each a deposit of that many cents.
    func ledger(_ name: String, deposits: [Int]) throws -> Ledger {
        let ledger = try LedgerDirectory(dir + "/" + name).initialize(genesisBytes: genesisBytes, key: validator)
        for (i, cents) in deposits.enumerated() {
            let body = """
                {"kind": "deposit", "submitter": "val.example", "to": "val.example/eur", "amount": "\(cents / 100).\(String(format: "%02d", cents % 100))",
                 "currency": "EUR", "refs": [], "nonce": "\(name)-\(i)", "createdAt": "2026-01-02T00:00:00Z", "expiresAt": "2026-01-03T00:00:00Z"}
                """
            var e = try Envelope(parsing: Array(body.utf8))
            e.sign(with: validator)
            let now = Timestamp(rfc3339: "2026-01-02T00:00:01Z")!
            _ = try ledger.submit(e, now: now)
            _ = try ledger.seal(key: validator, now: now)
        }
        return ledger
    }

    var genesis: Genesis { get throws { try Genesis(bytes: genesisBytes) } }
}

@Suite struct RouteDocumentationTests {
    /// Every route the server registers is described in docs/openapi.yaml, and every path there is served.
    @Test func everyRouteIsInTheOpenAPIDocument() throws {
        let f = try Fixture()
        _ = try f.ledger("ledger", deposits: [])
        let node = try Node(config: NodeConfig(dataDir: f.dir + "/ledger", clock: { Timestamp(seconds: 0) }))
        let served = Set(
            node.makeRouter().routes.map { r in
                "\(r.method.rawValue) "
                    + "\(r.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .reduce("") { $0 + "/" + $1 }
            })
        #expect(served.count >= 13)
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        let yaml = try String(contentsOf: url.deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        // Paths are the two-space-indented keys under `paths:`, methods the four-space ones below them.
        var documented = Set<String>()
        var path: String?
        var inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
            } else if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if inPaths, let p = path, let m = ["get", "post", "put", "delete"].first(where: { line == "    \($0):" }) {
                documented.insert("\(m.uppercased()) \(p)")
            } else if !line.hasPrefix(" "), !line.isEmpty {
                inPaths = false
            }
        }
        #expect(served.subtracting(documented).isEmpty, "routes missing from docs/openapi.yaml: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }
}

@Suite struct WitnessTests {
    func body(old: UInt64, _ ledger: Ledger) throws -> String {
        if old == 0 { return "old 0\n\n" + ledger.head.checkpoint }
        return try ledger.consistencyProof(from: old).encoded
    }

    @Test func cosignsConsistentCheckpointsAndRefusesTheRest() throws {
        let f = try Fixture()
        let main = try f.ledger("main", deposits: [100, 200, 300])
        let fork = try f.ledger("fork", deposits: [100, 999])
        let wdir = f.dir + "/witness"
        let w = try Witness(genesis: try f.genesis, key: f.witnessKey, dataDir: wdir, clock: { Timestamp(seconds: 1_800_000_000) })

        // Malformed requests, another log, an unsigned checkpoint, an old size above the new one.
        #expect(w.addCheckpoint("nonsense").status == 400)
        #expect(w.addCheckpoint("old x\n\n" + main.head.checkpoint).status == 400)
        #expect(w.addCheckpoint("old 0\nnot-base64\n\n" + main.head.checkpoint).status == 400)
        let foreign = main.head.checkpoint.replacingOccurrences(of: "node-test.example/log", with: "other.example/log")
        #expect(w.addCheckpoint("old 0\n\n" + foreign).status == 404)
        let forged = main.head.checkpoint.replacingOccurrences(of: "\n3\n", with: "\n4\n")
        #expect(w.addCheckpoint("old 0\n\n" + forged).status == 403)
        #expect(w.addCheckpoint("old 9\n\n" + main.head.checkpoint).status == 400)

        // The first checkpoint, then a consistent one: cosigned, each with a line that verifies.
        let first = w.addCheckpoint("old 0\n\n" + (try main.store.block(at: 1)!.checkpoint))
        #expect(first.status == 200, "\(first)")
        let ok = w.addCheckpoint(try body(old: 1, main))
        #expect(ok.status == 200, "\(ok)")
        var note = try SignedNote(parsing: main.head.checkpoint)
        note.signatures = try SignedNote(parsing: "x\n\n" + ok.body).signatures
        #expect(note.verify(keys: [f.witnessKey.verifierKey]).verified == [f.witnessKey.verifierKey])
        #expect(w.size == 3)

        // A stale old size gets 409 with the size the witness holds; a fork gets 422.
        let stale = w.addCheckpoint(try body(old: 1, main))
        #expect(stale == Witness.Answer(status: 409, contentType: "text/x.tlog.size", body: "3\n"))
        let forked = w.addCheckpoint("old 3\n\n" + fork.head.checkpoint)
        #expect(forked.status == 400, "a smaller tree: old above its size")
        let sameSize = try f.ledger("fork3", deposits: [100, 200, 301])
        #expect(w.addCheckpoint("old 3\n\n" + sameSize.head.checkpoint).status == 422)

        // The state survives a restart.
        let again = try Witness(genesis: try f.genesis, key: f.witnessKey, dataDir: wdir, clock: { Timestamp(seconds: 0) })
        #expect(again.size == 3)
        #expect(again.addCheckpoint("old 0\n\n" + main.head.checkpoint).status == 409)
    }

    @Test func refusesAKeyThatIsNotAWitnessKeyInGenesis() throws {
        let f = try Fixture()
        #expect(throws: CairnError.self) {
            try Witness(genesis: try f.genesis, key: f.validator, dataDir: f.dir + "/w", clock: { Timestamp(seconds: 0) })
        }
    }
}

@Suite struct RateLimitTests {
    @Test func rateLimiterAllowsABurstThenRefuses() {
        let limiter = RateLimiter(perSecond: 5)
        let allowed = (0..<20).filter { _ in limiter.allow("a") }.count
        #expect(allowed == 10)
        #expect(limiter.allow("b"), "each client has its own bucket")
    }
}

@Suite struct WitnessAnswerTests {
    /// A witness's answer is read as Go's `note.Open` reads a note: a line by one of its keys that
    /// does not verify refuses the answer, even beside a good line; lines by other keys are ignored.
    @Test func aBadCosignatureRefusesTheAnswer() throws {
        let f = try Fixture()
        let ledger = try f.ledger("main", deposits: [100])
        let store = try SQLiteStore.open(path: f.dir + "/main/ledger.sqlite")
        let pusher = WitnessPusher(store: store, genesis: try f.genesis, tls: nil, metrics: NodeMetrics(), halt: SealingHalt())
        let target = WitnessPusher.Target(name: "wit.example", url: "http://127.0.0.1:1", keys: [f.witnessKey.verifierKey])
        let block = ledger.head
        var note = try SignedNote(parsing: block.checkpoint)
        note.signatures = []
        note.cosign(with: f.witnessKey, timestamp: 1_800_000_000)
        let good = note.signatures[0]
        var bad = good
        bad.blob[bad.blob.count - 1] ^= 1
        var stale = good
        stale.blob[11] ^= 1  // the timestamp, which the signature covers
        let other = try SigningKey(name: "wit.example", type: .cosignature, seed: Array(repeating: 9, count: 32))
        var foreign = note
        foreign.signatures = []
        foreign.cosign(with: other, timestamp: 1_800_000_000)
        for (lines, accepted) in [
            ([good], true), ([good, bad], false), ([bad, good], false), ([stale, good], false), ([bad], false),
            ([foreign.signatures[0], good], true), ([foreign.signatures[0]], false), ([good, good], false),
        ] {
            let body = lines.map(\.line).joined()
            let before = try store.cosignatures(height: block.header.height)
            let result = Result { try pusher.accept(body, from: target, block: block) }
            let after = try store.cosignatures(height: block.header.height)
            if accepted {
                #expect((try? result.get()) != nil && after == [good.line], "refused: \(body)")
            } else {
                #expect((try? result.get()) == nil && after == before, "accepted: \(body)")
            }
        }
    }
}
