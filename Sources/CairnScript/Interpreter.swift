/// Evaluates a contract: left to right, metered, every error positioned; the first error wins
/// and the caller's state is left as it was.
struct Machine {
    let contract: Contract
    let time: Int64
    let signers: Set<String>
    var env: [(name: String, value: ScriptValue)]
    var locked: [(currency: String, amount: Int64)]
    var payments: [Payment] = []
    var deposits: [Deposit] = []
    var steps = 0
    /// Set once a case's arguments and clauses all passed: later errors come from its body.
    var passedGuards = false

    var program: Program { contract.program }

    init(
        contract: Contract, time: Int64, signers: Set<String>, env: [(name: String, value: ScriptValue)],
        locked: [(currency: String, amount: Int64)]
    ) {
        self.contract = contract
        self.time = time
        self.signers = signers
        self.env = env
        self.locked = locked
    }

    mutating func tick(_ pos: Pos) throws(ScriptError) {
        steps += 1
        if steps > contract.stepBound {
            throw ScriptError(.stepLimit, "more than \(contract.stepBound) steps", at: pos)
        }
    }

    /// Where a body ends: closed, or waiting in a `when` with its timeout.
    enum Stop {
        case closed
        case waiting(Int, Int64)
    }

    func step(_ stop: Stop) -> Step {
        let state: InstanceState
        switch stop {
        case .closed: state = InstanceState(locked: [], node: nil, nextTimeout: nil, env: [], contractHash: contract.hashBytes)
        case .waiting(let id, let t):
            state = InstanceState(locked: locked, node: id, nextTimeout: t, env: env, contractHash: contract.hashBytes)
        }
        return Step(state: state, payments: payments, deposits: deposits, steps: steps)
    }

    // MARK: bodies

    mutating func run(_ body: Body) throws(ScriptError) -> Stop {
        for s in body.stmts {
            switch s {
            case .letBind(let n, let e, let p):
                try tick(p)
                env.append((n, try eval(e)))
            case .pay(let a, let c, let to, let p):
                try tick(p)
                let amount = try amountValue(a)
                let cur = try currencyValue(c)
                let dest = try accountValue(to)
                try pay(amount, cur, dest, p)
            }
        }
        switch body.tail {
        case .close(let p):
            try tick(p)
            let params = Array(env.prefix(program.params.count))
            env = params
            let dest = try accountValue(program.refund!)
            for l in locked { payments.append(Payment(to: dest, currency: l.currency, amount: l.amount)) }
            locked = []
            return .closed
        case .ifElse(let c, let a, let b, let p):
            try tick(p)
            guard case .bool(let v) = try eval(c) else { throw typeError(c) }
            return try run(v ? a : b)
        case .when(let id):
            let w = program.whens[id]
            try tick(w.pos)
            // A constant timeout (`timeout 1000`) is an int literal; the checker typed it as a time.
            return .waiting(id, try timeValue(w.timeout!))
        }
    }

    mutating func pay(_ amount: Int64, _ cur: String, _ to: String, _ p: Pos) throws(ScriptError) {
        guard amount > 0 else { throw ScriptError(.invalidAmount, "a payment must be positive, not \(amount)", at: p) }
        let have = lockedAmount(cur)
        guard have >= amount else {
            throw ScriptError(.insufficientFunds, "paying \(amount) \(cur) but only \(have) \(cur) is locked", at: p)
        }
        setLocked(cur, have - amount)
        payments.append(Payment(to: to, currency: cur, amount: amount))
    }

    func lockedAmount(_ cur: String) -> Int64 { locked.first(where: { $0.currency == cur })?.amount ?? 0 }

    mutating func setLocked(_ cur: String, _ amount: Int64) {
        locked.removeAll { $0.currency == cur }
        if amount > 0 {
            locked.append((cur, amount))
            locked.sort { $0.currency < $1.currency }
        }
    }

    // MARK: cases

