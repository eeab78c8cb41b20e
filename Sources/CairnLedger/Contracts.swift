import CairnCore
import CairnScript
import Synchronization

/// The ledger's side of contracts: converting notice fields to contract values, opening and
/// acting on instances at block time, and firing timeouts at the start of each block.
enum Contracts {
    /// Converts a JSON value from a notice to a contract value of `type`:
    /// party and account and currency are names in genesis; an amount is `"<decimal> <CUR>"` with the
    /// currency's minor digits; a time is RFC 3339 UTC; a hash is lowercase hex; an int is a JSON
    /// integer or a decimal string.
    static func value(_ v: JSONValue, as type: ParamType, path: String, state: LedgerState) throws(CairnError) -> ScriptValue {
        let g = state.genesis
        func fail(_ what: String) -> CairnError { CairnError(.invalidField, "\(path): \(what)") }
        if type == .int {
            if let i = v.int64Value { return .int(i) }
            if case .string(let s) = v, let i = Int64(s), String(i) == s { return .int(i) }
            throw fail("expected an integer")
        }
        guard case .string(let s) = v else { throw fail("expected a string") }
        switch type {
        case .party:
            guard g.member(s) != nil else { throw CairnError(.unknownMember, "\(path): \(s) is not a member") }
            return .party(s)
        case .account:
            guard g.account(s) != nil else { throw CairnError(.unknownAccount, "\(path): unknown account \(s)") }
            return .account(s)
        case .currency:
            guard g.minorDigits(s) != nil else { throw CairnError(.unknownCurrency, "\(path): unknown currency \(s)") }
            return .currency(s)
        case .amount:
            let parts = s.split(separator: " ")
            guard parts.count == 2, let digits = g.minorDigits(String(parts[1])),
                let amount = Amount.parse(String(parts[0]), minorDigits: digits)
            else { throw CairnError(.invalidAmount, "\(path): \"\(s)\" is not an amount like \"125.00 EUR\"") }
            return .amount(amount)
        case .time:
            guard let t = Timestamp(rfc3339: s) else { throw fail("\"\(s)\" is not an RFC 3339 UTC time") }
            return .time(t.seconds)
        case .hash:
            guard let bytes = Hex.decode(s), !bytes.isEmpty, bytes.count <= 1024 else { throw fail("expected lowercase hex") }
            return .bytes(bytes)
        case .int:
            throw fail("expected an integer")
        }
    }

    static func values(_ o: JSONObject, declared: [(name: String, type: ParamType)], path: String, state: LedgerState, all: Bool)
        throws(CairnError) -> [String: ScriptValue]
    {
        var out: [String: ScriptValue] = [:]
        for key in o.keys where !declared.contains(where: { $0.name.utf8.elementsEqual(key.utf8) }) {
            throw CairnError(.invalidField, "\(path).\(key): the contract declares no such name")
        }
        for (name, type) in declared {
            guard let v = o[name] else {
                if all { throw CairnError(.invalidField, "\(path).\(name): missing") }
                continue
            }
            out[name] = try value(v, as: type, path: "\(path).\(name)", state: state)
        }
        return out
    }

    /// Static checks of a contract notice against the state: the contract or instance exists, the
    /// values convert, the deposits are well-formed. Evaluation waits for the block time.
    static func check(_ n: Notice, in state: LedgerState) throws(CairnError) -> Effect {
        let f = n.contract!
        switch n.kind {
        case .contractDeploy:
            guard f.language == Int64(Contract.languageVersion) else {
                throw CairnError(
                    .invalidContract,
                    "notice \(n.id): the contract is written for language \(f.language ?? 0); this ledger runs language \(Contract.languageVersion)"
                )
            }
            switch compiled(f.source!) {
            case .success(let c):
                guard state.contracts[c.hash] == nil else {
                    throw CairnError(.invalidField, "notice \(n.id): contract \(c.hash) is already deployed")
                }
                return .deploy(c)
            case .failure(let errors):
                let e = errors[0]
                throw CairnError(
                    .invalidContract,
                    "notice \(n.id): the contract does not compile: \(e.line):\(e.column): \(e.code): \(e.message)\(errors.count > 1 ? " (and \(errors.count - 1) more)" : "")"
                )
            }
        case .contractOpen:
            guard let c = state.contracts[f.contract!] else {
                throw CairnError(.notFound, "notice \(n.id): contract \(f.contract!) is not deployed")
            }
            _ = try values(f.params, declared: c.params, path: "$.params", state: state, all: true)
            _ = try debits(f.deposits, state: state, id: n.id)
            return .contract
        default:
            let c = try possibleAct(n, in: state)
            _ = try values(f.args, declared: c.argumentTypes(action: f.action!), path: "$.args", state: state, all: false)
            return .contract
        }
    }

