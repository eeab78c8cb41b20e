import CLibXML2
import Testing

@testable import CairnExport

@Suite struct CamtWriterTests {
    func camt053() throws -> [UInt8] { try Camt053Writer.document(header: Sample.header, statements: Sample.statements) }

    func camt054() throws -> [UInt8] {
        try Camt054Writer.document(header: Sample.header, notifications: Sample.statements.map(AccountNotification.init))
    }

    @Test func camt053ValidatesAgainstTheXSD() throws {
        let xml = try camt053()
        #expect(Camt053Writer.schema.validator.validate(xml) == [])
        if let verdict = try XMLTest.xmllintAccepts(xml, schema: .camt053) { #expect(verdict) }
    }

    @Test func camt054ValidatesAgainstTheXSD() throws {
        let xml = try camt054()
        #expect(Camt054Writer.schema.validator.validate(xml) == [])
        if let verdict = try XMLTest.xmllintAccepts(xml, schema: .camt054) { #expect(verdict) }
    }

    @Test func statementsAddUp() throws {
        try XMLTest.withRoot(try camt053()) { root in try checkBalances(root) }
    }

    func checkBalances(_ root: xmlNodePtr) throws {
        let statements = XMLTest.all(root, "BkToCstmrStmt", "Stmt")
        #expect(statements.count == Sample.statements.count)
        for (node, statement) in zip(statements, Sample.statements) {
            let digits = statement.minorDigits
            let balances = XMLTest.all(node, "Bal")
            let opening = try #require(balances.first { XMLTest.text($0, "Tp", "CdOrPrtry", "Cd") == "OPBD" })
            let closing = try #require(balances.first { XMLTest.text($0, "Tp", "CdOrPrtry", "Cd") == "CLBD" })
            let entries = XMLTest.all(node, "Ntry")
            #expect(entries.count == statement.entries.count)
            let moved = entries.reduce(Int64(0)) { $0 + XMLTest.signedAmount($1, digits: digits) }
            #expect(XMLTest.signedAmount(opening, digits: digits) + moved == XMLTest.signedAmount(closing, digits: digits))
            #expect(XMLTest.signedAmount(opening, digits: digits) == statement.opening)
            #expect(XMLTest.signedAmount(closing, digits: digits) == statement.closing)
            for entry in entries { #expect(!XMLTest.text(entry, "Amt")!.hasPrefix("-")) }
        }
        // B ends below zero on its credit line: DBIT with the absolute value.
        let closingB = XMLTest.all(statements[1], "Bal")[1]
        #expect(XMLTest.text(closingB, "CdtDbtInd") == "DBIT")
        #expect(XMLTest.text(closingB, "Amt") == "219.50")
        #expect(XMLTest.text(XMLTest.all(statements[2], "Bal")[1], "Amt") == "380000")  // JPY
    }

    @Test func entriesMapReferencesAndIdentifiers() throws {
        try XMLTest.withRoot(try camt053()) { root in try checkEntries(root) }
    }

    func checkEntries(_ root: xmlNodePtr) throws {
        let entries = XMLTest.all(root, "BkToCstmrStmt", "Stmt")[0]
        let ntries = XMLTest.all(entries, "Ntry")
        let refs = ntries.map { XMLTest.all($0, "NtryDtls", "TxDtls", "Refs")[0] }
        #expect(XMLTest.text(refs[0], "EndToEndId") == Sample.reference35)
        #expect(XMLTest.text(refs[0], "UETR") == nil)
        #expect(XMLTest.text(refs[1], "EndToEndId") == "NOTPROVIDED")
        #expect(XMLTest.text(refs[1], "UETR") == Sample.uuidReference)
        #expect(XMLTest.text(refs[2], "EndToEndId") == "NOTPROVIDED")
        let pieces = XMLTest.all(ntries[2], "NtryDtls", "TxDtls", "RmtInf", "Ustrd").map(XMLDocument.text)
        #expect(pieces.joined() == Sample.longReference)  // CR, LF, quotes and commas intact
        #expect(pieces.allSatisfy { $0.unicodeScalars.count <= 140 })
        let record = Sample.records[1]
        #expect(XMLTest.text(ntries[1], "NtryRef") == "2")
        #expect(XMLTest.text(ntries[1], "AcctSvcrRef") == String(record.id.prefix(32)))
        #expect(XMLTest.text(ntries[1], "AddtlNtryInf") == record.id)
        #expect(XMLTest.text(ntries[1], "CdtDbtInd") == "DBIT")
        #expect(XMLTest.text(ntries[1], "BkTxCd", "Domn", "Fmly", "Cd") == "ICDT")
        #expect(XMLTest.text(ntries[1], "BkTxCd", "Prtry", "Cd") == "CAIRN/TRANSFER")
        #expect(XMLTest.text(ntries[0], "BkTxCd", "Prtry", "Cd") == "CAIRN/DEPOSIT")
        #expect(XMLTest.text(ntries[2], "CdtDbtInd") == "CRDT")
        let parties = XMLTest.all(ntries[1], "NtryDtls", "TxDtls", "RltdPties")[0]
        #expect(XMLTest.text(parties, "DbtrAcct", "Id", "Othr", "Id") == Sample.a)
        #expect(XMLTest.text(parties, "CdtrAcct", "Id", "Othr", "Id") == Sample.b)
        #expect(XMLTest.text(parties, "Cdtr", "Pty", "Nm") == "bank-b.example")
    }

    @Test func streamsOnePiecePerEntry() throws {
        var pieces = 0
        try Camt053Writer.write(header: Sample.header, statements: Sample.statements) { _ in pieces += 1 }
        let entries = Sample.statements.map(\.entries.count).reduce(0, +)
        #expect(pieces == 1 + Sample.statements.count * 2 + entries + 1)
    }

    @Test func refusesInputThatDoesNotAddUp() {
        var wrong = Sample.statements[0]
        wrong.closing += 1
        #expect(throws: ExportError.balanceMismatch(account: Sample.a, expected: 116_950, closing: 116_951)) {
            try Camt053Writer.document(header: Sample.header, statements: [wrong])
        }
        var foreign = Sample.statements[0]
        foreign.entries.append(Sample.records[4])
        #expect(throws: ExportError.entryNotForAccount(account: Sample.a, id: Sample.records[4].id)) {
            try Camt053Writer.document(header: Sample.header, statements: [foreign])
        }
        var huge = Sample.statements[2]
        huge.entries[0].amount = 1_000_000_000_000_000_000
        #expect(throws: ExportError.amountOutOfRange(id: huge.entries[0].id)) {
            try Camt054Writer.document(header: Sample.header, notifications: [AccountNotification(huge)])
        }
        let longID = ExportHeader(messageID: String(repeating: "M", count: 36), created: "2025-03-14T18:00:00Z", origin: "o")
        #expect(throws: ExportError.self) { try Camt053Writer.document(header: longID, statements: []) }
    }