    /// Tries one case: arguments, then clauses left to right; on success runs the body.
    mutating func take(_ c: Case, args: [String: ScriptValue]) throws(ScriptError) -> Stop {
        try tick(c.pos)
        for a in c.args {
            try tick(a.pos)
            guard let given = args[a.name] else {
                throw ScriptError(.missingArgument, "action '\(c.action)' needs argument '\(a.name)'", at: a.pos)
            }
            guard let v = Self.admit(a.type, given) else {
                throw ScriptError(.typeMismatch, "argument '\(a.name)' must be \(a.type.rawValue), not \(given.typeName)", at: a.pos)
            }
            if let allowed = a.allowed {
                var found = false
                for e in allowed where !found { found = try eval(e) == v }
                if !found {
                    throw ScriptError(.notAllowed, "argument '\(a.name)' = \(v.text) is not one of the allowed values", at: a.pos)
                }
            }
            env.append((a.name, v))
        }
        for k in args.keys.sorted() where !c.args.contains(where: { $0.name == k }) {
            throw ScriptError(.unknownArgument, "action '\(c.action)' takes no argument '\(k)'", at: c.pos)
        }
        for cl in c.clauses { try clause(cl, scopeCount: env.count - c.args.count) }
        passedGuards = true
        return try run(c.body)
    }

    mutating func clause(_ cl: Clause, scopeCount: Int) throws(ScriptError) {
        switch cl {
        case .by(let p, let pos):
            try tick(pos)
            // The policy sees the when's scope, not the case's own arguments.
            let saved = env
            env = Array(env.prefix(scopeCount))
            let ok = try satisfied(p)
            env = saved
            if !ok {
                let who = signers.sorted().joined(separator: ", ")
                throw ScriptError(.unauthorized, "signers {\(who)} do not satisfy \(p)", at: pos)
            }
        case .after(let e, let pos):
            try tick(pos)
            let t = try timeValue(e)
            if time < t { throw ScriptError(.tooEarly, "allowed from \(t), block time is \(time)", at: pos) }
        case .before(let e, let pos):
            try tick(pos)
            let t = try timeValue(e)
            if time >= t { throw ScriptError(.tooLate, "allowed before \(t), block time is \(time)", at: pos) }
        case .whereCond(let e, let pos):
            try tick(pos)
            guard case .bool(let v) = try eval(e) else { throw typeError(e) }
            if !v { throw ScriptError(.guardFailed, "the condition \(e) does not hold", at: pos) }
        case .preimage(let n, let e, let pos):
            try tick(pos)
            guard case .bytes(let lock) = try eval(e), case .bytes(let pre)? = env.last(where: { $0.name == n })?.value else {
                throw typeError(e)
            }
            if Contract.sha256(pre) != lock { throw ScriptError(.preimageMismatch, "SHA-256 of '\(n)' is not \(e)", at: pos) }
        case .deposit(let a, let c, let f, let pos):
            try tick(pos)
            let amount = try amountValue(a)
            let cur = try currencyValue(c)
            let from = try accountValue(f)
            guard amount > 0 else { throw ScriptError(.invalidAmount, "a deposit must be positive, not \(amount)", at: pos) }
            let owner = Self.owner(from)
            guard signers.contains(owner) else {
                throw ScriptError(.unauthorized, "a deposit from \(from) needs the signature of \(owner)", at: pos)
            }
            let (sum, o) = lockedAmount(cur).addingReportingOverflow(amount)
            if o { throw ScriptError(.overflow, "the locked \(cur) balance would overflow", at: pos) }
            setLocked(cur, sum)
            deposits.append(Deposit(from: from, currency: cur, amount: amount))
        }
    }

    /// Resolves and checks a policy; a party named twice (after resolution) is an error.
    mutating func satisfied(_ p: PolicyNode) throws(ScriptError) -> Bool {
        var seen: [String] = []
        return try satisfied(p, &seen)
    }

    private mutating func satisfied(_ p: PolicyNode, _ seen: inout [String]) throws(ScriptError) -> Bool {
        try tick(p.pos)
        switch p {
        case .sig(let e):
            guard case .party(let name) = try eval(e) else { throw typeError(e) }
            if seen.contains(name) { throw ScriptError(.duplicateParty, "\(name) appears twice in one policy", at: e.pos) }
            seen.append(name)
            return signers.contains(name)
        case .all(let a, _), .any(let a, _), .thresh(_, let a, _):
            var count = 0
            for x in a where try satisfied(x, &seen) { count += 1 }
            switch p {
            case .all: return count == a.count
            case .any: return count > 0
            case .thresh(let k, _, _): return count >= k
            default: return false
            }
        }
    }

    // MARK: expressions

