/// A signer policy from genesis: `sig(name)`, `all(a, ...)`, `any(a, ...)`, `thresh(k, a, ...)`,
/// `payer`, `payee` and `role(r)`.
///
/// Inside `all`, `any` and `thresh`, `role(r)` stands for every member with role `r`, one argument
/// each, so `thresh(2, role(validator))` is 2 of the validators. On its own, `role(r)` means any
/// one member with that role.
public indirect enum Policy: Sendable, Equatable, CustomStringConvertible {
    case sig(String)
    case role(String)
    case payer
    case payee
    case all([Policy])
    case any([Policy])
    case thresh(Int, [Policy])

    public var description: String {
        switch self {
        case .sig(let n): "sig(\(n))"
        case .role(let r): "role(\(r))"
        case .payer: "payer"
        case .payee: "payee"
        case .all(let a): "all(\(a.map(\.description).joined(separator: ", ")))"
        case .any(let a): "any(\(a.map(\.description).joined(separator: ", ")))"
        case .thresh(let k, let a): "thresh(\(k), \(a.map(\.description).joined(separator: ", ")))"
        }
    }

    /// Everything a policy needs to know about one notice: who holds each role, and the owners of
    /// `from` and `to` for money notices.
    public struct Context: Sendable {
        public var roleMembers: @Sendable (String) -> [String]
        public var payer: String?
        public var payee: String?

        public init(roleMembers: @escaping @Sendable (String) -> [String], payer: String? = nil, payee: String? = nil) {
            self.roleMembers = roleMembers
            self.payer = payer
            self.payee = payee
        }
    }

    /// The policy with roles, payer and payee replaced by member names (`sig` leaves only).
    public func resolved(in ctx: Context) -> Policy {
        func args(_ list: [Policy]) -> [Policy] {
            list.flatMap { p -> [Policy] in
                if case .role(let r) = p { return ctx.roleMembers(r).map(Policy.sig) }
                return [p.resolved(in: ctx)]
            }
        }
        switch self {
        case .sig: return self
        case .role(let r): return .any(ctx.roleMembers(r).map(Policy.sig))
        // An unknown payer or payee can never be satisfied: `any()` is false.
        case .payer: return ctx.payer.map(Policy.sig) ?? .any([])
        case .payee: return ctx.payee.map(Policy.sig) ?? .any([])
        case .all(let a): return .all(args(a))
        case .any(let a): return .any(args(a))
        case .thresh(let k, let a): return .thresh(k, args(a))
        }
    }

    /// Whether the signers satisfy a resolved policy.
    public func isSatisfied(by signers: Set<String>) -> Bool {
        switch self {
        case .sig(let n): signers.contains(n)
        case .role, .payer, .payee: false  // unresolved: never satisfied
        case .all(let a): a.allSatisfy { $0.isSatisfied(by: signers) }
        case .any(let a): a.contains { $0.isSatisfied(by: signers) }
        case .thresh(let k, let a): a.count(where: { $0.isSatisfied(by: signers) }) >= k
        }
    }

    /// Whether member `name` appears in a resolved policy: only those may sign under it.
    public func allows(_ name: String) -> Bool {
        switch self {
        case .sig(let n): n == name
        case .role, .payer, .payee: false
        case .all(let a), .any(let a), .thresh(_, let a): a.contains { $0.allows(name) }
        }
    }

    /// A human description of what is still missing for a resolved policy, or nil when satisfied.
    public func missing(given signers: Set<String>) -> String? {
        guard !isSatisfied(by: signers) else { return nil }
        switch self {
        case .sig(let n): return "sig(\(n))"
        case .all(let a): return "all(\(a.compactMap { $0.missing(given: signers) }.joined(separator: ", ")))"
        case .any(let a): return "any(\(a.map(\.description).joined(separator: ", ")))"
        case .thresh(let k, let a):
            let have = a.count(where: { $0.isSatisfied(by: signers) })
            let open = a.filter { !$0.isSatisfied(by: signers) }.map(\.description)
            return "\(k - have) more of (\(open.joined(separator: ", ")))"
        default: return description
        }
    }
}
