/// What the checker learns about a well-formed program.
struct Analysis: Sendable {
    /// The names in scope at each `when` (by id): what an instance's state binds there.
    var scopes: [[Binding]] = []
    /// The timeout of each `when`, as a linear time.
    var timeouts: [LinearTime?] = []
    /// Every action name, in order of first appearance.
    var actions: [String] = []
    /// Worst-case steps for a whole run (open, then the costliest path to a close).
    var runBound = 0
    /// Worst-case steps for any single open, act or timeout evaluation.
    var evalBound = 0
    /// The deepest `when` nesting, and the positions of the whens along that path.
    var deepestPath: [Pos] = []
    var order = TimeOrder()
    var lints: [ScriptError] = []
}

/// Static checks: names, types, timeouts (present, of the form `param + constant`, strictly
/// increasing along each path), limits, amounts, policies; then the step bounds and lints.
///
/// Near-linear in the program's size: names are looked up in a dictionary, a scope (copied
/// where a path binds more names) holds at most `Limits.scopeNames` bindings, and the recursions
/// follow the parser's bounds (`Limits.parseDepth`, `Limits.exprHeight`, `Limits.whenDepth`).
struct Checker {
    let program: Program
    private(set) var errors: [ScriptError] = []
    private(set) var analysis = Analysis()
    /// Expression nodes typed, bindings made or copied, policy leaves: the checker's share of
    /// `Contract.compileCountingWork` (the time order counts its own).
    private(set) var work = 0
    /// `analysis.actions` as a set, for the membership test.
    private var actionNames: Set<String> = []
    /// Set once a path binds more than `Limits.scopeNames` names: checking stops there.
    private var outOfNames = false

    init(program: Program) {
        self.program = program
        analysis.scopes = Array(repeating: [], count: program.whens.count)
        analysis.timeouts = Array(repeating: nil, count: program.whens.count)
    }

    private mutating func error(_ code: ScriptError.Code, _ message: String, _ pos: Pos) {
        errors.append(ScriptError(code, message, at: pos))
    }
    private mutating func lint(_ code: ScriptError.Lint, _ message: String, _ pos: Pos) {
        analysis.lints.append(ScriptError(code, message, at: pos))
    }

    mutating func run() {
        var scope = Scope()
        for p in program.params {
            if scope.contains(p.name) { error(.duplicateName, "parameter '\(p.name)' is declared twice", p.pos) }
            if Parser.reserved.contains(p.name) || Self.builtins[p.name] != nil {
                error(.reservedName, "'\(p.name)' is reserved", p.pos)
            }
            scope.append(Binding(name: p.name, type: VType(p.type), isParam: true))
        }
        for r in program.requires {
            expect(r, .bool, scope, "a require")
            collectOrder(r, scope)
        }
        if !analysis.order.close() {
            error(
                .unsatisfiableRequire, "the require constraints on times contradict each other",
                program.requires.first?.pos ?? program.pos)
        }
        if let refund = program.refund {
            expect(refund, .account, scope, "the refund account")
        } else {
            error(.noRefund, "the header needs 'refund <account>': close pays whatever is still locked there", program.pos)
        }
        walk(program.body, scope: scope, enclosing: nil, depth: 0, path: [])
        guard errors.isEmpty else { return }
        let header = 1 + program.params.count + program.requires.reduce(0) { $0 + 1 + $1.cost }
        analysis.runBound = header + runCost(program.body)
        analysis.evalBound = header + evalCost(program.body)
        for w in program.whens {
            analysis.evalBound = max(analysis.evalBound, actCost(w, run: false), 1 + evalCost(w.timeoutBody!))
        }
    }

    // MARK: walking