    static func owner(_ account: String) -> String {
        String(account.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])
    }

    static func admit(_ t: ParamType, _ v: ScriptValue) -> ScriptValue? {
        guard let x = t.admits(v) else { return nil }
        if case .account(let a) = x, !a.contains("/") || owner(a).isEmpty { return nil }
        return x
    }

    func typeError(_ e: Expr) -> ScriptError { ScriptError(.typeMismatch, "\(e) has the wrong type", at: e.pos) }

    mutating func amountValue(_ e: Expr) throws(ScriptError) -> Int64 {
        switch try eval(e) {
        case .amount(let v), .int(let v): return v
        default: throw typeError(e)
        }
    }

    mutating func timeValue(_ e: Expr) throws(ScriptError) -> Int64 {
        switch try eval(e) {
        case .time(let v), .int(let v): return v
        default: throw typeError(e)
        }
    }

    mutating func currencyValue(_ e: Expr) throws(ScriptError) -> String {
        guard case .currency(let c) = try eval(e) else { throw typeError(e) }
        return c
    }

    mutating func accountValue(_ e: Expr) throws(ScriptError) -> String {
        guard case .account(let a) = try eval(e) else { throw typeError(e) }
        return a
    }

    mutating func eval(_ e: Expr) throws(ScriptError) -> ScriptValue {
        try tick(e.pos)
        switch e.kind {
        case .int(let v): return .int(v)
        case .bytes(let b): return .bytes(b)
        case .string(let s): return .currency(s)
        case .bool(let b): return .bool(b)
        case .now: return .time(time)
        case .name(let n):
            guard let v = env.last(where: { $0.name == n })?.value else {
                throw ScriptError(.unboundName, "'\(n)' is not bound", at: e.pos)
            }
            return v
        case .call(let f, let args):
            let v = try eval(args[0])
            switch (f, v) {
            case ("sha256", .bytes(let b)): return .bytes(Contract.sha256(b))
            case ("owner", .account(let a)): return .party(Self.owner(a))
            case ("balance", .currency(let c)): return .amount(lockedAmount(c))
            default: throw typeError(e)
            }
        case .neg(let x):
            switch try eval(x) {
            case .int(let v) where v != .min: return .int(-v)
            case .amount(let v) where v != .min: return .amount(-v)
            case .int, .amount: throw ScriptError(.overflow, "negation overflows", at: e.pos)
            default: throw typeError(e)
            }
        case .not(let x):
            guard case .bool(let v) = try eval(x) else { throw typeError(e) }
            return .bool(!v)
        case .binary(let op, let l, let r):
            let a = try eval(l)
            if op == .and || op == .or {
                guard case .bool(let x) = a else { throw typeError(l) }
                if op == .and && !x { return .bool(false) }
                if op == .or && x { return .bool(true) }
                guard case .bool(let y) = try eval(r) else { throw typeError(r) }
                return .bool(y)
            }
            let b = try eval(r)
            return try Self.binary(op, a, b, e)
        }
    }

    static func number(_ v: ScriptValue) -> Int64? {
        switch v {
        case .int(let n), .amount(let n), .time(let n): n
        default: nil
        }
    }

    static func binary(_ op: BinaryOp, _ a: ScriptValue, _ b: ScriptValue, _ e: Expr) throws(ScriptError) -> ScriptValue {
        let ta = InstanceState.vtype(a)
        let tb = InstanceState.vtype(b)
        guard let rt = Checker.binaryType(op, ta, tb) else {
            throw ScriptError(.typeMismatch, "'\(op.rawValue)' cannot combine \(ta.rawValue) and \(tb.rawValue)", at: e.pos)
        }
        if op == .eq || op == .ne {
            let same: Bool
            if let x = number(a), let y = number(b) { same = x == y } else { same = a == b }
            return .bool(op == .eq ? same : !same)
        }
        guard let x = number(a), let y = number(b) else { throw ScriptError(.typeMismatch, "\(e) needs numbers", at: e.pos) }
        let r: (Int64, Bool)
        switch op {
        case .lt: return .bool(x < y)
        case .le: return .bool(x <= y)
        case .gt: return .bool(x > y)
        case .ge: return .bool(x >= y)
        case .add: r = x.addingReportingOverflow(y)
        case .sub: r = x.subtractingReportingOverflow(y)
        case .mul: r = x.multipliedReportingOverflow(by: y)
        case .div:
            if y == 0 { throw ScriptError(.divisionByZero, "division by zero in \(e)", at: e.pos) }
            r = x.dividedReportingOverflow(by: y)
        default: throw ScriptError(.typeMismatch, "bad operator", at: e.pos)
        }
        if r.1 { throw ScriptError(.overflow, "\(e) overflows Int64", at: e.pos) }
        switch rt {
        case .amount: return .amount(r.0)
        case .time: return .time(r.0)
        default: return .int(r.0)
        }
    }
}
