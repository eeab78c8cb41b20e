import CairnCore

/// The checks every reader of a block makes, whether it replays the chain or holds one proof:
/// its seals and its checkpoint are signed by validators under the genesis `finality` policy.
extension BlockHeader {
    /// Requires every seal to be a valid signature of this header by a validator's key active in
    /// `state`, at most one per validator, and the sealers to satisfy `finality`.
    public func checkSeals(_ seals: [Seal], in state: LedgerState) throws(CairnError) {
        let validators = state.genesis.members(withRole: "validator")
        var sealers = Set<String>()
        for s in seals {
            guard validators.contains(s.signer), let key = state.key(s.signer, s.keyID), key.isValidSignature(s.sig, for: signingMessage)
            else { throw CairnError(.invalidProof, "the seal by \(s.signer) is not a valid validator signature on block \(height)") }
            // A second seal by one validator counts for nothing, so it is refused rather than carried.
            guard sealers.insert(s.signer).inserted else {
                throw CairnError(.invalidProof, "block \(height) has a second seal by \(s.signer)")
            }
        }
        let finality = state.finality
        guard finality.isSatisfied(by: sealers) else {
            throw CairnError(
                .invalidProof,
                "block \(height)'s seals by [\(sealers.sorted().joined(separator: ", "))] do not satisfy finality \(finality)")
        }
    }

    /// Requires `checkpoint` to be this block's C2SP checkpoint (origin, size, root, `cairn-block`
    /// line), with no known validator key's signature failing and the signers satisfying `finality`.
    public func checkCheckpoint(_ checkpoint: String, in state: LedgerState) throws(CairnError) {
        let g = state.genesis
        let expected = Checkpoint(origin: g.origin, size: logSize, root: logRoot, height: height, blockHash: hash).text
        guard let note = try? SignedNote(parsing: checkpoint), note.text == expected else {
            throw CairnError(.invalidProof, "the checkpoint is not block \(height)'s")
        }
        let (verified, invalid) = note.verify(keys: g.members(withRole: "validator").flatMap { state.keys[$0] ?? [] })
        guard invalid.isEmpty, state.finality.isSatisfied(by: Set(verified.map(\.name))) else {
            throw CairnError(.invalidProof, "block \(height)'s checkpoint is not signed under finality \(state.finality)")
        }
    }
}

extension LedgerState {
    /// The genesis `finality` policy, resolved to member names.
    public var finality: Policy { (genesis.policy("finality") ?? .any([])).resolved(in: policyContext()) }
}

extension Seal {
    /// `{"keyId", "sig", "signer"}`, as in balance proofs and export bundles.
    public var json: JSONValue {
        .object(
            JSONObject([
                ("keyId", .string(NoticeSignature(signer: signer, keyID: keyID, sig: sig).keyIDHex)), ("sig", .string(Base64.encode(sig))),
                ("signer", .string(signer)),
            ]))
    }

    public init(json: JSONValue, path: String) throws(CairnError) {
        var r = try FieldReader(json, path: path)
        let signer = try r.string("signer")
        guard let id = Hex.decode(try r.string("keyId")), id.count == 4 else { throw r.fail("keyId", "not 8 lowercase hex digits") }
        guard let sig = Base64.decode(try r.string("sig")), sig.count == 64 else {
            throw r.fail("sig", "not the base64 of a 64-byte signature")
        }
        try r.finish()
        self.init(signer: signer, keyID: id.reduce(0) { $0 << 8 | UInt32($1) }, sig: sig)
    }
}

extension StoredBlock {
    /// The header's fields with `hash`, `seals` and the validators' `checkpoint`: `cairn show --json`
    /// and the node's `/v1/blocks`.
    public var json: JSONValue {
        guard case .object(var o) = header.json else { return header.json }
        o["hash"] = .string(hash.hex)
        o["seals"] = .array(seals.map(\.json))
        o["checkpoint"] = .string(checkpoint)
        return .object(o)
    }
}
