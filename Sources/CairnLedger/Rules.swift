import CairnCore
import CairnScript

/// What a notice does to the state once its checks pass.
public enum Effect: Sendable {
    case deposit(to: String, amount: Int64)
    case transfer(from: String, to: String, amount: Int64)
    case keys(member: String, add: [VerifierKey], remove: [VerifierKey])
    case deploy(Contract)
    /// contract.open or contract.act: evaluated by the interpreter at block time.
    case contract
}

/// The outcome of checking a submission: whether its signatures already satisfy its policy.
public struct Admission: Sendable, Equatable {
    public var complete: Bool
    /// What the policy still needs, e.g. `all(sig(bank-b.example))`; nil when complete.
    public var missing: String?
}

/// A submission with its signatures checked against the keys of one state, off the ledger's
/// thread (see `Ledger.check`).
///
/// Immutable, and a class: admission passes batches of them around, and a copy of a class is one
/// reference rather than one per field, retained on the ledger's thread.
public final class CheckedEnvelope: Sendable {
    /// The envelope with its leaf bytes, Merkle leaf hash and checks, worked out here too, off the
    /// ledger's thread: sealing takes this entry itself while the checks hold.
    let entry: ParsedEntry
    public var envelope: Envelope { entry.envelope }
    public var leaf: [UInt8] { entry.leaf }
    public var leafHash: Hash { entry.leafHash }
    /// The notice's fields, signers and policy checked against the same state, for admission to
    /// reuse while they hold (see `Rules.Checks`); nil when they fail, so admission names why.
    var checks: Rules.Checks? { entry.checks }
    /// Why a signature does not verify; nil when all do.
    public let failure: CairnError?
    /// The `keysVersion` of the state checked against: admission checks again if keys changed since.
    public let keysVersion: Int

    public init(_ envelope: Envelope, in state: LedgerState) {
        let leaf = envelope.leaf
        entry = ParsedEntry(
            leaf: leaf, envelope: envelope, leafHash: Merkle.leafHash(leaf), checks: try? Rules.Checks(envelope, in: state))
        keysVersion = state.keysVersion
        var failure: CairnError?
        do throws(CairnError) { try Rules.verifySignatures(envelope, in: state) } catch { failure = error }
        self.failure = failure
    }
}

/// A notice on its way into a block: its leaf, parsed, with its Merkle leaf hash and what
/// admission worked out about it. Immutable, and a class, as `CheckedEnvelope` is: it is copied on
/// its way into a block.
final class ParsedEntry: Sendable {
    let leaf: [UInt8]
    let envelope: Envelope
    let leafHash: Hash
    /// What admission worked out, for sealing to reuse (see `Rules.Checks`).
    let checks: Rules.Checks?

    /// Parses a pool row.
    convenience init(leaf: [UInt8]) throws(CairnError) {
        self.init(leaf: leaf, envelope: try Envelope(leaf: leaf), leafHash: Merkle.leafHash(leaf))
    }

    init(leaf: [UInt8], envelope: Envelope, leafHash: Hash, checks: Rules.Checks? = nil) {
        self.leaf = leaf
        self.envelope = envelope
        self.leafHash = leafHash
        self.checks = checks
    }
}

/// The ledger's rules for notices. Pure: the time and the state are passed in.
public enum Rules {
    /// The genesis policy that governs a notice kind.
    public static func policyName(_ kind: Notice.Kind) -> String {
        switch kind {
        case .deposit: "deposit"
        case .transfer: "transfer"
        case .memberUpdate, .contractDeploy: "governance"
        case .contractOpen, .contractAct: "contract"
        }
    }

