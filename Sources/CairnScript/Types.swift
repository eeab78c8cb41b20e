/// Static types of expressions.
enum VType: String, Sendable, Equatable {
    case party, account, amount, time, hash, int, currency, bool
    /// An expression that already has an error: matches anything, so one mistake is one error.
    case unknown

    init(_ p: ParamType) {
        switch p {
        case .party: self = .party
        case .account: self = .account
        case .amount: self = .amount
        case .time: self = .time
        case .hash: self = .hash
        case .int: self = .int
        case .currency: self = .currency
        }
    }

    func fits(_ wanted: VType) -> Bool {
        self == wanted || self == .unknown || wanted == .unknown || (self == .int && (wanted == .amount || wanted == .time))
    }
}

/// A name in scope: parameters first, then `let`s and action arguments along the path.
struct Binding: Sendable, Equatable {
    var name: String
    var type: VType
    var isParam: Bool
}

/// The names in scope on one path, in binding order (what a `when`'s state binds), with the index
/// of each name's latest binding for lookups (a dictionary that is never iterated).
struct Scope: Sendable {
    private(set) var bindings: [Binding] = []
    private var latest: [String: Int] = [:]

    var count: Int { bindings.count }

    /// The latest binding of `name`: the one an expression sees.
    func lookup(_ name: String) -> Binding? { latest[name].map { bindings[$0] } }

    func contains(_ name: String) -> Bool { latest[name] != nil }

    mutating func append(_ b: Binding) {
        latest[b.name] = bindings.count
        bindings.append(b)
    }
}

/// A time written as `param + constant` (or a bare constant: `base == nil`), the only form the
/// timeout-increase check reasons about.
struct LinearTime: Sendable, Equatable, CustomStringConvertible {
    var base: String?
    var offset: Int64

    var description: String {
        guard let b = base else { return String(offset) }
        if offset == 0 { return b }
        return offset > 0 ? "\(b) + \(offset)" : "\(b) - \(offset.magnitude)"
    }
}

/// Difference constraints between time parameters, from the header's `require` lines: for each
/// pair, the largest `k` such that `q - p >= k` is implied (longest paths, Floyd–Warshall).
///
/// Nodes are the constant zero and time parameters, so there are at most `Limits.params + 1` of
/// them and `close` (cubic in the nodes) does at most 65³ steps whatever the source's size.
struct TimeOrder: Sendable {
    private var nodes: [String] = [""]  // "" is the constant zero
    /// Node name → its index in `nodes` (looked up, never iterated).
    private var indices: [String: Int] = ["": 0]
    private var lower: [[Int64?]] = [[0]]
    /// Inner steps of `close` and lookups: the time order's share of `Contract.compileCountingWork`.
    private(set) var work = 0
    static let cap: Int64 = 1 << 61

    private mutating func index(_ n: String?) -> Int {
        work += 1
        let key = n ?? ""
        if let i = indices[key] { return i }
        nodes.append(key)
        indices[key] = nodes.count - 1
        for r in lower.indices { lower[r].append(nil) }
        lower.append(Array(repeating: nil, count: nodes.count))
        lower[nodes.count - 1][nodes.count - 1] = 0
        return nodes.count - 1
    }

    private static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, o) = a.addingReportingOverflow(b)
        if o { return a > 0 ? cap : -cap }
        return Swift.max(-cap, Swift.min(cap, s))
    }

    /// Records `a + gap <= b`, i.e. `b - a >= gap` in terms of the linear forms.
    mutating func addAtLeast(_ a: LinearTime, _ b: LinearTime, gap: Int64) {
        let p = index(a.base)
        let q = index(b.base)
        let w = Self.add(Self.add(a.offset, -b.offset), gap)
        if lower[p][q].map({ w > $0 }) ?? true { lower[p][q] = w }
    }

    /// Closes the relation; returns false when the constraints contradict each other.
    mutating func close() -> Bool {
        let n = nodes.count
        for k in 0..<n {
            for a in 0..<n {
                work += 1
                guard let ak = lower[a][k] else { continue }
                work += n
                for b in 0..<n {
                    guard let kb = lower[k][b] else { continue }
                    let s = Self.add(ak, kb)
                    if lower[a][b].map({ s > $0 }) ?? true { lower[a][b] = s }
                }
            }
        }
        return (0..<n).allSatisfy { (lower[$0][$0] ?? 0) <= 0 }
    }

    /// Whether `later > earlier` holds for every binding satisfying the constraints.
    func provesLater(_ later: LinearTime, than earlier: LinearTime) -> Bool { provesAtLeast(later, earlier, gap: 1) }

    /// Whether `b - a >= gap` is implied.
    func provesAtLeast(_ b: LinearTime, _ a: LinearTime, gap: Int64) -> Bool {
        let p = indices[a.base ?? ""]
        let q = indices[b.base ?? ""]
        let need = Self.add(Self.add(a.offset, -b.offset), gap)
        if a.base == b.base { return need <= 0 }
        guard let p, let q, let l = lower[p][q] else { return false }
        return l >= need
    }
}