    private mutating func walk(_ body: Body, scope: Scope, enclosing: LinearTime?, depth: Int, path: [Pos]) {
        if outOfNames { return }
        var scope = scope
        // The first `let` copies the scope (at most `Limits.scopeNames` bindings).
        if body.stmts.contains(where: { if case .letBind = $0 { true } else { false } }) { work += scope.count }
        for s in body.stmts {
            switch s {
            case .letBind(let n, let e, let p):
                let t = type(e, scope)
                bind(n, t == .unknown ? .unknown : t, p, &scope)
                if outOfNames { return }
            case .pay(let a, let c, let to, _):
                checkAmount(a, scope, "a payment amount")
                expect(c, .currency, scope, "a payment currency")
                expect(to, .account, scope, "a payment recipient")
            }
        }
        switch body.tail {
        case .close:
            if path.count > analysis.deepestPath.count { analysis.deepestPath = path }
        case .ifElse(let c, let a, let b, let p):
            expect(c, .bool, scope, "an if condition")
            if let v = Self.constantBool(c) { lint(.unreachableBranch, "the condition is always \(v); the other branch never runs", p) }
            walk(a, scope: scope, enclosing: enclosing, depth: depth, path: path)
            walk(b, scope: scope, enclosing: enclosing, depth: depth, path: path)
        case .when(let id):
            checkWhen(program.whens[id], scope: scope, enclosing: enclosing, depth: depth + 1, path: path)
        }
    }

    private mutating func checkWhen(_ w: When, scope: Scope, enclosing: LinearTime?, depth: Int, path: [Pos]) {
        if depth > Limits.whenDepth {
            error(.tooDeep, "when nested deeper than \(Limits.whenDepth) levels", w.pos)
            return
        }
        analysis.scopes[w.id] = scope.bindings
        if w.cases.count > Limits.casesPerWhen { error(.tooManyCases, "more than \(Limits.casesPerWhen) cases in one when", w.pos) }
        var timeout: LinearTime?
        if let t = w.timeout {
            expect(t, .time, scope, "a timeout")
            if let lin = linear(t, scope) {
                timeout = lin
                analysis.timeouts[w.id] = lin
                if let outer = enclosing, !analysis.order.provesLater(lin, than: outer) {
                    error(
                        .timeoutNotIncreasing,
                        "timeout \(lin) is not provably later than the enclosing timeout \(outer); use a larger constant or 'require \(outer) < \(lin)'",
                        t.pos)
                }
            } else {
                error(.timeoutForm, "a timeout must be a time parameter plus or minus a constant, or a constant", t.pos)
            }
        } else {
            error(.noTimeout, "every when needs 'timeout <time> { ... }'", w.pos)
        }
        let path = path + [w.pos]
        var alwaysTaken: Set<String> = []
        for c in w.cases {
            if outOfNames { return }
            if actionNames.insert(c.action).inserted { analysis.actions.append(c.action) }
            if Parser.reserved.contains(c.action) { error(.reservedName, "'\(c.action)' is reserved", c.pos) }
            if alwaysTaken.contains(c.action) {
                lint(.unreachableBranch, "an earlier case '\(c.action)' without guards always wins", c.pos)
            }
            if c.clauses.allSatisfy({ if case .deposit = $0 { true } else { false } }) && c.args.allSatisfy({ $0.allowed == nil }) {
                alwaysTaken.insert(c.action)
            }
            var inner = scope
            if !c.args.isEmpty { work += scope.count }
            var seen: Set<String> = []
            for a in c.args {
                if !seen.insert(a.name).inserted { error(.duplicateName, "argument '\(a.name)' is declared twice", a.pos) }
                for e in a.allowed ?? [] { expect(e, VType(a.type), scope, "an allowed value of '\(a.name)'") }
            }
            for a in c.args { bind(a.name, VType(a.type), a.pos, &inner) }
            if outOfNames { return }
            for cl in c.clauses {
                switch cl {
                case .by(let p, _): checkPolicy(p, scope)
                case .after(let e, let p):
                    expect(e, .time, inner, "an 'after' bound")
                    if let t = timeout, let lin = linear(e, inner), analysis.order.provesAtLeast(lin, t, gap: 0) {
                        lint(.unreachableBranch, "'after \(lin)' is never before the timeout \(t): this case can never run", p)
                    }
                case .before(let e, _): expect(e, .time, inner, "a 'before' bound")
                case .whereCond(let e, _): expect(e, .bool, inner, "a where condition")
                case .preimage(let n, let e, let p):
                    if let b = inner.lookup(n) {
                        if !b.type.fits(.hash) { error(.typeMismatch, "'\(n)' must be a hash argument", p) }
                    } else {
                        error(.unboundName, "no argument named '\(n)'", p)
                    }
                    expect(e, .hash, inner, "a hash lock")
                case .deposit(let a, let cur, let from, _):
                    checkAmount(a, inner, "a deposit amount")
                    expect(cur, .currency, inner, "a deposit currency")
                    expect(from, .account, inner, "a deposit account")
                }
            }
            walk(c.body, scope: inner, enclosing: timeout ?? enclosing, depth: depth, path: path)
        }
        if let b = w.timeoutBody { walk(b, scope: scope, enclosing: timeout ?? enclosing, depth: depth, path: path) }
    }

