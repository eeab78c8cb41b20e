import Crypto

/// The roles a member can hold.
public enum Role: String, Sendable, CaseIterable {
    case partner, validator, auditor, witness, issuer
}

public struct Account: Sendable, Equatable {
    /// `<member>/<label>`; its owner is the member before the slash.
    public var id: String
    public var currency: String
    /// How far below zero the balance may go, in minor units (non-negative).
    public var creditLimit: Int64

    public var owner: String { Account.owner(of: id) }

    /// The member part of an account id, before its first `/` (by bytes: names are ASCII).
    public static func owner(of id: String) -> String {
        guard let slash = id.utf8.firstIndex(of: UInt8(ascii: "/")) else { return id }
        return String(id[..<slash])
    }
}

public struct Member: Sendable, Equatable {
    public var name: String
    public var roles: [Role]
    /// Note-signing keys (type 0x01), and for witnesses cosigning keys (type 0x04).
    public var keys: [VerifierKey]
    public var accounts: [Account]
    /// For witnesses: the base URL of their C2SP tlog-witness endpoint (`<url>/add-checkpoint`),
    /// where the node sends each new checkpoint.
    public var url: String? = nil
}

/// The consortium's genesis file (DESIGN §1.5). Block 0 commits to
/// `SHA-256("cairn/v1/genesis\n" || JCS(genesis))`.
///
/// Immutable, and a class: the rules read it several times per notice through the state, and a
/// copy of a class is one reference rather than one per field.
public final class Genesis: Sendable {
    public static let requiredPolicies = ["deposit", "transfer", "finality", "witness", "governance"]

    public let origin: String
    public let time: Timestamp
    /// Currency code to minor digits, sorted by code.
    public let currencies: [(code: String, minorDigits: Int)]
    public let members: [Member]
    public let policies: [(name: String, policy: Policy)]
    /// `JCS(genesis file)`.
    public let canonicalBytes: [UInt8]
    public let hash: Hash

    public static let hashTag = Array("cairn/v1/genesis\n".utf8)

    /// Lookups by name, for the rules, which ask several per notice: a scan of `members` copies
    /// each member it passes.
    private let memberIndex: [String: Int]
    private let digitsByCode: [String: Int]
    private let policyByName: [String: Policy]
    /// Member names by role, in genesis order.
    private let membersByRole: [String: [String]]

    public func member(_ name: String) -> Member? { memberIndex[name].map { members[$0] } }
    public func isMember(_ name: String) -> Bool { memberIndex[name] != nil }
    public func minorDigits(_ currency: String) -> Int? { digitsByCode[currency] }
    public func policy(_ name: String) -> Policy? { policyByName[name] }
    public var accounts: [Account] { members.flatMap(\.accounts) }
    public func account(_ id: String) -> Account? { accounts.first { $0.id == id } }
    public func members(withRole role: String) -> [String] { membersByRole[role] ?? [] }

    /// Parses and validates a genesis file. Errors name the JSON path (`$.members[1].keys[0]`),
    /// or the line and column for malformed JSON.
    public convenience init(bytes: [UInt8]) throws(CairnError) {
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch { throw CairnError(.invalidGenesis, "malformed JSON: \(error)") }
        do { try self.init(value: value) } catch { throw CairnError(.invalidGenesis, error.message) }
    }

    init(value: JSONValue) throws(CairnError) {
        var r = try FieldReader(value)
        guard try r.int("cairn") == 1 else { throw r.fail("cairn", "unsupported version (this is Cairn 1)") }
        origin = try r.string("origin")
        guard !origin.isEmpty, !origin.contains("\n"), origin.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw r.fail("origin", "must be non-empty printable ASCII without spaces")
        }
        _ = try r.optionalString("note")  // free text for people, e.g. "demo keys, insecure"
        time = try r.timestamp("time")

