import CairnCore
import Foundation
import Testing

/// `cairn import`: a pacs.008 credit transfer becomes transfer bodies that partners sign as usual.
@Suite(.serialized) struct ImportCLITests {
    let sample = repoRoot.appendingPathComponent("Tests/CairnExportTests/Resources/pacs008-two-transfers.xml").path

    static let uetr = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"

    /// The sample with its dates moved to today (UTC), so that its notices (settlement day plus the
    /// default 48 hours) can still settle; `edit` changes it further.
    func dated(_ c: Consortium, _ edit: (String) -> String = { $0 }) throws -> String {
        let today = String(Timestamp(seconds: Int64(Date().timeIntervalSince1970)).description.prefix(10))
        let xml = try String(contentsOfFile: sample, encoding: .utf8)
            .replacingOccurrences(of: "2025-03-14T09:30:00Z", with: today + "T00:00:00Z")
            .replacingOccurrences(of: "2025-03-14", with: today)
        let path = c.dir.appendingPathComponent("pacs008-\(UUID().uuidString.prefix(8)).xml").path
        try edit(xml).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func importing(_ c: Consortium, _ file: String, _ extra: String...) throws -> CLIResult {
        try cairn(["import", "--format", "pacs.008", "--genesis", c.genesisPath, "--map", try map(c)] + extra + [file])
    }

    /// Signs each body by both partners and submits them together, sealing at once.
    func settle(_ c: Consortium, _ bodies: [String]) throws -> CLIResult {
        let envelopes = try bodies.map { try c.sign(try c.file($0), by: "bank-a.example", "bank-b.example") }
        return try cairn(["submit", "--data", c.data, "--seal", "--json"] + envelopes)
    }

    func balance(_ c: Consortium, _ account: String) throws -> String {
        try cairn("balance", "--data", c.data, account, "--json").json["balance"]?.stringValue ?? "?"
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    func map(_ c: Consortium) throws -> String {
        try c.file(
            """
            {"accounts": {"DE89370400440532013000": "bank-a.example/eur", "ACC-B-EUR": "bank-b.example/eur"},
             "agents": {"BANKDEFFXXX": "bank-a.example", "BANKJPJTXXX": "bank-b.example"}}
            """)
    }

    @Test func creditTransfersBecomeSignableNotices() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00"), ("bank-a.example/jpy", "9000")])
        let r = try importing(c, try dated(c))
        #expect(r.status == 0, "\(r)")
        let bodies = r.out.split(separator: "\n").map { try! JSON.parse(Array($0.utf8)).objectValue! }
        #expect(bodies.count == 2)
        #expect(bodies[0]["from"]?.stringValue == "bank-a.example/eur" && bodies[0]["to"]?.stringValue == "bank-b.example/eur")
        #expect(
            bodies[0]["amount"]?.stringValue == "125.50" && bodies[0]["reference"]?.stringValue == Self.uetr + "/E2E-0001")
        // The JPY leg reaches bank-b through its agent's BIC, to bank-b's JPY account.
        #expect(bodies[1]["to"]?.stringValue == "bank-b.example/jpy" && bodies[1]["amount"]?.stringValue == "5000")
        for line in r.out.split(separator: "\n") {
            let env = try c.sign(try c.file(String(line)), by: "bank-a.example", "bank-b.example")
            #expect(try c.submit(env).json["status"]?.stringValue == "complete")
        }
        #expect(try c.seal().json["committed"]?.arrayValue?.count == 2)
        #expect(try cairn("balance", "--data", c.data, "bank-b.example/jpy", "--json").json["balance"]?.stringValue == "5000")
    }

    @Test func badDocumentsAreRefusedWithTheirPathAndNothingIsWritten() throws {
        let c = try Consortium()
        let out = c.dir.appendingPathComponent("imported").path
        let xml = try String(contentsOfFile: sample, encoding: .utf8)
        // A mandatory element removed: the schema names where.
        let broken = try c.file(xml.replacingOccurrences(of: "<EndToEndId>E2E-0002</EndToEndId>", with: ""))
        let r1 = try cairn("import", "--format", "pacs.008", "--genesis", c.genesisPath, "--map", try map(c), "--out-dir", out, broken)
        #expect(r1.status == 1 && r1.err.contains("/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]"), "\(r1)")
        // An account the table does not know, and no agent to fall back on.
        let unknown = try c.file("{\"accounts\": {\"DE89370400440532013000\": \"bank-a.example/eur\"}}")
        let r2 = try cairn("import", "--format", "pacs.008", "--genesis", c.genesisPath, "--map", unknown, "--out-dir", out, sample)
        #expect(r2.status == 1 && r2.err.contains("CdtTrfTxInf[1]"), "\(r2)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written")
    }

