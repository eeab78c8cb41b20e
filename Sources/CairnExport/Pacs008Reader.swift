// ISO 20022 pacs.008.001.08 FIToFICustomerCreditTransfer import.

import CLibXML2

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
    /// `UETR` when present, else `EndToEndId`.
    public var reference: String
    public var endToEndID: String
    public var uetr: String?
    /// Element path of the `CdtTrfTxInf`, e.g. `/Document/FIToFICstmrCdtTrf/CdtTrfTxInf[2]`.
    public var path: String

    public init(
        from: String, to: String, amount: String, currency: String, reference: String, endToEndID: String, uetr: String?,
        path: String
    ) {
        self.from = from
        self.to = to
        self.amount = amount
        self.currency = currency
        self.reference = reference
        self.endToEndID = endToEndID
        self.uetr = uetr
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
            var intents: [TransferIntent] = []
            var issues: [XMLIssue] = []
            for transaction in XMLDocument.children(message, named: "CdtTrfTxInf") {
                switch intent(transaction, accounts: accounts) {
                case .success(let intent): intents.append(intent)
                case .failure(let problems): issues += problems.issues
                }
            }
            return issues.isEmpty ? .success(intents) : .failure(XMLIssues(issues))
        }
    }

    private static func intent(_ tx: xmlNodePtr, accounts: AccountMap) -> Result<TransferIntent, XMLIssues> {
        // The schema guarantees PmtId/EndToEndId, IntrBkSttlmAmt with Ccy, DbtrAgt and CdtrAgt.
        guard let amountNode = XMLDocument.child(tx, "IntrBkSttlmAmt"), let paymentID = XMLDocument.child(tx, "PmtId"),
            let endToEnd = XMLDocument.child(paymentID, "EndToEndId")
        else {
            return .failure(XMLIssues([XMLIssue(line: XMLDocument.line(tx), path: XMLDocument.path(of: tx), message: "incomplete")]))
        }
        let currency = XMLDocument.attribute(amountNode, "Ccy") ?? ""
        let endToEndID = XMLDocument.text(endToEnd)
        let uetr = XMLDocument.child(paymentID, "UETR").map(XMLDocument.text)
        var issues: [XMLIssue] = []
        let from = resolve(tx, account: "DbtrAcct", agent: "DbtrAgt", currency: currency, accounts: accounts, issues: &issues)
        let to = resolve(tx, account: "CdtrAcct", agent: "CdtrAgt", currency: currency, accounts: accounts, issues: &issues)
        guard let from, let to else { return .failure(XMLIssues(issues)) }
        return .success(
            TransferIntent(
                from: from, to: to, amount: XMLDocument.text(amountNode).trimmingXMLSpace(), currency: currency,
                reference: uetr ?? endToEndID, endToEndID: endToEndID, uetr: uetr, path: XMLDocument.path(of: tx)))
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
