import CairnCore
import CairnLedger

/// A small ledger built by hand through the rules, with keys from fixed seeds: block 0 and six
/// sealed blocks of deposits and transfers (block 3 holds only a rejection), each with its
/// checkpoint, and the state after each block. What the offline verifiers are fuzzed on.
struct ChainFixture {
    let keys: [String: SigningKey]
    let genesis: Genesis
    /// Blocks 0 to 6.
    let blocks: [StoredBlock]
    let leaves: [[UInt8]]
    /// The state after each block.
    let states: [LedgerState]

    static let shared = try! ChainFixture()

    var validator: SigningKey { keys["bank-a.example"]! }

    init() throws {
        var keys: [String: SigningKey] = [:]
        for (i, name) in ["bank-a.example", "bank-b.example", "central.example"].enumerated() {
            keys[name] = try SigningKey(name: name, seed: [UInt8](repeating: UInt8(i + 1), count: 32))
        }
        self.keys = keys
        let text = """
            {"cairn": 1, "origin": "fuzz.test/ledger", "time": "2026-01-01T00:00:00Z",
             "currencies": {"EUR": {"minorDigits": 2}, "USD": {"minorDigits": 2}},
             "members": [
               {"name": "bank-a.example", "roles": ["partner", "validator"], "keys": ["\(keys["bank-a.example"]!.verifierKey)"],
                "accounts": [{"id": "bank-a.example/eur", "currency": "EUR"}, {"id": "bank-a.example/usd", "currency": "USD"}]},
               {"name": "bank-b.example", "roles": ["partner"], "keys": ["\(keys["bank-b.example"]!.verifierKey)"],
                "accounts": [{"id": "bank-b.example/eur", "currency": "EUR", "creditLimit": "10.00"},
                             {"id": "bank-b.example/usd", "currency": "USD"}]},
               {"name": "central.example", "roles": ["issuer"], "keys": ["\(keys["central.example"]!.verifierKey)"],
                "accounts": [{"id": "central.example/eur", "currency": "EUR"}]}],
             "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)", "finality": "thresh(1, role(validator))",
                          "witness": "thresh(1, role(validator))", "governance": "thresh(2, role(partner))"}}
            """
        genesis = try Genesis(bytes: Array(text.utf8))
        let validator = keys["bank-a.example"]!
        var blocks = [try Ledger.makeGenesisBlock(genesis: genesis, key: validator).block]
        var state = LedgerState(genesis: genesis)
        var states = [state]
        var leaves: [[UInt8]] = []
        func envelope(_ fields: [(String, JSONValue)], kind: String, by signers: [String], nonce: String, at time: Timestamp) throws
            -> Envelope
        {
            let members: [(key: String, value: JSONValue)] =
                [("kind", .string(kind)), ("submitter", .string(signers[0]))] + fields.map { (key: $0.0, value: $0.1) } + [
                    ("refs", .array([])), ("nonce", .string(nonce)), ("createdAt", .string(time.description)),
                    ("expiresAt", .string(time.adding(seconds: 3600).description)),
                ]
            var e = Envelope(notice: try Notice(body: .object(JSONObject(members))))
            for s in signers { e.sign(with: keys[s]!) }
            return e
        }
        func deposit(_ amount: String, to: String, _ nonce: String, _ t: Timestamp) throws -> Envelope {
            try envelope(
                [("to", .string(to)), ("amount", .string(amount)), ("currency", .string("EUR"))], kind: "deposit", by: ["central.example"],
                nonce: nonce, at: t)
        }
        func transfer(_ amount: String, from: String, to: String, _ nonce: String, _ t: Timestamp) throws -> Envelope {
            try envelope(
                [
                    ("from", .string(from + "/eur")), ("to", .string(to + "/eur")), ("amount", .string(amount)),
                    ("currency", .string("EUR")),
                ],
                kind: "transfer", by: [from, to], nonce: nonce, at: t)
        }
        let a = "bank-a.example"
        let b = "bank-b.example"
        let base = genesis.time
        for height in UInt64(1)...6 {
            let t = base.adding(seconds: Int64(height) * 600)
            let notices: [Envelope]
            switch height {
            case 1: notices = [try deposit("100.00", to: a + "/eur", "d1", t)]
            case 2: notices = [try deposit("5.00", to: b + "/eur", "d2", t), try transfer("10.00", from: a, to: b, "t2", t)]
            case 3: notices = []
            case 4: notices = [try transfer("1.00", from: b, to: a, "t4", t)]
            case 5: notices = [try deposit("1.00", to: a + "/eur", "d5", t)]
            default: notices = [try deposit("2.00", to: b + "/eur", "d6", t)]
            }
            let firstLeaf = UInt64(leaves.count)
            for e in notices {
                _ = try Rules.apply(e, to: &state, time: t, signaturesVerified: false, refStatus: { _ in false }).get()
                leaves.append(e.leaf)
            }
            let rejected = height == 3 ? [Rejection(id: String(repeating: "ab", count: 32), code: "overdraft", message: "")] : []
            let header = BlockHeader(
                height: height, prev: blocks.last!.hash, time: t, logSize: UInt64(leaves.count),
                logRoot: Merkle.root(leafHashes: leaves.map { Merkle.leafHash($0) }), firstLeaf: firstLeaf,
                count: UInt64(leaves.count) - firstLeaf, stateRoot: state.stateRoot, stateSize: state.stateSize, proposer: a,
                rejected: rejected)
            blocks.append(Self.sealed(header, key: validator, origin: genesis.origin))
            states.append(state)
        }
        self.blocks = blocks
        self.leaves = leaves
        self.states = states
    }