    /// The issue's case: the same pacs.008 imported twice gives the same notice ids, and nothing
    /// settles twice.
    @Test func theSamePacs008ImportedTwiceSettlesOnce() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00"), ("bank-a.example/jpy", "9000")])
        let file = try dated(c)
        let first = try importing(c, file, "--data", c.data)
        #expect(first.status == 0, "\(first)")
        #expect(first.err.contains("2 new, 0 already on the ledger; wrote 2 transfer bodies"), "\(first)")
        let bodies = lines(first.out)
        #expect(bodies.count == 2)
        let ids = try importing(c, file, "--json").json["payments"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? []
        #expect(ids.count == 2)
        let settled = try settle(c, bodies)
        #expect(settled.status == 0, "\(settled)")
        #expect(lines(settled.out).compactMap { try? JSON.parse(Array($0.utf8)).objectValue?["id"]?.stringValue } == ids)
        #expect(try balance(c, "bank-b.example/eur") == "125.50")
        #expect(try balance(c, "bank-b.example/jpy") == "5000")

        // Again, asking the ledger: the same ids, each already committed, nothing written.
        let again = try importing(c, file, "--data", c.data)
        #expect(again.status == 0 && again.out.isEmpty, "\(again)")
        for id in ids {
            #expect(again.err.contains("notice \(id) is already on the ledger, committed at height 2; not written"), "\(again)")
        }
        #expect(again.err.contains("0 new, 2 already on the ledger; nothing written"), "\(again)")
        let json = try importing(c, file, "--data", c.data, "--json")
        let payments = json.json["payments"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(payments.map { $0["id"]?.stringValue } == ids && payments.allSatisfy { $0["status"]?.stringValue == "committed" })
        #expect(json.json["written"]?.int64Value == 0 && json.json["onLedger"]?.int64Value == 2, "\(json)")

        // Without asking, the same bodies byte for byte; the ledger refuses them as duplicates.
        let blind = try importing(c, file)
        #expect(blind.status == 0 && lines(blind.out) == bodies, "\(blind)")
        let resubmitted = try settle(c, lines(blind.out))
        #expect(resubmitted.status == 1, "\(resubmitted)")
        #expect(lines(resubmitted.out).allSatisfy { $0.contains("\"code\":\"duplicate_notice\"") }, "\(resubmitted)")
        #expect(try c.seal().json["sealed"] == .bool(false))
        #expect(try balance(c, "bank-b.example/eur") == "125.50")
        #expect(try balance(c, "bank-b.example/jpy") == "5000")
        #expect(try balance(c, "bank-a.example/eur") == "374.50")
        #expect(try balance(c, "bank-a.example/jpy") == "4000")
    }

    @Test func aPaymentWithoutUETRImportedTwiceSettlesOnce() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00")])
        // The EUR payment without its UETR: it is known by its EndToEndId and bank-a's BIC.
        let file = try dated(c) { xml in
            let text = xml.replacingOccurrences(of: "\n        <UETR>\(Self.uetr)</UETR>", with: "")
            return text.replacingOccurrences(
                of: text[
                    text.range(of: "    <CdtTrfTxInf>\n      <PmtId>\n        <EndToEndId>E2E-0002")!
                        .lowerBound..<text.range(of: "  </FIToFICstmrCdtTrf>")!.lowerBound], with: "")
        }
        let first = try importing(c, file, "--json")
        let payment = try #require(first.json["payments"]?.arrayValue?.first?.objectValue, "\(first)")
        #expect(
            payment["payment"]?.stringValue == "EndToEndId E2E-0001 of BICFI:BANKDEFFXXX" && payment["status"]?.stringValue == "unchecked")
        let body = try #require(payment["body"]?.objectValue)
        #expect(body["reference"]?.stringValue == "E2E-0001")
        #expect(try settle(c, [String(decoding: JSON.canonical(.object(body)), as: UTF8.self)]).status == 0)
        let again = try importing(c, file, "--data", c.data, "--json")
        let known = try #require(again.json["payments"]?.arrayValue?.first?.objectValue, "\(again)")
        #expect(known["id"] == payment["id"] && known["status"]?.stringValue == "committed" && known["height"]?.int64Value == 2)
        #expect(try settle(c, lines(try importing(c, file).out)).status == 1)
        #expect(try balance(c, "bank-b.example/eur") == "125.50")
    }

    /// A second message that repeats one payment of the first and adds another, and a payment of the
    /// first that is still waiting for a signature.
    @Test func aPartiallyOverlappingImportWritesOnlyWhatIsNew() throws {
        let c = try Consortium()
        try c.fund([("bank-a.example/eur", "500.00"), ("bank-a.example/jpy", "9000")])
        let onlyEUR: (String) -> String = { xml in
            xml.replacingOccurrences(
                of: xml[
                    xml.range(of: "    <CdtTrfTxInf>\n      <PmtId>\n        <EndToEndId>E2E-0002")!
                        .lowerBound..<xml.range(of: "  </FIToFICstmrCdtTrf>")!.lowerBound],
                with: "")
        }
        let first = try importing(c, try dated(c, onlyEUR), "--data", c.data)
        #expect(first.status == 0 && lines(first.out).count == 1, "\(first)")
        // bank-a signs; bank-b has not yet.
        let pending = try c.submit(try c.sign(try c.file(first.out), by: "bank-a.example"))
        #expect(pending.json["status"]?.stringValue == "pending", "\(pending)")
        let resent = try dated(c) { $0.replacingOccurrences(of: "PACS8-2025-0001", with: "PACS8-2025-0002") }
        let out = c.dir.appendingPathComponent("bodies").path
        let second = try importing(c, resent, "--data", c.data, "--out-dir", out)
        #expect(second.status == 0 && second.out.isEmpty, "\(second)")
        #expect(
            second.err.contains(
                "CdtTrfTxInf[1] (UETR \(Self.uetr)): notice \(pending.json["id"]!.stringValue!) is already on the ledger, pending"),
            "\(second)")
        #expect(second.err.contains("CdtTrfTxInf[2] (EndToEndId E2E-0002 of BICFI:BANKDEFFXXX): notice ") && second.err.contains(" new"))
        #expect(second.err.contains("1 new, 1 already on the ledger; wrote 1 transfer body to \(out)"), "\(second)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["2.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: c.dir.path).allSatisfy { !$0.hasSuffix(".tmp") })
        // bank-b co-signs the pending one; the new one settles; each payment once.
        #expect(try cairn("cosign", "--data", c.data, "--key", c.key("bank-b.example"), pending.json["id"]!.stringValue!).status == 0)
        #expect(try settle(c, [try String(contentsOfFile: out + "/2.json", encoding: .utf8)]).status == 0)
        #expect(try balance(c, "bank-b.example/eur") == "125.50")
        #expect(try balance(c, "bank-b.example/jpy") == "5000")
        // Everything is on the ledger now: nothing to write, and the directory is not made.
        let third = try importing(c, resent, "--data", c.data, "--out-dir", out + "-again")
        #expect(third.status == 0 && third.err.contains("0 new, 2 already on the ledger; nothing written"), "\(third)")
        #expect(!FileManager.default.fileExists(atPath: out + "-again"))
        // An --out-dir with something in it is refused, and left as it was.
        let busy = try importing(c, try dated(c), "--out-dir", out)
        #expect(busy.status == 1 && busy.err.contains("exists and is not empty"), "\(busy)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["2.json"])
    }

    @Test func aPaymentPastItsWindowIsRefused() throws {
        let c = try Consortium()
        // The sample settled on 2025-03-14: its 48 hours are long over.
        let r = try importing(c, sample)
        #expect(r.status == 1 && r.err.hasPrefix("cairn: expired: "), "\(r)")
        #expect(r.err.contains("CdtTrfTxInf[1]") && r.err.contains("IntrBkSttlmDt 2025-03-14T00:00:00Z + --expires 48h"), "\(r)")
        #expect(r.err.contains("give --data or --node to check"), "\(r)")
        #expect(r.out.isEmpty)
    }
}
