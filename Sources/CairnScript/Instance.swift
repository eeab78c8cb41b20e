/// The ledger's entry points: open an instance, perform an action, fire timeouts.
extension Contract {
    /// Creates an instance: binds the parameters (checked against their declared types), locks
    /// `deposit` (the ledger debits the funder), checks the `require` lines in order, and runs the
    /// top-level body up to the first `when` (or to `close`).
    public func open(params: [String: ScriptValue], deposit: [(currency: String, amount: Int64)], time: Int64) -> Result<Step, ScriptError>
    {
        var m = Machine(contract: self, time: time, signers: [], env: [], locked: [])
        do throws(ScriptError) {
            try m.tick(program.pos)
            for p in program.params {
                try m.tick(p.pos)
                guard let given = params[p.name] else {
                    throw ScriptError(.missingParam, "no value for parameter '\(p.name)'", at: p.pos)
                }
                guard let v = Machine.admit(p.type, given) else {
                    throw ScriptError(.typeMismatch, "parameter '\(p.name)' must be \(p.type.rawValue), not \(given.typeName)", at: p.pos)
                }
                m.env.append((p.name, v))
            }
            for k in params.keys.sorted() where !program.params.contains(where: { $0.name == k }) {
                throw ScriptError(.unknownParam, "the contract has no parameter '\(k)'", at: program.pos)
            }
            for d in deposit {
                guard d.amount > 0 else {
                    throw ScriptError(.invalidAmount, "a deposit must be positive, not \(d.amount)", at: program.pos)
                }
                guard m.lockedAmount(d.currency) == 0 else {
                    throw ScriptError(.duplicateCurrency, "the deposit names \(d.currency) twice", at: program.pos)
                }
                m.setLocked(d.currency, d.amount)
            }
            for r in program.requires {
                try m.tick(r.pos)
                guard case .bool(let ok) = try m.eval(r) else { throw m.typeError(r) }
                if !ok { throw ScriptError(.requireFailed, "the parameters break 'require \(r)'", at: r.pos) }
            }
            // Run first, then read the machine: the body's lets, pays and close belong to the step.
            let stop = try m.run(program.body)
            var step = m.step(stop)
            step.deposits = []
            return .success(step)
        } catch {
            return .failure(error)
        }
    }

    private func checkState(_ state: InstanceState) throws(ScriptError) -> When {
        guard state.contractHash == hashBytes else { throw ScriptError(.badState, "the state belongs to another contract", at: .start) }
        guard !state.closed, state.node >= 0, state.node < program.whens.count else {
            throw ScriptError(.instanceClosed, "the instance is closed", at: program.pos)
        }
        return program.whens[state.node]
    }

    /// Performs a named action at block time `time`. Cases with that name are tried in source
    /// order; the first whose arguments and clauses all pass runs. If none passes, the first
    /// candidate's error is returned. On any error nothing changes.
    public func act(
        _ state: InstanceState, action: String, args: [String: ScriptValue], signers: Set<String>, time: Int64
    ) -> Result<Step, ScriptError> {
        do throws(ScriptError) {
            let w = try checkState(state)
            if let t = state.nextTimeout, time >= t {
                throw ScriptError(.expired, "the when timed out at \(t); block time is \(time)", at: w.timeout?.pos ?? w.pos)
            }
            var m = Machine(contract: self, time: time, signers: signers, env: state.env, locked: state.locked)
            try m.tick(w.pos)
            let candidates = w.cases.filter { $0.action == action }
            guard !candidates.isEmpty else {
                let names = w.cases.map(\.action).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                throw ScriptError(.unknownAction, "no action '\(action)' here; possible: \(names.joined(separator: ", "))", at: w.pos)
            }
            var firstError: ScriptError?
            for c in candidates {
                var attempt = m
                do throws(ScriptError) {
                    let stop = try attempt.take(c, args: args)
                    return .success(attempt.step(stop))
                } catch {
                    // An error past the guards (in the body) is final; a failed guard tries the next case.
                    if error.code == ScriptError.Code.stepLimit.rawValue || attempt.passedGuards { throw error }
                    firstError = firstError ?? error
                    m.steps = attempt.steps
                }
            }
            throw firstError!
        } catch {
            return .failure(error)
        }
    }

    /// Fires the current `when`'s timeout if `time` has reached it, and again through every
    /// nested `when` whose timeout has also passed. Nil when nothing fires. Needs no signature.
    public func advance(_ state: InstanceState, time: Int64) -> Result<Step, ScriptError>? {
        guard state.contractHash == hashBytes, !state.closed, let first = state.nextTimeout, time >= first else { return nil }
        var m = Machine(contract: self, time: time, signers: [], env: state.env, locked: state.locked)
        var node = state.node
        do throws(ScriptError) {
            while true {
                let w = program.whens[node]
                try m.tick(w.timeout!.pos)
                switch try m.run(w.timeoutBody!) {
                case .closed: return .success(m.step(.closed))
                case .waiting(let id, let t):
                    if time < t { return .success(m.step(.waiting(id, t))) }
                    node = id
                }
            }
        } catch {
            return .failure(error)
        }
    }

    /// Whether these signers satisfy the signer policy of some case named `action` in the current
    /// `when` (a case without `by` needs no particular signer). Time bounds, preimages and
    /// arguments are not considered: this tells "pending" from "complete" for a notice that is
    /// still collecting signatures.
    public func authorizes(_ state: InstanceState, action: String, signers: Set<String>) -> Bool {
        guard let w = try? checkState(state) else { return false }
        for c in w.cases where c.action == action {
            guard let p = c.policy else { return true }
            var m = Machine(contract: self, time: 0, signers: signers, env: state.env, locked: state.locked)
            if (try? m.satisfied(p)) == true { return true }
        }
        return false
    }

    /// The member names the signer policies of `action` mention in the current state, sorted.
    public func signersMentioned(_ state: InstanceState, action: String) -> [String] {
        guard let w = try? checkState(state) else { return [] }
        var names: Set<String> = []
        for c in w.cases where c.action == action {
            var m = Machine(contract: self, time: 0, signers: [], env: state.env, locked: state.locked)
            for leaf in c.policy?.leaves ?? [] {
                if case .party(let n)? = try? m.eval(leaf) { names.insert(n) }
            }
        }
        return names.sorted()
    }
}
