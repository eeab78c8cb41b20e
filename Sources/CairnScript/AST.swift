/// The syntax tree. Every node carries the position of its first token.

enum BinaryOp: String, Sendable {
    case add = "+"
    case sub = "-"
    case mul = "*"
    case div = "/"
    case eq = "=="
    case ne = "!="
    case lt = "<"
    case le = "<="
    case gt = ">"
    case ge = ">="
    case and = "and"
    case or = "or"

    var isComparison: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
}

indirect enum ExprKind: Sendable, Equatable {
    case int(Int64)
    case bytes([UInt8])
    /// A string literal: a currency code such as `"EUR"`.
    case string(String)
    case bool(Bool)
    /// The block time.
    case now
    case name(String)
    /// A builtin: `sha256(h)`, `owner(acc)`, `balance(cur)`.
    case call(String, [Expr])
    case neg(Expr)
    case not(Expr)
    case binary(BinaryOp, Expr, Expr)
}

struct Expr: Sendable, Equatable, CustomStringConvertible {
    let kind: ExprKind
    var pos: Pos
    /// Nodes on the longest path from here to a leaf (a leaf is 1), computed from the children in
    /// O(1). Every walker of expressions (checker, interpreter, report, `description`, `cost`, even
    /// the indirect enum's deinit) recurses once per level, so the parser refuses an expression
    /// taller than `Limits.exprHeight` with `too_deep`.
    let height: Int

    init(kind: ExprKind, pos: Pos) {
        self.kind = kind
        self.pos = pos
        switch kind {
        case .int, .bytes, .string, .bool, .now, .name: height = 1
        case .call(_, let a): height = 1 + a.reduce(0) { max($0, $1.height) }
        case .neg(let e), .not(let e): height = 1 + e.height
        case .binary(_, let l, let r): height = 1 + max(l.height, r.height)
        }
    }

    /// Source-like text, for the report and messages.
    var description: String {
        switch kind {
        case .int(let v): String(v)
        case .bytes(let b): "0x" + Hex.encode(b)
        case .string(let s): "\"\(s)\""
        case .bool(let b): b ? "true" : "false"
        case .now: "now"
        case .name(let n): n
        case .call(let f, let a): "\(f)(\(a.map(\.description).joined(separator: ", ")))"
        case .neg(let e): "-\(e.atomic)"
        case .not(let e): "not \(e.atomic)"
        case .binary(let op, let l, let r): "\(l.atomic) \(op.rawValue) \(r.atomic)"
        }
    }

    private var atomic: String {
        if case .binary = kind { return "(\(description))" }
        return description
    }

    /// Number of nodes: the steps evaluating it costs at most.
    var cost: Int {
        switch kind {
        case .int, .bytes, .string, .bool, .now, .name: 1
        case .call(_, let a): 1 + a.reduce(0) { $0 + $1.cost }
        case .neg(let e), .not(let e): 1 + e.cost
        case .binary(_, let l, let r): 1 + l.cost + r.cost
        }
    }
}

/// A signer policy, as in genesis: `sig(p)`, `all(...)`, `any(...)`, `thresh(k, ...)`; a bare
/// party expression means `sig(...)`.
indirect enum PolicyNode: Sendable, Equatable, CustomStringConvertible {
    case sig(Expr)
    case all([PolicyNode], Pos)
    case any([PolicyNode], Pos)
    case thresh(Int, [PolicyNode], Pos)

    var pos: Pos {
        switch self {
        case .sig(let e): e.pos
        case .all(_, let p), .any(_, let p), .thresh(_, _, let p): p
        }
    }

    var description: String {
        switch self {
        case .sig(let e): "sig(\(e))"
        case .all(let a, _): "all(\(a.map(\.description).joined(separator: ", ")))"
        case .any(let a, _): "any(\(a.map(\.description).joined(separator: ", ")))"
        case .thresh(let k, let a, _): "thresh(\(k), \(a.map(\.description).joined(separator: ", ")))"
        }
    }

    var cost: Int {
        switch self {
        case .sig(let e): 1 + e.cost
        case .all(let a, _), .any(let a, _), .thresh(_, let a, _): 1 + a.reduce(0) { $0 + $1.cost }
        }
    }

    var leaves: [Expr] {
        switch self {
        case .sig(let e): [e]
        case .all(let a, _), .any(let a, _), .thresh(_, let a, _): a.flatMap(\.leaves)
        }
    }
}

struct ArgDecl: Sendable, Equatable {
    var name: String
    var type: ParamType
    /// `in { a, b, c }`: the argument must equal one of these (evaluated when the action runs).
    var allowed: [Expr]?
    var pos: Pos
}

/// One guard or effect of a case head, evaluated left to right.
enum Clause: Sendable, Equatable {
    case by(PolicyNode, Pos)
    case after(Expr, Pos)
    case before(Expr, Pos)
    /// `preimage arg of hashExpr`: SHA-256 of the argument's bytes equals the hash.
    case preimage(String, Expr, Pos)
    case whereCond(Expr, Pos)
    /// `deposit amount in currency from account`: the action locks more funds.
    case deposit(Expr, Expr, Expr, Pos)

    var cost: Int {
        switch self {
        case .by(let p, _): 1 + p.cost
        case .after(let e, _), .before(let e, _), .preimage(_, let e, _), .whereCond(let e, _): 1 + e.cost
        case .deposit(let a, let c, let f, _): 1 + a.cost + c.cost + f.cost
        }
    }
}

enum Stmt: Sendable, Equatable {
    case letBind(String, Expr, Pos)
    case pay(Expr, Expr, Expr, Pos)

    var cost: Int {
        switch self {
        case .letBind(_, let e, _): 1 + e.cost
        case .pay(let a, let c, let t, _): 1 + a.cost + c.cost + t.cost
        }
    }
}

indirect enum Tail: Sendable, Equatable {
    case close(Pos)
    case ifElse(Expr, Body, Body, Pos)
    /// An index into `Program.whens`.
    case when(Int)
}

struct Body: Sendable, Equatable {
    var stmts: [Stmt]
    var tail: Tail
}

struct Case: Sendable, Equatable {
    var action: String
    var args: [ArgDecl]
    var clauses: [Clause]
    var body: Body
    var pos: Pos

    var policy: PolicyNode? {
        for c in clauses { if case .by(let p, _) = c { return p } }
        return nil
    }
}

struct When: Sendable, Equatable {
    var id: Int
    var cases: [Case]
    var timeout: Expr?
    var timeoutBody: Body?
    var pos: Pos
}

struct ParamDecl: Sendable, Equatable {
    var name: String
    var type: ParamType
    var pos: Pos
}

/// A parsed contract: header, top-level body and the table of every `when` (preorder).
struct Program: Sendable, Equatable {
    var name: String
    var params: [ParamDecl]
    var requires: [Expr]
    var refund: Expr?
    var body: Body
    var whens: [When]
    var pos: Pos
}
