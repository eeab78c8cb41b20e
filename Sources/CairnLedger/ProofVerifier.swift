import CairnCore

/// What an offline proof check established.
public struct ProvenNotice: Sendable {
    public var envelope: Envelope
    public var index: UInt64
    public var checkpoint: Checkpoint
    /// Validators whose checkpoint signatures verified.
    public var signers: [String]
    /// Witnesses whose tlog-cosignature/v1 lines verified.
    public var cosigners: [String]
}

/// Checks a `.tlog-proof` offline with nothing but the genesis file (DESIGN §1.4): the leaf is a
/// canonical envelope whose signatures satisfy its policy, it is included in the checkpoint's tree,
/// and the checkpoint is signed under the finality policy. Proofs after the first carry the
/// `member.update` leaves of the key history, each checked the same way against the same checkpoint.
public enum ProofVerifier {
    public static func verify(_ proofs: [TlogProof], genesis: Genesis, requireWitnesses: Bool = false) -> Result<ProvenNotice, CairnError> {
        do throws(CairnError) {
            return .success(try check(proofs, genesis: genesis, requireWitnesses: requireWitnesses))
        } catch {
            // A key unknown to genesis, with no key history to follow: most likely a key rotated
            // in since, which only the history can show.
            guard proofs.count == 1, error.code == .unknownKey else { return .failure(error) }
            return .failure(
                CairnError(
                    error.code,
                    "\(error.message); if that key was added after genesis, ask for the proof with its key history (`cairn prove --with-keys`)"
                ))
        }
    }

    static func check(_ proofs: [TlogProof], genesis: Genesis, requireWitnesses: Bool) throws(CairnError) -> ProvenNotice {
        guard let target = proofs.first else { throw CairnError(.invalidProof, "no proof") }
        let note = target.checkpoint
        guard proofs.allSatisfy({ $0.checkpoint == note }) else {
            throw CairnError(.invalidProof, "the key-history proofs are against a different checkpoint")
        }
        let checkpoint = try Checkpoint(parsing: note.text)
        guard checkpoint.origin == genesis.origin else {
            throw CairnError(.invalidProof, "checkpoint origin \(checkpoint.origin) is not this ledger's (\(genesis.origin))")
        }
        // Every leaf: canonical, an envelope, included under the checkpoint root.
        var included: [(index: UInt64, envelope: Envelope)] = []
        for (n, p) in proofs.enumerated() {
            let what = n == 0 ? "the proved leaf" : "key-history proof \(n)"
            guard let leaf = p.extra else { throw CairnError(.invalidProof, "\(what) has no extra line carrying the leaf") }
            let envelope: Envelope
            do { envelope = try Envelope(leaf: leaf) } catch { throw CairnError(.invalidProof, "\(what): \(error.message)") }
            let verdict = MerkleVerify.inclusion(
                leafHash: Merkle.leafHash(leaf), index: p.index, size: checkpoint.size, proof: p.hashes, root: checkpoint.root)
            guard verdict == .valid else {
                throw CairnError(.invalidProof, "\(what) (leaf \(p.index)) is not included in the checkpoint's tree: \(verdict)")
            }
            if n > 0, envelope.notice.kind != .memberUpdate {
                throw CairnError(.invalidProof, "\(what) is not a member.update notice")
            }
            included.append((p.index, envelope))
        }
        // Follow the key history in log order; check the proved leaf with the keys of its position.
        var state = LedgerState(genesis: genesis)
        let history = included.dropFirst().sorted { $0.index < $1.index }
        var checkedTarget = false
        for (index, e) in history {
            if !checkedTarget, index >= target.index {
                try checkLeaf(included[0].envelope, state: state)
                checkedTarget = true
            }
            if index != target.index { try checkLeaf(e, state: state) }
            guard case .keys(let m, let add, let remove) = try Rules.effect(of: e.notice, in: state) else { continue }
            try Rules.perform(.keys(member: m, add: add, remove: remove), on: &state, id: e.notice.id)
        }
        if !checkedTarget { try checkLeaf(included[0].envelope, state: state) }

        let (signers, cosigners) = try checkSignatures(note, state: state, requireWitnesses: requireWitnesses)
        return ProvenNotice(
            envelope: included[0].envelope, index: target.index, checkpoint: checkpoint, signers: signers, cosigners: cosigners)
    }

    /// A checkpoint's signatures: the validators' must satisfy finality and, when required, the
    /// witnesses' tlog-cosignatures the witness policy, with the keys of `state`. Returns who signed
    /// and who cosigned.
    public static func checkSignatures(_ note: SignedNote, state: LedgerState, requireWitnesses: Bool) throws(CairnError) -> (
        signers: [String], cosigners: [String]
    ) {
        let genesis = state.genesis
        let finality = (genesis.policy("finality") ?? .any([])).resolved(in: state.policyContext())
        let keys = genesis.members.flatMap { state.keys[$0.name] ?? [] }
        // A known key's line that does not verify refuses the checkpoint (c2sp.org/signed-note).
        let verified = try note.open(keys: keys).get()
        let validators = Set(genesis.members(withRole: "validator"))
        let signers = verified.filter { $0.type == .ed25519 && validators.contains($0.name) }.map(\.name)
        guard finality.isSatisfied(by: Set(signers)) else {
            throw CairnError(
                .invalidProof, "checkpoint signatures by [\(signers.joined(separator: ", "))] do not satisfy finality \(finality)")
        }
        let witnesses = Set(genesis.members(withRole: "witness"))
        let cosigners = verified.filter { $0.type == .cosignature && witnesses.contains($0.name) }.map(\.name)
        if requireWitnesses {
            let policy = (genesis.policy("witness") ?? .any([])).resolved(in: state.policyContext())
            guard policy.isSatisfied(by: Set(cosigners)) else {
                throw CairnError(
                    .invalidProof,
                    "witness cosignatures by [\(cosigners.joined(separator: ", "))] do not satisfy the witness policy \(policy)")
            }
        }
        return (signers, cosigners)
    }

    /// Every signature verifies against the member's key at this point, and together they satisfy the policy.
    static func checkLeaf(_ e: Envelope, state: LedgerState) throws(CairnError) {
        let policy = Rules.policy(for: e.notice, in: state)
        let signers = try Rules.signers(of: e, policy: policy, in: state)
        try Rules.verifySignatures(e, in: state)
        guard policy.isSatisfied(by: signers) else {
            throw CairnError(.policyUnsatisfied, "notice \(e.notice.id): signatures do not satisfy \(policy)")
        }
    }
}
