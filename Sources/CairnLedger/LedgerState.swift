import CairnCore

/// The state a block changes: the balance of every account, and the members' current keys.
/// Accounts come from genesis, so the state entries are a fixed, sorted list.
public struct LedgerState: Sendable {
    public let genesis: Genesis
    /// Accounts sorted by (id, currency) as UTF-8 bytes: the state-tree order.
    public let accounts: [Account]
    private let accountIndex: [String: Int]
    public private(set) var balances: [Int64]
    /// Each member's active keys, by name.
    public private(set) var keys: [String: [VerifierKey]]
    /// Counts key changes, so work checked against one set of keys can tell it is stale.
    public private(set) var keysVersion = 0
    private var tree: StateTree

    public init(genesis: Genesis) {
        self.genesis = genesis
        accounts = genesis.accounts.sorted {
            $0.id == $1.id ? $0.currency < $1.currency : $0.id.utf8.lexicographicallyPrecedes($1.id.utf8)
        }
        var index: [String: Int] = [:]
        for (i, a) in accounts.enumerated() { index[a.id] = i }
        accountIndex = index
        balances = Array(repeating: 0, count: accounts.count)
        var keys: [String: [VerifierKey]] = [:]
        for m in genesis.members { keys[m.name] = m.keys }
        self.keys = keys
        tree = StateTree(leaves: accounts.map { LedgerState.entry($0, balance: 0, genesis: genesis) })
    }

    public var stateRoot: Hash { tree.root }

    public func account(_ id: String) -> Account? { accountIndex[id].map { accounts[$0] } }
    public func balance(_ id: String) -> Int64? { accountIndex[id].map { balances[$0] } }

    mutating func setBalance(_ id: String, _ value: Int64) {
        let i = accountIndex[id]!
        balances[i] = value
        tree.update(i, leaf: LedgerState.entry(accounts[i], balance: value, genesis: genesis))
    }

    /// Restores balances read from a store (account id to minor units).
    public mutating func restore(balances stored: [(account: String, balance: Int64)]) throws(CairnError) {
        for (id, value) in stored {
            guard accountIndex[id] != nil else { throw CairnError(.storage, "stored balance for unknown account \(id)") }
            setBalance(id, value)
        }
    }

    mutating func setKeys(_ member: String, _ list: [VerifierKey]) {
        keys[member] = list
        keysVersion += 1
    }

    /// The active key of `member` with `keyID`, if any.
    public func key(_ member: String, _ keyID: UInt32) -> VerifierKey? {
        keys[member]?.first { $0.keyID == keyID && $0.type == .ed25519 }
    }

    /// The state-tree leaf of one balance: `JCS({"account", "balance", "currency", "entry": "balance"})`.
    public static func entry(_ a: Account, balance: Int64, genesis: Genesis) -> [UInt8] {
        let digits = genesis.minorDigits(a.currency) ?? 0
        return JSON.canonical(
            .object(
                JSONObject([
                    ("account", .string(a.id)), ("balance", .string(Amount.format(balance, minorDigits: digits))),
                    ("currency", .string(a.currency)), ("entry", .string("balance")),
                ])))
    }

    /// The state-tree leaf and inclusion proof of one account's balance.
    public func balanceProof(_ id: String) -> (index: Int, leaf: [UInt8], proof: [Hash])? {
        guard let i = accountIndex[id] else { return nil }
        return (i, LedgerState.entry(accounts[i], balance: balances[i], genesis: genesis), tree.proof(i))
    }

    public func policyContext(payer: String? = nil, payee: String? = nil) -> Policy.Context {
        let members = genesis.members
        return Policy.Context(
            roleMembers: { role in members.filter { $0.roles.contains { $0.rawValue == role } }.map(\.name) },
            payer: payer, payee: payee)
    }
}
