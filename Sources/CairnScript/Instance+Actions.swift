extension Contract {
    /// The actions an instance in `state` can take now: the case names of its current `when`, in
    /// source order, each once. Empty for a closed instance or another contract's state. Timeouts
    /// that are due are not fired here: advance first (`advance(_:time:)`).
    public func actions(in state: InstanceState) -> [String] {
        guard state.contractHash == hashBytes, !state.closed, state.node >= 0, state.node < program.whens.count else { return [] }
        var out: [String] = []
        for c in program.whens[state.node].cases where !out.contains(c.action) { out.append(c.action) }
        return out
    }
}

/// A case's signer policy with its parties resolved in an instance's state: what its `by` asks for.
public indirect enum SignerPolicy: Sendable, Equatable {
    case sig(String)
    case all([SignerPolicy])
    case any([SignerPolicy])
    case thresh(Int, [SignerPolicy])
}

extension Contract {
    /// The resolved signer policy of each case named `action` in the current `when`, in source
    /// order: nil for a case without `by` (any signer will do). A case whose parties do not
    /// resolve is left out. Empty when the instance has no such case now.
    public func signerPolicies(_ state: InstanceState, action: String) -> [SignerPolicy?] {
        guard state.contractHash == hashBytes, !state.closed, state.node >= 0, state.node < program.whens.count else { return [] }
        var out: [SignerPolicy?] = []
        for c in program.whens[state.node].cases where c.action == action {
            guard let p = c.policy else {
                out.append(nil)
                continue
            }
            var m = Machine(contract: self, time: 0, signers: [], env: state.env, locked: state.locked)
            if let resolved = m.resolve(p) { out.append(resolved) }
        }
        return out
    }
}

extension Machine {
    fileprivate mutating func resolve(_ p: PolicyNode) -> SignerPolicy? {
        switch p {
        case .sig(let e):
            guard case .party(let name)? = try? eval(e) else { return nil }
            return .sig(name)
        case .all(let a, _):
            let parts = a.compactMap { resolve($0) }
            return parts.count == a.count ? .all(parts) : nil
        case .any(let a, _):
            let parts = a.compactMap { resolve($0) }
            return parts.count == a.count ? .any(parts) : nil
        case .thresh(let k, let a, _):
            let parts = a.compactMap { resolve($0) }
            return parts.count == a.count ? .thresh(k, parts) : nil
        }
    }
}
