/// The conformance driver. A corpus file (`Tests/Vectors/contracts/*.json`) is a JSON array of
/// rows; a row is an object `{"desc", "contract", "state", "input", "time", "signers", "want"}`
/// (docs/contracts.md defines each field), and `run(row:)` returns the result line that `want`
/// must equal. A row this driver cannot read gives `bad_row <why>`, which no `want` holds.
public enum Conformance {
    /// One row's verdict.
    public struct Outcome: Sendable, Equatable {
        /// The row's index in its file, from 0.
        public var index: Int
        /// The line of the file on which the row starts.
        public var line: Int
        public var desc: String
        public var want: String
        public var got: String
        public var passed: Bool { got == want }
    }

    /// Runs every row of a corpus file. Throws when the text is not JSON or not an array, naming
    /// the line and column.
    public static func check(_ text: String, contracts: [String: String]) throws(JSON.ParseError) -> [Outcome] {
        let (value, lines) = try JSON.parseLocated(text)
        guard case .array(let rows) = value else {
            throw JSON.ParseError(line: 1, column: 1, message: "a corpus file is a JSON array of rows")
        }
        return rows.enumerated().map { (i, row) in
            Outcome(
                index: i, line: lines[i], desc: row["desc"]?.string ?? "", want: row["want"]?.string ?? "",
                got: run(row: row, contracts: contracts))
        }
    }

    /// Runs a JSON array of rows, one result line per row (the stdin driver's output).
    public static func runAll(json: String, contracts: [String: String]) -> [String] {
        do throws(JSON.ParseError) {
            guard case .array(let rows) = try JSON.parseLocated(json).value else { return ["bad_input not a JSON array"] }
            return rows.map { run(row: $0, contracts: contracts) }
        } catch {
            return ["bad_input \(error)"]
        }
    }