    private mutating func bind(_ name: String, _ t: VType, _ pos: Pos, _ scope: inout Scope) {
        work += 1
        guard scope.count < Limits.scopeNames else {
            if !outOfNames {
                error(.tooManyNames, "more than \(Limits.scopeNames) names in scope (parameters, lets and arguments)", pos)
                outOfNames = true
            }
            return
        }
        if Self.builtins[name] != nil { error(.reservedName, "'\(name)' is a builtin", pos) }
        if scope.contains(name) { lint(.shadowedName, "'\(name)' shadows an earlier binding", pos) }
        scope.append(Binding(name: name, type: t, isParam: false))
    }

    private mutating func checkAmount(_ e: Expr, _ scope: Scope, _ what: String) {
        expect(e, .amount, scope, what)
        if let v = Self.constantInt(e), v <= 0 { error(.invalidAmount, "\(what) must be positive, not \(v)", e.pos) }
    }

    private mutating func checkPolicy(_ p: PolicyNode, _ scope: Scope) {
        let leaves = p.leaves
        work += leaves.count
        if leaves.count > Limits.policyParties {
            error(.policyTooLarge, "a policy names at most \(Limits.policyParties) parties", p.pos)
            return
        }
        var seen: Set<String> = []
        for l in leaves {
            expect(l, .party, scope, "a policy party")
            if !seen.insert(l.description).inserted { error(.duplicateParty, "'\(l)' appears twice in one policy", l.pos) }
        }
        func thresholds(_ n: PolicyNode) {
            switch n {
            case .sig: break
            case .all(let a, _), .any(let a, _): a.forEach(thresholds)
            case .thresh(let k, let a, let pos):
                if k < 1 { error(.badThreshold, "a threshold must be at least 1", pos) }
                if k > a.count { lint(.unsatisfiablePolicy, "thresh(\(k), ...) has only \(a.count) members: no signers satisfy it", pos) }
                a.forEach(thresholds)
            }
        }
        thresholds(p)
    }

    // MARK: types

    static let builtins: [String: (VType, VType)] = [
        "sha256": (.hash, .hash), "owner": (.account, .party), "balance": (.currency, .amount),
    ]

    private mutating func expect(_ e: Expr, _ wanted: VType, _ scope: Scope, _ what: String) {
        let t = type(e, scope)
        if !t.fits(wanted) { error(.typeMismatch, "\(what) must be \(wanted.rawValue), not \(t.rawValue)", e.pos) }
    }

    private static func numeric(_ t: VType) -> Bool { t == .int || t == .amount || t == .unknown }

