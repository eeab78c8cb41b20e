/// One row of the authority matrix: who (minimal signer sets; `[]` = no signature) can take
/// which step of which `when`, in which time window, and what money it moves.
public struct AuthorityRow: Sendable, Equatable {
    /// Position of the `when` ("line:column").
    public var when: String
    /// The action name, or "timeout" for the timeout exit.
    public var action: String
    /// The window: from `from` (a time expression, or "open") until before `until`.
    public var from: String
    public var until: String
    /// Minimal sets of parties (parameter expressions) that satisfy the guard, sorted.
    public var signerSets: [[String]]
    /// Other conditions: `after`, `before`, `preimage`, `where`, `deposit`, allowed argument sets.
    public var conditions: [String]
    /// Money moved up to the next `when` or `close`: "pay AMOUNT CUR to ACCOUNT", "close: remainder to ACCOUNT".
    public var moves: [String]
}

/// A path from `open` to a `close`, with what it pays per recipient and currency.
public struct Terminal: Sendable, Equatable {
    public var path: [String]
    /// (recipient account expression, currency expression, symbolic amount).
    public var payouts: [(to: String, currency: String, amount: String)]
    /// Per currency: "in = out" with both sides symbolic, and whether they are equal.
    public var conservation: [(currency: String, inflow: String, outflow: String, ok: Bool)]

    public static func == (a: Terminal, b: Terminal) -> Bool { a.json == b.json }

    var json: JSON {
        .object([
            ("path", .array(path.map(JSON.string))),
            (
                "payouts",
                .array(
                    payouts.map { .object([("to", .string($0.to)), ("currency", .string($0.currency)), ("amount", .string($0.amount))]) })
            ),
            (
                "conservation",
                .array(
                    conservation.map {
                        .object([
                            ("currency", .string($0.currency)), ("in", .string($0.inflow)), ("out", .string($0.outflow)),
                            ("ok", .bool($0.ok)),
                        ])
                    })
            ),
        ])
    }
}

/// The auditor's report (DESIGN §2).
public struct Report: Sendable {
    public var text: String
    /// JSON text with sorted keys.
    public var json: String
    public var authority: [AuthorityRow]
    public var terminals: [Terminal]
    /// Per `when`: its timeout and the risks on its timeout path (empty = it always succeeds).
    public var liveness: [(when: String, timeout: String, risks: [String])]
    /// True when every terminal conserves money and every timeout path is free of risks.
    public var sound: Bool
}

extension Contract {
    public func report() -> Report {
        var b = ReportBuilder(contract: self)
        b.build()
        return b.finish()
    }
}

private struct ReportBuilder {
    let contract: Contract
    var program: Program { contract.program }
    var rows: [AuthorityRow] = []
    var terminals: [Terminal] = []
    var truncated = false
    var liveness: [(when: String, timeout: String, risks: [String])] = []
    var positive: Set<String> = []

    init(contract: Contract) { self.contract = contract }

    /// Path state for the symbolic walk.
    struct Path {
        var labels: [String] = []
        var locked: [String: Money] = [:]
        var inflow: [String: Money] = [:]
        var payouts: [(to: String, currency: String, amount: Money)] = []
        var lets: [String: Money] = [:]
    }

    mutating func build() {
        var start = Path()
        for r in program.requires { collectPositive(r) }
        // `require balance(c) == x` fixes what the opening deposit locks in c.
        for r in program.requires { opening(r, &start) }
        // In order of first appearance; the set only answers membership.
        var currencies: [String] = []
        var seen: Set<String> = []
        func collect(_ b: Body) {
            for case .pay(_, let c, _, _) in b.stmts where seen.insert(c.description).inserted { currencies.append(c.description) }
            if case .ifElse(_, let x, let y, _) = b.tail {
                collect(x)
                collect(y)
            }
        }
        collect(program.body)
        for w in program.whens {
            for c in w.cases {
                for case .deposit(_, let cur, _, _) in c.clauses where seen.insert(cur.description).inserted {
                    currencies.append(cur.description)
                }
                collect(c.body)
            }
            if let b = w.timeoutBody { collect(b) }
        }
        for c in currencies { _ = locked(&start, c) }
        walk(program.body, start, from: "open")
    }

    func opening(_ e: Expr, _ p: inout Path) {
        guard case .binary(let op, let l, let r) = e.kind else { return }
        if op == .and {
            opening(l, &p)
            opening(r, &p)
        } else if op == .eq, case .call("balance", let a) = l.kind, p.locked[a[0].description] == nil {
            let m = money(r, &p)
            p.locked[a[0].description] = m
            p.inflow[a[0].description] = m
        }
    }

