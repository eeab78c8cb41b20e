/// Recursive-descent parser with error recovery: a syntax error is recorded and the parser skips
/// to the next statement, case or header keyword, so one run reports several errors. Nesting
/// (blocks, policies and expressions) is bounded by `Limits.parseDepth`, and the height of every
/// expression (operator chains included, which the parser builds in a loop) by
/// `Limits.exprHeight`; past either the parser reports `too_deep` and stops, so no later walker
/// of the tree can overflow the stack. The token index only moves forward, so parsing is linear.
struct Parser {
    static let reserved: Set<String> = [
        "contract", "param", "require", "when", "case", "by", "after", "before", "preimage", "of", "where", "deposit",
        "from", "timeout", "pay", "in", "to", "let", "if", "else", "close", "and", "or", "not", "true", "false", "now",
    ]
    private static let syncWords: Set<String> = [
        "let", "pay", "close", "if", "when", "case", "timeout", "param", "require", "else",
    ]

    private struct Abort: Error {}

    private let toks: [Token]
    private var i = 0
    private var depth = 0
    private(set) var errors: [ScriptError] = []
    private var whens: [When?] = []
    /// Tokens consumed plus nodes built: the parser's share of `Contract.compileCountingWork`.
    private(set) var work = 0

    init(tokens: [Token]) { toks = tokens }

    private var tok: Token { toks[i] }
    private mutating func advance() {
        work += 1
        if i < toks.count - 1 { i += 1 }
    }

    private mutating func fail(_ message: String, at pos: Pos? = nil, code: ScriptError.Code = .syntax) -> Abort {
        let p = pos ?? tok.pos
        // One error per position: recovery can revisit the same token.
        if errors.last.map({ $0.line == p.line && $0.column == p.column }) != true {
            errors.append(ScriptError(code, message, at: p))
        }
        return Abort()
    }

    private mutating func expectSym(_ s: String, _ what: String) throws(Abort) {
        guard tok.isSym(s) else { throw fail("expected '\(s)' \(what), found \(tok.display)") }
        advance()
    }

    private mutating func expectWord(_ w: String, _ what: String) throws(Abort) {
        guard tok.isWord(w) else { throw fail("expected '\(w)' \(what), found \(tok.display)") }
        advance()
    }

    private mutating func name(_ what: String) throws(Abort) -> (String, Pos) {
        guard case .ident(let n) = tok.kind, !Self.reserved.contains(n) else { throw fail("expected \(what), found \(tok.display)") }
        let p = tok.pos
        advance()
        return (n, p)
    }

    private mutating func enter() throws(Abort) {
        depth += 1
        if depth > Limits.parseDepth {
            _ = fail("nesting deeper than \(Limits.parseDepth) levels", code: .tooDeep)
            aborted = true
            throw Abort()
        }
    }
    private mutating func leave() { depth -= 1 }
    private var aborted = false

    /// Builds an expression node, refusing one taller than `Limits.exprHeight`.
    private mutating func node(_ kind: ExprKind, _ pos: Pos) throws(Abort) -> Expr {
        work += 1
        let e = Expr(kind: kind, pos: pos)
        if e.height > Limits.exprHeight {
            _ = fail("an expression more than \(Limits.exprHeight) operators deep", at: pos, code: .tooDeep)
            aborted = true
            throw Abort()
        }
        return e
    }

    /// Skips to a synchronizing keyword or to the `}` closing the current block (not consumed).
    private mutating func recover(stopWords: Set<String> = syncWords) {
        var nest = 0
        var first = true
        while !tok.isEnd {
            work += 1
            if tok.isSym("{") {
                nest += 1
            } else if tok.isSym("}") {
                if nest == 0 { return }
                nest -= 1
            } else if nest == 0, !first, case .ident(let w) = tok.kind, stopWords.contains(w) {
                return
            }
            first = false
            advance()
        }
    }

    // MARK: contract

