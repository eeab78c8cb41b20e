// ISO 20022 camt.053.001.08 BankToCustomerStatement.

/// Writes one `BkToCstmrStmt` document with one `Stmt` per `Statement` (mapping in
/// docs/iso20022.md). Output goes to `sink` in pieces (declaration and group header, each
/// statement's head, each entry, each tail), so memory stays bounded by one entry's XML.
public enum Camt053Writer {
    public static let schema = ISO20022Schema.camt053

    /// Throws before writing the piece concerned when a statement does not add up
    /// (`opening + credits - debits != closing`), an entry does not belong to the account, an
    /// amount breaks the ISO limits, or a text field is too long.
    public static func write(header: ExportHeader, statements: some Sequence<Statement>, to sink: (String) -> Void) throws {
        let all = Array(statements)
        try write(header: header, statements: all, entries: { i, visit in for r in all[i].entries { try visit(r) } }, to: sink)
    }

    /// The streaming form: each statement's own `entries` are ignored, and `entries(i, visit)`
    /// visits statement `i`'s entries instead. It is called twice per statement (for the totals,
    /// which come first in the document, then for the entries), so no statement's entries need
    /// to be held in memory: `entries` can be a pass over a ledger.
    public static func write(
        header: ExportHeader, statements: [Statement], entries: (Int, (ExportRecord) throws -> Void) throws -> Void,
        to sink: (String) -> Void
    ) throws {
        var xml = XMLBuilder(depth: 1)
        xml.open("BkToCstmrStmt")
        try CamtEntry.writeGroupHeader(header, into: &xml)
        sink("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"\(schema.namespace)\">\n" + xml.take())
        for (index, statement) in statements.enumerated() {
            try write(
                statement, index: index, header: header,
                entries: { visit in try withoutActuallyEscaping(visit) { try entries(index, $0) } }, into: &xml, sink: sink)
        }
        xml.close("BkToCstmrStmt")
        sink(xml.take() + "</Document>\n")
    }

    /// The whole document as bytes (convenience for small exports and tests).
    public static func document(header: ExportHeader, statements: [Statement]) throws -> [UInt8] {
        var out = ""
        try write(header: header, statements: statements) { out += $0 }
        return Array(out.utf8)
    }

    private static func write(
        _ statement: Statement, index: Int, header: ExportHeader, entries: ((ExportRecord) throws -> Void) throws -> Void,
        into xml: inout XMLBuilder, sink: (String) -> Void
    ) throws {
        let totals = try CamtEntry.totals(visiting: entries, account: statement.account, currency: statement.currency)
        let (expected, overflow) = statement.opening.addingReportingOverflow(totals.net)
        guard !overflow, expected == statement.closing else {
            throw ExportError.balanceMismatch(account: statement.account, expected: expected, closing: statement.closing)
        }
        guard statement.opening.magnitude <= DecimalAmount.maxMagnitude, statement.closing.magnitude <= DecimalAmount.maxMagnitude,
            (0...DecimalAmount.maxMinorDigits).contains(statement.minorDigits)
        else { throw ExportError.amountOutOfRange(id: statement.account) }
        xml.open("Stmt")
        xml.leaf("Id", CamtEntry.reportID(messageID: header.messageID, index: index))
        xml.leaf("CreDtTm", header.created)
        xml.open("FrToDt")
        xml.leaf("FrDtTm", statement.fromTime)
        xml.leaf("ToDtTm", statement.toTime)
        xml.close("FrToDt")
        try CamtEntry.writeAccount("Acct", statement.account, currency: statement.currency, owner: statement.owner, into: &xml)
        writeBalance("OPBD", statement.opening, at: statement.fromTime, statement, into: &xml)
        writeBalance("CLBD", statement.closing, at: statement.toTime, statement, into: &xml)
        CamtEntry.writeSummary(credits: totals.credits, debits: totals.debits, minorDigits: statement.minorDigits, into: &xml)
        sink(xml.take())
        try withoutActuallyEscaping(sink) { sink in
            try entries { record in
                try CamtEntry.write(record, account: statement.account, currency: statement.currency, into: &xml)
                sink(xml.take())
            }
        }
        xml.leaf("AddtlStmtInf", "Cairn blocks \(statement.fromHeight) to \(statement.toHeight)")
        xml.close("Stmt")
        sink(xml.take())
    }

    /// `Bal`: a negative balance is `DBIT` with its absolute value.
    private static func writeBalance(_ code: String, _ value: Int64, at time: String, _ statement: Statement, into xml: inout XMLBuilder) {
        xml.open("Bal")
        xml.open("Tp")
        xml.open("CdOrPrtry")
        xml.leaf("Cd", code)
        xml.close("CdOrPrtry")
        xml.close("Tp")
        xml.leaf(
            "Amt", DecimalAmount.format(magnitude: value.magnitude, minorDigits: statement.minorDigits),
            attributes: ["Ccy": statement.currency])
        xml.leaf("CdtDbtInd", value < 0 ? CreditDebit.debit.rawValue : CreditDebit.credit.rawValue)
        xml.open("Dt")
        xml.leaf("DtTm", time)
        xml.close("Dt")
        xml.close("Bal")
    }
}
