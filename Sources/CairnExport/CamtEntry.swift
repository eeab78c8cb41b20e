// The ISO 20022 ReportEntry10 (`Ntry`) shared by camt.053 and camt.054.

/// Credit or debit, seen from the reported account.
enum CreditDebit: String {
    case credit = "CRDT"
    case debit = "DBIT"
}

/// How a notice reference maps onto ISO 20022 references (see docs/iso20022.md).
struct ReferenceMapping: Equatable {
    var endToEndID: String
    var uetr: String?
    /// The full reference in pieces of at most 140 characters (`RmtInf/Ustrd`), when it fits nowhere else.
    var unstructured: [String]

    static let notProvided = "NOTPROVIDED"

    init(_ reference: String?) {
        guard let reference, !reference.isEmpty else {
            self.init(endToEndID: Self.notProvided, uetr: nil, unstructured: [])
            return
        }
        if Self.isUUIDv4(reference) {
            self.init(endToEndID: Self.notProvided, uetr: reference, unstructured: [])
        } else if let (uetr, endToEndID) = Self.uetrAndEndToEndID(reference) {
            self.init(endToEndID: endToEndID, uetr: uetr, unstructured: [])
        } else if reference.isoLength <= 35 {
            self.init(endToEndID: reference, uetr: nil, unstructured: [])
        } else {
            self.init(endToEndID: Self.notProvided, uetr: nil, unstructured: reference.isoChunks(of: 140))
        }
    }

    init(endToEndID: String, uetr: String?, unstructured: [String]) {
        self.endToEndID = endToEndID
        self.uetr = uetr
        self.unstructured = unstructured
    }

    /// A reference `<UETR>/<EndToEndId>` (as `cairn import` writes for a pacs.008 payment with
    /// both): a UUIDv4, a `/`, then 1 to 35 code points. Nil for any other reference.
    static func uetrAndEndToEndID(_ reference: String) -> (uetr: String, endToEndID: String)? {
        let utf8 = reference.utf8
        guard utf8.count > 37, let slash = utf8.index(utf8.startIndex, offsetBy: 36, limitedBy: utf8.endIndex),
            utf8[slash] == UInt8(ascii: "/")
        else { return nil }
        let uetr = String(reference[..<slash])
        let rest = String(reference[reference.index(after: slash)...])
        guard isUUIDv4(uetr), rest.isoLength <= 35 else { return nil }
        return (uetr, rest)
    }

    /// The ISO 20022 `UUIDv4Identifier` pattern:
    /// `[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}`.
    static func isUUIDv4(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            switch i {
            case 8, 13, 18, 23: guard b == UInt8(ascii: "-") else { return false }
            case 14: guard b == UInt8(ascii: "4") else { return false }
            case 19: guard "89ab".utf8.contains(b) else { return false }
            default: guard (0x30...0x39).contains(b) || (0x61...0x66).contains(b) else { return false }
            }
        }
        return true
    }
}

enum CamtEntry {
    /// Which way `record` moves money of `account` in `currency`.
    static func direction(of record: ExportRecord, account: String, currency: String) throws(ExportError) -> CreditDebit {
        guard record.currency == currency else { throw .entryNotForAccount(account: account, id: record.id) }
        if record.to == account, record.from != account { return .credit }
        if record.from == account, record.to != account { return .debit }
        throw .entryNotForAccount(account: account, id: record.id)
    }

    /// The positive amount text of `record` with its currency's minor digits.
    static func amount(of record: ExportRecord) throws(ExportError) -> (magnitude: UInt64, text: String) {
        guard let amount = record.amount, let digits = record.minorDigits, record.currency != nil else {
            throw .missingAmount(id: record.id)
        }
        guard amount > 0, let text = DecimalAmount.iso(magnitude: amount.magnitude, minorDigits: digits) else {
            throw .amountOutOfRange(id: record.id)
        }
        return (amount.magnitude, text)
    }

    /// `BkTxCd`: the ISO domain/family/sub-family for deposits and transfers, and always a
    /// Cairn proprietary code `CAIRN/<KIND>` issued by `CAIRN`.
    static func transactionCode(kind: String, direction: CreditDebit) -> (domain: (String, String, String)?, proprietary: String) {
        let proprietary = ("CAIRN/" + kind.uppercased()).isoPrefix(35)
        switch kind {
        case "deposit": return (("PMNT", "CNTR", "CDPT"), proprietary)
        case "transfer": return (("PMNT", direction == .credit ? "RCDT" : "ICDT", "BOOK"), proprietary)
        default: return (nil, proprietary)
        }
    }