    mutating func type(_ e: Expr, _ scope: Scope) -> VType {
        work += 1
        switch e.kind {
        case .int: return .int
        case .bytes: return .hash
        case .string: return .currency
        case .bool: return .bool
        case .now: return .time
        case .name(let n):
            guard let b = scope.lookup(n) else {
                error(.unboundName, "'\(n)' is not bound here", e.pos)
                return .unknown
            }
            return b.type
        case .call(let f, let args):
            guard let (arg, result) = Self.builtins[f] else {
                error(.unknownFunction, "no builtin '\(f)' (there are no user functions)", e.pos)
                for a in args { _ = type(a, scope) }
                return .unknown
            }
            guard args.count == 1 else {
                error(.typeMismatch, "\(f) takes one argument", e.pos)
                return result
            }
            expect(args[0], arg, scope, "the argument of \(f)")
            return result
        case .neg(let x):
            let t = type(x, scope)
            if !Self.numeric(t) { error(.typeMismatch, "'-' needs int or amount, not \(t.rawValue)", e.pos) }
            return t
        case .not(let x):
            expect(x, .bool, scope, "the operand of 'not'")
            return .bool
        case .binary(let op, let l, let r):
            let a = type(l, scope)
            let b = type(r, scope)
            if a == .unknown || b == .unknown { return op.isComparison || op == .and || op == .or ? .bool : .unknown }
            if let t = Self.binaryType(op, a, b) { return t }
            error(.typeMismatch, "'\(op.rawValue)' cannot combine \(a.rawValue) and \(b.rawValue)", e.pos)
            return .unknown
        }
    }

    /// The typing rules of the operators (the interpreter follows the same table).
    static func binaryType(_ op: BinaryOp, _ a: VType, _ b: VType) -> VType? {
        switch op {
        case .and, .or: return a == .bool && b == .bool ? .bool : nil
        case .eq, .ne:
            return a == b || (a == .int && (b == .amount || b == .time)) || (b == .int && (a == .amount || a == .time)) ? .bool : nil
        case .lt, .le, .gt, .ge:
            let ok = (numeric(a) && numeric(b)) || ((a == .time || a == .int) && (b == .time || b == .int))
            return ok ? .bool : nil
        case .add:
            if numeric(a) && numeric(b) { return a == .amount || b == .amount ? .amount : .int }
            if (a == .time && b == .int) || (a == .int && b == .time) { return .time }
            return nil
        case .sub:
            if numeric(a) && numeric(b) { return a == .amount || b == .amount ? .amount : .int }
            if a == .time && b == .int { return .time }
            if a == .time && b == .time { return .int }
            return nil
        case .mul:
            if a == .int && b == .int { return .int }
            if (a == .amount && b == .int) || (a == .int && b == .amount) { return .amount }
            return nil
        case .div:
            if a == .int && b == .int { return .int }
            if a == .amount && b == .int { return .amount }
            return nil
        }
    }

    // MARK: constants and linear times

    static func constantInt(_ e: Expr) -> Int64? {
        switch e.kind {
        case .int(let v): return v
        case .neg(let x): return constantInt(x).flatMap { $0 == .min ? nil : -$0 }
        case .binary(let op, let l, let r):
            guard let a = constantInt(l), let b = constantInt(r) else { return nil }
            switch op {
            case .add: return a.addingReportingOverflow(b).overflow ? nil : a + b
            case .sub: return a.subtractingReportingOverflow(b).overflow ? nil : a - b
            case .mul: return a.multipliedReportingOverflow(by: b).overflow ? nil : a * b
            default: return nil
            }
        default: return nil
        }
    }

    static func constantBool(_ e: Expr) -> Bool? {
        switch e.kind {
        case .bool(let b): return b
        case .not(let x): return constantBool(x).map { !$0 }
        case .binary(let op, let l, let r):
            if let a = constantInt(l), let b = constantInt(r) {
                switch op {
                case .lt: return a < b
                case .le: return a <= b
                case .gt: return a > b
                case .ge: return a >= b
                case .eq: return a == b
                case .ne: return a != b
                default: return nil
                }
            }
            return nil
        default: return nil
        }
    }