    /// Whether an act can still complete on its instance as `state` holds it: the instance is
    /// open (`instance_closed` once it closed, `not_found` if it never was), and the action is a
    /// case of the `when` it waits in now (`unknown_action` otherwise). Returns its contract.
    static func possibleAct(_ n: Notice, in state: LedgerState) throws(CairnError) -> Contract {
        let f = n.contract!
        let id = f.instance!
        guard let i = state.instance(id), let c = state.contracts[i.contract] else {
            if state.closedInstances.contains(id) {
                throw CairnError(.instanceClosed, "notice \(n.id): instance \(id) is closed; no action can complete on it")
            }
            throw CairnError(.notFound, "notice \(n.id): instance \(id) is not open")
        }
        guard c.actions.contains(f.action!) else {
            throw CairnError(.unknownAction, "notice \(n.id): contract \(c.name) has no action \(f.action!)")
        }
        let now = c.actions(in: i.state)
        guard now.contains(f.action!) else {
            throw CairnError(
                .unknownAction,
                "notice \(n.id): instance \(id) waits for \(now.joined(separator: " or ")) now; \(f.action!) can never complete there")
        }
        return c
    }

    /// `possibleAct` on the instance as it will stand at `now`, once the timeouts due by then
    /// have fired (they fire at the start of the next block, before this notice).
    static func possibleAct(_ n: Notice, in state: LedgerState, at now: Timestamp) throws(CairnError) {
        guard n.kind == .contractAct, let id = n.contract?.instance else { return }
        var s = state
        if let t = state.instance(id)?.state.nextTimeout, t <= now.seconds { fireTimeouts(at: now, on: &s) }
        _ = try possibleAct(n, in: s)
    }

    /// The opening deposits as (account, currency, minor units), each from a genesis account of that currency.
    static func debits(_ deposits: [Notice.Funding], state: LedgerState, id: String) throws(CairnError) -> [(String, String, Int64)] {
        var out: [(String, String, Int64)] = []
        for (i, d) in deposits.enumerated() {
            guard let a = state.account(d.from) else {
                throw CairnError(.unknownAccount, "notice \(id): $.deposits[\(i)]: unknown account \(d.from)")
            }
            guard a.currency == d.currency else {
                throw CairnError(
                    .currencyMismatch, "notice \(id): $.deposits[\(i)]: account \(d.from) holds \(a.currency), not \(d.currency)")
            }
            let digits = state.genesis.minorDigits(d.currency) ?? 0
            guard let amount = Amount.parse(d.amount, minorDigits: digits), amount > 0 else {
                throw CairnError(.invalidAmount, "notice \(id): $.deposits[\(i)]: \"\(d.amount)\" is not a positive \(d.currency) amount")
            }
            out.append((d.from, d.currency, amount))
        }
        return out
    }

    /// The signers a contract notice needs: for contract.open the submitter and every funder; for
    /// contract.act any member may sign, and the contract itself decides (`authorizes`).
    static func policy(for n: Notice, in state: LedgerState) -> Policy {
        switch n.kind {
        case .contractOpen:
            var names = [n.submitter]
            for d in n.contract!.deposits where !names.contains(Account.owner(of: d.from)) { names.append(Account.owner(of: d.from)) }
            return .all(names.map(Policy.sig))
        default:
            return .any(state.genesis.members.map { Policy.sig($0.name) })
        }
    }

    /// What an act still needs before its action's guard accepts its signers, in the form
    /// transfers use (`Policy.missing`), on the instance as it will stand at `now` (timeouts due
    /// by then fire at the start of the next block, before this notice); nil when the guard
    /// accepts them (or the notice is not an act).
    static func needs(_ n: Notice, signers: Set<String>, in state: LedgerState, now: Timestamp) -> String? {
        guard n.kind == .contractAct, let f = n.contract else { return nil }
        var s = state
        fireTimeouts(at: now, on: &s)
        guard let i = s.instance(f.instance!), let c = s.contracts[i.contract] else { return "an open instance" }
        guard !c.authorizes(i.state, action: f.action!, signers: signers) else { return nil }
        func policy(_ p: SignerPolicy) -> Policy {
            switch p {
            case .sig(let name): .sig(name)
            case .all(let a): .all(a.map(policy))
            case .any(let a): .any(a.map(policy))
            case .thresh(let k, let a): .thresh(k, a.map(policy))
            }
        }
        let guards = c.signerPolicies(i.state, action: f.action!).compactMap { $0.map(policy) }
        guard !guards.isEmpty else { return "signatures that the guard of action \(f.action!) accepts" }
        return (guards.count == 1 ? guards[0] : .any(guards)).missing(given: signers)
            ?? "signatures that the guard of action \(f.action!) accepts"
    }

