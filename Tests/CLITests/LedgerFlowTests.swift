import CairnCore
import Foundation
import Testing

/// What partners and auditors do, through the command line.
@Suite(.serialized) struct LedgerFlowTests {
    @Test func keygenWritesAPrivateFileAndPrintsTheVkey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keygen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try cairn("keygen", "--name", "bank-z.example", "--out", dir.path + "/z.key", "--json")
        #expect(r.status == 0, "\(r)")
        let vkey = try VerifierKey(parsing: r.json["vkey"]!.stringValue!)
        #expect(vkey.name == "bank-z.example" && vkey.type == .ed25519)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir.path + "/z.key")
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOfFile: dir.path + "/z.key", encoding: .utf8)
        #expect(text.hasPrefix("PRIVATE+KEY+bank-z.example+\(vkey.keyIDHex)+"))
        let w = try cairn("keygen", "--name", "auditor.example", "--out", dir.path + "/w.key", "--witness")
        #expect(try VerifierKey(parsing: w.out.trimmingCharacters(in: .newlines)).type == .cosignature)
        // An existing key file is never overwritten.
        let again = try cairn("keygen", "--name", "bank-z.example", "--out", dir.path + "/z.key")
        #expect(again.status == 1 && again.err.hasPrefix("cairn: storage: couldn't create"))
    }

    @Test func partnersSettleAndAnAuditorChecksTheProofOffline() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "1000.00"), ("bank-c.example/eur", "10.00")])
        // bank-a pays bank-b; both co-sign.
        let t = try c.transfer("bank-a.example/eur", "bank-b.example/eur", "250.25", "--reference", "E2E-42")
        let r = try c.submit(try c.sign(t, by: "bank-a.example", "bank-b.example"))
        #expect(r.status == 0 && r.json["status"]?.stringValue == "complete", "\(r)")
        let id = r.json["id"]!.stringValue!
        let sealed = try c.seal()
        #expect(sealed.json["committed"]?.arrayValue == [.string(id)], "\(sealed)")
        #expect(sealed.json["height"]?.int64Value == 2)

        let show = try cairn("show", "--data", c.data, id, "--json")
        #expect(show.json["status"]?.stringValue == "committed")
        #expect(show.json["height"]?.int64Value == 2 && show.json["leafIndex"]?.int64Value == 2)
        let block = try cairn("show", "--data", c.data, "2", "--json").json
        for field in [
            "height", "prev", "time", "logSize", "logRoot", "firstLeaf", "count", "stateRoot", "stateSize", "proposer", "rejected", "hash",
        ] {
            #expect(block[field] != nil, "block JSON lacks \(field)")
        }
        #expect(block["logSize"]?.int64Value == 3)
        let balance = try cairn("balance", "--data", c.data, "bank-b.example/eur", "--json")
        #expect(balance.json["balance"]?.stringValue == "250.25")
        let before = try cairn("balance", "--data", c.data, "bank-b.example/eur", "--height", "1", "--json")
        #expect(before.json["balance"]?.stringValue == "0.00")
        #expect(try cairn("status", "--data", c.data, "--json").json["logSize"]?.int64Value == 3)

        // The auditor takes one proof file and the genesis file, and nothing else.
        let proof = c.dir.appendingPathComponent("t.tlog-proof").path
        let p = try cairn("prove", "--data", c.data, id)
        #expect(p.status == 0 && p.out.hasPrefix("c2sp.org/tlog-proof@v1\nextra "), "\(p)")
        try p.out.write(toFile: proof, atomically: true, encoding: .utf8)
        let v = try cairn("verify-proof", "--genesis", c.genesisPath, proof, "--json")
        #expect(v.status == 0 && v.json["id"]?.stringValue == id, "\(v)")
        // ...and checks it with code Cairn did not write.
        let py = try pythonAudit(["proof", "--genesis", c.genesisPath, proof])
        #expect(py.status == 0, "the independent Python verifier refused Cairn's proof: \(py)")
        #expect(py.out.contains(id))
        let ok = try c.verify()
        #expect(ok.status == 0 && ok.out.hasPrefix("ok: 3 blocks, 3 notices"), "\(ok)")

        // A tampered proof is refused by both.
        var bad = p.out
        let range = bad.range(of: "index 2\n")!
        bad.replaceSubrange(range, with: "index 1\n")
        try bad.write(toFile: proof, atomically: true, encoding: .utf8)
        #expect(try cairn("verify-proof", "--genesis", c.genesisPath, proof).status == 1)
        #expect(try pythonAudit(["proof", "--genesis", c.genesisPath, proof]).status == 1)
    }

    /// `submit --seal` loads a batch in one step: complete notices are committed at once, in
    /// blocks of at most --max, a half-signed one waits in the pool, an overdraft is refused and
    /// recorded nowhere, and the ledger verifies.
    @Test func submitWithSealCommitsAtOnce() throws {
        let c = try Consortium()
        let deposits = try c.signedDeposits(3)
        let body = try c.transfer("bank-a.example/eur", "bank-c.example/eur", "1.00")
        let half = try c.sign(body, by: "bank-a.example")
        let over = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "900.00"), by: "bank-a.example", "bank-b.example")
        let r = try cairn(["submit", "--data", c.data, "--seal", "--max", "2"] + deposits + [half, over])
        #expect(r.status == 1, "the overdraft makes the exit status 1: \(r)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(r)")
        #expect(lines[0].hasSuffix(" committed at height 1") && lines[1].hasSuffix(" committed at height 1"), "\(r)")
        #expect(lines[2].hasSuffix(" committed at height 2"), "\(r)")
        #expect(lines[3].hasSuffix(" pending") && lines[4] == "waiting for all(sig(bank-c.example))", "\(r)")
        #expect(r.err.contains("cairn: overdraft: ") && r.err.contains("beyond its credit limit"), "\(r)")
        let id = String(lines[2].prefix(64))
        let shown = try cairn("show", "--data", c.data, id, "--json").json
        #expect(shown["status"]?.stringValue == "committed" && shown["height"]?.int64Value == 2 && shown["leafIndex"]?.int64Value == 2)
        #expect(try cairn("status", "--data", c.data, "--json").json["height"]?.int64Value == 2)
        // The half-signed notice completes through the pool, and --seal commits it; JSON names its place.
        let rest = try cairn("submit", "--data", c.data, "--seal", try c.sign(body, by: "bank-c.example"), "--json")
        #expect(rest.status == 0 && rest.json["status"]?.stringValue == "committed", "\(rest)")
        #expect(rest.json["height"]?.int64Value == 3 && rest.json["leafIndex"]?.int64Value == 3, "\(rest)")
        let again = try cairn("submit", "--data", c.data, "--seal", deposits[0], "--json")
        #expect(again.status == 1 && again.json["status"]?.stringValue == "committed" && again.err.contains("duplicate_notice"), "\(again)")
        let ok = try c.verify()
        #expect(ok.status == 0 && ok.out.hasPrefix("ok: 4 blocks, 4 notices"), "\(ok)")
        let remote = try cairn("submit", "--node", "https://127.0.0.1:1", "--seal", deposits[0])
        #expect(remote.status != 0 && remote.err.contains("--seal needs --data"), "\(remote)")
        let maxAlone = try cairn("submit", "--data", c.data, "--max", "2", deposits[0])
        #expect(maxAlone.status != 0 && maxAlone.err.contains("--max needs --seal"), "\(maxAlone)")
    }

    @Test func coSignaturesMergeWhilePending() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00")])
        let t = try c.transfer("bank-a.example/eur", "bank-c.example/eur", "10.00")
        let first = try c.submit(try c.sign(t, by: "bank-a.example"))
        #expect(first.json["status"]?.stringValue == "pending")
        #expect(first.json["missing"]?.stringValue == "all(sig(bank-c.example))")
        let id = first.json["id"]!.stringValue!
        #expect(try cairn("show", "--data", c.data, id, "--json").json["status"]?.stringValue == "pending")
        // Nothing to seal yet.
        let none = try c.seal()
        #expect(none.status == 0 && none.json["sealed"] == .bool(false))
        // bank-c signs the bare body on its own machine and submits only its signature.
        let second = try c.submit(try c.sign(t, by: "bank-c.example"))
        #expect(second.json["status"]?.stringValue == "complete" && second.json["id"]?.stringValue == id, "\(second)")
        #expect(try c.seal().json["committed"]?.arrayValue == [.string(id)])
        let leaf = try cairn("show", "--data", c.data, id, "--json").json["envelope"]!.objectValue!
        #expect(
            leaf["signatures"]?.arrayValue?.compactMap { $0.objectValue?["signer"]?.stringValue } == ["bank-a.example", "bank-c.example"])

        // A notice still waiting for a signature when it expires leaves the pool as rejected.
        let lonely = try c.submit(try c.sign(try c.transfer("bank-a.example/eur", "bank-c.example/eur", "1.00"), by: "bank-a.example"))
        let lonelyID = lonely.json["id"]!.stringValue!
        let later = try cairn("seal", "--data", c.data, "--json", env: ["CAIRN_NOW": "2099-01-01T00:00:00Z"])
        #expect(later.json["rejected"]?.arrayValue?.first?.objectValue?["code"]?.stringValue == "expired", "\(later)")
        let gone = try cairn("show", "--data", c.data, lonelyID, "--json").json
        #expect(gone["status"]?.stringValue == "rejected" && gone["code"]?.stringValue == "expired")
        #expect(try c.verify().status == 0)
    }

    @Test func replaysAreRefusedAndChangeNothing() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "100.00")])
        let env = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "1.00"), by: "bank-a.example", "bank-b.example")
        #expect(try c.submit(env).status == 0)
        #expect(try c.seal().status == 0)
        let checkpoint = try c.checkpoint()
        let replay = try c.submit(env)
        #expect(replay.status == 1)
        #expect(replay.json["status"]?.stringValue == "committed")
        #expect(replay.json["error"]?.objectValue?["code"]?.stringValue == "duplicate_notice")
        #expect(try c.checkpoint() == checkpoint)
        #expect(try c.seal().json["sealed"] == .bool(false))
    }

    @Test func failsClosed() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("nowhere-\(UUID().uuidString)").path
        let r = try cairn("status", "--data", missing)
        #expect(r.status == 1 && r.err.contains("does not exist (only `cairn init` creates one)"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        let c = try Consortium()
        let again = try cairn("init", "--genesis", c.genesisPath, "--data", c.data, "--key", c.key("bank-a.example"))
        #expect(again.status == 1 && again.err.contains("already holds a ledger"), "\(again)")
        // A key that is not a validator's cannot init.
        let other = c.dir.appendingPathComponent("other").path
        let notValidator = try cairn("init", "--genesis", c.genesisPath, "--data", other, "--key", c.key("bank-b.example"))
        #expect(notValidator.status == 1 && notValidator.err.contains("is not a validator key in genesis"), "\(notValidator)")
        // A genesis error names the JSON path.
        let bad = try c.file(
            try String(contentsOfFile: c.genesisPath, encoding: .utf8).replacingOccurrences(of: "\"JPY\"}]", with: "\"XXX\"}]"))
        let g = try cairn("init", "--genesis", bad, "--data", other, "--key", c.key("bank-a.example"))
        #expect(g.status == 1 && g.err.contains("$.members[0].accounts[1].currency: unknown currency XXX"), "\(g)")
        // The data directory's genesis must be the one its ledger commits to.
        let foreign = try Consortium()
        try FileManager.default.removeItem(atPath: c.data + "/genesis.json")
        try FileManager.default.copyItem(atPath: foreign.genesisPath, toPath: c.data + "/genesis.json")
        let swapped = try cairn("status", "--data", c.data)
        #expect(swapped.status == 1 && swapped.err.contains("belongs to another genesis"), "\(swapped)")
    }

    @Test func demoRunsAndLeavesAVerifiableLedger() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runProcess(cairnBinary, ["demo", "--dir", dir, "--json"], cwd: repoRoot)
        #expect(r.status == 0, "\(r)")
        let proof = r.json["proof"]!.stringValue!
        #expect(FileManager.default.fileExists(atPath: dir + "/keys/bank-a.example.key"))
        #expect(r.json["rejected"]?.arrayValue == [.string("expired"), .string("overdraft")])
        #expect(try cairn("verify", "--data", dir + "/ledger").status == 0)
        #expect(try cairn("verify-proof", "--genesis", dir + "/genesis.json", proof).status == 0)
        #expect(try pythonAudit(["proof", "--genesis", dir + "/genesis.json", proof]).status == 0)
    }
}
