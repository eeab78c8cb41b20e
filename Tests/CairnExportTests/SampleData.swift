// A realistic export: deposits, transfers both ways, a credit line, JPY, and every reference shape.

import Foundation

@testable import CairnExport

enum Sample {
    static let header = ExportHeader(messageID: "CAIRN-2025-03-14-0001", created: "2025-03-14T18:00:00Z", origin: "cairn.example/log")

    static let uuidReference = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"
    static let reference35 = "INV-2025-0001-ABCDEFGHIJKLMNOPQRSTU"
    static let longReference = "Settlement \"Q3\", batch 7,\r\nline two: =SUM(A1:A9) and enough text to pass thirty-five characters"
    static let formulaReference = "=cmd|' /C calc'!A0"

    static func id(_ n: Int) -> String { String(repeating: String(format: "%02x", n * 37 % 256), count: 32) }

    static func envelope(kind: String, fields: [(String, String)], signers: [String]) -> String {
        var body = fields + [("kind", kind), ("nonce", "n\(fields.count)")]
        body.sort { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) }
        var out = "{\"notice\":{"
        out += body.map { key, value in
            var pair = ""
            JSONLinesWriter.appendJSONString(key, to: &pair)
            pair += ":"
            JSONLinesWriter.appendJSONString(value, to: &pair)
            return pair
        }.joined(separator: ",")
        out += "},\"signatures\":["
        out += signers.map { "{\"keyId\":\"0a0b0c0d\",\"sig\":\"c2lnbmF0dXJl\",\"signer\":\"\($0)\"}" }.joined(separator: ",")
        return out + "]}"
    }

    static func transfer(
        _ n: Int, height: UInt64, from: String, to: String, amount: Int64, currency: String = "EUR", digits: Int = 2,
        reference: String?
    ) -> ExportRecord {
        let submitter = CamtEntry.member(of: from)
        let signers = [submitter, CamtEntry.member(of: to)].sorted()
        var fields = [
            ("amount", DecimalAmount.format(amount, minorDigits: digits)), ("currency", currency), ("from", from), ("to", to),
            ("submitter", submitter),
        ]
        if let reference { fields.append(("reference", reference)) }
        return ExportRecord(
            id: id(n), kind: "transfer", height: height, leafIndex: UInt64(n), time: time(height), submitter: submitter, from: from,
            to: to, amount: amount, currency: currency, minorDigits: digits, reference: reference, refs: n > 1 ? [id(n - 1)] : [],
            signers: signers, envelope: envelope(kind: "transfer", fields: fields, signers: signers))
    }

    static func deposit(_ n: Int, height: UInt64, to: String, amount: Int64, currency: String, digits: Int, reference: String?)
        -> ExportRecord
    {
        var fields = [
            ("amount", DecimalAmount.format(amount, minorDigits: digits)), ("currency", currency), ("to", to),
            ("submitter", "issuer.example"),
        ]
        if let reference { fields.append(("reference", reference)) }
        return ExportRecord(
            id: id(n), kind: "deposit", height: height, leafIndex: UInt64(n), time: time(height), submitter: "issuer.example",
            to: to, amount: amount, currency: currency, minorDigits: digits, reference: reference, signers: ["issuer.example"],
            envelope: envelope(kind: "deposit", fields: fields, signers: ["issuer.example"]))
    }

    static func time(_ height: UInt64) -> String { "2025-03-14T1\(height):00:00Z" }

    static let a = "bank-a.example/eur"
    static let b = "bank-b.example/eur"
    static let cJPY = "bank-c.example/jpy"
    static let bJPY = "bank-b.example/jpy"

    static let memberUpdate = ExportRecord(
        id: id(9), kind: "member.update", height: 5, leafIndex: 9, time: time(5), submitter: "bank-a.example",
        signers: ["bank-a.example", "bank-b.example"],
        envelope: envelope(kind: "member.update", fields: [("member", "bank-a.example")], signers: ["bank-a.example", "bank-b.example"]))

    static let records: [ExportRecord] = [
        deposit(1, height: 1, to: a, amount: 100_000, currency: "EUR", digits: 2, reference: reference35),
        transfer(2, height: 2, from: a, to: b, amount: 25_050, reference: uuidReference),
        transfer(3, height: 2, from: b, to: a, amount: 2_000, reference: longReference),
        transfer(4, height: 3, from: b, to: a, amount: 40_000, reference: formulaReference),
        deposit(5, height: 3, to: cJPY, amount: 500_000, currency: "JPY", digits: 0, reference: nil),
        transfer(6, height: 4, from: cJPY, to: bJPY, amount: 120_000, currency: "JPY", digits: 0, reference: "-E2E-JPY-1"),
    ]

    static func entries(of account: String) -> [ExportRecord] { records.filter { $0.from == account || $0.to == account } }

    static func statement(_ account: String, owner: String, currency: String, digits: Int, opening: Int64, closing: Int64) -> Statement {
        Statement(
            account: account, owner: owner, currency: currency, minorDigits: digits, opening: opening, closing: closing,
            fromTime: "2025-03-14T10:00:00Z", toTime: "2025-03-14T14:00:00Z", fromHeight: 1, toHeight: 4, entries: entries(of: account))
    }

    /// A: 0 + 1000.00 - 250.50 + 20.00 + 400.00; B uses its credit line: -50.00 + 250.50 - 20.00 - 400.00.
    static let statements = [
        statement(a, owner: "Bank A", currency: "EUR", digits: 2, opening: 0, closing: 116_950),
        statement(b, owner: "Bank B", currency: "EUR", digits: 2, opening: -5_000, closing: -21_950),
        statement(cJPY, owner: "Bank C", currency: "JPY", digits: 0, opening: 0, closing: 380_000),
    ]
}
