/// A settlement notice body (DESIGN §1.3), parsed and checked for shape. Whether its accounts,
/// currency and signers make sense is the ledger's question, because that depends on the state.
///
/// Immutable, and a class: an envelope is copied at every stage of admission, sealing and
/// verification, and a copy of a class is one reference rather than one per field.
public final class Notice: Sendable {
    public static let signingTag = Array("cairn/v1/notice\n".utf8)

    public enum Kind: String, Sendable, CaseIterable {
        case deposit
        case transfer
        case memberUpdate = "member.update"
        case contractDeploy = "contract.deploy"
        case contractOpen = "contract.open"
        case contractAct = "contract.act"
    }

    public struct Money: Sendable, Equatable {
        /// Absent for deposits.
        public var from: String?
        public var to: String
        /// The decimal text as signed; the ledger parses it with the currency's minor digits.
        public var amount: String
        public var currency: String
    }

    /// A deposit into a contract instance: `{"from", "amount", "currency"}`.
    public struct Funding: Sendable, Equatable {
        public var from: String
        public var amount: String
        public var currency: String
    }

    /// The fields of the contract kinds. Values of `params` and `args` are converted by the ledger,
    /// which knows the contract's declared types.
    public struct ContractFields: Sendable, Equatable {
        /// contract.deploy: the source text (the contract is addressed by its SHA-256) and the
        /// language version it was written for, so replay uses the same semantics.
        public var source: String?
        public var language: Int64?
        /// contract.open: the contract's hash, its parameters and the opening deposits.
        public var contract: String?
        public var params: JSONObject
        public var deposits: [Funding]
        /// contract.act: the instance (the id of its contract.open notice), the action and its arguments.
        public var instance: String?
        public var action: String?
        public var args: JSONObject
    }

    public struct MemberUpdate: Sendable, Equatable {
        public var member: String
        public var addKeys: [VerifierKey]
        public var removeKeys: [VerifierKey]
    }

    /// `cairn/v1/notice\n || JCS(body)`: what the parties sign, and what the id hashes. Kept
    /// whole, so that each signature check and the leaf read it without copying.
    public let signingMessage: [UInt8]
    /// `JCS(body)`.
    public var canonicalBody: ArraySlice<UInt8> { signingMessage[Notice.signingTag.count...] }
    /// The body, parsed again from `canonicalBody` when asked for. It is not kept: the fields
    /// above are what the ledger reads, and a parsed tree's many small allocations would follow
    /// each notice through admission and sealing to be freed on the ledger's thread.
    public var body: JSONValue {
        guard let value = try? JSON.parse(canonicalBody) else { preconditionFailure("a notice's canonical body parses") }
        return value
    }
    /// Lowercase hex `SHA-256(signing message)`.
    public let id: String
    public let kind: Kind
    public let submitter: String
    public let nonce: String
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public let reference: String?
    public let refs: [String]
    public let money: Money?
    public let memberUpdate: MemberUpdate?
    public let contract: ContractFields?

    /// At most this many `refs`: each costs a lookup when the notice is sealed.
    public static let maxRefs = 256

