import CairnCore

/// A rejected notice as recorded under the block hash: `{"id", "code"}`.
public struct Rejection: Sendable, Equatable {
    public var id: String
    public var code: String
    /// A human explanation; kept beside the block, not hashed.
    public var message: String

    public init(id: String, code: String, message: String) {
        self.id = id
        self.code = code
        self.message = message
    }
}

/// A block header (DESIGN §1.4). The block hash is `SHA-256("cairn/v1/block\n" || JCS(header))`,
/// and validators seal a block by signing the same bytes.
public struct BlockHeader: Sendable, Equatable {
    public static let tag = Array("cairn/v1/block\n".utf8)

    public var height: UInt64
    public var prev: Hash
    public var time: Timestamp
    public var logSize: UInt64
    public var logRoot: Hash
    public var firstLeaf: UInt64
    /// Committed leaves in this block.
    public var count: UInt64
    public var stateRoot: Hash
    /// Entries in the state tree under `stateRoot`: it binds a balance proof's tree size.
    public var stateSize: UInt64
    public var proposer: String
    /// Rejected notices, in the order they were applied.
    public var rejected: [Rejection]
    /// Block 0 only: the hex `SHA-256("cairn/v1/genesis\n" || JCS(genesis))`.
    public var genesis: Hash?

    public init(
        height: UInt64, prev: Hash, time: Timestamp, logSize: UInt64, logRoot: Hash, firstLeaf: UInt64,
        count: UInt64, stateRoot: Hash, stateSize: UInt64, proposer: String, rejected: [Rejection] = [],
        genesis: Hash? = nil
    ) {
        self.height = height
        self.prev = prev
        self.time = time
        self.logSize = logSize
        self.logRoot = logRoot
        self.firstLeaf = firstLeaf
        self.count = count
        self.stateRoot = stateRoot
        self.stateSize = stateSize
        self.proposer = proposer
        self.rejected = rejected
        self.genesis = genesis
    }

    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("height", .number(Double(height))), ("prev", .string(prev.hex)), ("time", .string(time.description)),
            ("logSize", .number(Double(logSize))), ("logRoot", .string(logRoot.hex)),
            ("firstLeaf", .number(Double(firstLeaf))), ("count", .number(Double(count))),
            ("stateRoot", .string(stateRoot.hex)), ("stateSize", .number(Double(stateSize))),
            ("proposer", .string(proposer)),
            ("rejected", .array(rejected.map { .object(JSONObject([("code", .string($0.code)), ("id", .string($0.id))])) })),
        ]
        if let genesis { members.append(("genesis", .string(genesis.hex))) }
        return .object(JSONObject(members))
    }

    /// `JCS(header)`.
    public var canonicalBytes: [UInt8] { JSON.canonical(json) }
    /// The bytes validators sign.
    public var signingMessage: [UInt8] { BlockHeader.tag + canonicalBytes }
    public var hash: Hash { Hash.sha256(signingMessage) }

    /// Parses stored header bytes, which must be canonical.
    public init(canonical bytes: [UInt8]) throws(CairnError) {
        let value: JSONValue
        do { value = try JSON.requireCanonical(bytes) } catch { throw CairnError(.invalidBlock, "header: \(error)") }
        var r = try FieldReader(value, path: "header")
        func hash(_ key: String) throws(CairnError) -> Hash {
            let s = try r.string(key)
            guard let h = Hash(hex: s) else { throw r.fail(key, "not a 64-digit hex hash") }
            return h
        }
        func count(_ key: String) throws(CairnError) -> UInt64 {
            let v = try r.int(key)
            guard v >= 0 else { throw r.fail(key, "negative") }
            return UInt64(v)
        }
        height = try count("height")
        prev = try hash("prev")
        time = try r.timestamp("time")
        logSize = try count("logSize")
        logRoot = try hash("logRoot")
        firstLeaf = try count("firstLeaf")
        self.count = try count("count")
        stateRoot = try hash("stateRoot")
        stateSize = try count("stateSize")
        proposer = try r.string("proposer")
        var rejected: [Rejection] = []
        for (i, item) in try r.array("rejected").enumerated() {
            var rr = try FieldReader(item, path: "header.rejected[\(i)]")
            rejected.append(Rejection(id: try rr.string("id"), code: try rr.string("code"), message: ""))
            try rr.finish()
        }
        self.rejected = rejected
        genesis = r.object["genesis"] == nil ? nil : try hash("genesis")
        try r.finish()
    }
}

/// A validator's signature over a block header's signing message.
public struct Seal: Sendable, Equatable {
    public var signer: String
    public var keyID: UInt32
    public var sig: [UInt8]

    public init(signer: String, keyID: UInt32, sig: [UInt8]) {
        self.signer = signer
        self.keyID = keyID
        self.sig = sig
    }
}