    /// The member that owns `account` (`<member>/<label>`).
    static func member(of account: String) -> String {
        String(account.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(account))
    }

    /// `Ntry` for `record` as it affects `account`.
    static func write(_ record: ExportRecord, account: String, currency: String, into xml: inout XMLBuilder) throws(ExportError) {
        let direction = try direction(of: record, account: account, currency: currency)
        let (_, amount) = try self.amount(of: record)
        try checkText("Ntry time", record.time, max: 64)
        xml.open("Ntry")
        xml.leaf("NtryRef", String(record.leafIndex))
        xml.leaf("Amt", amount, attributes: ["Ccy": currency])
        xml.leaf("CdtDbtInd", direction.rawValue)
        xml.open("Sts")
        xml.leaf("Cd", "BOOK")
        xml.close("Sts")
        xml.open("BookgDt")
        xml.leaf("DtTm", record.time)
        xml.close("BookgDt")
        xml.open("ValDt")
        xml.leaf("DtTm", record.time)
        xml.close("ValDt")
        xml.leaf("AcctSvcrRef", record.id.isoPrefix(32))
        writeTransactionCode(kind: record.kind, direction: direction, into: &xml)
        xml.open("NtryDtls")
        xml.open("TxDtls")
        let reference = ReferenceMapping(record.reference)
        xml.open("Refs")
        xml.leaf("EndToEndId", reference.endToEndID)
        if let uetr = reference.uetr { xml.leaf("UETR", uetr) }
        xml.close("Refs")
        xml.leaf("Amt", amount, attributes: ["Ccy": currency])
        xml.leaf("CdtDbtInd", direction.rawValue)
        try writeParties(record, into: &xml)
        if !reference.unstructured.isEmpty {
            xml.open("RmtInf")
            for piece in reference.unstructured { xml.leaf("Ustrd", piece) }
            xml.close("RmtInf")
        }
        xml.close("TxDtls")
        xml.close("NtryDtls")
        xml.leaf("AddtlNtryInf", record.id)
        xml.close("Ntry")
    }

    private static func writeTransactionCode(kind: String, direction: CreditDebit, into xml: inout XMLBuilder) {
        let code = transactionCode(kind: kind, direction: direction)
        xml.open("BkTxCd")
        if let (domain, family, subFamily) = code.domain {
            xml.open("Domn")
            xml.leaf("Cd", domain)
            xml.open("Fmly")
            xml.leaf("Cd", family)
            xml.leaf("SubFmlyCd", subFamily)
            xml.close("Fmly")
            xml.close("Domn")
        }
        xml.open("Prtry")
        xml.leaf("Cd", code.proprietary)
        xml.leaf("Issr", "CAIRN")
        xml.close("Prtry")
        xml.close("BkTxCd")
    }

    /// `RltdPties`: debtor = the paying member and account (for a deposit, the submitting
    /// issuer, without account); creditor = the receiving member and account.
    private static func writeParties(_ record: ExportRecord, into xml: inout XMLBuilder) throws(ExportError) {
        let debtor = record.from.map(member(of:)) ?? record.submitter
        xml.open("RltdPties")
        try writeParty("Dbtr", name: debtor, into: &xml)
        if let from = record.from { try writeAccount("DbtrAcct", from, currency: nil, into: &xml) }
        if let to = record.to {
            try writeParty("Cdtr", name: member(of: to), into: &xml)
            try writeAccount("CdtrAcct", to, currency: nil, into: &xml)
        }
        xml.close("RltdPties")
    }

    private static func writeParty(_ element: String, name: String, into xml: inout XMLBuilder) throws(ExportError) {
        try checkText(element + "/Pty/Nm", name, max: 140)
        xml.open(element)
        xml.open("Pty")
        xml.leaf("Nm", name)
        xml.close("Pty")
        xml.close(element)
    }