    /// Checks the body's shape: required fields, types, formats. Refuses unknown fields, numbers where
    /// strings belong, and malformed ids, times and keys, naming the JSON path.
    public init(body: JSONValue, path: String = "$") throws(CairnError) {
        try NoticeText.check(body: body, base: path)
        var r = try FieldReader(body, path: path)
        let kindText = try r.string("kind")
        guard let kind = Kind(rawValue: kindText) else {
            throw r.fail("kind", "unknown notice kind \"\(kindText)\" (kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.kind = kind
        submitter = try r.string("submitter")
        nonce = try r.string("nonce")
        guard !nonce.isEmpty, nonce.utf8.count <= 128 else { throw r.fail("nonce", "must be 1 to 128 bytes") }
        createdAt = try r.timestamp("createdAt")
        expiresAt = try r.timestamp("expiresAt")
        reference = try r.optionalString("reference")
        if let reference, reference.isEmpty || reference.utf8.count > 140 {
            throw r.fail("reference", "must be 1 to 140 bytes")
        }
        let refItems = try r.array("refs")
        guard refItems.count <= Notice.maxRefs else {
            throw r.fail("refs", "\(refItems.count) refs; a notice carries at most \(Notice.maxRefs)")
        }
        refs = try r.strings("refs")
        var seenRefs = Set<String>(minimumCapacity: refs.count)
        for (i, ref) in refs.enumerated() {
            guard ref.utf8.count == 64, Hex.decode(ref) != nil else {
                throw r.fail("refs[\(i)]", "\"\(ref)\" is not a notice id (64 lowercase hex digits)")
            }
            guard seenRefs.insert(ref).inserted else { throw r.fail("refs[\(i)]", "duplicate ref \(ref)") }
        }
        switch kind {
        case .deposit, .transfer:
            let from = kind == .transfer ? try r.string("from") : nil
            let to = try r.string("to")
            let amount = try r.string("amount")
            let currency = try r.string("currency")
            if kind == .deposit, r.object["from"] != nil { throw r.fail("from", "a deposit has no from account") }
            if let from, from.utf8.elementsEqual(to.utf8) { throw r.fail("to", "from and to are the same account") }
            money = Money(from: from, to: to, amount: amount, currency: currency)
            memberUpdate = nil
            contract = nil
        case .memberUpdate:
            let member = try r.string("member")
            func keys(_ field: String) throws(CairnError) -> [VerifierKey] {
                var out: [VerifierKey] = []
                for (i, text) in try r.strings(field, optional: true).enumerated() {
                    do { out.append(try VerifierKey(parsing: text)) } catch {
                        throw r.fail("\(field)[\(i)]", error.message, code: .invalidKey)
                    }
                    guard out.last!.name == member else { throw r.fail("\(field)[\(i)]", "key is named \(out.last!.name), not \(member)") }
                }
                return out
            }
            let add = try keys("addKeys")
            let remove = try keys("removeKeys")
            guard !add.isEmpty || !remove.isEmpty else { throw r.fail("addKeys", "a member update must add or remove a key") }
            money = nil
            memberUpdate = MemberUpdate(member: member, addKeys: add, removeKeys: remove)
            contract = nil
        case .contractDeploy, .contractOpen, .contractAct:
            money = nil
            memberUpdate = nil
            contract = try Notice.contractFields(kind, &r)
        }
        try r.finish()
        // One buffer, sized for a typical notice so it does not grow while it is written.
        signingMessage = JSON.canonical(body, after: Notice.signingTag, capacity: 512)
        id = Hash.sha256(signingMessage).hex
    }
}

extension Notice {
    static func contractFields(_ kind: Kind, _ r: inout FieldReader) throws(CairnError) -> ContractFields {
        func hexID(_ key: String) throws(CairnError) -> String {
            let s = try r.string(key)
            guard s.utf8.count == 64, Hex.decode(s) != nil else { throw r.fail(key, "\"\(s)\" is not 64 lowercase hex digits") }
            return s
        }
        func object(_ key: String) throws(CairnError) -> JSONObject {
            guard let v = r.optional(key) else { return JSONObject() }
            guard case .object(let o) = v else { throw r.fail(key, "expected an object") }
            return o
        }
        var f = ContractFields(params: JSONObject(), deposits: [], args: JSONObject())
        switch kind {
        case .contractDeploy:
            let source = try r.string("source")
            guard !source.isEmpty, source.utf8.count <= 65_536 else { throw r.fail("source", "must be 1 byte to 64 KiB") }
            f.source = source
            f.language = try r.int("language")
        case .contractOpen:
            f.contract = try hexID("contract")
            f.params = try object("params")
            for (i, d) in (try r.optionalArray("deposits") ?? []).enumerated() {
                var dr = try FieldReader(d, path: "\(r.path).deposits[\(i)]")
                f.deposits.append(
                    Funding(from: try dr.string("from"), amount: try dr.string("amount"), currency: try dr.string("currency")))
                try dr.finish()
            }
        default:
            f.instance = try hexID("instance")
            let action = try r.string("action")
            guard !action.isEmpty, action.utf8.count <= 64 else { throw r.fail("action", "must be 1 to 64 bytes") }
            f.action = action
            f.args = try object("args")
        }
        return f
    }
}

/// One party's signature on a notice: `{"signer", "keyId", "sig"}`.
public struct NoticeSignature: Sendable, Equatable {
    public var signer: String
    public var keyID: UInt32
    public var sig: [UInt8]

    public init(signer: String, keyID: UInt32, sig: [UInt8]) {
        self.signer = signer
        self.keyID = keyID
        self.sig = sig
    }

    public var keyIDHex: String { Hex.encode((0..<4).map { UInt8(keyID >> (24 - 8 * UInt32($0)) & 0xff) }) }

    public var json: JSONValue {
        .object(JSONObject([("keyId", .string(keyIDHex)), ("sig", .string(Base64.encode(sig))), ("signer", .string(signer))]))
    }

    /// Reads a signature at `path`, or at `path[element]`.
    public init(json: JSONValue, path: String, element: Int? = nil) throws(CairnError) {
        var r = try FieldReader(json, path: path, element: element)
        signer = try r.string("signer")
        let idText = try r.string("keyId")
        guard let id = Hex.decode(idText), id.count == 4 else { throw r.fail("keyId", "\"\(idText)\" is not 8 lowercase hex digits") }
        keyID = id.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let sigText = try r.string("sig")
        guard let sig = Base64.decode(sigText), sig.count == 64 else {
            throw r.fail("sig", "not the base64 of a 64-byte Ed25519 signature")
        }
        self.sig = sig
        try r.finish()
    }

    /// Orders by signer name (bytes), then key id, as the envelope requires.
    static func precedes(_ a: NoticeSignature, _ b: NoticeSignature) -> Bool {
        if a.signer != b.signer { return a.signer.utf8.lexicographicallyPrecedes(b.signer.utf8) }
        return a.keyID < b.keyID
    }
}

/// `{"notice": <body>, "signatures": [...]}`, the signatures sorted by signer then key id. The
/// Merkle leaf is `JCS(envelope)`.
public struct Envelope: Sendable {
    public let notice: Notice
    public private(set) var signatures: [NoticeSignature]

    /// At most this many signatures in one envelope or one co-signing request: the most that any
    /// policy of a consortium this size needs, with room to spare. Each costs a verification.
    public static let maxSignatures = 128

    /// The signatures in order, with one per key: of two by the same key, the first stays. One
    /// sort, so that building an envelope costs O(n log n) in its signatures.
    public init(notice: Notice, signatures: [NoticeSignature] = []) {
        self.notice = notice
        let order = signatures.indices.sorted { a, b in
            let (x, y) = (signatures[a], signatures[b])
            if x.signer == y.signer && x.keyID == y.keyID { return a < b }
            return NoticeSignature.precedes(x, y)
        }
        var out: [NoticeSignature] = []
        out.reserveCapacity(signatures.count)
        for i in order {
            let s = signatures[i]
            if let last = out.last, last.signer == s.signer, last.keyID == s.keyID { continue }
            out.append(s)
        }
        self.signatures = out
    }

    /// Adds a signature, keeping the order; a second signature by the same key replaces nothing.
    public mutating func add(_ s: NoticeSignature) {
        let i = signatures.partitioningIndex { !NoticeSignature.precedes($0, s) }
        if i < signatures.count, signatures[i].signer == s.signer, signatures[i].keyID == s.keyID { return }
        signatures.insert(s, at: i)
    }

    public mutating func sign(with key: SigningKey) {
        add(NoticeSignature(signer: key.name, keyID: key.verifierKey.keyID, sig: key.signature(for: notice.signingMessage)))
    }

    public var json: JSONValue {
        .object(JSONObject([("notice", notice.body), ("signatures", .array(signatures.map(\.json)))]))
    }

    /// `JCS(envelope)`, written directly: the body is already canonical, and a signature's
    /// members `keyId`, `sig` and `signer` are in canonical order as they stand.
    public var leaf: [UInt8] {
        var w = CanonicalWriter()
        w.out.reserveCapacity(notice.canonicalBody.count + 32 + signatures.count * 160)
        w.append("{\"notice\":")
        w.out += notice.canonicalBody
        w.append(",\"signatures\":[")
        for (i, s) in signatures.enumerated() {
            w.append(i == 0 ? "{\"keyId\":\"" : ",{\"keyId\":\"")
            for shift in stride(from: 28, through: 0, by: -4) { w.out.append(Hex.digit(UInt8(s.keyID >> UInt32(shift) & 0xf))) }
            w.append("\",\"sig\":\"")
            Base64.encode(s.sig, into: &w.out)
            w.append("\",\"signer\":")
            w.writeString(s.signer)
            w.append("}")
        }
        w.append("]}")
        return w.out
    }

    /// Accepts either a bare body or an envelope (an object with exactly `notice` and `signatures`).
    public init(json: JSONValue) throws(CairnError) {
        guard case .object(let o) = json else { throw CairnError(.invalidField, "$: expected a notice object") }
        if o["notice"] != nil || o["signatures"] != nil {
            var r = try FieldReader(json)
            let notice = try Notice(body: try r.value("notice"), path: "$.notice")
            var sigs: [NoticeSignature] = []
            let items = try r.array("signatures")
            guard items.count <= Envelope.maxSignatures else {
                throw CairnError(
                    .invalidField, "$.signatures: \(items.count) signatures; an envelope carries at most \(Envelope.maxSignatures)")
            }
            for (i, s) in items.enumerated() {
                sigs.append(try NoticeSignature(json: s, path: "$.signatures", element: i))
            }
            try r.finish()
            self.init(notice: notice, signatures: sigs)
        } else {
            self.init(notice: try Notice(body: json))
        }
    }

    /// Parses user input (any valid JSON); canonicalization happens here.
    public init(parsing bytes: [UInt8]) throws(CairnError) {
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch { throw CairnError(.malformedJSON, error.description) }
        try self.init(json: value)
    }

    /// Parses a stored leaf, which must already be canonical and a complete envelope.
    ///
    /// The leaf must equal the canonical encoding of the envelope it parses to, which also proves
    /// it canonical; only a leaf that differs is checked byte by byte, to name the first wrong byte.
    public init(leaf: [UInt8]) throws(CairnError) {
        let value: JSONValue
        do { value = try JSON.parse(leaf) } catch { throw CairnError(.malformedJSON, "leaf: \(error.description)") }
        guard case .object(let o) = value, o["notice"] != nil else { throw CairnError(.invalidField, "leaf is not an envelope") }
        try self.init(json: value)
        guard self.leaf == leaf else {
            do { _ = try JSON.requireCanonical(leaf) } catch { throw CairnError(.malformedJSON, "leaf: \(error.description)") }
            throw CairnError(.invalidField, "leaf signatures are not sorted by signer and key id")
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, for an array partitioned so that every
    /// element that does comes after every element that does not. O(log n).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let mid = low + (high - low) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