    /// Checks the notice's fields against genesis and the state, and works out its effect.
    public static func effect(of n: Notice, in state: LedgerState) throws(CairnError) -> Effect {
        let g = state.genesis
        guard g.isMember(n.submitter) else {
            throw CairnError(.unknownMember, "notice \(n.id): submitter \(n.submitter) is not a member")
        }
        guard n.createdAt <= n.expiresAt else {
            throw CairnError(.invalidField, "notice \(n.id): expiresAt is before createdAt")
        }
        if n.contract != nil { return try Contracts.check(n, in: state) }
        if let m = n.money {
            guard let digits = g.minorDigits(m.currency) else {
                throw CairnError(.unknownCurrency, "notice \(n.id): unknown currency \(m.currency)")
            }
            guard let amount = Amount.parse(m.amount, minorDigits: digits) else {
                let example = Amount.format(125_000, minorDigits: digits)
                throw CairnError(
                    .invalidAmount,
                    "notice \(n.id): amount \"\(m.amount)\" is not a \(m.currency) amount with exactly \(digits) minor digits, like \"\(example)\""
                )
            }
            guard amount > 0 else { throw CairnError(.invalidAmount, "notice \(n.id): amount must be positive") }
            func check(_ id: String) throws(CairnError) {
                guard let a = state.account(id) else { throw CairnError(.unknownAccount, "notice \(n.id): unknown account \(id)") }
                guard a.currency == m.currency else {
                    throw CairnError(.currencyMismatch, "notice \(n.id): account \(id) holds \(a.currency), not \(m.currency)")
                }
            }
            if let from = m.from { try check(from) }
            try check(m.to)
            if let from = m.from { return .transfer(from: from, to: m.to, amount: amount) }
            return .deposit(to: m.to, amount: amount)
        }
        let u = n.memberUpdate!
        guard let current = state.keys[u.member] else {
            throw CairnError(.unknownMember, "notice \(n.id): \(u.member) is not a member")
        }
        for k in u.addKeys where current.contains(k) {
            throw CairnError(.invalidKey, "notice \(n.id): \(k.name)+\(k.keyIDHex) is already an active key")
        }
        for k in u.removeKeys where !current.contains(k) {
            throw CairnError(.invalidKey, "notice \(n.id): \(k.name)+\(k.keyIDHex) is not an active key")
        }
        let after = current.filter { !u.removeKeys.contains($0) } + u.addKeys
        guard after.contains(where: { $0.type == .ed25519 }) else {
            throw CairnError(.invalidKey, "notice \(n.id): \(u.member) would be left without a signing key")
        }
        let isWitness = g.member(u.member)!.roles.contains(.witness)
        for k in u.addKeys where k.type == .cosignature && !isWitness {
            throw CairnError(.invalidKey, "notice \(n.id): only witnesses may have cosignature (0x04) keys")
        }
        return .keys(member: u.member, add: u.addKeys, remove: u.removeKeys)
    }

    /// The notice's policy with roles, payer and payee resolved to member names.
    public static func policy(for n: Notice, in state: LedgerState) -> Policy {
        if n.kind == .contractOpen || n.kind == .contractAct { return Contracts.policy(for: n, in: state) }
        let payer = n.money?.from.map(Account.owner(of:))
        let payee = n.money.map { Account.owner(of: $0.to) }
        let policy = state.genesis.policy(policyName(n.kind)) ?? .any([])
        return policy.resolved(in: state.policyContext(payer: payer, payee: payee))
    }

    /// Checks each signature's signer and key against the state, without the cryptography.
    /// Returns the signers; throws for an unknown signer or key, or a signer the policy does not allow.
    static func signers(of e: Envelope, policy: Policy, in state: LedgerState) throws(CairnError) -> Set<String> {
        var out = Set<String>(minimumCapacity: e.signatures.count)
        for s in e.signatures {
            guard state.key(s.signer, s.keyID) != nil else {
                guard state.keys[s.signer] != nil else {
                    throw CairnError(.unknownSigner, "notice \(e.notice.id): signer \(s.signer) is not a member")
                }
                throw CairnError(.unknownKey, "notice \(e.notice.id): key \(s.signer)+\(s.keyIDHex) is not an active key of \(s.signer)")
            }
            guard policy.allows(s.signer) else {
                throw CairnError(
                    .signerNotAllowed,
                    "notice \(e.notice.id): the \(policyName(e.notice.kind)) policy \(policy) does not allow \(s.signer) to sign")
            }
            out.insert(s.signer)
        }
        return out
    }

    /// Verifies every signature cryptographically against the state's keys.
    public static func verifySignatures(_ e: Envelope, in state: LedgerState) throws(CairnError) {
        let message = e.notice.signingMessage
        for s in e.signatures {
            guard let key = state.key(s.signer, s.keyID) else {
                throw CairnError(.unknownKey, "notice \(e.notice.id): key \(s.signer)+\(s.keyIDHex) is not an active key of \(s.signer)")
            }
            guard key.isValidSignature(s.sig, for: message) else {
                throw CairnError(.badSignature, "notice \(e.notice.id): signature by \(s.signer)+\(s.keyIDHex) does not verify")
            }
        }
    }

    /// What the checks of a notice work out from its fields, genesis and the members' keys: its
    /// effect, its signers and what its resolved policy still needs of them.
    /// `admitted` returns them so that `apply` can take them instead of working them out again,
    /// while the keys are those they were worked out with. Contract notices, whose checks also
    /// read the contracts and instances, never reuse them.
    public struct Checks: Sendable {
        let effect: Effect
        let signers: Set<String>
        /// What the policy still needs of the signers (`Policy.missing`), and the policy itself
        /// for the error that names it; both nil when the signers satisfy it. Worked out here,
        /// where a node checks signatures, rather than twice on the ledger's thread, which then
        /// neither walks nor frees a satisfied policy.
        let missing: (needs: String, policy: Policy)?
        let keysVersion: Int

