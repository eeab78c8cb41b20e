import Foundation
import Testing

@testable import CairnExport

@Suite struct XMLSchemaValidatorTests {
    let valid = try! Camt053Writer.document(header: Sample.header, statements: Sample.statements)

    func text() -> String { String(decoding: valid, as: UTF8.self) }

    @Test func missingBankTransactionCodeIsReportedWithLineAndPath() throws {
        var doc = text()
        let start = try #require(doc.range(of: "<BkTxCd>"))
        let end = try #require(doc.range(of: "</BkTxCd>\n", range: start.upperBound..<doc.endIndex))
        let lineStart = doc[..<start.lowerBound].lastIndex(of: "\n").map { doc.index(after: $0) } ?? doc.startIndex
        doc.removeSubrange(lineStart..<end.upperBound)
        let xml = Array(doc.utf8)
        let issues = Camt053Writer.schema.validator.validate(xml)
        let issue = try #require(issues.first)
        #expect(issues.count == 1)
        #expect(issue.path == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls")
        #expect(issue.line == XMLTest.line(of: "<NtryDtls>", in: xml))
        #expect(issue.message.contains("BkTxCd"))
        if let verdict = try XMLTest.xmllintAccepts(xml, schema: .camt053) { #expect(verdict == false) }
    }

    @Test func endToEndIDOf36CharactersIsReported() throws {
        let tooLong = Sample.reference35 + "X"
        let xml = Array(text().replacing("<EndToEndId>\(Sample.reference35)<", with: "<EndToEndId>\(tooLong)<").utf8)
        let issues = Camt053Writer.schema.validator.validate(xml)
        #expect(issues.count == 1)
        #expect(issues.first?.path == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls/TxDtls/Refs/EndToEndId")
        #expect(issues.first?.line == XMLTest.line(of: tooLong, in: xml))
        #expect(issues.first?.message.contains("maxLength") == true)
        if let verdict = try XMLTest.xmllintAccepts(xml, schema: .camt053) { #expect(verdict == false) }
    }

    @Test func attributeProblemsNameTheAttribute() throws {
        let xml = Array(text().replacing("<Amt Ccy=\"JPY\">500000</Amt>", with: "<Amt Ccy=\"jpy\">500000</Amt>").utf8)
        let issues = Camt053Writer.schema.validator.validate(xml)
        // libxml2 reports attribute facets on the owning element and names the attribute.
        #expect(issues.count == 2)
        #expect(issues.first?.path == "/Document/BkToCstmrStmt/Stmt[3]/Ntry[1]/Amt")
        #expect(
            issues.first?.message
                == "Element 'Amt', attribute 'Ccy': [facet 'pattern'] The value 'jpy' is not accepted by the pattern '[A-Z]{3,3}'.")
    }

    @Test func malformedXMLIsReportedWithoutPrinting() {
        let issues = Camt053Writer.schema.validator.validate(Array("<Document>\n<open></Document>".utf8))
        #expect(!issues.isEmpty)
        #expect(issues[0].line == 2)
        #expect(issues[0].path == "")
    }

    @Test func refusesExternalEntities() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Document>&x;</Document>"
        let issues = Camt053Writer.schema.validator.validate(Array(xml.utf8))
        #expect(!issues.isEmpty)
        #expect(!issues.contains { $0.message.contains("root:") })
    }

    @Test func reusableAndSafeAcrossThreads() async throws {
        let validator = try XMLSchemaValidator(path: ISO20022Schema.camt053.url.path)
        let bad = Array(text().replacing("<Cd>BOOK</Cd>", with: "<Cd>BOOKED</Cd>").utf8)
        let good = valid
        let bookedEntries = text().components(separatedBy: "<Cd>BOOK</Cd>").count - 1
        let counts = await withTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<16 {
                group.addTask { (validator.validate(good).count, validator.validate(bad).count) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.count == 16)
        #expect(counts.allSatisfy { $0.0 == 0 && $0.1 == bookedEntries })
    }

    @Test func badSchemaIsRefused() {
        #expect(throws: XMLIssues.self) { try XMLSchemaValidator(xsd: Array("<xs:schema xmlns:xs=\"x\"/>".utf8)) }
        #expect(throws: XMLIssues.self) { try XMLSchemaValidator(xsd: Array("not xml".utf8)) }
    }
}