    /// `p`, `p + c`, `p - c`, `c` (constants may be products of literals) with `p` a time parameter.
    func linear(_ e: Expr, _ scope: Scope) -> LinearTime? {
        if let c = Self.constantInt(e) { return LinearTime(base: nil, offset: c) }
        switch e.kind {
        case .name(let n):
            guard let b = scope.lookup(n), b.isParam, b.type == .time else { return nil }
            return LinearTime(base: n, offset: 0)
        case .binary(.add, let l, let r):
            if let a = linear(l, scope), let c = Self.constantInt(r), !a.offset.addingReportingOverflow(c).overflow {
                return LinearTime(base: a.base, offset: a.offset + c)
            }
            if let c = Self.constantInt(l), let a = linear(r, scope), !a.offset.addingReportingOverflow(c).overflow {
                return LinearTime(base: a.base, offset: a.offset + c)
            }
            return nil
        case .binary(.sub, let l, let r):
            if let a = linear(l, scope), let c = Self.constantInt(r), !a.offset.subtractingReportingOverflow(c).overflow {
                return LinearTime(base: a.base, offset: a.offset - c)
            }
            return nil
        default: return nil
        }
    }

    /// Reads `a < b`, `a <= b`, `a > b`, `a >= b`, `a == b` (joined by `and`) between linear times.
    private mutating func collectOrder(_ e: Expr, _ scope: Scope) {
        guard case .binary(let op, let l, let r) = e.kind else { return }
        if op == .and {
            collectOrder(l, scope)
            collectOrder(r, scope)
            return
        }
        guard let a = linear(l, scope), let b = linear(r, scope) else { return }
        switch op {
        case .lt: analysis.order.addAtLeast(a, b, gap: 1)
        case .le: analysis.order.addAtLeast(a, b, gap: 0)
        case .gt: analysis.order.addAtLeast(b, a, gap: 1)
        case .ge: analysis.order.addAtLeast(b, a, gap: 0)
        case .eq:
            analysis.order.addAtLeast(a, b, gap: 0)
            analysis.order.addAtLeast(b, a, gap: 0)
        default: break
        }
    }

    // MARK: step bounds (the interpreter charges exactly these costs, or fewer)

    var closeCost: Int { 1 + (program.refund?.cost ?? 0) }

    /// Steps of one evaluation of a body, stopping at the first `when` reached.
    func evalCost(_ b: Body) -> Int {
        let s = b.stmts.reduce(0) { $0 + $1.cost }
        switch b.tail {
        case .close: return s + closeCost
        case .ifElse(let c, let x, let y, _): return s + 1 + c.cost + max(evalCost(x), evalCost(y))
        case .when(let id): return s + 1 + (program.whens[id].timeout?.cost ?? 0)
        }
    }

    /// Steps of a body run to its costliest close.
    func runCost(_ b: Body) -> Int {
        let s = b.stmts.reduce(0) { $0 + $1.cost }
        switch b.tail {
        case .close: return s + closeCost
        case .ifElse(let c, let x, let y, _): return s + 1 + c.cost + max(runCost(x), runCost(y))
        case .when(let id):
            let w = program.whens[id]
            return s + 1 + (w.timeout?.cost ?? 0) + max(actCost(w, run: true), 1 + runCost(w.timeoutBody!))
        }
    }

    static func caseCost(_ c: Case) -> Int {
        1 + c.args.reduce(0) { $0 + 1 + ($1.allowed ?? []).reduce(0) { $0 + $1.cost } } + c.clauses.reduce(0) { $0 + $1.cost }
    }

    /// The costliest action on `w`: dispatch, every candidate case with that name tried, then the body.
    func actCost(_ w: When, run: Bool) -> Int {
        var worst = 0
        for name in Set(w.cases.map(\.action)).sorted() {
            let cands = w.cases.filter { $0.action == name }
            let tries = cands.reduce(0) { $0 + Self.caseCost($1) }
            let body = cands.map { run ? runCost($0.body) : evalCost($0.body) }.max() ?? 0
            worst = max(worst, 1 + tries + body)
        }
        return worst
    }
}
