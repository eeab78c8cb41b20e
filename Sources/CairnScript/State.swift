/// An instance's state: where in the tree it stands (a `when`, or closed), the names bound
/// there, and the locked funds per currency.
public struct InstanceState: Sendable, Equatable {
    /// Positive amounts, sorted by currency; empty once closed.
    public var locked: [(currency: String, amount: Int64)]
    public var closed: Bool
    /// When the current `when` times out; nil once closed.
    public var nextTimeout: Int64?
    /// The `when` the instance waits in (an index into the contract's whens), -1 once closed.
    var node: Int
    /// Parameters, then `let`s and action arguments along the path, in binding order.
    var env: [(name: String, value: ScriptValue)]
    /// The contract's hash (32 bytes), so a state cannot be read against another contract.
    var contractHash: [UInt8]

    init(
        locked: [(currency: String, amount: Int64)], node: Int?, nextTimeout: Int64?, env: [(name: String, value: ScriptValue)],
        contractHash: [UInt8]
    ) {
        self.locked = locked
        self.closed = node == nil
        self.node = node ?? -1
        self.nextTimeout = nextTimeout
        self.env = env
        self.contractHash = contractHash
    }

    public static func == (a: InstanceState, b: InstanceState) -> Bool { a.encoded() == b.encoded() }

    /// The value bound to a name in the current scope (the last binding wins).
    public func value(of name: String) -> ScriptValue? { env.last(where: { $0.name == name })?.value }

    /// The locked amount in a currency (0 when none).
    public func locked(_ currency: String) -> Int64 { locked.first(where: { $0.currency == currency })?.amount ?? 0 }

    private static let magic: [UInt8] = Array("CAIRN-SCRIPT-STATE".utf8)

    /// Canonical bytes: magic, interpreter version, contract hash, node, timeout, locked, env.
    /// Integers are big-endian; strings and byte strings are u32-length-prefixed.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.raw(Self.magic)
        w.u32(UInt32(Contract.interpreterVersion))
        w.raw(contractHash)
        w.u8(closed ? 1 : 0)
        w.i64(Int64(node))
        w.i64(nextTimeout ?? 0)
        w.u32(UInt32(locked.count))
        for l in locked {
            w.string(l.currency)
            w.i64(l.amount)
        }
        w.u32(UInt32(env.count))
        for b in env {
            w.string(b.name)
            w.value(b.value)
        }
        return w.bytes
    }

    /// Reads `encoded()` bytes back, checking them against the contract: same hash, a real
    /// `when`, exactly the names in scope there with their types, sorted positive balances.
    public init(decoding bytes: [UInt8], contract: Contract) throws(ScriptError) {
        func bad(_ why: String) -> ScriptError { ScriptError(.badState, "malformed instance state: \(why)", at: .start) }
        var r = ByteReader(bytes: bytes)
        guard r.raw(Self.magic.count) == Self.magic else { throw bad("magic") }
        guard r.u32() == UInt32(Contract.interpreterVersion) else { throw bad("interpreter version") }
        guard let h = r.raw(32), h == contract.hashBytes else { throw bad("state of another contract") }
        guard let closedByte = r.u8(), closedByte <= 1, let node = r.i64(), let timeout = r.i64() else { throw bad("header") }
        let closed = closedByte == 1
        guard let lc = r.u32(), lc <= 1024 else { throw bad("locked count") }
        var locked: [(currency: String, amount: Int64)] = []
        for _ in 0..<lc {
            guard let c = r.string(), let a = r.i64(), a > 0 else { throw bad("locked entry") }
            if let last = locked.last, !(last.currency < c) { throw bad("locked entries not sorted") }
            locked.append((c, a))
        }
        guard let ec = r.u32(), ec <= 4096 else { throw bad("binding count") }
        var env: [(name: String, value: ScriptValue)] = []
        for _ in 0..<ec {
            guard let n = r.string(), let v = r.value() else { throw bad("binding") }
            env.append((n, v))
        }
        guard r.atEnd else { throw bad("trailing bytes") }
        if closed {
            guard node == -1, timeout == 0, locked.isEmpty, env.isEmpty else { throw bad("closed state with contents") }
        } else {
            guard node >= 0, node < Int64(contract.program.whens.count) else { throw bad("no such when") }
            let scope = contract.analysis.scopes[Int(node)]
            guard scope.count == env.count else { throw bad("bindings do not match the scope") }
            for (s, b) in zip(scope, env) {
                guard s.name == b.name, s.type == .unknown || Self.vtype(b.value) == s.type else { throw bad("binding '\(b.name)'") }
            }
            // The stored timeout must be the one the bindings give.
            var m = Machine(contract: contract, time: 0, signers: [], env: env, locked: locked)
            guard let expr = contract.program.whens[Int(node)].timeout, (try? m.timeValue(expr)) == timeout else {
                throw bad("timeout")
            }
        }
        self.init(
            locked: locked, node: closed ? nil : Int(node), nextTimeout: closed ? nil : timeout, env: env, contractHash: contract.hashBytes)
    }

    static func vtype(_ v: ScriptValue) -> VType {
        switch v {
        case .party: .party
        case .account: .account
        case .amount: .amount
        case .time: .time
        case .bytes: .hash
        case .int: .int
        case .currency: .currency
        case .bool: .bool
        }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) {
        for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    mutating func i64(_ v: Int64) {
        let u = UInt64(bitPattern: v)
        for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: u >> UInt64(s))) }
    }
    mutating func blob(_ b: [UInt8]) {
        u32(UInt32(b.count))
        raw(b)
    }
    mutating func string(_ s: String) { blob(Array(s.utf8)) }
    mutating func value(_ v: ScriptValue) {
        switch v {
        case .party(let s):
            u8(1)
            string(s)
        case .account(let s):
            u8(2)
            string(s)
        case .amount(let n):
            u8(3)
            i64(n)
        case .time(let n):
            u8(4)
            i64(n)
        case .bytes(let b):
            u8(5)
            blob(b)
        case .int(let n):
            u8(6)
            i64(n)
        case .currency(let s):
            u8(7)
            string(s)
        case .bool(let b):
            u8(8)
            u8(b ? 1 : 0)
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var i = 0
    var atEnd: Bool { i == bytes.count }
    mutating func raw(_ n: Int) -> [UInt8]? {
        guard n >= 0, bytes.count - i >= n else { return nil }
        defer { i += n }
        return Array(bytes[i..<i + n])
    }
    mutating func u8() -> UInt8? { raw(1)?[0] }
    mutating func u32() -> UInt32? { raw(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
    mutating func i64() -> Int64? { raw(8).map { Int64(bitPattern: $0.reduce(0) { $0 << 8 | UInt64($1) }) } }
    mutating func blob() -> [UInt8]? { u32().flatMap { raw(Int($0)) } }
    mutating func string() -> String? {
        guard let b = blob() else { return nil }
        let s = String(decoding: b, as: UTF8.self)
        return Array(s.utf8) == b ? s : nil
    }
    mutating func value() -> ScriptValue? {
        switch u8() {
        case 1: string().map(ScriptValue.party)
        case 2: string().map(ScriptValue.account)
        case 3: i64().map(ScriptValue.amount)
        case 4: i64().map(ScriptValue.time)
        case 5: blob().map(ScriptValue.bytes)
        case 6: i64().map(ScriptValue.int)
        case 7: string().map(ScriptValue.currency)
        case 8: u8().flatMap { $0 <= 1 ? ScriptValue.bool($0 == 1) : nil }
        default: nil
        }
    }
}
