// ISO 20022 pacs.008.001.08 FIToFICustomerCreditTransfer import.

import CLibXML2
import CairnCore

/// One credit transfer of a pacs.008, as a Cairn transfer to propose.
public struct TransferIntent: Sendable, Equatable {
    /// Cairn account that pays (`DbtrAcct`, else `DbtrAgt`).
    public var from: String
    /// Cairn account that receives (`CdtrAcct`, else `CdtrAgt`).
    public var to: String
    /// Decimal text exactly as in `IntrBkSttlmAmt` (surrounding whitespace removed).
    public var amount: String
    /// `IntrBkSttlmAmt/@Ccy`.
    public var currency: String
    /// `<UETR>/<EndToEndId>` when there is a UETR, else the `EndToEndId`: both are kept.
    public var reference: String
    public var endToEndID: String
    public var uetr: String?
    /// What recognises the payment when it is imported again; its nonce is the notice's.
    public var identity: PaymentIdentity
    /// Where the notice's time window starts: the payment's settlement date (`IntrBkSttlmDt`, of
    /// the transaction or else of the group) at 00:00:00Z, else the message's `GrpHdr/CreDtTm`.
    /// Taken from the document, never from the clock, so that a second import gives the same notice.
    public var createdAt: Timestamp
    /// The element path `createdAt` comes from.
    public var createdAtPath: String
    /// Element path of the `CdtTrfTxInf`, e.g. `/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]`.
    public var path: String

    public init(
        from: String, to: String, amount: String, currency: String, reference: String, endToEndID: String, uetr: String?,
        identity: PaymentIdentity, createdAt: Timestamp, createdAtPath: String, path: String
    ) {
        self.from = from
        self.to = to
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.endToEndID = endToEndID
        self.uetr = uetr
        self.identity = identity
        self.createdAt = createdAt
        self.createdAtPath = createdAtPath
        self.path = path
    }
}

/// Reads pacs.008.001.08 with libxml2: schema validation first, then one intent per
/// `CdtTrfTxInf`. Every problem is reported (not only the first), each with its line and the
/// element path.
public enum Pacs008Reader {
    public static func read(_ xml: [UInt8], accounts: AccountMap) -> Result<[TransferIntent], XMLIssues> {
        let document: XMLDocument
        switch XMLDocument.parse(xml) {
        case .failure(let issues): return .failure(issues)
        case .success(let parsed): document = parsed
        }
        let invalid = ISO20022Schema.pacs008.validator.validate(document)
        guard invalid.isEmpty else { return .failure(XMLIssues(invalid)) }
        return document.withRoot { root in
            guard let root, let message = XMLDocument.child(root, "FIToFICstmrCdtTrf") else {
                return .failure(XMLIssues([XMLIssue(line: 1, path: "/", message: "not a pacs.008 document")]))
            }
            let group = XMLDocument.child(message, "GrpHdr")
            var intents: [TransferIntent] = []
            var issues: [XMLIssue] = []
            // The first transaction of each payment: the same payment twice in one document is refused.
            var seen: [PaymentIdentity: String] = [:]
            for transaction in XMLDocument.children(message, named: "CdtTrfTxInf") {
                switch intent(transaction, group: group, accounts: accounts) {
                case .success(let intent):
                    if let first = seen[intent.identity] {
                        let node = XMLDocument.child(transaction, "PmtId") ?? transaction
                        issues.append(
                            XMLIssue(
                                line: XMLDocument.line(node), path: XMLDocument.path(of: node),
                                message: "the same payment (\(intent.identity)) as \(first)"))
                    } else {
                        seen[intent.identity] = intent.path
                        intents.append(intent)
                    }
                case .failure(let problems): issues += problems.issues
                }
            }
            return issues.isEmpty ? .success(intents) : .failure(XMLIssues(issues))
        }
    }

    /// A notice reference holds at most this many bytes.
    static let maxReference = 140