    mutating func parseProgram() -> Program? {
        let start = tok.pos
        var name = ""
        var params: [ParamDecl] = []
        var requires: [Expr] = []
        var refund: Expr?
        var paramCount = 0
        var requireCount = 0
        do {
            try expectWord("contract", "at the start of a contract")
            name = try self.name("the contract name").0
        } catch {
            recover()
        }
        while case .ident(let w) = tok.kind, ["param", "require", "refund"].contains(w) {
            let p = tok.pos
            advance()
            do {
                switch w {
                case "param":
                    let (n, np) = try self.name("a parameter name")
                    try expectSym(":", "after the parameter name")
                    let decl = ParamDecl(name: n, type: try type(), pos: np)
                    paramCount += 1
                    if paramCount <= Limits.params {
                        params.append(decl)
                    } else if paramCount == Limits.params + 1 {
                        _ = fail("more than \(Limits.params) parameters", at: p, code: .tooManyParams)
                    }
                case "require":
                    let r = try expr()
                    requireCount += 1
                    if requireCount <= Limits.requires {
                        requires.append(r)
                    } else if requireCount == Limits.requires + 1 {
                        _ = fail("more than \(Limits.requires) require clauses", at: p, code: .tooManyRequires)
                    }
                default:
                    if refund != nil { throw fail("a second refund clause", at: p) }
                    refund = try expr()
                }
            } catch {
                if aborted { return nil }
                recover(stopWords: Self.syncWords.union(["refund"]))
            }
        }
        guard let body = parseBody(), !aborted else { return nil }
        if !tok.isEnd { _ = fail("unexpected \(tok.display) after the contract body") }
        return Program(
            name: name, params: params, requires: requires, refund: refund, body: body, whens: whens.compactMap { $0 }, pos: start)
    }

    private mutating func type() throws(Abort) -> ParamType {
        guard case .ident(let t) = tok.kind, let pt = ParamType(rawValue: t) else {
            throw fail(
                "expected a type (\(ParamType.allCases.map(\.rawValue).joined(separator: ", "))), found \(tok.display)",
                code: .unknownType)
        }
        advance()
        return pt
    }

    // MARK: bodies

    /// `{ stmt } tail`. Returns nil only when parsing was aborted.
    private mutating func parseBody() -> Body? {
        var stmts: [Stmt] = []
        while true {
            let p = tok.pos
            do {
                switch tok.kind {
                case .ident("let"):
                    advance()
                    let (n, _) = try name("a name after 'let'")
                    try expectSym("=", "after the name")
                    stmts.append(.letBind(n, try expr(), p))
                case .ident("pay"):
                    advance()
                    let amount = try expr()
                    try expectWord("in", "after the amount")
                    let cur = try expr()
                    try expectWord("to", "after the currency")
                    stmts.append(.pay(amount, cur, try expr(), p))
                case .ident("close"):
                    advance()
                    return Body(stmts: stmts, tail: .close(p))
                case .ident("if"):
                    return Body(stmts: stmts, tail: try ifTail())
                case .ident("when"):
                    return Body(stmts: stmts, tail: try whenTail())
                default:
                    throw fail("expected let, pay, close, if or when, found \(tok.display)")
                }
            } catch {
                if aborted { return nil }
                recover()
                if tok.isSym("}") || tok.isEnd { return Body(stmts: stmts, tail: .close(p)) }
            }
        }
    }

    private mutating func block(_ what: String) throws(Abort) -> Body {
        try enter()
        defer { leave() }
        try expectSym("{", what)
        guard let body = parseBody() else { throw Abort() }
        if aborted { throw Abort() }
        try expectSym("}", "to close the block")
        return body
    }

    private mutating func ifTail() throws(Abort) -> Tail {
        let p = tok.pos
        advance()
        let cond = try expr()
        let then = try block("after the condition")
        try expectWord("else", "after the 'if' block (both branches must end the path)")
        if tok.isWord("if") {
            try enter()
            defer { leave() }
            return .ifElse(cond, then, Body(stmts: [], tail: try ifTail()), p)
        }
        return .ifElse(cond, then, try block("after 'else'"), p)
    }