    mutating func collectPositive(_ e: Expr) {
        guard case .binary(let op, let l, let r) = e.kind else { return }
        if op == .and {
            collectPositive(l)
            collectPositive(r)
        } else if case .name(let n) = l.kind, let c = Checker.constantInt(r), (op == .gt && c >= 0) || (op == .ge && c >= 1) {
            positive.insert(n)
        }
    }

    func locked(_ p: inout Path, _ cur: String) -> Money {
        // (The locked map is only read by sorted key or by name: no hash order reaches the report.)
        if let m = p.locked[cur] { return m }
        let m = Money.atom("opening(\(cur))")
        p.locked[cur] = m
        p.inflow[cur] = m
        return m
    }

    func money(_ e: Expr, _ p: inout Path) -> Money {
        switch e.kind {
        case .int(let v): return .const(v)
        case .name(let n): return p.lets[n] ?? .atom(n)
        case .call("balance", let a): return locked(&p, a[0].description)
        case .neg(let x): return -money(x, &p)
        case .binary(.add, let l, let r): return money(l, &p) + money(r, &p)
        case .binary(.sub, let l, let r): return money(l, &p) - money(r, &p)
        case .binary(.mul, let l, let r):
            if let k = Checker.constantInt(l) { return money(r, &p).scaled(k) }
            if let k = Checker.constantInt(r) { return money(l, &p).scaled(k) }
            return .atom("(\(e))")
        default: return .atom("(\(e))")
        }
    }

    /// Walks a body; `moves` collects the money moves up to the next when/close for the current row.
    mutating func walk(_ body: Body, _ path: Path, from: String, moves: MoveList? = nil, risks: MoveList? = nil) {
        var p = path
        for s in body.stmts {
            switch s {
            case .letBind(let n, let e, _): p.lets[n] = money(e, &p)
            case .pay(let a, let c, let to, let pos):
                let cur = c.description
                let amt = money(a, &p)
                let have = locked(&p, cur)
                p.locked[cur] = have - amt
                p.payouts.append((to.description, cur, amt))
                moves?.items.append("pay \(a) \(cur) to \(to)")
                if let risks {
                    if !(have - amt).provablyNonNegative {
                        risks.items.append("\(pos): pay \(a) may exceed the locked \(cur) (insufficient_funds)")
                    }
                    if !amt.isZero,
                        !(amt.terms.isEmpty
                            ? amt.constant > 0 : amt.terms.keys.allSatisfy { positive.contains($0) || $0.hasPrefix("opening(") })
                    {
                        risks.items.append("\(pos): pay \(a) may not be positive (invalid_amount)")
                    }
                }
            }
        }
        switch body.tail {
        case .close:
            let refund = program.refund?.description ?? "?"
            moves?.items.append("close: remainder to \(refund)")
            guard terminals.count < 256 else {
                truncated = true
                return
            }
            var payouts = p.payouts.map { ($0.to, $0.currency, $0.amount.description) }
            // What each currency pays out, summed in payment order (read by sorted key only).
            var paid: [String: Money] = [:]
            for x in p.payouts { paid[x.currency] = (paid[x.currency] ?? Money()) + x.amount }
            var conservation: [(currency: String, inflow: String, outflow: String, ok: Bool)] = []
            for cur in p.locked.keys.sorted() {
                let rest = p.locked[cur]!
                if !rest.isZero { payouts.append((refund, cur, rest.description)) }
                let out = (paid[cur] ?? Money()) + rest
                let inflow = p.inflow[cur] ?? Money()
                conservation.append((cur, inflow.description, out.description, (inflow - out).isZero && !rest.overflowed))
            }
            payouts.append((refund, "every other currency", "all of it"))
            terminals.append(Terminal(path: p.labels, payouts: payouts, conservation: conservation))
        case .ifElse(let c, let x, let y, _):
            var px = p
            px.labels.append("if \(c)")
            walk(x, px, from: from, moves: moves, risks: risks)
            var py = p
            py.labels.append("if not \(c)")
            walk(y, py, from: from, moves: moves, risks: risks)
        case .when(let id): when(program.whens[id], p, from: from)
        }
    }

