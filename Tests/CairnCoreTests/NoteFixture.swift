import CairnCore

/// A small signed world for the note, checkpoint and proof tests: two validators (0x01 keys) and a
/// witness (0x04 key), all from fixed seeds, over a five-leaf log.
enum NoteFixture {
    static let validatorA = try! SigningKey(name: "validator-a.example", seed: [UInt8](repeating: 1, count: 32))
    static let validatorB = try! SigningKey(name: "validator-b.example", seed: [UInt8](repeating: 2, count: 32))
    static let witness = try! SigningKey(name: "witness-1.example", type: .cosignature, seed: [UInt8](repeating: 3, count: 32))
    static let keys = [validatorA.verifierKey, validatorB.verifierKey, witness.verifierKey]

    static let origin = "fuzz.cairn.example/log"
    static let leaves: [[UInt8]] = (0..<5).map { Array("{\"leaf\":\($0)}".utf8) }
    static let leafHashes = leaves.map { Merkle.leafHash($0) }
    static let blockHash = Hash.sha256(Array("block 3".utf8))

    /// The checkpoint body after `size` leaves, at block height 3.
    static func body(size: Int = 5) -> String {
        Checkpoint(
            origin: origin, size: UInt64(size), root: Merkle.root(leafHashes: Array(leafHashes.prefix(size))), height: 3,
            blockHash: blockHash
        ).text
    }

    /// `text` signed by both validators and cosigned by the witness.
    static func signed(_ text: String) -> SignedNote {
        var note = SignedNote(text: text)
        note.sign(with: validatorA)
        note.sign(with: validatorB)
        note.cosign(with: witness, timestamp: 1_800_000_000)
        return note
    }

    static let note = signed(body())

    /// The inclusion proof of leaf 2, carrying the leaf in `extra`.
    static let proof = TlogProof(
        extra: leaves[2], index: 2, hashes: Merkle.inclusionProof(index: 2, size: 5, leafHashes: leafHashes), checkpoint: note)

    /// The consistency proof from size 3 to the checkpoint's 5.
    static let consistency = ConsistencyProofFile(
        oldSize: 3, hashes: Merkle.consistencyProof(old: 3, new: 5, leafHashes: leafHashes), checkpoint: note)

    enum Kind: String, CaseIterable, Sendable { case note, checkpoint, proof, consistency }

    static func encoded(_ kind: Kind) -> String {
        switch kind {
        case .note, .checkpoint: note.encoded
        case .proof: proof.encoded
        case .consistency: consistency.encoded
        }
    }

    /// What an offline verifier holding `keys` would accept of `text` as an artifact of `kind`:
    /// the note opens (no known key's line fails), for all but `.note` its text is a Cairn
    /// checkpoint of this origin, and the proofs verify against its root. Returns the note and the
    /// keys that signed.
    @discardableResult
    static func check(_ kind: Kind, _ text: String) throws(CairnError) -> (note: SignedNote, verified: [VerifierKey]) {
        let note: SignedNote
        switch kind {
        case .note, .checkpoint:
            note = try SignedNote(parsing: text)
        case .proof:
            let proofs = try TlogProof.parseMany(text)
            guard proofs.count == 1 else { throw CairnError(.invalidProof, "\(proofs.count) proofs, not one") }
            note = proofs[0].checkpoint
        case .consistency:
            note = try ConsistencyProofFile(parsing: text).checkpoint
        }
        let verified = try note.open(keys: keys).get()
        guard kind != .note else { return (note, verified) }
        let checkpoint = try Checkpoint(parsing: note.text)
        guard checkpoint.origin == origin else { throw CairnError(.invalidProof, "foreign origin") }
        switch kind {
        case .proof:
            let p = try TlogProof.parseMany(text)[0]
            guard let leaf = p.extra,
                MerkleVerify.inclusion(
                    leafHash: Merkle.leafHash(leaf), index: p.index, size: checkpoint.size, proof: p.hashes, root: checkpoint.root)
                    == .valid
            else { throw CairnError(.invalidProof, "not included") }
        case .consistency:
            let c = try ConsistencyProofFile(parsing: text)
            let oldRoot = Merkle.root(leafHashes: Array(leafHashes.prefix(Int(min(c.oldSize, 5)))))
            guard
                MerkleVerify.consistency(
                    oldSize: c.oldSize, newSize: checkpoint.size, oldRoot: oldRoot, newRoot: checkpoint.root, proof: c.hashes) == .valid
            else { throw CairnError(.invalidProof, "not consistent") }
        default:
            break
        }
        return (note, verified)
    }
}
