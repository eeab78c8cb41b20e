import CairnCore
import Foundation
import Testing

/// `cairn import`: a pacs.008 credit transfer becomes transfer bodies that partners sign as usual.
@Suite(.serialized) struct ImportCLITests {
    let sample = repoRoot.appendingPathComponent("Tests/CairnExportTests/Resources/pacs008-two-transfers.xml").path

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
        let r = try cairn("import", "--format", "pacs.008", "--genesis", c.genesisPath, "--map", try map(c), sample)
        #expect(r.status == 0, "\(r)")
        let bodies = r.out.split(separator: "\n").map { try! JSON.parse(Array($0.utf8)).objectValue! }
        #expect(bodies.count == 2)
        #expect(bodies[0]["from"]?.stringValue == "bank-a.example/eur" && bodies[0]["to"]?.stringValue == "bank-b.example/eur")
        #expect(
            bodies[0]["amount"]?.stringValue == "125.50" && bodies[0]["reference"]?.stringValue == "6f1c2d3e-4b5a-4c6d-8e7f-901234567890")
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
}
