// How pacs.008 account and agent identifiers map onto Cairn accounts.

import Foundation

/// The table that maps pacs.008 identifiers to Cairn, as JSON:
///
/// ```json
/// {"accounts": {"DE89370400440532013000": "bank-a.example/eur", "ACC-7": "bank-b.example/eur"},
///  "agents": {"BANKDEFFXXX": "bank-a.example"}}
/// ```
///
/// `accounts` keys are an `IBAN` or an `Othr/Id` exactly as written in `DbtrAcct`/`CdtrAcct`;
/// values are Cairn accounts `<member>/<label>`. `agents` keys are `BICFI` values of
/// `DbtrAgt`/`CdtrAgt`; values are member names. An account that is absent (or not in the
/// table) falls back to its agent: the agent's member, then `accountFor(member, currency)`
/// (the member's account in the settlement currency, from the genesis).
public struct AccountMap: Sendable {
    public var accounts: [String: String]
    public var agents: [String: String]
    public var accountFor: @Sendable (_ member: String, _ currency: String) -> String?

    public init(
        accounts: [String: String] = [:], agents: [String: String] = [:],
        accountFor: @escaping @Sendable (_ member: String, _ currency: String) -> String? = { _, _ in nil }
    ) {
        self.accounts = accounts
        self.agents = agents
        self.accountFor = accountFor
    }

    /// Reads the JSON table; both keys are optional, unknown keys are refused.
    public init(
        json: [UInt8], accountFor: @escaping @Sendable (_ member: String, _ currency: String) -> String? = { _, _ in nil }
    ) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw AccountMapError("the account map must be a JSON object")
        }
        if let unknown = object.keys.first(where: { $0 != "accounts" && $0 != "agents" }) {
            throw AccountMapError("unknown key \(unknown) in the account map")
        }
        func table(_ key: String) throws -> [String: String] {
            guard let value = object[key] else { return [:] }
            guard let table = value as? [String: String] else { throw AccountMapError("\(key) must map strings to strings") }
            return table
        }
        self.init(accounts: try table("accounts"), agents: try table("agents"), accountFor: accountFor)
    }
}

public struct AccountMapError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