    private static func intent(_ tx: xmlNodePtr, group: xmlNodePtr?, accounts: AccountMap) -> Result<TransferIntent, XMLIssues> {
        // The schema guarantees GrpHdr with CreDtTm, PmtId/EndToEndId, IntrBkSttlmAmt with Ccy, DbtrAgt and CdtrAgt.
        guard let group, let amountNode = XMLDocument.child(tx, "IntrBkSttlmAmt"), let paymentID = XMLDocument.child(tx, "PmtId"),
            let endToEnd = XMLDocument.child(paymentID, "EndToEndId")
        else {
            return .failure(XMLIssues([XMLIssue(line: XMLDocument.line(tx), path: XMLDocument.path(of: tx), message: "incomplete")]))
        }
        let currency = XMLDocument.attribute(amountNode, "Ccy") ?? ""
        let endToEndID = XMLDocument.text(endToEnd)
        let uetrNode = XMLDocument.child(paymentID, "UETR")
        let uetr = uetrNode.map { XMLDocument.text($0).trimmingXMLSpace().lowercased() }
        var issues: [XMLIssue] = []
        func issue(_ node: xmlNodePtr, _ message: String) {
            issues.append(XMLIssue(line: XMLDocument.line(node), path: XMLDocument.path(of: node), message: message))
        }
        let from = resolve(tx, account: "DbtrAcct", agent: "DbtrAgt", currency: currency, accounts: accounts, issues: &issues)
        let to = resolve(tx, account: "CdtrAcct", agent: "CdtrAgt", currency: currency, accounts: accounts, issues: &issues)

        // Both references are kept: the UETR, then the EndToEndId after a "/".
        let reference = uetr.map { "\($0)/\(endToEndID)" } ?? endToEndID
        if reference.utf8.count > maxReference {
            issue(endToEnd, "the EndToEndId is too long to keep beside the UETR in a notice reference of \(maxReference) bytes")
        }
        var identity: PaymentIdentity?
        if let uetr {
            identity = .uetr(uetr)
        } else if endToEndID.trimmingXMLSpace() == ReferenceMapping.notProvided {
            issue(
                endToEnd,
                "the payment has no UETR and its EndToEndId is \(ReferenceMapping.notProvided): nothing identifies it, so a second import could settle it twice"
            )
        } else {
            // The instructing agent: the transaction's, else the group's, else the debtor's agent.
            let agentNode = XMLDocument.child(tx, "InstgAgt") ?? XMLDocument.child(group, "InstgAgt") ?? XMLDocument.child(tx, "DbtrAgt")
            if let agentNode, let agent = agentIdentity(agentNode) {
                identity = .endToEnd(id: endToEndID, agent: agent)
            } else {
                issue(
                    agentNode ?? tx,
                    "the payment has no UETR, and its instructing agent has no BICFI, LEI or ClrSysMmbId/MmbId to identify it with its EndToEndId"
                )
            }
        }
        let start = windowStart(tx, group: group, issue: issue)
        guard let from, let to, let identity, let start, issues.isEmpty else {
            return .failure(XMLIssues(issues))
        }
        return .success(
            TransferIntent(
                from: from, to: to, amount: XMLDocument.text(amountNode).trimmingXMLSpace(), currency: currency,
                reference: reference, endToEndID: endToEndID, uetr: uetr, identity: identity, createdAt: start.0,
                createdAtPath: start.1, path: XMLDocument.path(of: tx)))
    }

    /// An agent's identification, as the nonce derivation takes it: `BICFI:<BIC>`, else
    /// `LEI:<LEI>`, else `ClrSysMmbId:<ClrSysId/Cd or /Prtry>:<MmbId>`; nil when it has none of them.
    static func agentIdentity(_ agent: xmlNodePtr) -> String? {
        let text: (xmlNodePtr) -> String = { XMLDocument.text($0).trimmingXMLSpace() }
        if let bic = XMLDocument.child(agent, "FinInstnId", "BICFI") { return "BICFI:" + text(bic) }
        if let lei = XMLDocument.child(agent, "FinInstnId", "LEI") { return "LEI:" + text(lei) }
        if let member = XMLDocument.child(agent, "FinInstnId", "ClrSysMmbId"), let id = XMLDocument.child(member, "MmbId") {
            let system = XMLDocument.child(member, "ClrSysId", "Cd") ?? XMLDocument.child(member, "ClrSysId", "Prtry")
            return "ClrSysMmbId:" + (system.map(text) ?? "") + ":" + text(id)
        }
        return nil
    }

    /// Where the notice's window starts, and the element it comes from: the transaction's
    /// `IntrBkSttlmDt`, else the group's, at 00:00:00Z (a time zone on the date is ignored: it is
    /// the calendar date); else `GrpHdr/CreDtTm` in UTC (without a time zone, read as UTC).
    private static func windowStart(
        _ tx: xmlNodePtr, group: xmlNodePtr, issue: (xmlNodePtr, String) -> Void
    ) -> (Timestamp, String)? {
        let range = "a Cairn time is from 1970 to 9999 UTC, in whole seconds"
        if let date = XMLDocument.child(tx, "IntrBkSttlmDt") ?? XMLDocument.child(group, "IntrBkSttlmDt") {
            guard let t = settlementDate(XMLDocument.text(date).trimmingXMLSpace()) else {
                issue(date, "the settlement date cannot start the notice's window: \(range)")
                return nil
            }
            return (t, XMLDocument.path(of: date))
        }
        guard let created = XMLDocument.child(group, "CreDtTm"), let t = dateTime(XMLDocument.text(created).trimmingXMLSpace()) else {
            issue(XMLDocument.child(group, "CreDtTm") ?? group, "the creation time cannot start the notice's window: \(range)")
            return nil
        }
        return (t, XMLDocument.path(of: created))
    }