    mutating func when(_ w: When, _ p: Path, from: String) {
        let until = w.timeout!.description
        for c in w.cases {
            var q = p
            q.labels.append("\(c.action)@\(c.pos)")
            var conds: [String] = []
            for a in c.args { if let set = a.allowed { conds.append("\(a.name) in {\(set.map(\.description).joined(separator: ", "))}") } }
            for cl in c.clauses {
                switch cl {
                case .by: break
                case .after(let e, _): conds.append("after \(e)")
                case .before(let e, _): conds.append("before \(e)")
                case .whereCond(let e, _): conds.append("where \(e)")
                case .preimage(let n, let e, _): conds.append("preimage \(n) of \(e)")
                case .deposit(let a, let cur, let f, _):
                    conds.append("deposit \(a) \(cur) from \(f)")
                    let m = money(a, &q)
                    let curName = cur.description
                    q.locked[curName] = locked(&q, curName) + m
                    q.inflow[curName] = (q.inflow[curName] ?? Money()) + m
                }
            }
            let moves = MoveList()
            let index = rows.count
            rows.append(
                AuthorityRow(
                    when: w.pos.description, action: c.action, from: from, until: until, signerSets: c.policy.map(Self.minimalSets) ?? [[]],
                    conditions: conds, moves: []))
            walk(c.body, q, from: from, moves: moves)
            rows[index].moves = moves.items
        }
        var q = p
        q.labels.append("timeout@\(w.timeout!.pos)")
        let moves = MoveList()
        let risks = MoveList()
        let index = rows.count
        rows.append(
            AuthorityRow(when: w.pos.description, action: "timeout", from: until, until: "-", signerSets: [[]], conditions: [], moves: []))
        let livenessIndex = liveness.count
        liveness.append((w.pos.description, until, []))
        walk(w.timeoutBody!, q, from: until, moves: moves, risks: risks)
        rows[index].moves = moves.items
        liveness[livenessIndex].risks = risks.items
    }