    /// A `CashAccount38/39`: `Id/Othr/Id` = the Cairn account (scheme `Prtry` `CAIRN`) when it
    /// fits Max34Text, else `Id/Othr/Id` = `NOTPROVIDED` and the account in `Nm` (Max70Text).
    static func writeAccount(
        _ element: String, _ account: String, currency: String?, owner: String? = nil, into xml: inout XMLBuilder
    ) throws(ExportError) {
        try checkText(element, account, max: 70)
        let fits = account.isoLength <= 34
        xml.open(element)
        xml.open("Id")
        xml.open("Othr")
        xml.leaf("Id", fits ? account : ReferenceMapping.notProvided)
        xml.open("SchmeNm")
        xml.leaf("Prtry", "CAIRN")
        xml.close("SchmeNm")
        xml.close("Othr")
        xml.close("Id")
        if let currency { xml.leaf("Ccy", currency) }
        if !fits { xml.leaf("Nm", account) }
        if let owner {
            try checkText(element + "/Ownr/Nm", owner, max: 140)
            xml.open("Ownr")
            xml.leaf("Nm", owner)
            xml.close("Ownr")
        }
        xml.close(element)
    }

    /// Refuses text that is empty or longer than `max` code points.
    static func checkText(_ field: String, _ value: String, max: Int) throws(ExportError) {
        guard !value.isEmpty, value.isoLength <= max else { throw .fieldTooLong(field: field, value: value) }
    }

    /// `<Id>` of the n-th (0-based) statement or notification: the message id, cut so that
    /// `-<n+1>` still fits Max35Text.
    static func reportID(messageID: String, index: Int) -> String {
        let suffix = "-\(index + 1)"
        return messageID.isoPrefix(35 - suffix.count) + suffix
    }

    /// `GrpHdr`.
    static func writeGroupHeader(_ header: ExportHeader, into xml: inout XMLBuilder) throws(ExportError) {
        try checkText("GrpHdr/MsgId", header.messageID, max: 35)
        try checkText("GrpHdr/CreDtTm", header.created, max: 64)
        let info = "Cairn ledger " + header.origin
        try checkText("GrpHdr/AddtlInf", info, max: 500)
        xml.open("GrpHdr")
        xml.leaf("MsgId", header.messageID)
        xml.leaf("CreDtTm", header.created)
        xml.leaf("AddtlInf", info)
        xml.close("GrpHdr")
    }

    /// `TxsSummry` with the number and sum of credit and debit entries.
    static func writeSummary(credits: (Int, UInt64), debits: (Int, UInt64), minorDigits: Int, into xml: inout XMLBuilder) {
        xml.open("TxsSummry")
        for (element, (count, sum)) in [("TtlCdtNtries", credits), ("TtlDbtNtries", debits)] {
            xml.open(element)
            xml.leaf("NbOfNtries", String(count))
            xml.leaf("Sum", DecimalAmount.format(magnitude: sum, minorDigits: minorDigits))
            xml.close(element)
        }
        xml.close("TxsSummry")
    }

    /// Counts and sums the entries that `entries` visits, checking each one; `entries` may be a
    /// pass over a ledger, so nothing is held in memory.
    static func totals(
        visiting entries: ((ExportRecord) throws -> Void) throws -> Void, account: String, currency: String
    ) throws -> (credits: (Int, UInt64), debits: (Int, UInt64), net: Int64) {
        var credits = (0, UInt64(0))
        var debits = (0, UInt64(0))
        var net = Int64(0)
        try entries { record in
            let t = try totals([record], account: account, currency: currency)
            credits = (credits.0 + t.credits.0, credits.1 + t.credits.1)
            debits = (debits.0 + t.debits.0, debits.1 + t.debits.1)
            let (sum, overflow) = net.addingReportingOverflow(t.net)
            guard !overflow, credits.1 <= DecimalAmount.maxMagnitude, debits.1 <= DecimalAmount.maxMagnitude else {
                throw ExportError.amountOutOfRange(id: record.id)
            }
            net = sum
        }
        return (credits, debits, net)
    }

    /// Counts and sums the entries of `entries` for `account`, checking each one.
    static func totals(
        _ entries: [ExportRecord], account: String, currency: String
    ) throws(ExportError) -> (credits: (Int, UInt64), debits: (Int, UInt64), net: Int64) {
        var credits = (0, UInt64(0))
        var debits = (0, UInt64(0))
        var net = Int64(0)
        for record in entries {
            let direction = try direction(of: record, account: account, currency: currency)
            let (magnitude, _) = try amount(of: record)
            let signed = Int64(magnitude)
            switch direction {
            case .credit:
                credits.0 += 1
                credits.1 += magnitude
                net += signed
            case .debit:
                debits.0 += 1
                debits.1 += magnitude
                net -= signed
            }
            guard credits.1 <= DecimalAmount.maxMagnitude, debits.1 <= DecimalAmount.maxMagnitude else {
                throw .amountOutOfRange(id: record.id)
            }
        }
        return (credits, debits, net)
    }
}