    /// Runs one row. `contracts` maps a contract name (the `Contracts/<name>.cairn` file) to its
    /// source; a `contract` field that contains a newline is the source itself.
    public static func run(row: JSON, contracts: [String: String] = [:]) -> String {
        do throws(BadRow) {
            return try Row(row).run(contracts)
        } catch {
            return "bad_row \(error.why)"
        }
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

    struct BadRow: Error {
        var why: String
        init(_ why: String) { self.why = why }
    }

    /// A row, read strictly: unknown fields, missing fields and values of the wrong JSON type are
    /// `bad_row`, so a typo in the corpus cannot pass unnoticed.
    private struct Row {
        static let fields: Set<String> = ["desc", "contract", "state", "input", "time", "signers", "want"]
        /// The fields each op reads from `input`, besides `op`.
        static let inputFields: [String: Set<String>] = [
            "compile": [], "lints": [], "open": ["params", "deposit"], "act": ["action", "args"], "advance": [],
            "authorizes": ["action"], "state": [], "encode": [], "decode": ["hex"],
        ]

        let contract: String
        let state: JSON
        let input: JSON
        let op: String
        let time: Int64
        let signers: Set<String>

        init(_ row: JSON) throws(BadRow) {
            guard case .object(let pairs) = row else { throw BadRow("a row is a JSON object") }
            for (k, _) in pairs where !Self.fields.contains(k) { throw BadRow("unknown field \"\(k)\"") }
            guard row["desc"]?.string?.isEmpty == false else { throw BadRow("desc must be a non-empty string") }
            guard row["want"]?.string != nil else { throw BadRow("want must be a string") }
            guard let contract = row["contract"]?.string else { throw BadRow("contract must be a string") }
            guard let input = row["input"], case .object(let inputPairs) = input, let op = input["op"]?.string else {
                throw BadRow("input must be an object with an op")
            }
            guard let allowed = Self.inputFields[op] else { throw BadRow("unknown op \"\(op)\"") }
            for (k, _) in inputPairs where k != "op" && !allowed.contains(k) { throw BadRow("op \(op) takes no \"\(k)\"") }
            let state = row["state"] ?? .null
            let needsState = !["compile", "lints", "open", "decode"].contains(op)
            if needsState != (state != .null) { throw BadRow(needsState ? "op \(op) needs a state" : "op \(op) takes no state") }
            let time: Int64
            switch row["time"] {
            case nil: time = 0
            case .int(let t)?: time = t
            default: throw BadRow("time must be an integer")
            }
            if ["open", "act", "advance"].contains(op) && row["time"] == nil { throw BadRow("op \(op) needs a time") }
            self.contract = contract
            self.state = state
            self.input = input
            self.op = op
            self.time = time
            self.signers = try Self.names(row["signers"], "signers")
        }

        func run(_ contracts: [String: String]) throws(BadRow) -> String {
            guard let source = contract.contains("\n") ? contract : contracts[contract] else {
                throw BadRow("no contract \"\(contract)\"")
            }
            let c: Contract
            switch Contract.compile(source) {
            case .failure(let errs):
                return "error " + errs.map { "\($0.code)@\($0.line):\($0.column)" }.joined(separator: " ")
            case .success(let compiled): c = compiled
            }
            switch op {
            case "compile": return "ok compiled steps=\(c.stepBound) actions=\(c.actions.joined(separator: ","))"
            case "lints": return "ok lints=[\(c.lints.map { "\($0.code)@\($0.line):\($0.column)" }.joined(separator: ","))]"
            case "open":
                return Conformance.line(
                    c.open(params: try Self.params(input["params"], c), deposit: try Self.deposit(input["deposit"]), time: time))
            case "decode":
                guard let hex = input["hex"]?.string, let bytes = Hex.decode(hex) else { throw BadRow("decode needs hex") }
                do throws(ScriptError) {
                    let s = try InstanceState(decoding: bytes, contract: c)
                    return Conformance.line(.success(Step(state: s, payments: [], deposits: [], steps: 0)))
                } catch {
                    return Conformance.line(.failure(error))
                }
            default: break
            }
            // Every other op starts from a state reached by replaying `state`.
            let step = try reach(c)
            switch op {
            case "act":
                guard let action = input["action"]?.string else { throw BadRow("act needs an action") }
                return Conformance.line(
                    c.act(step.state, action: action, args: try Self.args(input["args"], c), signers: signers, time: time))
            case "advance":
                guard let r = c.advance(step.state, time: time) else { return "none" }
                return Conformance.line(r)
            case "authorizes":
                guard let action = input["action"]?.string else { throw BadRow("authorizes needs an action") }
                return c.authorizes(step.state, action: action, signers: signers) ? "true" : "false"
            case "state": return Conformance.line(.success(step))
            default: return "ok bytes=\(Hex.encode(step.state.encoded()))"
            }
        }

        /// Opens the instance `state` describes and replays its history; every step must succeed.
        func reach(_ c: Contract) throws(BadRow) -> Step {
            guard case .object(let pairs) = state else { throw BadRow("state must be an object") }
            for (k, _) in pairs where !["params", "deposit", "opened", "history"].contains(k) {
                throw BadRow("unknown state field \"\(k)\"")
            }
            guard case .int(let opened)? = state["opened"] else { throw BadRow("state.opened must be an integer") }
            let r = c.open(params: try Self.params(state["params"], c), deposit: try Self.deposit(state["deposit"]), time: opened)
            guard case .success(var step) = r else { throw BadRow("state does not open: \(Conformance.line(r))") }
            guard state["history"].map({ $0.array != nil }) ?? true else { throw BadRow("state.history must be an array") }
            for (i, h) in (state["history"]?.array ?? []).enumerated() {
                guard case .object(let entry) = h else { throw BadRow("history[\(i)] is not an object") }
                let allowed: Set<String> = h["advance"] != nil ? ["advance"] : ["act", "args", "time", "signers"]
                for (k, _) in entry where !allowed.contains(k) { throw BadRow("history[\(i)] takes no \"\(k)\"") }
                let r: Result<Step, ScriptError>?
                if case .int(let t)? = h["advance"] {
                    r = c.advance(step.state, time: t)
                } else if let action = h["act"]?.string, case .int(let t)? = h["time"] {
                    r = c.act(
                        step.state, action: action, args: try Self.args(h["args"], c), signers: try Self.names(h["signers"], "signers"),
                        time: t)
                } else {
                    throw BadRow("history[\(i)] is neither {\"advance\": T} nor {\"act\", \"args\", \"time\", \"signers\"}")
                }
                guard case .success(let s)? = r else { throw BadRow("history[\(i)] fails: \(r.map(Conformance.line) ?? "none")") }
                step = s
            }
            return step
        }

        static func names(_ j: JSON?, _ what: String) throws(BadRow) -> Set<String> {
            guard let j else { return [] }
            guard case .array(let a) = j else { throw BadRow("\(what) must be an array of strings") }
            var out: Set<String> = []
            for v in a {
                guard let s = v.string else { throw BadRow("\(what) must be an array of strings") }
                out.insert(s)
            }
            return out
        }

        /// `{"EUR": 1000, ...}`, or `[["EUR", 1], ["EUR", 2]]` to name a currency twice.
        static func deposit(_ j: JSON?) throws(BadRow) -> [(currency: String, amount: Int64)] {
            switch j {
            case nil: return []
            case .object(let pairs)?:
                var out: [(currency: String, amount: Int64)] = []
                for (k, v) in pairs {
                    guard case .int(let n) = v else { throw BadRow("deposit amounts are integers") }
                    out.append((k, n))
                }
                return out
            case .array(let a)?:
                var out: [(currency: String, amount: Int64)] = []
                for v in a {
                    guard case .array(let p) = v, p.count == 2, let k = p[0].string, case .int(let n) = p[1] else {
                        throw BadRow("a deposit array holds [currency, amount] pairs")
                    }
                    out.append((k, n))
                }
                return out
            default: throw BadRow("deposit is an object or an array of pairs")
            }
        }

        /// JSON to values: numbers are `int` (a parameter of type amount or time accepts them);
        /// strings take the declared type (party, account, currency, or hex for hash); `true` and
        /// `false` are `bool` (which no parameter admits).
        static func value(_ j: JSON, _ type: ParamType?) throws(BadRow) -> ScriptValue {
            switch j {
            case .int(let v): return .int(v)
            case .bool(let b): return .bool(b)
            case .string(let s):
                switch type {
                case .account: return .account(s)
                case .currency: return .currency(s)
                case .hash:
                    guard let b = Hex.decode(s) else { throw BadRow("\"\(s)\" is not hex") }
                    return .bytes(b)
                default: return .party(s)
                }
            default: throw BadRow("values are integers, strings or booleans")
            }
        }

        static func params(_ j: JSON?, _ c: Contract) throws(BadRow) -> [String: ScriptValue] {
            guard let j else { return [:] }
            guard case .object(let pairs) = j else { throw BadRow("params must be an object") }
            var out: [String: ScriptValue] = [:]
            for (k, v) in pairs { out[k] = try value(v, c.params.first(where: { $0.name == k })?.type) }
            return out
        }

        /// An argument takes the type of the first argument of that name in the contract's cases.
        static func args(_ j: JSON?, _ c: Contract) throws(BadRow) -> [String: ScriptValue] {
            guard let j else { return [:] }
            guard case .object(let pairs) = j else { throw BadRow("args must be an object") }
            var out: [String: ScriptValue] = [:]
            for (k, v) in pairs {
                let t = c.program.whens.lazy.flatMap(\.cases).flatMap(\.args).first(where: { $0.name == k })?.type
                out[k] = try value(v, t)
            }
            return out
        }
    }
}