    @Test func longAccountsMoveToTheName() throws {
        var statement = Sample.statements[0]
        let long = "bank-with-a-long-name.example/operating-eur"
        statement.account = long
        for i in statement.entries.indices {
            if statement.entries[i].to == Sample.a { statement.entries[i].to = long }
            if statement.entries[i].from == Sample.a { statement.entries[i].from = long }
        }
        let xml = try Camt053Writer.document(header: Sample.header, statements: [statement])
        #expect(Camt053Writer.schema.validator.validate(xml) == [])
        try XMLTest.withRoot(xml) { root in
            let acct = try #require(XMLTest.all(root, "BkToCstmrStmt", "Stmt", "Acct").first)
            #expect(XMLTest.text(acct, "Id", "Othr", "Id") == "NOTPROVIDED")
            #expect(XMLTest.text(acct, "Nm") == long)
        }
    }

    /// A payment imported with both a UETR and an EndToEndId keeps both: `Refs/EndToEndId` then
    /// `Refs/UETR`, in the schema's order, in both messages, and the documents stay valid.
    @Test func anImportedPaymentCarriesBothReferences() throws {
        let endToEnd = "E2E-0001 <&> \"é\""
        let record = Sample.transfer(
            2, height: 2, from: Sample.b, to: Sample.a, amount: 12_550, reference: Sample.uuidReference + "/" + endToEnd)
        var statement = Sample.statement(Sample.a, owner: "Bank A", currency: "EUR", digits: 2, opening: 0, closing: 12_550)
        statement.entries = [record]
        let documents = [
            (
                try Camt053Writer.document(header: Sample.header, statements: [statement]), ISO20022Schema.camt053,
                ["BkToCstmrStmt", "Stmt"]
            ),
            (
                try Camt054Writer.document(header: Sample.header, notifications: [AccountNotification(statement)]), ISO20022Schema.camt054,
                ["BkToCstmrDbtCdtNtfctn", "Ntfctn"]
            ),
        ]
        for (xml, schema, path) in documents {
            #expect(schema.validator.validate(xml) == [])
            if let verdict = try XMLTest.xmllintAccepts(xml, schema: schema) { #expect(verdict) }
            try XMLTest.withRoot(xml) { root in
                let report = try #require(XMLTest.all(root, path[0], path[1]).first)
                let refs = try #require(XMLTest.all(report, "Ntry", "NtryDtls", "TxDtls", "Refs").first)
                #expect(XMLDocument.children(refs).map(XMLDocument.name) == ["EndToEndId", "UETR"])
                #expect(XMLTest.text(refs, "EndToEndId") == endToEnd)
                #expect(XMLTest.text(refs, "UETR") == Sample.uuidReference)
                #expect(XMLTest.all(report, "Ntry", "NtryDtls", "TxDtls", "RmtInf").isEmpty)
            }
        }
    }

    @Test func referenceRules() {
        #expect(
            ReferenceMapping(Sample.uuidReference)
                == ReferenceMapping(endToEndID: "NOTPROVIDED", uetr: Sample.uuidReference, unstructured: []))
        #expect(ReferenceMapping(Sample.uuidReference.uppercased()).uetr == nil)  // not lowercase: 36 chars, too long
        #expect(ReferenceMapping(Sample.reference35).endToEndID == Sample.reference35)
        #expect(ReferenceMapping(nil).endToEndID == "NOTPROVIDED")
        #expect(ReferenceMapping(String(repeating: "é", count: 300)).unstructured.map(\.unicodeScalars.count) == [140, 140, 20])
        #expect(!ReferenceMapping.isUUIDv4("6f1c2d3e-4b5a-3c6d-8e7f-901234567890"))  // version 3
        // <UETR>/<EndToEndId>, as `cairn import` writes it.
        #expect(
            ReferenceMapping(Sample.uuidReference + "/E2E-0001")
                == ReferenceMapping(endToEndID: "E2E-0001", uetr: Sample.uuidReference, unstructured: []))
        let e35 = String(repeating: "é", count: 35)
        #expect(ReferenceMapping(Sample.uuidReference + "/" + e35).endToEndID == e35)
        // Not that shape: an EndToEndId too long, or none, or a UETR that is not one.
        #expect(ReferenceMapping(Sample.uuidReference + "/" + e35 + "x").unstructured == [Sample.uuidReference + "/" + e35 + "x"])
        #expect(ReferenceMapping(Sample.uuidReference + "/").uetr == nil)
        #expect(ReferenceMapping(Sample.uuidReference.uppercased() + "/E2E").uetr == nil)
        #expect(ReferenceMapping(Sample.uuidReference + "-E2E-0001").uetr == nil)
    }
}