    private mutating func whenTail() throws(Abort) -> Tail {
        let p = tok.pos
        advance()
        let id = whens.count
        whens.append(nil)
        try enter()
        defer { leave() }
        try expectSym("{", "after 'when'")
        var cases: [Case] = []
        while tok.isWord("case") {
            do {
                cases.append(try parseCase())
            } catch {
                if aborted { throw Abort() }
                recover(stopWords: ["case"])
            }
        }
        if cases.isEmpty { _ = fail("a when needs at least one case, found \(tok.display)") }
        try expectSym("}", "to close the cases of the when")
        var timeout: Expr?
        var timeoutBody: Body?
        if tok.isWord("timeout") {
            advance()
            timeout = try expr()
            timeoutBody = try block("after the timeout")
        }
        whens[id] = When(id: id, cases: cases, timeout: timeout, timeoutBody: timeoutBody, pos: p)
        return .when(id)
    }

    private mutating func parseCase() throws(Abort) -> Case {
        let p = tok.pos
        advance()
        let (action, _) = try name("an action name")
        var args: [ArgDecl] = []
        if tok.isSym("(") {
            advance()
            while true {
                let (n, np) = try name("an argument name")
                try expectSym(":", "after the argument name")
                let t = try type()
                var allowed: [Expr]?
                if tok.isWord("in") {
                    advance()
                    try expectSym("{", "to open the set of allowed values")
                    var list = [try expr()]
                    while tok.isSym(",") {
                        advance()
                        list.append(try expr())
                    }
                    try expectSym("}", "to close the set of allowed values")
                    allowed = list
                }
                args.append(ArgDecl(name: n, type: t, allowed: allowed, pos: np))
                if tok.isSym(",") {
                    advance()
                    continue
                }
                try expectSym(")", "after the arguments")
                break
            }
        }
        var clauses: [Clause] = []
        while case .ident(let w) = tok.kind {
            let cp = tok.pos
            switch w {
            case "by":
                advance()
                clauses.append(.by(try policy(), cp))
            case "after":
                advance()
                clauses.append(.after(try expr(), cp))
            case "before":
                advance()
                clauses.append(.before(try expr(), cp))
            case "where":
                advance()
                clauses.append(.whereCond(try expr(), cp))
            case "preimage":
                advance()
                let (n, _) = try name("the argument holding the preimage")
                try expectWord("of", "after the preimage argument")
                clauses.append(.preimage(n, try expr(), cp))
            case "deposit":
                advance()
                let a = try expr()
                try expectWord("in", "after the deposit amount")
                let c = try expr()
                try expectWord("from", "after the deposit currency")
                clauses.append(.deposit(a, c, try expr(), cp))
            default:
                throw fail("expected by, after, before, where, preimage, deposit or '{', found \(tok.display)")
            }
        }
        let body = try block("to start the case body")
        return Case(action: action, args: args, clauses: clauses, body: body, pos: p)
    }

    private mutating func policy() throws(Abort) -> PolicyNode {
        try enter()
        defer { leave() }
        let p = tok.pos
        if case .ident(let w) = tok.kind, ["sig", "all", "any", "thresh"].contains(w), toks[i + 1].isSym("(") {
            advance()
            advance()
            if w == "sig" {
                let e = try expr()
                try expectSym(")", "after the party")
                return .sig(e)
            }
            var k = 0
            if w == "thresh" {
                guard case .int(let v) = tok.kind else { throw fail("expected the threshold count, found \(tok.display)") }
                k = Int(clamping: v)
                advance()
                try expectSym(",", "after the threshold count")
            }
            var list = [try policy()]
            while tok.isSym(",") {
                advance()
                list.append(try policy())
            }
            try expectSym(")", "after the policy arguments")
            return w == "all" ? .all(list, p) : w == "any" ? .any(list, p) : .thresh(k, list, p)
        }
        return .sig(try expr())
    }

    // MARK: expressions

    private mutating func expr() throws(Abort) -> Expr {
        try enter()
        defer { leave() }
        return try binary(level: 0)
    }

    private static let levels: [[String]] = [["or"], ["and"], ["==", "!=", "<", "<=", ">", ">="], ["+", "-"], ["*", "/"]]

