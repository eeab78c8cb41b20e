import Testing

@testable import CairnExport

@Suite struct Pacs008ReaderTests {
    let map = AccountMap(
        accounts: ["DE89370400440532013000": "bank-a.example/eur", "ACC-B-EUR": "bank-b.example/eur"],
        agents: ["BANKDEFFXXX": "bank-a.example", "BANKGB2LXXX": "bank-b.example", "BANKJPJTXXX": "bank-c.example"],
        accountFor: { member, currency in "\(member)/\(currency.lowercased())" })

    func sample() throws -> [UInt8] { try XMLTest.resource("pacs008-two-transfers.xml") }

    func variant(_ replace: String, with replacement: String) throws -> [UInt8] {
        let text = String(decoding: try sample(), as: UTF8.self)
        #expect(text.contains(replace))
        return Array(text.replacing(replace, with: replacement).utf8)
    }

    @Test func importsBothTransfers() throws {
        let intents = try Pacs008Reader.read(try sample(), accounts: map).get()
        #expect(
            intents == [
                TransferIntent(
                    from: "bank-a.example/eur", to: "bank-b.example/eur", amount: "125.50", currency: "EUR",
                    reference: "6f1c2d3e-4b5a-4c6d-8e7f-901234567890", endToEndID: "E2E-0001",
                    uetr: "6f1c2d3e-4b5a-4c6d-8e7f-901234567890", path: "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]"),
                TransferIntent(
                    from: "bank-a.example/jpy", to: "bank-c.example/jpy", amount: "5000", currency: "JPY", reference: "E2E-0002",
                    endToEndID: "E2E-0002", uetr: nil, path: "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]"),
            ])
        if let verdict = try XMLTest.xmllintAccepts(try sample(), schema: .pacs008) { #expect(verdict) }
    }

    @Test func readsTheAccountMapJSON() throws {
        let json = #"{"accounts": {"ACC-B-EUR": "bank-b.example/eur"}, "agents": {"BANKDEFFXXX": "bank-a.example"}}"#
        let parsed = try AccountMap(json: Array(json.utf8), accountFor: { m, c in m + "/" + c.lowercased() })
        #expect(parsed.accounts == ["ACC-B-EUR": "bank-b.example/eur"])
        #expect(parsed.agents["BANKDEFFXXX"] == "bank-a.example")
        #expect(throws: AccountMapError.self) { try AccountMap(json: Array(#"{"acounts": {}}"#.utf8)) }
    }

    @Test func missingMandatoryElementIsRefusedWithItsPath() throws {
        let xml = try variant("<ChrgBr>SHAR</ChrgBr>", with: "")
        let issues = try #require(Pacs008Reader.read(xml, accounts: map).failure)
        #expect(issues.count == 1)
        #expect(issues[0].path == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/Dbtr")
        #expect(issues[0].message.contains("ChrgBr"))
        #expect(issues[0].line == XMLTest.line(of: "<Nm>Bank A treasury", in: xml) - 1)
        if let verdict = try XMLTest.xmllintAccepts(xml, schema: .pacs008) { #expect(verdict == false) }
    }

    @Test func unknownAccountIsRefusedWithItsPath() throws {
        let xml = try variant("<Id>ACC-B-EUR</Id>", with: "<Id>ACC-UNKNOWN</Id>")
        var partial = map
        partial.agents["BANKGB2LXXX"] = nil
        let issues = try #require(Pacs008Reader.read(xml, accounts: partial).failure)
        #expect(issues.count == 1)
        #expect(issues[0].path == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/CdtrAcct/Id/Othr/Id")
        #expect(issues[0].line == XMLTest.line(of: "ACC-UNKNOWN", in: xml))
        #expect(issues[0].message.contains("ACC-UNKNOWN") && issues[0].message.contains("BANKGB2LXXX"))
        // With the agent mapped, the unknown account falls back to the member's EUR account.
        let intents = try Pacs008Reader.read(xml, accounts: map).get()
        #expect(intents[0].to == "bank-b.example/eur")
    }

    @Test func unmappedAgentWithoutAccountIsRefused() throws {
        var partial = map
        partial.agents["BANKDEFFXXX"] = nil
        let issues = try #require(Pacs008Reader.read(try sample(), accounts: partial).failure)
        #expect(issues.map(\.path) == ["/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/DbtrAgt/FinInstnId/BICFI"])
    }

    @Test func notWellFormedIsRefused() {
        let issues = Pacs008Reader.read(Array("<Document><FIToFICstmrCdtTrf>".utf8), accounts: map).failure
        #expect(issues?.isEmpty == false)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
