// ISO 20022 camt.054.001.08 BankToCustomerDebitCreditNotification.

/// The entries of one account and currency to notify (camt.054 carries no balances).
public struct AccountNotification: Sendable {
    public var account: String
    public var owner: String
    public var currency: String
    public var minorDigits: Int
    public var fromTime: String
    public var toTime: String
    public var fromHeight: UInt64
    public var toHeight: UInt64
    /// In ledger order; each moves money in or out of `account`.
    public var entries: [ExportRecord]

    public init(
        account: String, owner: String, currency: String, minorDigits: Int, fromTime: String, toTime: String,
        fromHeight: UInt64, toHeight: UInt64, entries: [ExportRecord]
    ) {
        self.account = account
        self.owner = owner
        self.currency = currency
        self.minorDigits = minorDigits
        self.fromTime = fromTime
        self.toTime = toTime
        self.fromHeight = fromHeight
        self.toHeight = toHeight
        self.entries = entries
    }

    /// The entries of `statement`, without its balances.
    public init(_ statement: Statement) {
        self.init(
            account: statement.account, owner: statement.owner, currency: statement.currency, minorDigits: statement.minorDigits,
            fromTime: statement.fromTime, toTime: statement.toTime, fromHeight: statement.fromHeight,
            toHeight: statement.toHeight, entries: statement.entries)
    }
}

/// Writes one `BkToCstmrDbtCdtNtfctn` document with one `Ntfctn` per account and currency; the
/// entries are mapped exactly as in camt.053 (docs/iso20022.md). Streams like `Camt053Writer`.
public enum Camt054Writer {
    public static let schema = ISO20022Schema.camt054

    public static func write(
        header: ExportHeader, notifications: some Sequence<AccountNotification>, to sink: (String) -> Void
    ) throws {
        let all = Array(notifications)
        try write(header: header, notifications: all, entries: { i, visit in for r in all[i].entries { try visit(r) } }, to: sink)
    }

    /// The streaming form, as `Camt053Writer`'s: `entries(i, visit)` visits notification `i`'s
    /// entries, twice (totals, then entries), and the notifications' own `entries` are ignored.
    public static func write(
        header: ExportHeader, notifications: [AccountNotification], entries: (Int, (ExportRecord) throws -> Void) throws -> Void,
        to sink: (String) -> Void
    ) throws {
        var xml = XMLBuilder(depth: 1)
        xml.open("BkToCstmrDbtCdtNtfctn")
        try CamtEntry.writeGroupHeader(header, into: &xml)
        sink("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"\(schema.namespace)\">\n" + xml.take())
        for (index, notification) in notifications.enumerated() {
            let totals = try CamtEntry.totals(
                visiting: { visit in try withoutActuallyEscaping(visit) { try entries(index, $0) } }, account: notification.account,
                currency: notification.currency)
            guard (0...DecimalAmount.maxMinorDigits).contains(notification.minorDigits) else {
                throw ExportError.amountOutOfRange(id: notification.account)
            }
            xml.open("Ntfctn")
            xml.leaf("Id", CamtEntry.reportID(messageID: header.messageID, index: index))
            xml.leaf("CreDtTm", header.created)
            xml.open("FrToDt")
            xml.leaf("FrDtTm", notification.fromTime)
            xml.leaf("ToDtTm", notification.toTime)
            xml.close("FrToDt")
            try CamtEntry.writeAccount(
                "Acct", notification.account, currency: notification.currency, owner: notification.owner, into: &xml)
            CamtEntry.writeSummary(credits: totals.credits, debits: totals.debits, minorDigits: notification.minorDigits, into: &xml)
            sink(xml.take())
            try withoutActuallyEscaping(sink) { sink in
                try entries(index) { record in
                    try CamtEntry.write(record, account: notification.account, currency: notification.currency, into: &xml)
                    sink(xml.take())
                }
            }
            xml.leaf("AddtlNtfctnInf", "Cairn blocks \(notification.fromHeight) to \(notification.toHeight)")
            xml.close("Ntfctn")
            sink(xml.take())
        }
        xml.close("BkToCstmrDbtCdtNtfctn")
        sink(xml.take() + "</Document>\n")
    }

    /// The whole document as bytes (convenience for small exports and tests).
    public static func document(header: ExportHeader, notifications: [AccountNotification]) throws -> [UInt8] {
        var out = ""
        try write(header: header, notifications: notifications) { out += $0 }
        return Array(out.utf8)
    }
}