    /// Minimal satisfying sets of a policy, over party expressions.
    ///
    /// A set of parties is a bit mask over the policy's distinct leaves (sorted, so bit order is
    /// name order); each child's sets are computed once. Products stop at 4096 sets, as before.
    static func minimalSets(_ p: PolicyNode) -> [[String]] {
        let names = Set(p.leaves.map(\.description)).sorted()
        // Unreachable past 64: the checker bounds a policy to `Limits.policyParties` leaves.
        guard names.count <= 64 else { return [] }
        var bit: [String: UInt64] = [:]
        for (i, n) in names.enumerated() { bit[n] = 1 << UInt64(i) }
        func product(_ acc: [UInt64], _ xs: [UInt64]) -> [UInt64] { Array(acc.lazy.flatMap { s in xs.lazy.map { s | $0 } }.prefix(4096)) }
        func sets(_ p: PolicyNode) -> [UInt64] {
            switch p {
            case .sig(let e): return [bit[e.description]!]
            case .any(let a, _): return a.flatMap(sets)
            case .all(let a, _): return a.reduce([0]) { acc, x in product(acc, sets(x)) }
            case .thresh(let k, let a, _):
                let subs = a.map(sets)
                var out: [UInt64] = []
                func choose(_ start: Int, _ left: Int, _ acc: [UInt64]) {
                    if out.count > 4096 || acc.isEmpty { return }
                    if left == 0 {
                        out += acc
                        return
                    }
                    guard start < a.count else { return }
                    for i in start..<a.count { choose(i + 1, left - 1, product(acc, subs[i])) }
                }
                if k >= 1 { choose(0, k, [0]) }
                return out
            }
        }
        // Distinct sets, fewest members first: a set is minimal when no minimal set kept before
        // it is a subset (a proper one, as they are distinct).
        let unique = Set(sets(p)).sorted { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) }
        var minimal: [UInt64] = []
        if names.count <= 16 {
            // Subset sums over the 2^n masks: `below[m]` says some set is a subset of `m`.
            var below = [Bool](repeating: false, count: 1 << names.count)
            for m in unique { below[Int(m)] = true }
            for i in 0..<names.count {
                for m in below.indices where m & (1 << i) != 0 && below[m & ~(1 << i)] { below[m] = true }
            }
            minimal = unique.filter { m in !(0..<names.count).contains { m & (1 << UInt64($0)) != 0 && below[Int(m & ~(1 << UInt64($0)))] }
            }
        } else {
            for m in unique where !minimal.contains(where: { $0 & m == $0 }) { minimal.append(m) }
        }
        let members = minimal.map { m in names.indices.filter { m & (1 << UInt64($0)) != 0 }.map { names[$0] } }
        return members.sorted { $0.lexicographicallyPrecedes($1) }
    }

    func finish() -> Report {
        let sound = terminals.allSatisfy { $0.conservation.allSatisfy(\.ok) } && liveness.allSatisfy { $0.risks.isEmpty }
        let deepest = contract.analysis.deepestPath.map(\.description)
        var t = "contract \(contract.name)  \(contract.hash)\n"
        t += "language \(Contract.languageVersion), interpreter \(Contract.interpreterVersion)\n"
        t += "params: " + contract.params.map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ") + "\n"
        for r in program.requires { t += "require \(r)\n" }
        t += "refund \(program.refund?.description ?? "-")\n\nAUTHORITY (who can move which funds, to whom, when)\n"
        for r in rows {
            let who =
                r.signerSets == [[]]
                ? "no signature" : r.signerSets.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: " or ")
            let window = r.action == "timeout" ? "at or after \(r.from)" : "from \(r.from) until before \(r.until)"
            t += "  when@\(r.when) \(r.action): \(who); \(window)"
            if !r.conditions.isEmpty { t += "; " + r.conditions.joined(separator: "; ") }
            t += "\n    moves: " + (r.moves.isEmpty ? "nothing (next when)" : r.moves.joined(separator: "; ")) + "\n"
        }
        t += "\nWORST CASE\n  steps per run: \(contract.stepBound)\n  steps per evaluation: \(contract.evaluationBound)\n"
        t += "  deepest path: \(deepest.count) when(s) at \(deepest.joined(separator: " > "))\n\nTERMINALS\n"
        for term in terminals {
            t += "  " + term.path.joined(separator: " > ") + "\n"
            for p in term.payouts { t += "    \(p.to) gets \(p.amount) \(p.currency)\n" }
            for c in term.conservation {
                t += "    \(c.currency): in \(c.inflow) = out \(c.outflow): \(c.ok ? "conserved" : "NOT CONSERVED")\n"
            }
        }
        if truncated { t += "  (more paths not listed)\n" }
        t += "\nLIVENESS (every state has a timeout exit that needs no signature)\n"
        for l in liveness {
            t +=
                "  when@\(l.when) times out at \(l.timeout): " + (l.risks.isEmpty ? "always succeeds" : l.risks.joined(separator: "; "))
                + "\n"
        }
        t += "\nLINTS\n" + (contract.lints.isEmpty ? "  none\n" : contract.lints.map { "  \($0)\n" }.joined())
        t += "\nVERDICT: \(sound ? "sound" : "needs review")\n"

        let json = JSON.object([
            ("contract", .string(contract.name)),
            ("hash", .string(contract.hash)),
            ("languageVersion", .int(Int64(Contract.languageVersion))),
            ("interpreterVersion", .int(Int64(Contract.interpreterVersion))),
            ("params", .array(contract.params.map { .object([("name", .string($0.name)), ("type", .string($0.type.rawValue))]) })),
            ("requires", .array(program.requires.map { .string($0.description) })),
            ("refund", .string(program.refund?.description ?? "")),
            (
                "authority",
                .array(
                    rows.map { r in
                        .object([
                            ("when", .string(r.when)), ("action", .string(r.action)), ("from", .string(r.from)),
                            ("until", .string(r.until)),
                            ("signers", .array(r.signerSets.map { .array($0.map(JSON.string)) })),
                            ("conditions", .array(r.conditions.map(JSON.string))), ("moves", .array(r.moves.map(JSON.string))),
                        ])
                    })
            ),
            (
                "worstCase",
                .object([
                    ("stepsPerRun", .int(Int64(contract.stepBound))), ("stepsPerEvaluation", .int(Int64(contract.evaluationBound))),
                    ("deepestPath", .array(deepest.map(JSON.string))),
                ])
            ),
            ("terminals", .array(terminals.map(\.json))),
            ("terminalsTruncated", .bool(truncated)),
            (
                "liveness",
                .array(
                    liveness.map {
                        .object([
                            ("when", .string($0.when)), ("timeout", .string($0.timeout)), ("risks", .array($0.risks.map(JSON.string))),
                        ])
                    })
            ),
            (
                "lints",
                .array(
                    contract.lints.map {
                        .object([("code", .string($0.code)), ("message", .string($0.message)), ("at", .string("\($0.line):\($0.column)"))])
                    })
            ),
            ("sound", .bool(sound)),
        ])
        return Report(text: t, json: json.pretty, authority: rows, terminals: terminals, liveness: liveness, sound: sound)
    }
}

/// A list the recursive walk appends to (a reference so both branches of an `if` add to one row).
private final class MoveList {
    var items: [String] = []
}