    private func opAt(level: Int) -> BinaryOp? {
        let text: String
        switch tok.kind {
        case .sym(let s): text = s
        case .ident(let w) where w == "and" || w == "or": text = w
        default: return nil
        }
        guard Self.levels[level].contains(text) else { return nil }
        return BinaryOp(rawValue: text)
    }

    private mutating func binary(level: Int) throws(Abort) -> Expr {
        if level == Self.levels.count { return try unary() }
        var lhs = try binary(level: level + 1)
        while let op = opAt(level: level) {
            let p = tok.pos
            advance()
            let rhs = try binary(level: level + 1)
            lhs = try node(.binary(op, lhs, rhs), lhs.pos)
            // Comparisons do not chain: `a < b < c` is an error, not a surprise.
            if level == 2, opAt(level: 2) != nil { throw fail("comparisons do not chain; use 'and'", at: p) }
        }
        return lhs
    }

    private mutating func unary() throws(Abort) -> Expr {
        let p = tok.pos
        if tok.isSym("-") || tok.isWord("not") {
            let isNeg = tok.isSym("-")
            advance()
            try enter()
            defer { leave() }
            let e = try unary()
            return try node(isNeg ? .neg(e) : .not(e), p)
        }
        return try primary()
    }

    private mutating func primary() throws(Abort) -> Expr {
        let p = tok.pos
        switch tok.kind {
        case .int(let v):
            advance()
            return Expr(kind: .int(v), pos: p)
        case .hex(let b):
            advance()
            return Expr(kind: .bytes(b), pos: p)
        case .string(let s):
            advance()
            return Expr(kind: .string(s), pos: p)
        case .ident("true"), .ident("false"):
            let v = tok.isWord("true")
            advance()
            return Expr(kind: .bool(v), pos: p)
        case .ident("now"):
            advance()
            return Expr(kind: .now, pos: p)
        case .ident(let n) where !Self.reserved.contains(n):
            advance()
            guard tok.isSym("(") else { return Expr(kind: .name(n), pos: p) }
            advance()
            var args: [Expr] = []
            if !tok.isSym(")") {
                args.append(try expr())
                while tok.isSym(",") {
                    advance()
                    args.append(try expr())
                }
            }
            try expectSym(")", "after the arguments of \(n)")
            return try node(.call(n, args), p)
        case .sym("("):
            advance()
            let e = try expr()
            try expectSym(")", "to close the parenthesis")
            return e
        default:
            throw fail("expected an expression, found \(tok.display)")
        }
    }
}

/// The language's fixed limits, checked before anything that depends on them. Together they
/// keep compiling any source up to `sourceBytes` near-linear in its size, and every recursion
/// over the tree bounded: nothing recurses deeper than `parseDepth` (blocks, policies,
/// parentheses) or `exprHeight` (expression nodes), and the one cubic step (closing the time
/// order of the `require` lines) runs over at most `params + 1` nodes.
public enum Limits {
    /// Source size in bytes (`source_too_large`).
    public static let sourceBytes = 64 * 1024
    /// `when` nesting along any path (`too_deep`).
    public static let whenDepth = 32
    /// Cases in one `when` (`too_many_cases`).
    public static let casesPerWhen = 16
    /// Parser recursion: blocks, policies, parentheses, unary operators and call arguments together (`too_deep`).
    public static let parseDepth = 96
    /// Height of one expression: nodes on its longest root-to-leaf path, so a chain of 63 binary
    /// operators (`a + b + ...`, `x and y and ...`), 63 unary ones or 63 nested calls (`too_deep`).
    /// The parser builds operator chains in a loop; this bounds the trees every later walker recurses over.
    public static let exprHeight = 64
    /// Parameters of a contract (`too_many_params`); also bounds the time order's nodes.
    public static let params = 64
    /// `require` lines of a contract (`too_many_requires`).
    public static let requires = 64
    /// Names in scope at any point: parameters, `let`s and action arguments along a path
    /// (`too_many_names`). Bounds each `when`'s scope, which an instance's state stores.
    public static let scopeNames = 256
    /// Leaves in one policy (`policy_too_large`; bounds the authority matrix).
    public static let policyParties = 16
}