    /// `header` sealed by `key`, with its checkpoint signed by `key`: what the ledger stores.
    static func sealed(_ header: BlockHeader, key: SigningKey, origin: String) -> StoredBlock {
        let hash = header.hash
        let seal = Seal(signer: key.name, keyID: key.verifierKey.keyID, sig: key.signature(for: header.signingMessage))
        var note = SignedNote(
            text: Checkpoint(origin: origin, size: header.logSize, root: header.logRoot, height: header.height, blockHash: hash).text)
        note.sign(with: key)
        return StoredBlock(header: header, hash: hash, seals: [seal], checkpoint: note.encoded)
    }

    /// The tlog-proof of leaf `index` against the checkpoint of block `height`.
    func proof(_ index: UInt64, at height: Int) throws -> TlogProof {
        let size = blocks[height].header.logSize
        return TlogProof(
            extra: leaves[Int(index)], index: index,
            hashes: Merkle.inclusionProof(index: index, size: size, leafHashes: leaves.prefix(Int(size)).map { Merkle.leafHash($0) }),
            checkpoint: try SignedNote(parsing: blocks[height].checkpoint))
    }

    /// The balance proof of `account` after block `height`, as `prove-balance` writes it.
    func balanceProof(_ account: String, at height: Int) -> [UInt8] {
        var state = states[height]
        let (index, leaf, path) = state.balanceProof(account)!
        let proof = BalanceProof(
            header: blocks[height].header, seals: blocks[height].seals, entry: leaf, index: UInt64(index),
            size: UInt64(state.accounts.count + state.instances.count), proof: path)
        return JSON.canonical(proof.json) + [0x0a]
    }

    /// The files of an export bundle of blocks `from...to`, as `export --with-proofs` writes them
    /// (with the export file itself left out: the reader does not read it).
    func bundle(from: Int, to: Int, account: String? = nil, fromTime: Timestamp? = nil, toTime: Timestamp? = nil) throws -> [String:
        [UInt8]]
    {
        let start = blocks[from - 1].header.logSize
        let end = blocks[to].header.logSize
        var files: [String: [UInt8]] = [:]
        files["manifest.json"] =
            ExportBundleManifest(
                origin: genesis.origin, genesis: genesis.hash.hex, export: "jsonl", account: account, fromTime: fromTime, toTime: toTime,
                fromHeight: UInt64(from), toHeight: UInt64(to), startSize: start, endSize: end
            ).encoded
        files["blocks.jsonl"] = blocks[(from - 1)...min(to + 1, blocks.count - 1)].flatMap(\.bundleLine)
        files["start.checkpoint"] = Array(blocks[from - 1].checkpoint.utf8)
        files["end.checkpoint"] = Array(blocks[to].checkpoint.utf8)
        let hashes = leaves.prefix(Int(end)).map { Merkle.leafHash($0) }
        if start > 0 {
            let c = ConsistencyProofFile(
                oldSize: start, hashes: Merkle.consistencyProof(old: start, new: end, leafHashes: hashes),
                checkpoint: try SignedNote(parsing: blocks[to].checkpoint))
            files["consistency.txt"] = Array(c.encoded.utf8)
        }
        for index in start..<end { files["proofs/\(index).tlog-proof"] = Array(try proof(index, at: to).encoded.utf8) }
        return files
    }
}
