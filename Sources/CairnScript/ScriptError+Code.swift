extension ScriptError {
    /// Every code a compile, `open`, `act`, `advance` or state decoding can fail with. The raw
    /// values are stable: the ledger rejects a notice with them and the conformance corpus
    /// (`Tests/Vectors/contracts`) matches on them. docs/contracts.md says when each one happens.
    public enum Code: String, CaseIterable, Sendable {
        // Lexer and parser.
        case syntax
        case badToken = "bad_token"
        case unknownType = "unknown_type"
        case overflow
        // Limits.
        case sourceTooLarge = "source_too_large"
        case tooDeep = "too_deep"
        case tooManyCases = "too_many_cases"
        case policyTooLarge = "policy_too_large"
        case tooManyParams = "too_many_params"
        case tooManyRequires = "too_many_requires"
        case tooManyNames = "too_many_names"
        // Checker.
        case noTimeout = "no_timeout"
        case timeoutForm = "timeout_form"
        case timeoutNotIncreasing = "timeout_not_increasing"
        case unsatisfiableRequire = "unsatisfiable_require"
        case unboundName = "unbound_name"
        case unknownFunction = "unknown_function"
        case typeMismatch = "type_mismatch"
        case invalidAmount = "invalid_amount"
        case duplicateParty = "duplicate_party"
        case duplicateName = "duplicate_name"
        case reservedName = "reserved_name"
        case badThreshold = "bad_threshold"
        case noRefund = "no_refund"
        // open.
        case missingParam = "missing_param"
        case unknownParam = "unknown_param"
        case duplicateCurrency = "duplicate_currency"
        case requireFailed = "require_failed"
        // act and advance.
        case instanceClosed = "instance_closed"
        case expired
        case unknownAction = "unknown_action"
        case missingArgument = "missing_argument"
        case unknownArgument = "unknown_argument"
        case notAllowed = "not_allowed"
        case unauthorized
        case tooEarly = "too_early"
        case tooLate = "too_late"
        case preimageMismatch = "preimage_mismatch"
        case guardFailed = "guard_failed"
        case insufficientFunds = "insufficient_funds"
        case divisionByZero = "division_by_zero"
        case stepLimit = "step_limit"
        // InstanceState(decoding:) and a state handed to another contract.
        case badState = "bad_state"
    }

    /// The codes of the checker's warnings (`Contract.lints`): the contract still compiles.
    public enum Lint: String, CaseIterable, Sendable {
        case unreachableBranch = "unreachable_branch"
        case unsatisfiablePolicy = "unsatisfiable_policy"
        case shadowedName = "shadowed_name"
    }

    init(_ code: Code, _ message: String, at pos: Pos) {
        self.init(code.rawValue, message, line: pos.line, column: pos.column)
    }

    init(_ lint: Lint, _ message: String, at pos: Pos) {
        self.init(lint.rawValue, message, line: pos.line, column: pos.column)
    }
}
