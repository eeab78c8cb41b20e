import CairnCore
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

    static let uetr = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"

    @Test func importsBothTransfers() throws {
        let intents = try Pacs008Reader.read(try sample(), accounts: map).get()
        #expect(
            intents == [
                TransferIntent(
                    from: "bank-a.example/eur", to: "bank-b.example/eur", amount: "125.50", currency: "EUR",
                    reference: Self.uetr + "/E2E-0001", endToEndID: "E2E-0001", uetr: Self.uetr, identity: .uetr(Self.uetr),
                    createdAt: Timestamp(rfc3339: "2025-03-14T00:00:00Z")!,
                    createdAtPath: "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/IntrBkSttlmDt",
                    path: "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]"),
                // No UETR: the EndToEndId with the debtor's agent (there is no instructing agent);
                // no settlement date: the message's creation time.
                TransferIntent(
                    from: "bank-a.example/jpy", to: "bank-c.example/jpy", amount: "5000", currency: "JPY", reference: "E2E-0002",
                    endToEndID: "E2E-0002", uetr: nil, identity: .endToEnd(id: "E2E-0002", agent: "BICFI:BANKDEFFXXX"),
                    createdAt: Timestamp(rfc3339: "2025-03-14T09:30:00Z")!, createdAtPath: "/Document/FIToFICstmrCdtTrf/GrpHdr/CreDtTm",
                    path: "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]"),
            ])
        if let verdict = try XMLTest.xmllintAccepts(try sample(), schema: .pacs008) { #expect(verdict) }
    }

    @Test func theSamePaymentInAnotherMessageIsTheSameIntent() throws {
        // A new message id and creation time; the payments, their dates and accounts as before.
        let resent = try variant(
            "<MsgId>PACS8-2025-0001</MsgId>\n      <CreDtTm>2025-03-14T09:30:00Z</CreDtTm>",
            with: "<MsgId>PACS8-2025-0099</MsgId>\n      <CreDtTm>2025-03-15T08:00:00+01:00</CreDtTm>")
        let first = try Pacs008Reader.read(try sample(), accounts: map).get()
        let again = try Pacs008Reader.read(resent, accounts: map).get()
        #expect(again[0] == first[0])
        // Without a settlement date the window starts at the message's creation time, in UTC.
        #expect(again[1].identity == first[1].identity && again[1].createdAt == Timestamp(rfc3339: "2025-03-15T07:00:00Z")!)
    }

    @Test func theInstructingAgentIdentifiesAPaymentWithoutUETR() throws {
        let agent =
            "<InstgAgt><FinInstnId><LEI>5493001KJTIIGC8Y1R12</LEI></FinInstnId></InstgAgt>\n      <Dbtr>\n        <Nm>Bank A treasury"
        let xml = try variant("<Dbtr>\n        <Nm>Bank A treasury", with: agent)
        let intents = try Pacs008Reader.read(xml, accounts: map).get()
        #expect(intents[1].identity == .endToEnd(id: "E2E-0002", agent: "LEI:5493001KJTIIGC8Y1R12"))
        // The group's instructing agent, for a transaction without its own.
        let group = try variant(
            "</SttlmInf>", with: "</SttlmInf>\n      <InstgAgt><FinInstnId><BICFI>BANKGB2LXXX</BICFI></FinInstnId></InstgAgt>")
        #expect(try Pacs008Reader.read(group, accounts: map).get()[1].identity == .endToEnd(id: "E2E-0002", agent: "BICFI:BANKGB2LXXX"))
    }

    @Test func theGroupSettlementDateStartsTheWindow() throws {
        let xml = try variant("</NbOfTxs>", with: "</NbOfTxs>\n      <IntrBkSttlmDt>2025-03-17+02:00</IntrBkSttlmDt>")
        let intents = try Pacs008Reader.read(xml, accounts: map).get()
        #expect(intents[0].createdAt == Timestamp(rfc3339: "2025-03-14T00:00:00Z")!)  // its own date first
        #expect(intents[1].createdAt == Timestamp(rfc3339: "2025-03-17T00:00:00Z")!)  // the calendar date, zone ignored
        #expect(intents[1].createdAtPath == "/Document/FIToFICstmrCdtTrf/GrpHdr/IntrBkSttlmDt")
    }

    @Test func creationTimesAreReadInUTC() {
        #expect(Pacs008Reader.dateTime("2025-03-14T09:30:00Z") == Timestamp(rfc3339: "2025-03-14T09:30:00Z"))
        #expect(Pacs008Reader.dateTime("2025-03-14T09:30:00") == Timestamp(rfc3339: "2025-03-14T09:30:00Z"))
        #expect(Pacs008Reader.dateTime("2025-03-14T09:30:00.123-02:30") == Timestamp(rfc3339: "2025-03-14T12:00:00Z"))
        #expect(Pacs008Reader.dateTime("2025-03-14T00:30:00+01:00") == Timestamp(rfc3339: "2025-03-13T23:30:00Z"))
        #expect(Pacs008Reader.dateTime("1970-01-01T00:30:00+01:00") == nil)  // before 1970 in UTC
        #expect(Pacs008Reader.dateTime("2025-03-14T09:30:00+15:00") == nil)
        #expect(Pacs008Reader.dateTime("2025-03-14T09:30:00.Z") == nil)
        #expect(Pacs008Reader.settlementDate("2025-03-14Z") == Timestamp(rfc3339: "2025-03-14T00:00:00Z"))
        #expect(Pacs008Reader.settlementDate("1969-12-31") == nil)
        #expect(Pacs008Reader.settlementDate("2025-03-14T00:00:00Z") == nil)
    }

    @Test func aPaymentNothingIdentifiesIsRefused() throws {
        let xml = try variant("<EndToEndId>E2E-0002</EndToEndId>", with: "<EndToEndId>NOTPROVIDED</EndToEndId>")
        let issues = try #require(Pacs008Reader.read(xml, accounts: map).failure)
        #expect(issues.map(\.path) == ["/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/PmtId/EndToEndId"])
        #expect(issues[0].message.contains("no UETR") && issues[0].message.contains("settle it twice"))
        // With a UETR, NOTPROVIDED is only the EndToEndId, and both are kept.
        let withUETR = try variant("<EndToEndId>E2E-0001</EndToEndId>", with: "<EndToEndId>NOTPROVIDED</EndToEndId>")
        #expect(try Pacs008Reader.read(withUETR, accounts: map).get()[0].reference == Self.uetr + "/NOTPROVIDED")
        // An agent known only by name identifies nothing.
        let named = try variant(
            "<DbtrAgt>\n        <FinInstnId>\n          <BICFI>BANKDEFFXXX</BICFI>\n        </FinInstnId>\n      </DbtrAgt>\n      <CdtrAgt>\n        <FinInstnId>\n          <BICFI>BANKJPJTXXX",
            with:
                "<DbtrAgt>\n        <FinInstnId>\n          <Nm>Bank A</Nm>\n        </FinInstnId>\n      </DbtrAgt>\n      <CdtrAgt>\n        <FinInstnId>\n          <BICFI>BANKJPJTXXX"
        )
        let unnamed = try #require(Pacs008Reader.read(named, accounts: map).failure)
        #expect(unnamed.issues.contains { $0.path == "/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]/DbtrAgt" && $0.message.contains("LEI") })
    }

    @Test func theSamePaymentTwiceInOneDocumentIsRefused() throws {
        let text = String(decoding: try sample(), as: UTF8.self)
        let first = text[text.range(of: "    <CdtTrfTxInf>")!.lowerBound..<text.range(of: "</CdtTrfTxInf>")!.upperBound]
        let xml = Array(text.replacing("  </FIToFICstmrCdtTrf>", with: first + "\n  </FIToFICstmrCdtTrf>").utf8)
        let issues = try #require(Pacs008Reader.read(xml, accounts: map).failure)
        #expect(issues.map(\.path) == ["/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[3]/PmtId"])
        #expect(issues[0].message == "the same payment (UETR \(Self.uetr)) as /Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]")
    }

    @Test func anEndToEndIdTooLongToKeepBesideTheUETRIsRefused() throws {
        let long = String(repeating: "€", count: 35)  // 105 bytes: 36 + 1 + 105 > 140
        let xml = try variant("<EndToEndId>E2E-0001</EndToEndId>", with: "<EndToEndId>\(long)</EndToEndId>")
        let issues = try #require(Pacs008Reader.read(xml, accounts: map).failure)
        #expect(issues.map(\.path) == ["/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[1]/PmtId/EndToEndId"])
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
