/// The conformance driver. A row is a JSON array
/// `[contract, state, inputs, time, signers, expected, comment]` (docs/contracts.md defines each
/// column); `run(row:)` returns the result line that `expected` must equal.
public enum Conformance {
    /// Runs one row. `contracts` maps a contract name (the `Contracts/<name>.cairn` file) to its
    /// source; a `contract` column that contains a newline is the source itself.
    public static func run(row: JSON, contracts: [String: String] = [:]) -> String {
        guard case .array(let cols) = row, cols.count == 7 else { return "bad_row need 7 columns" }
        guard let ref = cols[0].string else { return "bad_row contract" }
        guard let source = ref.contains("\n") ? ref : contracts[ref] else { return "bad_row no contract \(ref)" }
        guard let op = cols[2]["op"]?.string else { return "bad_row inputs.op" }
        guard let time = cols[3].int ?? (op == "compile" ? 0 : nil) else { return "bad_row time" }
        let signers = Set((cols[4].array ?? []).compactMap(\.string))

        let contract: Contract
        switch Contract.compile(source) {
        case .failure(let errs):
            return "error " + errs.map { "\($0.code)@\($0.line):\($0.column)" }.joined(separator: " ")
        case .success(let c): contract = c
        }
        if op == "compile" { return "ok compiled steps=\(contract.stepBound) actions=\(contract.actions.joined(separator: ","))" }
        if op == "open" {
            return line(contract.open(params: params(cols[2]["params"], contract), deposit: deposit(cols[2]["deposit"]), time: time))
        }
        // Every other op starts from a state reached by replaying `state`.
        let st = cols[1]
        guard
            case .success(var step) = contract.open(
                params: params(st["params"], contract), deposit: deposit(st["deposit"]), time: st["opened"]?.int ?? 0)
        else { return "bad_row state does not open" }
        for (i, h) in (st["history"]?.array ?? []).enumerated() {
            let r: Result<Step, ScriptError>?
            if let t = h["advance"]?.int {
                r = contract.advance(step.state, time: t)
            } else {
                r = contract.act(
                    step.state, action: h["act"]?.string ?? "", args: args(h["args"], contract), signers: names(h["signers"]),
                    time: h["time"]?.int ?? 0)
            }
            guard case .success(let s)? = r else { return "bad_row history[\(i)] fails" }
            step = s
        }
        switch op {
        case "act":
            let action = cols[2]["action"]?.string ?? ""
            return line(contract.act(step.state, action: action, args: args(cols[2]["args"], contract), signers: signers, time: time))
        case "advance":
            guard let r = contract.advance(step.state, time: time) else { return "none" }
            return line(r)
        case "authorizes":
            return contract.authorizes(step.state, action: cols[2]["action"]?.string ?? "", signers: signers) ? "true" : "false"
        case "state":
            return line(.success(step))
        default: return "bad_row unknown op \(op)"
        }
    }

    /// Runs a JSON array of rows, one result line per row.
    public static func runAll(json: String, contracts: [String: String]) -> [String] {
        guard case .array(let rows)? = JSON.parse(json) else { return ["bad_input not a JSON array"] }
        return rows.map { run(row: $0, contracts: contracts) }
    }

    /// `ok <closed|waiting@T> locked=[CUR:N,...] paid=[ACC:CUR:N,...] deposited=[ACC:CUR:N,...] steps=N`
    /// or `error <code>@<line>:<column>`.
    public static func line(_ r: Result<Step, ScriptError>) -> String {
        switch r {
        case .failure(let e): return "error \(e.code)@\(e.line):\(e.column)"
        case .success(let s):
            let status = s.state.closed ? "closed" : "waiting@\(s.state.nextTimeout ?? 0)"
            let locked = s.state.locked.map { "\($0.currency):\($0.amount)" }.joined(separator: ",")
            let paid = s.payments.map { "\($0.to):\($0.currency):\($0.amount)" }.joined(separator: ",")
            let dep = s.deposits.map { "\($0.from):\($0.currency):\($0.amount)" }.joined(separator: ",")
            return "ok \(status) locked=[\(locked)] paid=[\(paid)] deposited=[\(dep)] steps=\(s.steps)"
        }
    }

    private static func names(_ j: JSON?) -> Set<String> { Set((j?.array ?? []).compactMap(\.string)) }

    private static func deposit(_ j: JSON?) -> [(currency: String, amount: Int64)] {
        guard case .object(let pairs)? = j else { return [] }
        return pairs.map { ($0.0, $0.1.int ?? 0) }
    }

    /// JSON to values: numbers are `int` (a parameter of type amount or time accepts them);
    /// strings take the declared type (party, account, currency, or hex for hash).
    static func value(_ j: JSON, _ type: ParamType?) -> ScriptValue {
        switch j {
        case .int(let v): return .int(v)
        case .string(let s):
            switch type {
            case .account: return .account(s)
            case .currency: return .currency(s)
            case .hash: return .bytes(Hex.decode(s) ?? [])
            default: return .party(s)
            }
        case .bool(let b): return .bool(b)
        default: return .party("")
        }
    }

    private static func params(_ j: JSON?, _ c: Contract) -> [String: ScriptValue] {
        guard case .object(let pairs)? = j else { return [:] }
        var out: [String: ScriptValue] = [:]
        for (k, v) in pairs { out[k] = value(v, c.params.first(where: { $0.name == k })?.type) }
        return out
    }

    private static func args(_ j: JSON?, _ c: Contract) -> [String: ScriptValue] {
        guard case .object(let pairs)? = j else { return [:] }
        var out: [String: ScriptValue] = [:]
        for (k, v) in pairs {
            let t = c.program.whens.lazy.flatMap(\.cases).flatMap(\.args).first(where: { $0.name == k })?.type
            out[k] = value(v, t)
        }
        return out
    }
}