        guard case .object(let cur) = try r.value("currencies"), !cur.members.isEmpty else {
            throw r.fail("currencies", "expected a non-empty object")
        }
        var currencies: [(String, Int)] = []
        for (code, spec) in cur.members {
            var c = try FieldReader(spec, path: "$.currencies.\(code)")
            guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5a }) else {
                throw r.fail("currencies.\(code)", "a currency code is three upper-case letters (ISO 4217)")
            }
            let digits = try c.int("minorDigits")
            guard (0...8).contains(digits) else { throw c.fail("minorDigits", "must be between 0 and 8") }
            try c.finish()
            currencies.append((code, Int(digits)))
        }
        self.currencies = currencies.sorted { $0.0 < $1.0 }

        var members: [Member] = []
        for (i, item) in try r.array("members").enumerated() {
            members.append(try Genesis.member(item, path: "$.members[\(i)]", currencies: self.currencies))
        }
        guard !members.isEmpty else { throw r.fail("members", "no members") }
        var names = Set<String>()
        var accountIDs = Set<String>()
        for (i, m) in members.enumerated() {
            guard names.insert(m.name).inserted else { throw r.fail("members[\(i)].name", "duplicate member \(m.name)") }
            for (j, a) in m.accounts.enumerated() where !accountIDs.insert(a.id).inserted {
                throw r.fail("members[\(i)].accounts[\(j)].id", "duplicate account \(a.id)")
            }
        }
        // One Ed25519 key signs for one member, once: a key shared by two members (or listed twice
        // by one, as 0x01 and 0x04) would let one signature count twice toward a policy.
        var keyOwners: [[UInt8]: String] = [:]
        for (i, m) in members.enumerated() {
            for (j, k) in m.keys.enumerated() {
                let path = "$.members[\(i)].keys[\(j)]"
                if let first = keyOwners[k.publicKey] {
                    throw CairnError(
                        .invalidKey, "\(path): reuses the public key of \(first); a key signs for one member only, and once")
                }
                keyOwners[k.publicKey] = "\(path) (\(m.name))"
            }
        }
        self.members = members
        guard members.contains(where: { $0.roles.contains(.validator) }) else {
            throw r.fail("members", "at least one member needs the validator role")
        }

        guard case .object(let pol) = try r.value("policies") else { throw r.fail("policies", "expected an object") }
        var policies: [(String, Policy)] = []
        for (name, v) in pol.members {
            guard Genesis.requiredPolicies.contains(name) else { throw r.fail("policies.\(name)", Genesis.unknownPolicy(name)) }
            guard case .string(let text) = v else { throw r.fail("policies.\(name)", "expected a policy string") }
            let p: Policy
            do { p = try Policy(parsing: text) } catch { throw r.fail("policies.\(name)", error.message) }
            try Genesis.check(p, named: name, members: members, path: "$.policies.\(name)")
            policies.append((name, p))
        }
        for name in Genesis.requiredPolicies where !policies.contains(where: { $0.0 == name }) {
            throw r.fail("policies.\(name)", "missing")
        }
        self.policies = policies.sorted { $0.0 < $1.0 }
        try r.finish()

        canonicalBytes = JSON.canonical(value)
        hash = Hash.sha256(Genesis.hashTag + canonicalBytes)
        // The first of a name wins, as a scan would find it (the parser refuses duplicates anyway).
        memberIndex = Dictionary(self.members.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        digitsByCode = Dictionary(self.currencies.map { ($0.code, $0.minorDigits) }, uniquingKeysWith: { a, _ in a })
        policyByName = Dictionary(self.policies.map { ($0.name, $0.policy) }, uniquingKeysWith: { a, _ in a })
        var byRole: [String: [String]] = [:]
        for m in self.members {
            for role in Set(m.roles.map(\.rawValue)) { byRole[role, default: []].append(m.name) }
        }
        membersByRole = byRole
    }

    private static func member(_ v: JSONValue, path: String, currencies: [(code: String, minorDigits: Int)]) throws(CairnError) -> Member {
        var r = try FieldReader(v, path: path)
        let name = try r.string("name")
        guard KeyName.isValid(name), !name.contains("/") else {
            throw r.fail("name", "\"\(name)\" is not a valid member name (printable ASCII, no spaces, + or /)")
        }
        var roles: [Role] = []
        for (i, s) in try r.strings("roles").enumerated() {
            guard let role = Role(rawValue: s) else {
                throw r.fail("roles[\(i)]", "unknown role \"\(s)\" (roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            roles.append(role)
        }
        var keys: [VerifierKey] = []
        for (i, s) in try r.strings("keys").enumerated() {
            let key: VerifierKey
            do { key = try VerifierKey(parsing: s) } catch { throw r.fail("keys[\(i)]", error.message, code: .invalidKey) }
            guard key.name == name else { throw r.fail("keys[\(i)]", "key is named \(key.name), not \(name)") }
            guard key.type == .ed25519 || roles.contains(.witness) else {
                throw r.fail("keys[\(i)]", "only witnesses may have cosignature (0x04) keys")
            }
            guard !keys.contains(where: { $0.keyID == key.keyID }) else { throw r.fail("keys[\(i)]", "duplicate key") }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw r.fail("keys", "a member needs at least one key") }
        guard !roles.contains(.validator) || keys.contains(where: { $0.type == .ed25519 }) else {
            throw r.fail("keys", "a validator needs a note-signing (0x01) key to seal blocks and sign checkpoints", code: .invalidKey)
        }
        guard !roles.contains(.witness) || keys.contains(where: { $0.type == .cosignature }) else {
            throw r.fail(
                "keys",
                "a witness needs a cosignature (0x04) key, made by `cairn keygen --witness`: only those count toward the witness policy",
                code: .invalidKey)
        }
        var accounts: [Account] = []
        for (i, a) in (try r.optionalArray("accounts") ?? []).enumerated() {
            var ar = try FieldReader(a, path: "\(path).accounts[\(i)]")
            let id = try ar.string("id")
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name, !parts[1].isEmpty, KeyName.isValid(String(parts[1])) else {
                throw ar.fail("id", "account \"\(id)\" must be named \(name)/<label>")
            }
            let currency = try ar.string("currency")
            guard let digits = currencies.first(where: { $0.code == currency })?.minorDigits else {
                throw ar.fail("currency", "unknown currency \(currency)", code: .unknownCurrency)
            }
            var limit: Int64 = 0
            if let text = try ar.optionalString("creditLimit") {
                guard let l = Amount.parse(text, minorDigits: digits) else {
                    throw ar.fail("creditLimit", "\"\(text)\" is not an amount with \(digits) minor digits")
                }
                limit = l
            }
            try ar.finish()
            accounts.append(Account(id: id, currency: currency, creditLimit: limit))
        }
        let url = try r.optionalString("url")
        if let url {
            guard roles.contains(.witness), url.hasPrefix("https://") || url.hasPrefix("http://"), !url.hasSuffix("/") else {
                throw r.fail(
                    "url", "only a witness has a url: its tlog-witness base URL, http(s)://host[:port][/path] without a trailing /")
            }
        }
        try r.finish()
        return Member(name: name, roles: roles, keys: keys, accounts: accounts, url: url)
    }

    /// Why `name` is not a policy: genesis holds exactly the policies the ledger reads, so a
    /// misspelt or misplaced one is refused rather than silently ignored.
    private static func unknownPolicy(_ name: String) -> String {
        let known = "policies: \(requiredPolicies.joined(separator: ", "))"
        switch Notice.Kind(rawValue: name) {
        case .memberUpdate?, .contractDeploy?:
            return "not a policy: \(name) notices are signed under the governance policy (\(known))"
        case .contractOpen?, .contractAct?:
            return "not a policy: \(name) notices are authorized by their parties and the contract, not by genesis (\(known))"
        default:
            return "unknown policy (\(known))"
        }
    }

    /// Who can ever count toward policy `name`, at genesis: for `finality` the validators with a
    /// note-signing (0x01) key (the only checkpoint signers verifiers count), for `witness` the
    /// witnesses with a cosignature (0x04) key, for the notice policies every member with a 0x01 key.
    private static func eligible(for name: String, members: [Member]) -> (names: [String], who: String) {
        func with(_ role: Role?, _ type: KeyType) -> [String] {
            members.filter { m in role.map(m.roles.contains) ?? true && m.keys.contains { $0.type == type } }.map(\.name)
        }
        switch name {
        case "finality": return (with(.validator, .ed25519), "validators with a note-signing (0x01) key")
        case "witness": return (with(.witness, .cosignature), "witnesses with a cosignature (0x04) key")
        default: return (with(nil, .ed25519), "members with a note-signing (0x01) key")
        }
    }

    private static func check(_ p: Policy, named name: String, members: [Member], path: String) throws(CairnError) {
        let money = name == "transfer" || name == "deposit"
        let (eligible, who) = eligible(for: name, members: members)
        // finality and witness count only their role's signers: a sig() of anyone else never counts.
        let roleBound = name == "finality" || name == "witness"
        func walk(_ p: Policy) throws(CairnError) {
            switch p {
            case .sig(let n):
                guard members.contains(where: { $0.name == n }) else {
                    throw CairnError(.invalidPolicy, "\(path): sig(\(n)) names no member")
                }
                guard !roleBound || eligible.contains(n) else {
                    throw CairnError(.invalidPolicy, "\(path): sig(\(n)) can never count: only \(who) count toward \(name)")
                }
            case .role(let r):
                guard let role = Role(rawValue: r) else { throw CairnError(.invalidPolicy, "\(path): unknown role \(r)") }
                guard members.contains(where: { $0.roles.contains(role) }) else {
                    throw CairnError(.invalidPolicy, "\(path): no member has role \(r)")
                }
            case .payer:
                guard name == "transfer" else { throw CairnError(.invalidPolicy, "\(path): payer is only defined for transfers") }
            case .payee:
                guard money else { throw CairnError(.invalidPolicy, "\(path): payee is only defined for deposits and transfers") }
            case .all(let a), .any(let a):
                for x in a { try walk(x) }
            case .thresh(let k, let a):
                for x in a { try walk(x) }
                let width = a.reduce(0) { n, x in
                    if case .role(let r) = x { return n + members.filter { $0.roles.contains { $0.rawValue == r } }.count }
                    return n + 1
                }
                guard k <= width else {
                    throw CairnError(.invalidPolicy, "\(path): thresh(\(k), ...) can never be met by \(width) signers")
                }
            }
        }
        try walk(p)
        // Policies only grow easier with more signers, so one that all eligible signers together
        // cannot meet can never be met. A consortium without witnesses has no witness policy to
        // meet (`--require-witnesses` then fails), so that one is left as written.
        if name == "witness", !members.contains(where: { $0.roles.contains(.witness) }) { return }
        let payer = "\u{1}payer"
        let payee = "\u{1}payee"
        let roleMembers = members.map { (name: $0.name, roles: $0.roles.map(\.rawValue)) }
        let ctx = Policy.Context(
            roleMembers: { r in roleMembers.filter { $0.roles.contains(r) }.map(\.name) }, payer: payer, payee: payee)
        guard p.resolved(in: ctx).isSatisfied(by: Set(eligible + [payer, payee])) else {
            throw CairnError(
                .invalidPolicy,
                "\(path): \(p) can never be met: only \(who) count toward it, and they are [\(eligible.joined(separator: ", "))]")
        }
    }
}