    /// An `ISODate` (`YYYY-MM-DD`, optionally with a time zone, which is ignored) at 00:00:00Z.
    static func settlementDate(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        guard b.count >= 10, b.count == 10 || isZone(b[10...]) else { return nil }
        return Timestamp(rfc3339: String(decoding: b[..<10], as: UTF8.self) + "T00:00:00Z")
    }

    /// An `ISODateTime` (`YYYY-MM-DDThh:mm:ss[.fraction][zone]`) in UTC, the fraction dropped;
    /// without a zone it is read as UTC.
    static func dateTime(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        guard b.count >= 19, let base = Timestamp(rfc3339: String(decoding: b[..<19], as: UTF8.self) + "Z") else { return nil }
        var rest = b[19...]
        if rest.first == UInt8(ascii: ".") {
            let digits = rest.dropFirst().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(1 + digits.count)
        }
        guard rest.isEmpty || isZone(rest) else { return nil }
        guard rest.count == 6 else { return base }
        let hours = Int64(rest[rest.startIndex + 1] - 48) * 10 + Int64(rest[rest.startIndex + 2] - 48)
        let minutes = Int64(rest[rest.startIndex + 4] - 48) * 10 + Int64(rest[rest.startIndex + 5] - 48)
        let offset = (hours * 60 + minutes) * 60
        let t = base.adding(seconds: rest.first == UInt8(ascii: "+") ? -offset : offset)
        // Still a time Cairn can write.
        return Timestamp(rfc3339: t.description)
    }

    /// `Z`, or `+hh:mm` / `-hh:mm` with hh ≤ 14 and mm < 60.
    static func isZone(_ z: ArraySlice<UInt8>) -> Bool {
        if z.count == 1 { return z.first == UInt8(ascii: "Z") }
        let b = Array(z)
        let digit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard b.count == 6, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), digit(b[1]), digit(b[2]), b[3] == UInt8(ascii: ":"),
            digit(b[4]), digit(b[5])
        else { return false }
        return (Int(b[1] - 48) * 10 + Int(b[2] - 48)) <= 14 && b[4] < UInt8(ascii: "6")
    }

    /// The Cairn account of one side: the account id (`IBAN` or `Othr/Id`) through `accounts`,
    /// else the agent's `BICFI` through `agents` and `accountFor(member, currency)`.
    private static func resolve(
        _ tx: xmlNodePtr, account: String, agent: String, currency: String, accounts map: AccountMap, issues: inout [XMLIssue]
    ) -> String? {
        var tried: [String] = []
        var blame = tx
        if let accountNode = XMLDocument.child(tx, account),
            let idNode = XMLDocument.child(accountNode, "Id", "IBAN") ?? XMLDocument.child(accountNode, "Id", "Othr", "Id")
        {
            let id = XMLDocument.text(idNode).trimmingXMLSpace()
            if let cairn = map.accounts[id] { return cairn }
            tried.append("account \(id) is not in the account map")
            blame = idNode
        }
        if let bicNode = XMLDocument.child(tx, agent, "FinInstnId", "BICFI") {
            let bic = XMLDocument.text(bicNode).trimmingXMLSpace()
            if let member = map.agents[bic] {
                if let cairn = map.accountFor(member, currency) { return cairn }
                tried.append("member \(member) (agent \(bic)) has no \(currency) account")
            } else {
                tried.append("agent \(bic) is not in the account map")
            }
            if tried.count == 1 { blame = bicNode }
        } else {
            tried.append("\(agent) has no BICFI")
        }
        let node = blame == tx ? (XMLDocument.child(tx, agent) ?? tx) : blame
        issues.append(
            XMLIssue(
                line: XMLDocument.line(node), path: XMLDocument.path(of: node),
                message: "\(account == "DbtrAcct" ? "debtor" : "creditor") is unmapped: " + tried.joined(separator: "; ")))
        return nil
    }
}

extension String {
    /// Without leading and trailing XML white space (space, TAB, CR, LF).
    func trimmingXMLSpace() -> String {
        let space: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !space($0) }), let last = scalars.lastIndex(where: { !space($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }
}