        init(_ e: Envelope, in state: LedgerState) throws(CairnError) {
            effect = try Rules.effect(of: e.notice, in: state)
            let policy = Rules.policy(for: e.notice, in: state)
            signers = try Rules.signers(of: e, policy: policy, in: state)
            missing = policy.missing(given: signers).map { ($0, policy) }
            keysVersion = state.keysVersion
        }

        /// Whether these are still what `init` would work out in `state`.
        func hold(in state: LedgerState) -> Bool {
            switch effect {
            case .deposit, .transfer, .keys: keysVersion == state.keysVersion
            case .deploy, .contract: false
            }
        }
    }

    /// Checks a submission: fields, expiry against `now`, signers, and every signature (unless
    /// `signaturesVerified` says they were checked against these keys already).
    public static func admit(
        _ e: Envelope, in state: LedgerState, now: Timestamp, signaturesVerified: Bool = false
    ) throws(CairnError) -> Admission {
        try admitted(e, in: state, now: now, signaturesVerified: signaturesVerified).admission
    }

    /// `admit`, with the checks that `apply` may reuse. `checks` worked out earlier for this
    /// envelope are taken while they hold.
    static func admitted(
        _ e: Envelope, in state: LedgerState, now: Timestamp, signaturesVerified: Bool = false, checks earlier: Checks? = nil
    ) throws(CairnError) -> (admission: Admission, checks: Checks) {
        let n = e.notice
        guard n.expiresAt >= now else {
            throw CairnError(.expired, "notice \(n.id): expired at \(n.expiresAt), it is now \(now)")
        }
        // Every signature is checked below, and must be by a party the policy names: one is the
        // least that binds a notice to somebody before it takes room in the pool.
        guard !e.signatures.isEmpty else {
            throw CairnError(
                .unsignedNotice, "notice \(n.id) carries no signature: sign it first (`cairn sign`), by a party its policy names")
        }
        let checks: Checks
        if let earlier, earlier.hold(in: state) { checks = earlier } else { checks = try Checks(e, in: state) }
        if !signaturesVerified { try verifySignatures(e, in: state) }
        try Contracts.possibleAct(n, in: state, at: now)
        var missing = checks.missing?.needs
        if missing == nil { missing = Contracts.needs(n, signers: checks.signers, in: state, now: now) }
        return (Admission(complete: missing == nil, missing: missing), checks)
    }

    /// Applies a complete notice at block time `time`. `signaturesVerified` says that every
    /// signature was checked cryptographically against the key it names (at admission, or by the
    /// verifier's parallel pass); here only the keys' activity and the policy are checked.
    /// `checks` from `admitted` are taken instead of being worked out again while they hold.
    /// On rejection the state is unchanged.
    public static func apply(
        _ e: Envelope, to state: inout LedgerState, time: Timestamp, signaturesVerified: Bool,
        refStatus: (String) -> Bool, checks: Checks? = nil
    ) -> Result<Effect, CairnError> {
        let n = e.notice
        do throws(CairnError) {
            guard n.expiresAt >= time else {
                throw CairnError(.expired, "notice \(n.id): expired at \(n.expiresAt), before the block time \(time)")
            }
            let c: Checks
            if let checks, checks.hold(in: state) { c = checks } else { c = try Checks(e, in: state) }
            if !signaturesVerified { try verifySignatures(e, in: state) }
            if let missing = c.missing {
                throw CairnError(.policyUnsatisfied, "notice \(n.id): signatures do not satisfy \(missing.policy)")
            }
            let (effect, signers) = (c.effect, c.signers)
            for ref in n.refs where !refStatus(ref) {
                throw CairnError(.unknownRef, "notice \(n.id): ref \(ref) is not a committed notice")
            }
            if case .contract = effect {
                try Contracts.perform(n, signers: signers, time: time, on: &state)
            } else {
                try perform(effect, on: &state, id: n.id)
            }
            return .success(effect)
        } catch {
            return .failure(error)
        }
    }

    static func perform(_ effect: Effect, on state: inout LedgerState, id: String) throws(CairnError) {
        switch effect {
        case .deposit(let to, let amount):
            let (sum, overflow) = state.balance(to)!.addingReportingOverflow(amount)
            guard !overflow else { throw CairnError(.overflow, "notice \(id): crediting \(to) overflows Int64") }
            state.setBalance(to, sum)
        case .transfer(let from, let to, let amount):
            try state.debit(from, amount, id: id)
            let (sum, overflow) = state.balance(to)!.addingReportingOverflow(amount)
            guard !overflow else { throw CairnError(.overflow, "notice \(id): crediting \(to) overflows Int64") }
            state.setBalance(to, sum)
        case .keys(let member, let add, let remove):
            state.setKeys(member, state.keys[member]!.filter { !remove.contains($0) } + add)
        case .deploy(let contract):
            state.addContract(contract)
        case .contract:
            break  // evaluated with the block time and signers by Contracts.perform
        }
    }
}
