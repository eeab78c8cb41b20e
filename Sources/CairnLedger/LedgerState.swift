import CairnCore
import CairnScript

/// One open contract instance: its id (the id of the contract.open notice), its contract's hash,
/// and the interpreter's state (where it stands, its bindings and locked funds).
public struct Instance: Sendable {
    public var id: String
    public var contract: String
    public var state: InstanceState
}

/// Money that a contract moved between an account and an instance: a deposit locked by
/// `contract.open` (or taken by an action), or a payment out of the instance by an action or a
/// timeout. A leaf's own transfer or deposit is not one.
public struct ContractMovement: Sendable, Equatable {
    /// The instance the money went into or came out of: the counterparty.
    public var instance: String
    /// The contract.open or contract.act notice that made it; nil for a timeout that fired.
    public var notice: String?
    public var account: String
    public var currency: String
    /// Minor units: negative when the account was debited (locked into the instance), positive
    /// when it was credited (paid or refunded out of it).
    public var amount: Int64

    public init(instance: String, notice: String?, account: String, currency: String, amount: Int64) {
        self.instance = instance
        self.notice = notice
        self.account = account
        self.currency = currency
        self.amount = amount
    }
}

/// The state a block changes: the balance of every account, the members' current keys, the
/// deployed contracts and the open contract instances. The state tree's entries are the balances
/// (accounts come from genesis, sorted) followed by the open instances, sorted by id.
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
    /// Deployed contracts by hash.
    public private(set) var contracts: [String: Contract] = [:]
    /// Open instances, sorted by id.
    public private(set) var instances: [Instance] = []
    /// Instances that were open after some block and have closed since: an act on one is
    /// `instance_closed`, not `not_found`. Not part of the state root (the store's instance rows
    /// hold the same: `LedgerStore.closedInstances`).
    public private(set) var closedInstances: Set<String> = []
    /// The state tree, but for the balances in `stale`, which are rehashed only when the root
    /// is asked for: a block's many transfers touch few accounts, and a projection never asks.
    private var tree: StateTree
    private var stale = Set<Int>()
    /// When set, the contract movements applied to this state are appended here, in the order
    /// they happen (timeouts first, then each notice's); a reader sets it to `[]` and replays.
    /// Not part of the state root.
    public var journal: [ContractMovement]?

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

    public var stateRoot: Hash {
        mutating get {
            settle()
            return tree.root
        }
    }

    /// Entries in the state tree: the balances, then the open instances.
    public var stateSize: UInt64 { UInt64(tree.count) }

    /// Brings the tree's balance entries up to date.
    private mutating func settle() {
        for i in stale { tree.update(i, leaf: LedgerState.entry(accounts[i], balance: balances[i], genesis: genesis)) }
        stale.removeAll()
    }

    public func account(_ id: String) -> Account? { accountIndex[id].map { accounts[$0] } }
    public func balance(_ id: String) -> Int64? { accountIndex[id].map { balances[$0] } }

    /// Takes `amount` from an account, refusing to go beyond its credit limit. `id` names the
    /// notice (or timeout) in the error.
    mutating func debit(_ account: String, _ amount: Int64, id: String) throws(CairnError) {
        let a = self.account(account)!
        let digits = genesis.minorDigits(a.currency) ?? 0
        let (rest, overflow) = balance(account)!.subtractingReportingOverflow(amount)
        guard !overflow, rest >= -a.creditLimit else {
            throw CairnError(
                .overdraft,
                "notice \(id): couldn't debit \(account): balance \(Amount.format(balance(account)!, minorDigits: digits)) less \(Amount.format(amount, minorDigits: digits)) is beyond its credit limit \(Amount.format(a.creditLimit, minorDigits: digits))"
            )
        }
        setBalance(account, rest)
    }

    mutating func setBalance(_ id: String, _ value: Int64) {
        let i = accountIndex[id]!
        balances[i] = value
        stale.insert(i)
    }

    /// Restores balances read from a store (account id to minor units).
    public mutating func restore(balances stored: [(account: String, balance: Int64)]) throws(CairnError) {
        for (id, value) in stored {
            guard accountIndex[id] != nil else { throw CairnError(.storage, "stored balance for unknown account \(id)") }
            setBalance(id, value)
        }
    }

    /// The instances opened, changed or closed since `old` (nil state: closed), sorted by id.
    public func instanceChanges(since old: LedgerState) -> [(id: String, contract: String, state: [UInt8]?)] {
        var out: [(id: String, contract: String, state: [UInt8]?)] = []
        for i in instances {
            let bytes = i.state.encoded()
            if old.instance(i.id)?.state.encoded() != bytes { out.append((i.id, i.contract, bytes)) }
        }
        for i in old.instances where instance(i.id) == nil { out.append((i.id, i.contract, nil)) }
        return out.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }

    public func instance(_ id: String) -> Instance? {
        instances.first { $0.id == id }
    }

    /// The earliest timeout of any open instance (Unix seconds), or nil when none waits.
    public var nextTimeout: Int64? { instances.compactMap(\.state.nextTimeout).min() }

    /// Records instances the store holds as closed (on rebuilding a state from the store).
    mutating func restore(closed ids: [String]) { closedInstances.formUnion(ids) }

    mutating func record(_ m: ContractMovement) { journal?.append(m) }

    mutating func addContract(_ c: Contract) { contracts[c.hash] = c }

    /// Sets an instance's state; a closed instance leaves the state.
    mutating func setInstance(_ id: String, contract: String, state s: InstanceState) {
        let entryCount = accounts.count
        if let i = instances.firstIndex(where: { $0.id == id }) {
            if s.closed {
                instances.remove(at: i)
                closedInstances.insert(id)
                rebuildTree()
            } else {
                instances[i].state = s
                tree.update(entryCount + i, leaf: LedgerState.entry(instances[i], genesis: genesis))
            }
        } else if !s.closed {
            let i = instances.firstIndex { !$0.id.utf8.lexicographicallyPrecedes(id.utf8) } ?? instances.count
            instances.insert(Instance(id: id, contract: contract, state: s), at: i)
            rebuildTree()
        }
    }

    /// The set of entries changed: build the tree afresh (O(entries); instances open and close rarely).
    private mutating func rebuildTree() {
        stale.removeAll()
        tree = StateTree(
            leaves: accounts.indices.map { LedgerState.entry(accounts[$0], balance: balances[$0], genesis: genesis) }
                + instances.map { LedgerState.entry($0, genesis: genesis) })
    }

    /// The state-tree leaf of an instance:
    /// `JCS({"contract", "entry": "instance", "id", "locked": [{"amount", "currency"}], "state": base64})`.
    public static func entry(_ i: Instance, genesis: Genesis) -> [UInt8] {
        let locked: [JSONValue] = i.state.locked.map {
            .object(
                JSONObject([
                    ("amount", .string(Amount.format($0.amount, minorDigits: genesis.minorDigits($0.currency) ?? 0))),
                    ("currency", .string($0.currency)),
                ]))
        }
        return JSON.canonical(
            .object(
                JSONObject([
                    ("contract", .string(i.contract)), ("entry", .string("instance")), ("id", .string(i.id)),
                    ("locked", .array(locked)), ("state", .string(Base64.encode(i.state.encoded()))),
                ])))
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
    public mutating func balanceProof(_ id: String) -> (index: Int, leaf: [UInt8], proof: [Hash])? {
        guard let i = accountIndex[id] else { return nil }
        settle()
        return (i, LedgerState.entry(accounts[i], balance: balances[i], genesis: genesis), tree.proof(i))
    }

    public func policyContext(payer: String? = nil, payee: String? = nil) -> Policy.Context {
        let genesis = genesis
        return Policy.Context(
            roleMembers: { role in genesis.members(withRole: role) },
            payer: payer, payee: payee)
    }
}
