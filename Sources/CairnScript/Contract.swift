import Crypto

/// A compiled contract: parsed, checked and addressed by the SHA-256 of its source.
public struct Contract: Sendable {
    /// Semantics of the language (grammar, typing, timeouts). Recorded on the ledger for replay.
    public static let languageVersion = 1
    /// Semantics of evaluation (metering, error order, state bytes). Recorded on the ledger for replay.
    public static let interpreterVersion = 1

    public let source: String
    /// Lowercase hex SHA-256 of the UTF-8 source: the contract's address.
    public let hash: String
    public let name: String
    public let params: [(name: String, type: ParamType)]
    public let actions: [String]
    /// Worst-case steps of a whole run (open, then the costliest path of acts and timeouts to a close).
    /// It also bounds every single evaluation; the interpreter fails with `step_limit` past it.
    public let stepBound: Int
    /// Worst-case steps of any single `open`, `act` or timeout firing.
    public let evaluationBound: Int
    /// Warnings: `unreachable_branch`, `unsatisfiable_policy`, `shadowed_name`.
    public var lints: [ScriptError]

    let program: Program
    let analysis: Analysis

    /// Parses and checks a contract. On failure returns every error found, in source order.
    ///
    /// Safe on untrusted input: any source up to `Limits.sourceBytes` compiles (or fails) in time
    /// near-linear in its size, with recursion bounded by `Limits` rather than by the input.
    public static func compile(_ source: String) -> Result<Contract, ScriptErrors> { compileCountingWork(source).result }

    /// `compile`, also returning the work done: tokens, parser steps, expression nodes typed,
    /// bindings made or copied, policy leaves and the time order's inner steps. A deterministic
    /// count, so tests can check that it grows linearly with the source, with no clock.
    static func compileCountingWork(_ source: String) -> (result: Result<Contract, ScriptErrors>, work: Int) {
        guard source.utf8.count <= Limits.sourceBytes else {
            let error = ScriptError(.sourceTooLarge, "the source is larger than \(Limits.sourceBytes) bytes", at: .start)
            return (.failure(ScriptErrors([error])), 0)
        }
        var lexer = Lexer(source)
        let tokens = lexer.tokens()
        var parser = Parser(tokens: tokens)
        let program = parser.parseProgram()
        var work = lexer.work + parser.work
        var errors = lexer.errors + parser.errors
        if let program {
            var checker = Checker(program: program)
            if errors.isEmpty || parser.errors.isEmpty {
                checker.run()
                errors += checker.errors
                work += checker.work + checker.analysis.order.work
            }
            if errors.isEmpty { return (.success(Contract(source: source, program: program, analysis: checker.analysis)), work) }
        }
        let sorted = errors.enumerated().sorted { (a, b) in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }
        return (.failure(ScriptErrors(sorted.map(\.element))), work)
    }

    private init(source: String, program: Program, analysis: Analysis) {
        self.source = source
        self.hash = Hex.encode(Array(SHA256.hash(data: Array(source.utf8))))
        self.name = program.name
        self.params = program.params.map { ($0.name, $0.type) }
        self.actions = analysis.actions
        self.stepBound = analysis.runBound
        self.evaluationBound = analysis.evalBound
        self.lints = analysis.lints.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        self.program = program
        self.analysis = analysis
    }

    var hashBytes: [UInt8] { Hex.decode(hash)! }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}

/// Money leaving the instance: the ledger credits `to`.
public struct Payment: Sendable, Equatable {
    public var to: String
    public var currency: String
    public var amount: Int64

    public init(to: String, currency: String, amount: Int64) {
        self.to = to
        self.currency = currency
        self.amount = amount
    }
}

/// Money entering the instance through a `deposit` clause: the ledger debits `from` (whose owner
/// signed the action) and the instance locks it.
public struct Deposit: Sendable, Equatable {
    public var from: String
    public var currency: String
    public var amount: Int64

    public init(from: String, currency: String, amount: Int64) {
        self.from = from
        self.currency = currency
        self.amount = amount
    }
}

/// The outcome of `open`, `act` or `advance`: the new state, what it pays and locks, and the steps spent.
public struct Step: Sendable, Equatable {
    public var state: InstanceState
    public var payments: [Payment]
    public var deposits: [Deposit]
    public var steps: Int
}
