import CairnCore

/// A proof of one balance after one block (DESIGN §2): the block header, its seals, the balance's
/// state entry and its RFC 9162 inclusion proof against the header's `stateRoot`. Anyone holding
/// the genesis file can check it offline:
/// ```
/// {"format": "cairn/v1/balance-proof", "header": {...}, "seals": [{"signer", "keyId", "sig"}],
///  "entry": {"account", "balance", "currency", "entry": "balance"}, "index": i, "size": n, "proof": [base64...]}
/// ```
public struct BalanceProof: Sendable {
    public static let format = "cairn/v1/balance-proof"

    public var header: BlockHeader
    public var seals: [Seal]
    /// The state-tree leaf: canonical JSON of the balance entry.
    public var entry: [UInt8]
    public var index: UInt64
    public var size: UInt64
    public var proof: [Hash]

    /// Proves `account`'s balance after the block at `height` (default: the head).
    public static func make(store: any LedgerStore, account: String, height: UInt64?) throws -> BalanceProof {
        let head = try store.head()
        let h = height ?? head.header.height
        guard let block = try store.block(at: h) else {
            throw CairnError(.notFound, "no block at height \(h) (the head is \(head.header.height))")
        }
        var state = try Ledger.state(of: store, after: block)
        guard state.stateRoot == block.header.stateRoot, state.stateSize == block.header.stateSize else {
            throw CairnError(.storage, "the stored state after block \(h) does not match its stateRoot; run cairn verify")
        }
        guard let (index, leaf, proof) = state.balanceProof(account) else {
            throw CairnError(.unknownAccount, "unknown account \(account)")
        }
        return BalanceProof(
            header: block.header, seals: block.seals, entry: leaf, index: UInt64(index),
            size: state.stateSize, proof: proof)
    }

    public var json: JSONValue {
        return .object(
            JSONObject([
                ("format", .string(BalanceProof.format)), ("header", header.json), ("seals", .array(seals.map(\.json))),
                ("entry", (try? JSON.parse(entry)) ?? .null), ("index", .number(Double(index))), ("size", .number(Double(size))),
                ("proof", .array(proof.map { .string($0.base64) })),
            ]))
    }

    public init(header: BlockHeader, seals: [Seal], entry: [UInt8], index: UInt64, size: UInt64, proof: [Hash]) {
        self.header = header
        self.seals = seals
        self.entry = entry
        self.index = index
        self.size = size
        self.proof = proof
    }

    public init(parsing bytes: [UInt8]) throws(CairnError) {
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch { throw CairnError(.malformedJSON, error.description) }
        var r = try FieldReader(value)
        guard try r.string("format") == BalanceProof.format else { throw r.fail("format", "not \(BalanceProof.format)") }
        header = try BlockHeader(canonical: JSON.canonical(try r.value("header")))
        var seals: [Seal] = []
        for (i, s) in try r.array("seals").enumerated() { seals.append(try Seal(json: s, path: "$.seals[\(i)]")) }
        self.seals = seals
        entry = JSON.canonical(try r.value("entry"))
        let index = try r.int("index")
        let size = try r.int("size")
        guard index >= 0, size > index else { throw r.fail("index", "must be below size") }
        self.index = UInt64(index)
        self.size = UInt64(size)
        var proof: [Hash] = []
        for (i, p) in try r.strings("proof").enumerated() {
            guard let h = Hash(base64: p) else { throw r.fail("proof[\(i)]", "not a base64 hash") }
            proof.append(h)
        }
        self.proof = proof
        try r.finish()
    }

    /// Checks the seals against the genesis validators under `finality`, and the entry's inclusion
    /// under the header's `stateRoot`. Returns the proven entry.
    public func verify(genesis: Genesis) -> Result<(account: String, currency: String, balance: String, height: UInt64), CairnError> {
        do throws(CairnError) {
            try header.checkSeals(seals, in: LedgerState(genesis: genesis))
            let entryValue: JSONValue
            do { entryValue = try JSON.parse(entry) } catch { throw CairnError(.malformedJSON, "$.entry: \(error.description)") }
            var r = try FieldReader(entryValue, path: "$.entry")
            let account = try r.string("account")
            let balance = try r.string("balance")
            let currency = try r.string("currency")
            guard try r.string("entry") == "balance" else { throw r.fail("entry", "not a balance entry") }
            try r.finish()
            guard let a = genesis.account(account), a.currency == currency else {
                throw CairnError(.unknownAccount, "\(account) in \(currency) is not an account of this ledger")
            }
            guard size == header.stateSize else {
                throw CairnError(
                    .invalidProof, "$.size: \(size), but block \(header.height)'s state tree has \(header.stateSize) entries")
            }
            let verdict = MerkleVerify.inclusion(
                leafHash: Merkle.leafHash(entry), index: index, size: size, proof: proof, root: header.stateRoot)
            guard verdict == .valid else {
                throw CairnError(.invalidProof, "the entry is not in block \(header.height)'s state tree: \(verdict)")
            }
            return .success((account, currency, balance, header.height))
        } catch {
            return .failure(error)
        }
    }
}