    /// Opens or acts at block time. All or nothing: on error the state is unchanged.
    static func perform(_ n: Notice, signers: Set<String>, time: Timestamp, on state: inout LedgerState) throws(CairnError) {
        var s = state
        let f = n.contract!
        let step: Step
        let instanceID: String
        let contract: Contract
        if n.kind == .contractOpen {
            contract = s.contracts[f.contract!]!
            instanceID = n.id
            let params = try values(f.params, declared: contract.params, path: "$.params", state: s, all: true)
            var locked: [(currency: String, amount: Int64)] = []
            for (account, currency, amount) in try debits(f.deposits, state: s, id: n.id) {
                try s.debit(account, amount, id: n.id)
                s.record(ContractMovement(instance: n.id, notice: n.id, account: account, currency: currency, amount: -amount))
                if let k = locked.firstIndex(where: { $0.currency == currency }) {
                    let (sum, o) = locked[k].amount.addingReportingOverflow(amount)
                    guard !o else { throw CairnError(.overflow, "notice \(n.id): deposits overflow Int64") }
                    locked[k].amount = sum
                } else {
                    locked.append((currency, amount))
                }
            }
            locked.sort { $0.currency < $1.currency }
            step = try result(contract.open(params: params, deposit: locked, time: time.seconds), id: n.id)
        } else {
            let i = s.instance(f.instance!)!
            contract = s.contracts[i.contract]!
            instanceID = i.id
            let args = try values(f.args, declared: contract.argumentTypes(action: f.action!), path: "$.args", state: s, all: false)
            step = try result(contract.act(i.state, action: f.action!, args: args, signers: signers, time: time.seconds), id: n.id)
        }
        try settle(step, instance: instanceID, contract: contract.hash, on: &s, id: n.id, notice: n.id)
        state = s
    }

    /// Fires every due timeout at the start of a block, in instance-id order, with no signature.
    /// A timeout whose payments cannot be made (an account of another currency) leaves its instance
    /// as it was, and is tried again at the next block. Returns the instances whose timeouts fired.
    @discardableResult
    static func fireTimeouts(at time: Timestamp, on state: inout LedgerState) -> [String] {
        var fired: [String] = []
        for i in state.instances where (i.state.nextTimeout ?? .max) <= time.seconds {
            guard let c = state.contracts[i.contract], case .success(let step)? = c.advance(i.state, time: time.seconds) else { continue }
            var s = state
            do throws(CairnError) {
                try settle(step, instance: i.id, contract: i.contract, on: &s, id: "timeout of \(i.id)", notice: nil)
                state = s
                fired.append(i.id)
            } catch {
                continue
            }
        }
        return fired
    }

    private static func result(_ r: Result<Step, ScriptError>, id: String) throws(CairnError) -> Step {
        switch r {
        case .success(let step): return step
        case .failure(let e): throw CairnError(CairnError.Code(rawValue: e.code), "notice \(id): \(e.line):\(e.column): \(e.message)")
        }
    }

    /// Debits a step's deposits, credits its payments, and records the instance's new state.
    private static func settle(
        _ step: Step, instance: String, contract: String, on s: inout LedgerState, id: String, notice: String?
    ) throws(CairnError) {
        for d in step.deposits {
            guard let a = s.account(d.from), a.currency == d.currency else {
                throw CairnError(.currencyMismatch, "\(id): deposit from \(d.from) in \(d.currency)")
            }
            try s.debit(d.from, d.amount, id: id)
            s.record(ContractMovement(instance: instance, notice: notice, account: d.from, currency: d.currency, amount: -d.amount))
        }
        for p in step.payments {
            guard let a = s.account(p.to) else { throw CairnError(.unknownAccount, "\(id): payment to unknown account \(p.to)") }
            guard a.currency == p.currency else {
                throw CairnError(.currencyMismatch, "\(id): payment in \(p.currency) to \(p.to), which holds \(a.currency)")
            }
            try Rules.perform(.deposit(to: p.to, amount: p.amount), on: &s, id: id)
            s.record(ContractMovement(instance: instance, notice: notice, account: p.to, currency: p.currency, amount: p.amount))
        }
        s.setInstance(instance, contract: contract, state: step.state)
    }

}

extension Contracts {
    /// Compiled contracts by the SHA-256 of their source, so that each source is compiled once
    /// per process however often it is checked (admission, sealing, replay on open, status).
    /// Bounded: past `cacheLimit` sources it starts again.
    private static let cache = Mutex<[Hash: Result<Contract, ScriptErrors>]>([:])
    static let cacheLimit = 1_024

    static func compiled(_ source: String) -> Result<Contract, ScriptErrors> {
        let key = Hash.sha256(Array(source.utf8))
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let result = Contract.compile(source)
        cache.withLock { table in
            if table.count >= cacheLimit { table.removeAll(keepingCapacity: true) }
            table[key] = result
        }
        return result
    }
}
